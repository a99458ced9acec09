package cases

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

// inboxes stands for the chats' inboxes: it keeps what each was told, once per id.
type inboxes struct {
	mu   sync.Mutex
	seen map[string]bool
	got  []flows.Input
}

func (b *inboxes) Ingest(_ context.Context, inputs ...flows.Input) ([]bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	added := make([]bool, len(inputs))
	for i, in := range inputs {
		if !b.seen[in.ID] {
			b.seen[in.ID], added[i] = true, true
			b.got = append(b.got, in)
		}
	}
	return added, nil
}

func (b *inboxes) to(chat int64) []flows.Input {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []flows.Input
	for _, in := range b.got {
		if in.ChatID == chat {
			out = append(out, in)
		}
	}
	return out
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, cfg Config) (*Service, *store.Store, *inboxes, *clock) {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box := &inboxes{seen: map[string]bool{}}
	c := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	return New(st, box, cfg, WithClock(c.now), WithLogger(quiet)), st, box, c
}

func saved(t *testing.T, st *store.Store, r *concern.Report) *concern.Report {
	t.Helper()
	id, err := st.Submit(t.Context(), r.DraftID, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	if err := st.SaveReport(t.Context(), r, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAlertsRepeatUntilAcknowledged(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, AlertEvery: 15 * time.Minute})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "楼道燃气泄漏，电话13800001234", Urgent: true, UrgentReason: "紧急情形：燃气泄漏", Community: "阳光社区", Status: concern.StatusReceived})
	if err := svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if err := svc.RaiseAlert(t.Context(), r); err != nil { // raised again, as after a crash
		t.Fatal(err)
	}
	got := box.to(-100)
	if len(got) != 1 || got[0].Event.Type != flows.EventAlert || got[0].Event.Count != 1 || got[0].Event.Concern != r.ID {
		t.Fatalf("first alert: %+v", got)
	}
	if ev := got[0].Event; ev.Excerpt != "楼道燃气泄漏，电话[手机号]" || ev.Place != "阳光社区" || ev.Reason == "" {
		t.Fatalf("alert shows %+v", ev)
	}
	c.t = c.t.Add(14 * time.Minute)
	svc.Tick(t.Context())
	if n := len(box.to(-100)); n != 1 {
		t.Fatalf("%d alerts before 15 minutes", n)
	}
	c.t = c.t.Add(2 * time.Minute)
	svc.Tick(t.Context())
	if got := box.to(-100); len(got) != 2 || got[1].Event.Count != 2 {
		t.Fatalf("after 16 minutes: %+v", got)
	}
	ackErr := svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:9", ChatID: -100, UserID: 3001, Role: concern.RoleStaff}, "zh"), r.ID)
	if ackErr != nil {
		t.Fatalf("ack: %v", ackErr)
	}
	for range 4 {
		c.t = c.t.Add(15 * time.Minute)
		svc.Tick(t.Context())
	}
	if n := len(box.to(-100)); n != 2 {
		t.Fatalf("%d alerts after the acknowledgement", n)
	}
}

func TestAlertsGoToAdminsWithoutAStaffChat(t *testing.T) {
	svc, st, box, c := setup(t, Config{Admins: []int64{7, 8}})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "着火了", Urgent: true, Status: concern.StatusReceived})
	svc.RaiseAlert(t.Context(), r)
	if len(box.to(7)) != 1 || len(box.to(8)) != 1 {
		t.Fatalf("admins told: %d and %d", len(box.to(7)), len(box.to(8)))
	}
}

// A dead letter is told to the staff chat, or to each admin without one.
func TestDeadLetterTellsStaff(t *testing.T) {
	svc, _, box, _ := setup(t, Config{StaffChat: -100500, Admins: []int64{7}})
	if err := svc.RaiseDeadLetter(t.Context(), "20261126-0007", "writing the record: connection refused"); err != nil {
		t.Fatal(err)
	}
	got := box.to(-100500)
	if len(got) != 1 || got[0].Event.Type != flows.EventDeadLetter || got[0].Event.Concern != "20261126-0007" || !strings.Contains(got[0].Event.Reason, "connection refused") {
		t.Fatalf("staff chat told %+v", got)
	}
	svc, _, box, _ = setup(t, Config{Admins: []int64{7, 8}})
	svc.RaiseDeadLetter(t.Context(), "20261126-0007", "x")
	if len(box.to(7)) != 1 || len(box.to(8)) != 1 {
		t.Fatalf("admins told: %d and %d", len(box.to(7)), len(box.to(8)))
	}
}

// The same update processed again (after a crash) changes the concern once,
// tells the reporter once and is audited once.
func TestChangeIsIdempotent(t *testing.T) {
	svc, st, box, c := setup(t, Config{})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "路灯坏了", ReplyChat: 1001, Status: concern.StatusReceived,
		History: []concern.StatusChange{{At: c.t, Status: concern.StatusReceived}}})
	a := ActorOf(flows.Input{ID: "tg:50", ChatID: 9001, UserID: 9001, UserName: "李四", Role: concern.RoleStaff}, "zh")
	for range 2 {
		ch, err := svc.SetStatus(t.Context(), a, r.ID, concern.StatusClosed, "已修复")
		if err != nil || !ch.Notified {
			t.Fatalf("result %+v, %v", ch, err)
		}
	}
	got, _ := st.Report(t.Context(), r.ID)
	if len(got.History) != 2 || got.Status != concern.StatusClosed || got.History[1].By != "staff 李四" || got.History[1].ByLabel("zh") != "工作人员 李四" || got.History[1].ByLabel("en") != "staff 李四" {
		t.Fatalf("history: %+v", got.History)
	}
	if told := box.to(1001); len(told) != 1 || !told[0].Event.Rate || told[0].Event.Note != "已修复" {
		t.Fatalf("reporter told: %+v", told)
	}
	if trail, _ := st.AuditTrail(t.Context(), r.ID); len(trail) != 1 {
		t.Fatalf("audit: %+v", trail)
	}
	// finished: no deadline runs, and the retention clock starts
	if late, _, _ := st.Overdue(t.Context(), c.t.Add(365*24*time.Hour), 10); len(late) != 0 {
		t.Fatalf("a closed concern is overdue: %+v", late)
	}
}

func TestOverdueAndSensitive(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	plain := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "路灯坏了", Status: concern.StatusReceived, Deadline: c.t.Add(time.Hour)})
	secret := saved(t, st, &concern.Report{DraftID: "d2", ReceivedAt: c.t, Text: "村支书贪污", Sensitive: true, Status: concern.StatusReceived, Deadline: c.t.Add(time.Hour)})
	c.t = c.t.Add(2 * time.Hour)
	staff := Actor{Request: "x", UserID: 5, Role: concern.RoleStaff}
	page, err := svc.Overdue(t.Context(), staff, 20)
	if err != nil || len(page.Reports) != 1 || page.Reports[0].ID != plain.ID || page.Total != 2 {
		t.Fatalf("staff see overdue %+v (total %d), %v", page.Reports, page.Total, err)
	}
	if _, err := svc.Show(t.Context(), staff, secret.ID); !refusedFor(err, Restricted) {
		t.Fatalf("staff saw a sensitive concern: %v", err)
	}
	admin := Actor{Request: "y", UserID: 6, Role: concern.RoleAdmin}
	if r, err := svc.Show(t.Context(), admin, secret.ID); err != nil || r.ID != secret.ID {
		t.Fatalf("admin: %+v, %v", r, err)
	}
	resident := Actor{Request: "z", UserID: 7, Role: concern.RoleResident}
	if _, err := svc.Show(t.Context(), resident, plain.ID); !refusedFor(err, NotAllowed) {
		t.Fatalf("a resident was shown a concern: %v", err)
	}
}

func TestRetentionSweep(t *testing.T) {
	svc, st, _, c := setup(t, Config{Retention: 30 * 24 * time.Hour})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "路灯坏了", ReporterID: 1001, ReporterName: "张三",
		Phone: "13800001234", ReplyChat: 1001, Address: "幸福路88号", Status: concern.StatusReceived})
	st.UpdateReport(t.Context(), r.ID, func(r *concern.Report) error {
		r.Status = concern.StatusClosed
		r.History = append(r.History, concern.StatusChange{At: c.t, Status: concern.StatusClosed})
		return nil
	})
	c.t = c.t.Add(29 * 24 * time.Hour)
	svc.Tick(t.Context())
	if got, _ := st.Report(t.Context(), r.ID); got.Phone == "" {
		t.Fatal("erased before the retention period ended")
	}
	c.t = c.t.Add(2 * 24 * time.Hour)
	svc.Tick(t.Context())
	got, _ := st.Report(t.Context(), r.ID)
	if got.Phone != "" || got.ReporterID != 0 || got.ReporterName != "" || got.ReplyChat != 0 || got.Address != "" || !got.Forgotten || got.Text == "" {
		t.Fatalf("after retention: %+v", got)
	}
}

func TestReportFromDraft(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	in := flows.Input{ID: "tg:9", Time: at, Channel: "telegram", ChatID: 5, UserID: 5, UserName: "张三"}
	d := &flows.Draft{ID: "5-tg:1", Flow: flows.ReportFlow, Map: concernMap(t, flows.ReportFlow), Fields: map[string]flows.Answer{
		"text":    {Text: "路灯坏了一个多月"},
		"photos":  {Photos: []string{"p1"}},
		"place":   {Choice: "阳光社区"},
		"contact": {Choice: "anonymous"},
	}}
	r := reportFrom(in, "zh", d)
	if r.ReporterID != 0 || r.ReporterName != "" || r.Phone != "" || r.ReplyChat != 5 {
		t.Fatalf("anonymous report carries identity: %+v", r)
	}
	if r.Community != "阳光社区" || r.Text != "路灯坏了一个多月" || len(r.Photos) != 1 || r.Status != concern.StatusReceived || !r.ReceivedAt.Equal(at) {
		t.Fatalf("report: %+v", r)
	}
	d.Fields["contact"] = flows.Answer{Contact: &flows.Contact{Phone: "13800001234", UserID: 5}}
	d.Fields["place"] = flows.Answer{Location: &concern.Location{Lat: 1, Lon: 2}}
	r = reportFrom(in, "en", d)
	if r.ReporterID != 5 || r.ReporterName != "张三" || r.Phone != "13800001234" || r.Location == nil || r.Lang != "en" {
		t.Fatalf("named report: %+v", r)
	}
	filed := &flows.Draft{ID: "7-tg:2", Flow: flows.FileFlow, Map: concernMap(t, flows.FileFlow), Fields: map[string]flows.Answer{
		"consent": {Choice: "yes"}, "name": {Skipped: true}, "phone": {Text: "13900001111"}, "grid": {Choice: "阳光社区/第一网格"},
		"text": {Text: "楼道灯坏了"}, "capacity": {Choice: "paraphrase"}, "heard": {Choice: "today"},
	}}
	r = reportFrom(flows.Input{ID: "tg:3", Time: at, ChatID: 7, UserID: 7, UserName: "李网格"}, "zh", filed)
	if r.FiledBy != 7 || r.FiledByName != "李网格" || !r.Consent || r.ResidentName != "" || r.ResidentPhone != "13900001111" ||
		r.Community != "阳光社区" || r.Grid != "第一网格" || r.Capacity != concern.Paraphrase || r.ReplyChat != 0 || r.ReporterID != 0 {
		t.Fatalf("filed report: %+v", r)
	}
}

// concernMap is how the built-in flow id maps its fields onto a concern.
func concernMap(t testing.TB, id string) flows.ConcernMap {
	t.Helper()
	defs, _, err := flows.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d.ID == id {
			return d.Concern
		}
	}
	t.Fatalf("no flow %q", id)
	return flows.ConcernMap{}
}

func refusedFor(err error, reason Reason) bool {
	ref, ok := AsRefusal(err)
	return ok && ref.Reason == reason
}

// The work list: newest first, by status, community or words of the text, a
// page at a time; a sensitive concern is listed for admins only; a grid worker
// sees their grid's and their own filings; residents get no list; without the
// read model the list says it is unavailable.
func TestList(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	for i, r := range []*concern.Report{
		{Text: "路灯坏了", Community: "阳光社区", Status: concern.StatusReceived},
		{Text: "垃圾没人清运", Community: "和平社区", Status: concern.StatusReceived},
		{Text: "村支书贪污", Community: "阳光社区", Status: concern.StatusReceived, Sensitive: true},
		{Text: "井盖丢了", Community: "阳光社区", Status: concern.StatusReceived},
		{Text: "楼道堆物", Community: "阳光社区", Status: concern.StatusClosed},
		{Text: "第一网格的路灯", Community: "阳光社区", Grid: "第一网格", Status: concern.StatusReceived},
		{Text: "代居民反映的噪音", Community: "和平社区", Grid: "第二网格", Status: concern.StatusReceived, FiledBy: 8},
	} {
		r.DraftID, r.ReceivedAt = fmt.Sprint("d", i), c.t.Add(time.Duration(i)*time.Minute)
		saved(t, st, r)
	}
	staff := Actor{Request: "l1", UserID: 5, Role: concern.RoleStaff}
	if _, err := svc.List(t.Context(), staff, ListQuery{Limit: 10}); !refusedFor(err, ListUnavailable) {
		t.Fatalf("without the index: %v", err)
	}
	WithIndex(index.New(st))(svc)
	got := func(a Actor, q ListQuery) string {
		t.Helper()
		page, err := svc.List(t.Context(), a, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Reports {
			out = append(out, r.Text)
		}
		return fmt.Sprintf("%d: %s", page.Total, strings.Join(out, " "))
	}
	received := []concern.Status{concern.StatusReceived}
	if s := got(staff, ListQuery{Statuses: received, Limit: 10}); s != "5: 代居民反映的噪音 第一网格的路灯 井盖丢了 垃圾没人清运 路灯坏了" {
		t.Errorf("staff, 待受理: %s", s)
	}
	if s := got(staff, ListQuery{Statuses: received, Community: "阳光社区", Limit: 1, Offset: 1}); s != "3: 井盖丢了" {
		t.Errorf("staff, 阳光社区 page 2 of 1 each: %s", s)
	}
	if s := got(staff, ListQuery{Text: "路灯", AnyStatus: true, Limit: 10}); s != "2: 第一网格的路灯 路灯坏了" {
		t.Errorf("staff, search: %s", s)
	}
	if s := got(staff, ListQuery{Text: "堆物", AnyStatus: true, Limit: 10}); s != "1: 楼道堆物" {
		t.Errorf("staff, search among the finished: %s", s)
	}
	admin := Actor{Request: "l2", UserID: 6, Role: concern.RoleAdmin}
	if s := got(admin, ListQuery{Statuses: received, Community: "阳光社区", Limit: 10}); s != "4: 第一网格的路灯 井盖丢了 村支书贪污 路灯坏了" {
		t.Errorf("admin, 阳光社区: %s", s)
	}
	// a grid worker: their grid's, and what they filed elsewhere
	grid := Actor{Request: "l4", UserID: 8, Role: concern.RoleGrid, Community: "阳光社区", Grid: "第一网格"}
	if s := got(grid, ListQuery{Limit: 10}); s != "2: 代居民反映的噪音 第一网格的路灯" {
		t.Errorf("grid worker: %s", s)
	}
	for _, a := range []Actor{{Request: "l3", UserID: 7, Role: concern.RoleResident}, {Request: "l5", UserID: 9, Role: concern.RoleGrid}} {
		if _, err := svc.List(t.Context(), a, ListQuery{Limit: 10}); !refusedFor(err, NotAllowed) {
			t.Errorf("%s without a grid got a list: %v", a.Role, err)
		}
	}
}

// Acknowledging an alert that is not there (long gone, or never raised) says
// so, rather than failing.
func TestAckOfNoAlert(t *testing.T) {
	svc, _, _, _ := setup(t, Config{StaffChat: -100})
	err := svc.Ack(t.Context(), Actor{Request: "k1", UserID: 3001, Role: concern.RoleStaff}, "20261126-9999")
	if !refusedFor(err, NotFound) {
		t.Fatalf("ack of no alert: %v", err)
	}
}
