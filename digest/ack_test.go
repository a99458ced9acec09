package digest

import (
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// The digest says how long the period's urgent alerts waited to be
// acknowledged: the median and the worst, and how many still wait.
func TestTimeToAcknowledge(t *testing.T) {
	st := open(t)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, sh)
	for i, after := range []time.Duration{4 * time.Minute, 12 * time.Minute, 2 * time.Minute, 75 * time.Minute} {
		accept(t, st, &concern.Report{ReceivedAt: at.Add(time.Duration(i) * time.Minute), Text: "楼道燃气泄漏" + strings.Repeat("！", i), Urgent: true,
			UrgentReason: "燃气泄漏", Status: concern.StatusReceived, Ack: &concern.Ack{By: 3001, At: at.Add(after), After: after}}, true)
	}
	accept(t, st, &concern.Report{ReceivedAt: at, Text: "电梯困人了", Urgent: true, UrgentReason: "有人被困", Status: concern.StatusReceived}, true)
	accept(t, st, &concern.Report{ReceivedAt: at, Text: "路灯坏了", Status: concern.StatusReceived}, true)
	collective := accept(t, st, &concern.Report{ReceivedAt: at, Text: "我们十几户准备明天去区政府集体上访", Urgent: true, AdminsOnly: true, Sensitive: true,
		UrgentReason: "集体行动：明天", SensitiveReason: "敏感事项：集体上访", Status: concern.StatusReceived,
		Ack: &concern.Ack{By: 9001, At: at.Add(8 * time.Minute), After: 8 * time.Minute}}, true)
	d, err := NewBuilder(st, sectors, sh).Build(t.Context(), day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	// collective action is listed with the sensitive, by id, not among the urgent with its reason
	if len(d.Urgent) != 5 || len(d.Sensitive) != 1 || d.Sensitive[0].ID != collective || strings.Contains(d.Text("zh", sh), "集体行动") {
		t.Fatalf("urgent %d, sensitive %+v:\n%s", len(d.Urgent), d.Sensitive, d.Text("zh", sh))
	}
	if d.Acked != 5 || d.Unacked != 1 || d.AckMedianS == nil || *d.AckMedianS != 480 || *d.AckWorstS != 4500 {
		t.Fatalf("acked %d, unacked %d, median %v, worst %v", d.Acked, d.Unacked, d.AckMedianS, d.AckWorstS)
	}
	if got := d.Text("zh", sh); !strings.Contains(got, "紧急提醒确认用时：中位 8分钟，最长 1小时15分钟（已确认 5 件，尚未确认 1 件）") {
		t.Fatalf("zh digest:\n%s", got)
	}
	if got := d.Text("en", sh); !strings.Contains(got, "Time to acknowledge urgent alerts: median 8 min, worst 1 h 15 min (5 acknowledged, 1 not yet)") {
		t.Fatalf("en digest:\n%s", got)
	}
	if got := string(d.HTML("zh", sh)); !strings.Contains(got, "中位 8分钟") {
		t.Fatal("the brief does not show the time to acknowledge")
	}

	st = open(t)
	accept(t, st, &concern.Report{ReceivedAt: at, Text: "电梯困人了", Urgent: true, Status: concern.StatusReceived}, true)
	d, _ = NewBuilder(st, sectors, sh).Build(t.Context(), day("2026-11-25"))
	if got := d.Text("zh", sh); d.AckMedianS != nil || !strings.Contains(got, "紧急提醒尚无人确认（1 件）") {
		t.Fatalf("none acknowledged:\n%s", got)
	}
}
