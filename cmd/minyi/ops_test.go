package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
)

// scrape reads /metrics into series → value (the series as written, labels and all).
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sumOf adds up the series that start with prefix.
func sumOf(m map[string]float64, prefix string) float64 {
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func status(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitStatus(t *testing.T, addr, path string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := status(addr, path)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d, not %d, within %v", path, got, want, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The metrics move as residents talk to the bot, and readiness follows Redis.
func TestMetricsAndReadiness(t *testing.T) {
	srv.Flush(t)
	api := startFleet(t, srv.URL())
	t.Setenv("MINYI_WEBHOOK_URL", "")
	addr := freeAddr(t)
	t.Setenv("MINYI_HTTP_ADDR", addr)
	startInstance(t, "ops", "")
	waitListening(t, addr)
	if got := status(addr, "/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz: %d", got)
	}
	waitStatus(t, addr, "/readyz", http.StatusOK, 10*time.Second)

	before := scrape(t, addr)
	if err := api.walk(630001, 0, "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。"); err != nil {
		t.Fatal(err)
	}
	// another starts a report and cancels it
	api.push(typedBy(630002, "/report"))
	if _, err := api.waitFor(630002, 0, "第1步"); err != nil {
		t.Fatal(err)
	}
	api.push(typedBy(630002, "/cancel"))
	if _, err := api.waitFor(630002, 0, "已取消"); err != nil {
		t.Fatal(err)
	}
	var after map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		after = scrape(t, addr)
		// an update is counted just after its replies are committed, so the
		// reply can be read before the count moves
		abandoned := `minyi_flow_steps_total{flow="report",outcome="abandoned",step="describe"}`
		if sumOf(after, "minyi_concerns_received_total") > sumOf(before, "minyi_concerns_received_total") && after[abandoned] > before[abandoned] || time.Now().After(deadline) {
			break
		}
	}
	delta := func(series string) float64 { return after[series] - before[series] }
	sum := sumOf
	checks := []struct {
		what string
		got  float64
		want float64
	}{
		{"typed updates (/report, the words, 匿名 from its keyboard; /report, /cancel)", delta(`minyi_updates_total{type="text"}`), 5},
		{"buttons pressed (跳过, the community, 提交)", delta(`minyi_updates_total{type="button"}`), 3},
		{"steps completed (describe, photos, where, contact, confirm)", sum(after, `minyi_flow_steps_total{flow="report",outcome="completed"`) - sum(before, `minyi_flow_steps_total{flow="report",outcome="completed"`), 5},
		{"drafts abandoned at the description", delta(`minyi_flow_steps_total{flow="report",outcome="abandoned",step="describe"}`), 1},
		{"concerns received", sum(after, "minyi_concerns_received_total") - sum(before, "minyi_concerns_received_total"), 1},
		{"classifications timed", sum(after, "minyi_classification_seconds_count") - sum(before, "minyi_classification_seconds_count"), 1},
		{"queue readable", after["minyi_queue_readable"], 1},
		{"queue empty", after["minyi_queue_length"], 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if t.Failed() {
		for k, v := range after {
			if strings.HasPrefix(k, "minyi_") {
				t.Logf("%s %v (before %v)", k, v, before[k])
			}
		}
	}

	health := func(args ...string) int {
		var out, errOut bytes.Buffer
		return run(append([]string{"health"}, args...), strings.NewReader(""), &out, &errOut)
	}
	if code := health(); code != 0 { // from MINYI_HTTP_ADDR, as the image's HEALTHCHECK asks
		t.Errorf("minyi health: exit %d", code)
	}

	// readiness goes with Redis, and comes back with it
	srv.Down()
	waitStatus(t, addr, "/readyz", http.StatusServiceUnavailable, 10*time.Second)
	if code := health("--ready"); code != 1 {
		t.Errorf("minyi health --ready with Redis down: exit %d, want 1", code)
	}
	if got := status(addr, "/healthz"); got != http.StatusOK {
		t.Errorf("/healthz with Redis down: %d (the process is up)", got)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, addr, "/readyz", http.StatusOK, 20*time.Second)
}

// Exports: masked by default; CSV opens in Excel (BOM); the workbook reads back;
// unmasked only for an admin who names themself; each export audited.
func TestExport(t *testing.T) {
	srv.Flush(t)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_LOG_LEVEL", "error")
	t.Setenv("MINYI_ADMINS", "900001")
	ctx := context.Background()
	st, err := store.Open(ctx, srv.URL(), store.WithLocation(shanghaiTZ(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, shanghaiTZ(t))
	reports := []*concern.Report{
		{ID: "20261120-0001", ReceivedAt: at, Channel: "telegram", ReporterID: 555, ReporterName: "王小明", Phone: "13800138000",
			Text: "我叫王小明，电话13800138000，小区东门的路灯坏了一个多月。", Community: "阳光社区", Sector: "社会建设", Topic: "城乡建设",
			Status: concern.StatusClosed, History: []concern.StatusChange{{At: at, Status: concern.StatusReceived},
				{At: at.Add(time.Hour), Status: concern.StatusClosed, By: "李工", Note: "已修复，回访电话13900139000"}}},
		{ID: "20261120-0002", ReceivedAt: at.Add(time.Minute), Channel: "hotline", ExternalID: "HL-7", ResidentName: "赵大妈", ResidentPhone: "13700137000",
			Text: "楼下饭店油烟太大，晚上十点以后还很吵。", Sector: "生态文明建设", Topic: "环境保护", Status: concern.StatusReceived,
			History: []concern.StatusChange{{At: at.Add(time.Minute), Status: concern.StatusReceived}}},
	}
	for _, r := range reports {
		if err := st.SaveReport(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
		srv.Do(t, "ZADD", "minyi:{intake}:recv:20261120", fmt.Sprint(r.ReceivedAt.UnixMilli()), r.ID)
	}
	dir := t.TempDir()
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"export", "--from", "2026-11-20", "--to", "2026-11-20"}, args...), strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}

	// CSV, masked
	csvPath := filepath.Join(dir, "c.csv")
	if code, out := cmd("--format", "csv", "--out", csvPath); code != 0 || !strings.Contains(out, "exported 2 concerns (masked)") {
		t.Fatalf("csv: %d %s", code, out)
	}
	raw, _ := os.ReadFile(csvPath)
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("the CSV does not start with the UTF-8 BOM: % x", raw[:8])
	}
	rows, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv rows: %v %d", err, len(rows))
	}
	masked := strings.Join(rows[1], "|") + strings.Join(rows[2], "|")
	for _, leak := range []string{"13800138000", "13900139000", "13700137000", "王小明", "赵大妈", "555"} {
		if strings.Contains(masked, leak) || slices.Contains(rows[0], "联系电话") {
			t.Errorf("masked CSV shows %q or a personal column: %v", leak, rows)
		}
	}
	if rows[0][0] != "编号" || rows[1][0] != "20261120-0001" || !strings.Contains(masked, "已修复，回访电话[手机号]") || !strings.Contains(masked, "路灯坏了") {
		t.Errorf("masked CSV: %v", rows)
	}

	// XLSX read back
	xlsxPath := filepath.Join(dir, "c.xlsx")
	if code, out := cmd("--format", "xlsx", "--out", xlsxPath); code != 0 {
		t.Fatalf("xlsx: %d %s", code, out)
	}
	book, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := book.GetRows("诉求")
	book.Close()
	if err != nil || len(xrows) != 3 || !slices.Equal(xrows[0], rows[0]) || xrows[2][0] != "20261120-0002" || !slices.Contains(xrows[2], "HL-7") {
		t.Fatalf("xlsx rows: %v %v", err, xrows)
	}

	// JSON lines, with the history as a list
	code, out := cmd("--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first map[string]any
	if code != 0 || len(lines) != 3 || json.Unmarshal([]byte(lines[0]), &first) != nil || len(first["history"].([]any)) != 2 || first["id"] != "20261120-0001" {
		t.Fatalf("jsonl: %d %s", code, out)
	}

	// unmasked: refused without an admin, or for someone else; audited when done
	if code, out := cmd("--format", "csv", "--unmasked"); code != 1 || !strings.Contains(out, "--admin") {
		t.Errorf("--unmasked without --admin: %d %s", code, out)
	}
	if code, out := cmd("--format", "csv", "--unmasked", "--admin", "42"); code != 1 || !strings.Contains(out, "not one of MINYI_ADMINS") {
		t.Errorf("--unmasked by a non-admin: %d %s", code, out)
	}
	auditBefore, _ := st.AuditLen(ctx)
	code, out = cmd("--format", "csv", "--unmasked", "--admin", "900001")
	if code != 0 || !strings.Contains(out, "13800138000") || !strings.Contains(out, "赵大妈") || !strings.Contains(out, "联系电话") {
		t.Fatalf("unmasked: %d %s", code, out)
	}
	auditAfter, _ := st.AuditLen(ctx)
	last := srv.Do(t, "XREVRANGE", "minyi:audit", "+", "-", "COUNT", "1")
	if auditAfter != auditBefore+1 {
		t.Errorf("audit entries %d → %d, want one more (%s)", auditBefore, auditAfter, last)
	}
	if code, out := cmd("--format", "pdf"); code != 1 || !strings.Contains(out, "csv, xlsx, jsonl") {
		t.Errorf("unknown format: %d %s", code, out)
	}
}

func shanghaiTZ(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// At start-up the bot sets its description and the residents' menus; someone who
// enrols with an invite gets their role's menu in their chat, in both languages.
func TestMenusAtStartAndOnEnrolment(t *testing.T) {
	srv.Flush(t)
	api := startFleet(t, srv.URL())
	t.Setenv("MINYI_WEBHOOK_URL", "")
	t.Setenv("MINYI_ADMINS", "640009")
	startInstance(t, "menus", "http:\n  addr: 127.0.0.1:0\n")
	for _, c := range []struct{ method, key, want string }{
		{"setMyDescription", "description", "民意"},
		{"setMyShortDescription", "short_description", "民意"},
		{"setMyCommands", "scope", `"all_private_chats"`},
		{"setMyCommands", "scope", `"chat_id":640009`}, // the admin's own
	} {
		if _, err := api.waitOther(c.method, c.key, c.want); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateInvite(context.Background(), "GRIDCODE", store.Invite{Role: concern.RoleGrid, Community: "阳光社区", Grid: "第一网格", By: 640009, Created: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	api.push(typedBy(640001, "/join GRIDCODE"))
	c, err := api.waitOther("setMyCommands", "scope", `"chat_id":640001`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.params["commands"], `"file"`) || strings.Contains(c.params["commands"], `"digest"`) {
		t.Errorf("a grid worker's menu: %s", c.params["commands"])
	}
}

// stubborn is work that does not finish when asked: only cutting it off ends it.
type stubborn struct{ stopped, cut chan struct{} }

func (s *stubborn) Run(ctx context.Context) error { <-ctx.Done(); close(s.cut); return nil }
func (s *stubborn) Stop()                         { close(s.stopped) }

// Work that does not finish within the grace period is asked first, then cut off
// once the grace period is over, and the shutdown goes on.
func TestDrainedCutsOffAfterGrace(t *testing.T) {
	s := &stubborn{stopped: make(chan struct{}), cut: make(chan struct{})}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { drained(log, 300*time.Millisecond, s)(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-s.cut:
		t.Fatal("cut off before the end of ctx")
	default:
	}
	began := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("drained did not return after the grace period")
	}
	took := time.Since(began)
	select {
	case <-s.stopped:
	default:
		t.Error("the work was not asked to stop")
	}
	select {
	case <-s.cut:
	default:
		t.Error("the work was not cut off")
	}
	if took < 300*time.Millisecond || took > 2*time.Second || !strings.Contains(logs.String(), "grace period over") {
		t.Errorf("took %v; logs: %s", took, logs.String())
	}
}
