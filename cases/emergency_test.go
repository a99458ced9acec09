package cases

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/store"
)

// screenDouble flags the texts it is given, and nothing else: the tests here are
// about what the service does with a decision, not about the screening engine.
type screenDouble map[string]classify.Flags

func (d screenDouble) Screen(text string) classify.Flags { return d[text] }

const (
	gasLeak    = "燃气管道有泄漏的味道，在和平社区5号楼一单元，非常浓！"
	collective = "我们十几户准备明天去区政府集体上访"
)

var emergencies = screenDouble{
	gasLeak:    {Urgent: true, UrgentReason: "燃气泄漏：泄漏的味道、非常浓", Hazard: classify.HazardGas, Now: []string{"非常浓"}},
	collective: {AdminsOnly: true, Hazard: classify.HazardCollective, Sensitive: true, SensitiveReason: "集体行动：明天、集体上访"},
}

// queued keeps what was submitted, as the store would queue it.
type queued struct {
	Intake
	got []*concern.Report
}

func (q *queued) Submit(ctx context.Context, draft string, r *concern.Report, perDay int) (string, error) {
	q.got = append(q.got, r)
	return q.Intake.Submit(ctx, draft, r, perDay)
}

// reportMap is the built-in report flow's: text, photos, place, contact.
var reportMap = flows.ConcernMap{Fields: map[string]string{flows.AttrText: "text", flows.AttrPhotos: "photos", flows.AttrPlace: "place", flows.AttrContact: "contact"}}

func draftOf(text string) *flows.Draft {
	return &flows.Draft{ID: "1001-" + fmt.Sprint(len(text)), Flow: flows.ReportFlow, Map: reportMap, Fields: map[string]flows.Answer{
		"text": {Text: text}, "place": {Choice: "和平社区"}, "contact": {Choice: "anonymous"},
	}}
}

// The decision is made at submission, so that the receipt can say what to do
// now; the queued concern carries it. Collective action gets no advice and no
// hint that it was flagged.
func TestSubmissionIsScreened(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := &queued{Intake: st}
	svc := New(st, &inboxes{seen: map[string]bool{}}, Config{}, WithLogger(quiet), WithIntake(q), WithScreener(emergencies))
	in := flows.Input{ID: "tg:1", Time: time.Now(), Channel: "telegram", ChatID: 1001, UserID: 1001}
	res, _ := svc.Execute(t.Context(), in, "zh", flows.Effect{Kind: flows.EffectSubmit, Draft: draftOf(gasLeak)})
	if res.ConcernID == "" || !res.Urgent || res.Hazard != "gas" {
		t.Fatalf("gas leak submitted: %+v", res)
	}
	if r := q.got[0]; !r.Urgent || r.Hazard != "gas" || r.UrgentReason != "燃气泄漏：泄漏的味道、非常浓" || r.AdminsOnly {
		t.Fatalf("queued as %+v", r)
	}
	res, _ = svc.Execute(t.Context(), flows.Input{ID: "tg:2", Time: time.Now(), Channel: "telegram", ChatID: 1001, UserID: 1001},
		"zh", flows.Effect{Kind: flows.EffectSubmit, Draft: draftOf(collective)})
	if res.ConcernID == "" || res.Urgent || res.Hazard != "" {
		t.Fatalf("collective action's receipt would tell: %+v", res)
	}
	if r := q.got[1]; !r.Urgent || !r.AdminsOnly || !r.Sensitive || r.Hazard != "collective" {
		t.Fatalf("collective action queued as %+v", r)
	}
	res, _ = svc.Execute(t.Context(), flows.Input{ID: "tg:3", Time: time.Now(), Channel: "telegram", ChatID: 1001, UserID: 1001},
		"zh", flows.Effect{Kind: flows.EffectSubmit, Draft: draftOf("小区东门的路灯坏了一个多月")})
	if res.Urgent || q.got[2].Urgent {
		t.Fatalf("an ordinary concern: %+v", res)
	}
}

// Unacknowledged after Escalate, an urgent alert also goes to each admin
// privately, and again every repeat, until someone acknowledges it; who and how
// long after is audited, on the alert and on the concern.
func TestAlertEscalatesToAdminsUntilAcknowledged(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, Admins: []int64{7, 8}, AlertEvery: 15 * time.Minute, Escalate: 10 * time.Minute})
	raised := c.t
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: gasLeak, Urgent: true, UrgentReason: "燃气泄漏", Hazard: "gas", Status: concern.StatusReceived})
	if err := svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	tick := func(d time.Duration) {
		t.Helper()
		c.t = c.t.Add(d)
		if err := svc.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	tick(9 * time.Minute)
	if len(box.to(7))+len(box.to(8)) != 0 || len(box.to(-100)) != 1 {
		t.Fatalf("before 10 minutes: staff %d, admins %d and %d", len(box.to(-100)), len(box.to(7)), len(box.to(8)))
	}
	tick(time.Minute)
	for _, admin := range []int64{7, 8} {
		got := box.to(admin)
		if len(got) != 1 {
			t.Fatalf("admin %d told %d times at 10 minutes", admin, len(got))
		}
		if e := got[0].Event; e.Type != flows.EventAlert || !e.Escalated || e.Concern != r.ID || !e.Raised.Equal(raised) || e.Count != 1 || e.Hazard != "gas" {
			t.Fatalf("escalation: %+v", e)
		}
	}
	tick(5 * time.Minute) // 15: the staff chat's repeat
	if len(box.to(-100)) != 2 || len(box.to(7)) != 1 {
		t.Fatalf("at 15 minutes: staff %d, admin %d", len(box.to(-100)), len(box.to(7)))
	}
	tick(10 * time.Minute) // 25: the admins' second
	if got := box.to(8); len(got) != 2 || got[1].Event.Count != 2 {
		t.Fatalf("at 25 minutes the admin was told %+v", got)
	}
	c.t = c.t.Add(time.Minute)
	ackErr := svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:9", ChatID: 7, UserID: 7, Role: concern.RoleAdmin}, "zh"), r.ID)
	if ackErr != nil {
		t.Fatalf("ack: %v", ackErr)
	}
	staff, admins := len(box.to(-100)), len(box.to(7))+len(box.to(8))
	for range 6 {
		tick(15 * time.Minute)
	}
	if len(box.to(-100)) != staff || len(box.to(7))+len(box.to(8)) != admins {
		t.Fatal("alerted after the acknowledgement")
	}
	trail, _ := st.AuditTrail(t.Context(), r.ID)
	if len(trail) != 2 || trail[0].Action != "escalate" || trail[0].By != 0 || trail[0].Detail != "10m" ||
		trail[1].Action != "ack" || trail[1].By != 7 || trail[1].Role != concern.RoleAdmin || trail[1].Detail != "26m" {
		t.Fatalf("trail: %+v", trail)
	}
	got, _ := st.Report(t.Context(), r.ID)
	if got.Ack == nil || got.Ack.By != 7 || got.Ack.After != 26*time.Minute || !got.Ack.At.Equal(raised.Add(26*time.Minute)) {
		t.Fatalf("the concern's acknowledgement: %+v", got.Ack)
	}
	if a, already, err := st.AckAlert(t.Context(), r.ID, 8, c.t); err != nil || !already || a.AckedBy != 7 || a.AckAfterMS != (26*time.Minute).Milliseconds() {
		t.Fatalf("the alert's record: %+v %v %v", a, already, err)
	}
	// a second press is answered, and the first acknowledgement stays the one on record
	svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:10", ChatID: -100, UserID: 3001, Role: concern.RoleStaff}, "zh"), r.ID)
	if trail, _ := st.AuditTrail(t.Context(), r.ID); len(trail) != 2 {
		t.Fatalf("a late press audited as the acknowledgement: %+v", trail)
	}
}

// Without a staff chat the alerts go to the admins from the start: there is
// nobody further to escalate to.
func TestNoEscalationWithoutAStaffChat(t *testing.T) {
	svc, st, box, c := setup(t, Config{Admins: []int64{7}, AlertEvery: 15 * time.Minute, Escalate: 10 * time.Minute})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: gasLeak, Urgent: true, Status: concern.StatusReceived})
	svc.RaiseAlert(t.Context(), r)
	c.t = c.t.Add(11 * time.Minute)
	svc.Tick(t.Context())
	if got := box.to(7); len(got) != 1 || got[0].Event.Escalated {
		t.Fatalf("admin told %+v", got)
	}
}

// A storm group escalates as one alert, and its acknowledgement is each member's.
func TestStormGroupEscalates(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, Admins: []int64{7}, AlertEvery: 15 * time.Minute, AlertStorm: 2, Escalate: 10 * time.Minute})
	var ids []string
	for i := range 5 {
		r := saved(t, st, &concern.Report{DraftID: fmt.Sprintf("ext:hotline:%d", i), ReceivedAt: c.t, Channel: "hotline",
			Text: "小区发洪水了，水淹到一楼", Urgent: true, UrgentReason: "洪水", Status: concern.StatusReceived})
		svc.RaiseAlert(t.Context(), r)
		ids = append(ids, r.ID)
	}
	c.t = c.t.Add(time.Minute)
	svc.Tick(t.Context()) // the group goes to the staff chat (due stormGather after its first member)
	c.t = c.t.Add(11 * time.Minute)
	svc.Tick(t.Context()) // the two alone escalate at 10 minutes, the group 10 minutes after it was due
	var group *flows.Event
	for _, in := range box.to(7) {
		if len(in.Event.Members) > 0 {
			group = in.Event
		}
	}
	if group == nil || !group.Escalated || len(group.Members) != 3 || group.Members[0] != ids[2] {
		t.Fatalf("admin told %+v", box.to(7))
	}
	c.t = c.t.Add(2 * time.Minute)
	ackErr := svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:1", ChatID: 7, UserID: 7, Role: concern.RoleAdmin}, "zh"), group.Concern)
	if ackErr != nil {
		t.Fatalf("ack: %v", ackErr)
	}
	r, _ := st.Report(t.Context(), ids[3])
	if r.Ack == nil || r.Ack.By != 7 || r.Ack.After != 14*time.Minute {
		t.Fatalf("a member's acknowledgement: %+v", r.Ack)
	}
	trail, _ := st.AuditTrail(t.Context(), ids[3])
	if len(trail) != 2 || trail[0].Action != "escalate" || trail[1].Action != "ack" || !strings.HasPrefix(trail[1].Detail, group.Concern+" ") {
		t.Fatalf("a member's trail: %+v", trail)
	}
	before := len(box.to(7))
	c.t = c.t.Add(30 * time.Minute)
	svc.Tick(t.Context())
	for _, in := range box.to(7)[before:] {
		if in.Event.Concern == group.Concern || in.Event.Concern == ids[3] {
			t.Fatalf("the acknowledged group escalated again: %+v", in.Event)
		}
	}
}

// Collective action announced with a time is urgent for admins only: each admin
// is alerted privately, the staff chat never, not even gathered in a storm;
// only an admin may acknowledge it.
func TestAdminsOnlyAlert(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, Admins: []int64{7, 8}, AlertEvery: 15 * time.Minute, AlertStorm: 1, Escalate: 10 * time.Minute})
	for i := range 3 {
		r := saved(t, st, &concern.Report{DraftID: fmt.Sprintf("d%d", i), ReceivedAt: c.t, Channel: "telegram", Text: collective,
			Urgent: true, AdminsOnly: true, Sensitive: true, Hazard: "collective", UrgentReason: "集体行动：明天", Status: concern.StatusReceived})
		if err := svc.RaiseAlert(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	c.t = c.t.Add(20 * time.Minute)
	svc.Tick(t.Context())
	if n := len(box.to(-100)); n != 0 {
		t.Fatalf("the staff chat was told %d times", n)
	}
	got := box.to(7)
	if len(got) != 6 || len(box.to(8)) != 6 { // three, each once and repeated once; none grouped, none escalated
		t.Fatalf("admins told %d and %d times", len(got), len(box.to(8)))
	}
	for _, in := range got {
		if e := in.Event; !e.AdminsOnly || e.Escalated || len(e.Members) > 0 {
			t.Fatalf("admin told %+v", e)
		}
	}
	id := got[0].Event.Concern
	ackErr := svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:1", ChatID: 3001, UserID: 3001, Role: concern.RoleStaff}, "zh"), id)
	if ref, ok := AsRefusal(ackErr); !ok || ref.Reason != Restricted {
		t.Fatalf("staff acknowledged an admins' alert: %v", ackErr)
	}
	ackErr = svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:2", ChatID: 8, UserID: 8, Role: concern.RoleAdmin}, "zh"), id)
	if ackErr != nil {
		t.Fatalf("admin ack: %v", ackErr)
	}
}

// Urgency the model added after the receipt was sent: the alert says the model
// judged it, and the reporter (and a filing grid worker) hear now what to do, once.
func TestModelUrgencyTellsTheReporter(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100})
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: "电梯里好像有人一直在拍门", Urgent: true, UrgentByModel: true,
		UrgentReason: "大模型判断：可能有人被困电梯", Hazard: "trapped", ReplyChat: 1001, FiledBy: 2001, Status: concern.StatusReceived})
	for range 2 { // raised again, as after a crash
		if err := svc.RaiseAlert(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	alert := box.to(-100)
	if len(alert) != 1 || !alert[0].Event.ByModel || alert[0].Event.Reason != "大模型判断：可能有人被困电梯" {
		t.Fatalf("alert: %+v", alert)
	}
	for chat, filed := range map[int64]bool{1001: false, 2001: true} {
		got := box.to(chat)
		if len(got) != 1 || got[0].Event.Type != flows.EventAdvice || got[0].Event.Hazard != "trapped" || got[0].Event.Concern != r.ID || got[0].Event.Filed != filed {
			t.Fatalf("chat %d told %+v", chat, got)
		}
	}
}

// Every hazard the screening knows has advice in both languages, but collective
// action, which is not the resident's danger.
func TestEveryHazardHasAdvice(t *testing.T) {
	m, err := flows.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range classify.Hazards {
		for _, lang := range locale.Languages {
			got := m.Text(lang, locale.Key("advice_"+string(h)))
			if h == classify.HazardCollective {
				if got != "" {
					t.Errorf("collective action has advice: %s", got)
				}
				continue
			}
			if got == "" {
				t.Errorf("%s has no %s advice", h, lang)
			}
		}
	}
}

// An alert whose concern cannot be read is reported and holds up none of the others.
func TestAnUnreadableAlertHoldsUpNoOther(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100})
	if _, _, err := st.RaiseAlertLimited(t.Context(), "20261126-0099", "telegram", c.t, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: gasLeak, Urgent: true, Status: concern.StatusReceived})
	// recorded, the concern's alert needs nothing more of the worker
	if err := svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if got := box.to(-100); len(got) != 1 || got[0].Event.Concern != r.ID {
		t.Fatalf("staff told %+v", got)
	}
	c.t = c.t.Add(16 * time.Minute)
	if err := svc.Tick(t.Context()); err == nil || !strings.Contains(err.Error(), "20261126-0099") {
		t.Fatalf("tick: %v, want an error naming the unreadable alert", err)
	}
	if got := box.to(-100); len(got) != 2 {
		t.Fatalf("staff told %d times", len(got))
	}
}

// failingInbox refuses what it is given, as an inbox Redis could not write.
type failingInbox struct {
	*inboxes
	fail bool
}

func (f *failingInbox) Ingest(ctx context.Context, inputs ...flows.Input) ([]bool, error) {
	if f.fail {
		return nil, fmt.Errorf("inbox: connection refused")
	}
	return f.inboxes.Ingest(ctx, inputs...)
}

// An alert the inbox did not take is due again at once, not at the next repeat.
func TestAlertNotTakenIsSentAtTheNextTick(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	box := &failingInbox{inboxes: &inboxes{seen: map[string]bool{}}, fail: true}
	svc := New(st, box, Config{StaffChat: -100, Admins: []int64{7}, AlertEvery: 15 * time.Minute, Escalate: 10 * time.Minute}, WithClock(c.now), WithLogger(quiet))
	r := saved(t, st, &concern.Report{DraftID: "d1", ReceivedAt: c.t, Text: gasLeak, Urgent: true, Status: concern.StatusReceived})
	if err := svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	box.fail = false
	c.t = c.t.Add(10 * time.Second)
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := box.to(-100); len(got) != 1 || got[0].Event.Concern != r.ID {
		t.Fatalf("staff told %+v", got)
	}
	// and likewise an escalation
	c.t = c.t.Add(10 * time.Minute)
	box.fail = true
	if err := svc.Tick(t.Context()); err == nil {
		t.Fatal("a refused escalation went unreported")
	}
	box.fail = false
	c.t = c.t.Add(10 * time.Second)
	svc.Tick(t.Context())
	if got := box.to(7); len(got) != 1 || !got[0].Event.Escalated {
		t.Fatalf("admin told %+v", got)
	}
}

// A resident past the daily limit is still heard when it is an emergency.
func TestAnEmergencyPassesTheDailyLimit(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(st, &inboxes{seen: map[string]bool{}}, Config{ConcernsPerDay: 1}, WithLogger(quiet), WithScreener(emergencies))
	submit := func(n int, text string) flows.EffectResult {
		d := draftOf(text)
		d.ID = fmt.Sprintf("1001-%d", n)
		res, _ := svc.Execute(t.Context(), flows.Input{ID: fmt.Sprintf("tg:%d", n), Time: time.Now(), Channel: "telegram", ChatID: 1001, UserID: 1001},
			"zh", flows.Effect{Kind: flows.EffectSubmit, Draft: d})
		return res
	}
	if res := submit(1, "小区东门的路灯坏了一个多月"); res.ConcernID == "" {
		t.Fatalf("first: %+v", res)
	}
	if res := submit(2, "垃圾站的垃圾好几天没人清运"); res.Refused != "limit_concerns" {
		t.Fatalf("past the limit: %+v", res)
	}
	if res := submit(3, gasLeak); res.ConcernID == "" || !res.Urgent {
		t.Fatalf("an emergency past the limit: %+v", res)
	}
	if res := submit(4, collective); res.Refused != "limit_concerns" {
		t.Fatalf("collective action past the limit: %+v", res)
	}
}
