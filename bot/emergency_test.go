package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
)

// secondAdmin is an admin beside admin, so that "each admin" means two.
const secondAdmin = int64(9002)

// screenDouble flags the texts it lists: these tests are about what follows a
// screening decision, whatever the screening engine of the day finds.
type screenDouble map[string]classify.Flags

func (d screenDouble) Screen(text string) classify.Flags { return d[text] }

const (
	gasLeakText    = "燃气管道有泄漏的味道，在和平社区5号楼一单元，非常浓！"
	collectiveText = "我们十几户准备明天去区政府集体上访，要个说法"
)

var doubles = screenDouble{
	gasLeakText:    {Urgent: true, UrgentReason: "燃气泄漏：泄漏的味道，非常浓", Hazard: classify.HazardGas},
	collectiveText: {AdminsOnly: true, Hazard: classify.HazardCollective, UrgentReason: "集体行动：明天、集体上访", Sensitive: true, SensitiveReason: "敏感事项：集体上访"},
}

func emergencyHarness(t *testing.T) *harness {
	return newHarness(t, false, func(c *harnessConfig) {
		c.Config = cases.Config{Admins: []int64{admin, secondAdmin}, StaffChat: staffChat, AlertEvery: 15 * time.Minute, Escalate: 10 * time.Minute}
		c.screen = doubles
	})
}

// count is how many messages to chat say want.
func (h *harness) count(chat int64, want string) int {
	n := 0
	for _, c := range h.api.snapshot() {
		if strings.HasPrefix(c.Method, "send") && c.Params["chat_id"] == strconv.FormatInt(chat, 10) && strings.Contains(c.Params["text"], want) {
			n++
		}
	}
	return n
}

// An urgent alert nobody acknowledges in the staff group goes to each admin
// privately after the escalation delay, and again every repeat, until someone
// presses 已知悉; the audit says who, and how long after.
func TestAlertEscalatesToEachAdmin(t *testing.T) {
	h := emergencyHarness(t)
	h.enrol(staffer, "staff")
	h.as(resident, "/report")
	h.as(resident, gasLeakText)
	h.pressAs(resident, "跳过")
	h.pressAs(resident, "和平社区")
	h.pressAs(resident, "匿名")
	calls := h.pressAs(resident, "提交")
	receipt := calls[len(calls)-1].Params["text"]
	id := idPattern.FindStringSubmatch(receipt)
	if id == nil || !strings.HasPrefix(receipt, "🚨 疑似燃气泄漏：请立即离开") || !strings.Contains(receipt, "已通知值班工作人员。") {
		t.Fatalf("receipt: %s", receipt)
	}
	h.waitText(staffChat, "🚨 紧急诉求 "+id[1])
	h.clock.advance(9 * time.Minute)
	h.cases.Tick(t.Context())
	time.Sleep(200 * time.Millisecond)
	if h.count(admin, "紧急诉求 "+id[1]) != 0 {
		t.Fatal("escalated before 10 minutes")
	}
	h.clock.advance(time.Minute)
	if err := h.cases.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, a := range []int64{admin, secondAdmin} {
		got := h.waitText(a, "⏫ 升级提醒")
		if !strings.Contains(got.Params["text"], "🚨 紧急诉求 "+id[1]) || !strings.Contains(got.Params["reply_markup"], "k:"+id[1]) {
			t.Fatalf("escalation to %d: %+v", a, got.Params)
		}
	}
	if h.count(staffChat, "⏫") != 0 {
		t.Fatal("the escalation was posted in the staff group")
	}
	// unacknowledged still: the staff chat's repeat at 15 minutes, the admins' second at 25
	h.clock.advance(15 * time.Minute)
	h.cases.Tick(t.Context())
	h.waitText(staffChat, "（第2次提醒）")
	h.waitText(secondAdmin, "（第2次提醒）")
	// staff acknowledge in the group: it stops, for everyone
	mustContain(t, h.send(h.buttonIn(staffChat, staffer, "已知悉")), "已确认紧急诉求 "+id[1])
	before := [3]int{h.count(staffChat, id[1]), h.count(admin, id[1]), h.count(secondAdmin, id[1])}
	for range 3 {
		h.clock.advance(15 * time.Minute)
		h.cases.Tick(t.Context())
	}
	time.Sleep(300 * time.Millisecond)
	if after := [3]int{h.count(staffChat, id[1]), h.count(admin, id[1]), h.count(secondAdmin, id[1])}; after != before {
		t.Fatalf("alerts after the acknowledgement: %v, before %v", after, before)
	}
	trail, _ := h.st.AuditTrail(t.Context(), id[1])
	if len(trail) != 2 || trail[0].Action != "escalate" || trail[1].Action != "ack" || trail[1].By != staffer {
		t.Fatalf("trail: %+v", trail)
	}
	after, err := time.ParseDuration(trail[1].Detail)
	if err != nil || after < 25*time.Minute || after > 27*time.Minute {
		t.Fatalf("the acknowledgement's delay: %q", trail[1].Detail)
	}
	if r, _ := h.st.Report(t.Context(), id[1]); r.Ack == nil || r.Ack.By != staffer || r.Ack.After.Round(time.Second) != after {
		t.Fatalf("the concern's acknowledgement: %+v", r.Ack)
	}
}

// A sensitive concern announcing collective action with a time is urgent for
// admins only: each admin is alerted privately, the staff group never, even as
// it repeats; its service level is urgent; the reporter hears nothing of it.
func TestCollectiveActionAlertsAdminsOnly(t *testing.T) {
	h := emergencyHarness(t)
	h.enrol(staffer, "staff")
	id := h.reportAs(resident, collectiveText, false)
	receipt := h.api.snapshot()
	last := ""
	for _, c := range receipt {
		if c.Params["chat_id"] == strconv.FormatInt(resident, 10) && strings.Contains(c.Params["text"], id) {
			last = c.Params["text"]
		}
	}
	if !strings.HasPrefix(last, "✅ 您的诉求已收到") || strings.Contains(last, "已通知") || strings.Contains(last, "紧急") {
		t.Fatalf("the reporter's receipt hints at the flag: %s", last)
	}
	for _, a := range []int64{admin, secondAdmin} {
		got := h.waitText(a, "🔒 敏感紧急事项 "+id)
		if !strings.Contains(got.Params["text"], "仅发给管理员") || !strings.Contains(got.Params["reply_markup"], "k:"+id) {
			t.Fatalf("alert to %d: %+v", a, got.Params)
		}
	}
	r := waitReport(t, h.st, id)
	if !r.Urgent || !r.AdminsOnly || !r.Sensitive || r.Level != concern.LevelUrgent || !r.Deadline.Equal(r.ReceivedAt.Add(2*time.Hour)) {
		t.Fatalf("recorded as %+v", r)
	}
	h.clock.advance(16 * time.Minute)
	h.cases.Tick(t.Context())
	h.waitText(admin, "（第2次提醒）")
	time.Sleep(300 * time.Millisecond)
	if n := h.count(staffChat, id); n != 0 {
		t.Fatalf("the staff group saw it %d times", n)
	}
	if n := h.count(admin, "⏫"); n != 0 {
		t.Fatal("an admins-only alert escalated (to the admins it was sent to)")
	}
	mustContain(t, h.send(h.buttonIn(admin, admin, "已知悉")), "已确认紧急诉求 "+id)
	if trail, _ := h.st.AuditTrail(t.Context(), id); len(trail) != 1 || trail[0].Action != "ack" || trail[0].By != admin {
		t.Fatalf("trail: %+v", trail)
	}
}
