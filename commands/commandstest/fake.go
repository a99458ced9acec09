// Package commandstest is a case service with canned answers, for the engine's
// golden scenarios and the registry's tests: it records each typed call, and
// refuses the next one when told to.
package commandstest

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/internal/flowplay"
	"github.com/minyi-project/minyi/report"
)

// Fake is the case service with canned answers. Set Refuse to have the next
// call refused for that reason; each call is written to Trace.
type Fake struct {
	Trace  io.Writer
	Refuse cases.Reason
	// Now is the clock (invite expiries).
	Now func() time.Time
	// Filings are what Filed lists.
	Filings []concern.Summary
	// Calls counts the calls made.
	Calls int
}

// Effects carries out a golden scenario's command effects (flowplay.Play)
// through run, the registry's, on f in the scenario's state.
func Effects(f *Fake, run func(ctx context.Context, in flows.Input, lang string, e flows.Effect) flows.EffectResult) flowplay.Commands {
	return func(in flows.Input, e flows.Effect, st flowplay.State) flows.EffectResult {
		f.Trace, f.Refuse, f.Filings, f.Now = st.Trace, cases.Reason(st.Refuse), st.Concerns, func() time.Time { return in.Time }
		return run(context.Background(), in, st.Lang, e)
	}
}

func (f *Fake) call(name string, args ...any) error {
	f.Calls++
	if f.Trace != nil {
		fmt.Fprintf(f.Trace, "    call %s %q\n", name, fmt.Sprint(args...))
	}
	if f.Refuse != "" {
		r := &cases.Refusal{Reason: f.Refuse}
		f.Refuse = ""
		return r
	}
	return nil
}

// report is the one concern every canned answer is about.
func (f *Fake) report() *concern.Report {
	loc := time.UTC
	if f.Now != nil {
		loc = f.Now().Location()
	}
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, loc)
	return &concern.Report{
		ID: "20261126-0001", ReceivedAt: at, Channel: "telegram", ReporterID: 1001, ReporterName: "张三", Phone: "13800001234",
		Community: "阳光社区", Text: "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。", Photos: []string{"P1"},
		Sector: "社会建设", Topic: "城乡建设", Subtopic: "城市建设和市政管理", Classifier: "lexicon", Confidence: 0.82, Reason: "关键词：路灯",
		Status: concern.StatusReceived, Level: concern.LevelGeneral, Deadline: at.Add(7 * 24 * time.Hour), ReplyChat: 1001,
		History: []concern.StatusChange{{At: at, Status: concern.StatusReceived}},
	}
}

func (f *Fake) changed(st concern.Status) cases.Change {
	r := f.report()
	r.Status, r.Unit = concern.StatusTransferred, "区住建局"
	if st != "" {
		r.Status = st
	}
	return cases.Change{Report: r, Notified: true}
}

func (f *Fake) Show(_ context.Context, _ cases.Actor, id string) (*concern.Report, error) {
	return f.report(), f.call("Show", id)
}

func (f *Fake) List(_ context.Context, _ cases.Actor, q cases.ListQuery) (cases.Reports, error) {
	// 25 in all: a page from each end, and one between
	page := cases.Reports{Total: 25}
	if q.Offset < page.Total {
		page.Reports = []concern.Report{*f.report()}
	}
	return page, f.call("List", fmt.Sprintf("%v %s %d+%d", q.Statuses, q.Community, q.Offset, q.Limit))
}

func (f *Fake) Overdue(_ context.Context, _ cases.Actor, limit int) (cases.Reports, error) {
	return cases.Reports{Reports: []concern.Report{*f.report()}, Total: 1}, f.call("Overdue", limit)
}

func (f *Fake) Audit(_ context.Context, _ cases.Actor, id string) ([]concern.AuditEntry, error) {
	at := f.report().ReceivedAt
	return []concern.AuditEntry{
		{At: at.Add(time.Hour), By: 5001, Role: concern.RoleStaff, Action: "view", Concern: id},
		{At: at.Add(2 * time.Hour), By: 5001, Role: concern.RoleStaff, Action: "status", Concern: id, Detail: "已办结 路灯已修复"},
	}, f.call("Audit", id)
}

func (f *Fake) Assign(_ context.Context, _ cases.Actor, id, unit string) (cases.Change, error) {
	return f.changed(""), f.call("Assign", id, " ", unit)
}

func (f *Fake) SetStatus(_ context.Context, _ cases.Actor, id string, st concern.Status, note string) (cases.Change, error) {
	return f.changed(st), f.call("SetStatus", id, " ", st, " ", note)
}

func (f *Fake) LinkDuplicate(_ context.Context, _ cases.Actor, id, other string) (cases.Change, error) {
	return f.changed(""), f.call("LinkDuplicate", id, " ", other)
}

func (f *Fake) SetLevel(_ context.Context, _ cases.Actor, id string, l concern.Level) (cases.Change, error) {
	return f.changed(""), f.call("SetLevel", id, " ", l)
}

func (f *Fake) AddNote(_ context.Context, _ cases.Actor, id, note string) (cases.Change, error) {
	return f.changed(concern.StatusReceived), f.call("AddNote", id, " ", note)
}

func (f *Fake) ReplyToReporter(_ context.Context, _ cases.Actor, id, text string) (cases.Change, error) {
	return f.changed(concern.StatusReceived), f.call("ReplyToReporter", id, " ", text)
}

func (f *Fake) Invite(_ context.Context, a cases.Actor, spec cases.InviteSpec) (cases.Invitation, error) {
	return cases.Invitation{Code: "K7M2P9QX", InviteSpec: spec, By: a.UserID, Expires: f.Now().Add(72 * time.Hour)},
		f.call("Invite", spec.Role, " ", spec.Community, "/", spec.Grid)
}

func (f *Fake) CancelInvite(_ context.Context, _ cases.Actor, code string) (string, error) {
	return code, f.call("CancelInvite", code)
}

func (f *Fake) Invites(_ context.Context, _ cases.Actor) ([]cases.Invitation, error) {
	return nil, f.call("Invites")
}

func (f *Fake) Join(_ context.Context, a cases.Actor, code string) (concern.Member, error) {
	return concern.Member{UserID: a.UserID, Role: concern.RoleGrid, Community: "阳光社区", Grid: "第一网格"}, f.call("Join", code)
}

func (f *Fake) Revoke(_ context.Context, _ cases.Actor, user int64) (concern.Member, error) {
	return concern.Member{UserID: user, Role: concern.RoleStaff}, f.call("Revoke", user)
}

func (f *Fake) Filed(_ context.Context, _ cases.Actor) (cases.Summaries, error) {
	return cases.Summaries{List: f.Filings, Total: len(f.Filings)}, f.call("Filed")
}

func (f *Fake) Forget(_ context.Context, _ cases.Actor) (int, error) {
	return len(f.Filings), f.call("Forget")
}

func (f *Fake) Rate(_ context.Context, _ cases.Actor, id string, r concern.Rating) (*concern.Report, error) {
	rep := f.report()
	rep.Status, rep.Rating = concern.StatusClosed, r
	return rep, f.call("Rate", id, " ", r)
}

func (f *Fake) Ack(_ context.Context, _ cases.Actor, id string) error { return f.call("Ack", id) }

func (f *Fake) Digest(_ context.Context, _ cases.Actor, req cases.DigestRequest) (*digest.Digest, error) {
	if err := f.call("Digest", req.Period.String(), " late=", req.Late); err != nil {
		return nil, err
	}
	return &digest.Digest{Period: req.Period, From: req.Period.From.Format("2006-01-02"), To: req.Period.To.Format("2006-01-02"), Reconciled: true}, nil
}

func (f *Fake) SignInLink(_ context.Context, _ cases.Actor) (string, time.Time, error) {
	return "CODE", f.Now().Add(cases.SignInTTL), f.call("SignInLink")
}

// item is the one 信息 every canned answer is about, in state st.
func (f *Fake) item(id int64, st info.State) *info.Item {
	r := f.report()
	it := &info.Item{ID: id, Title: "阳光社区群众集中反映城乡建设问题（1件）", Facts: info.FactsOf([]*concern.Report{r}),
		Quotes: []info.Quote{info.QuoteOf(r)}, Org: "阳光街道党工委", Concerns: []string{r.ID}, Topic: r.Topic, Sector: r.Sector,
		State: st, Created: r.ReceivedAt, CreatedBy: 9001, History: []info.Step{{At: r.ReceivedAt, By: 9001, State: info.Draft}}}
	it.Analysis, it.Suggestions = it.Template("zh")
	if st != info.Draft && st != info.Review {
		it.Year, it.Number = 2026, 7
	}
	if st == info.Sent || slices.Contains(info.Outcomes, st) {
		it.SentTo, it.SentAt = "区委办公室", r.ReceivedAt.Add(48*time.Hour)
	}
	if slices.Contains(info.Outcomes, st) {
		it.Feedback = &info.Feedback{Outcome: st, Text: "请区住建局牵头解决", By: "区委书记", At: it.SentAt.Add(24 * time.Hour)}
	}
	return it
}

func (f *Fake) ComposeInfo(_ context.Context, _ cases.Actor, from cases.InfoFrom) (cases.InfoDraft, error) {
	it := f.item(1, info.Draft)
	return cases.InfoDraft{Item: it, Warnings: it.Warnings()}, f.call("ComposeInfo", from.Concerns, " ", from.Group)
}

func (f *Fake) Infos(_ context.Context, _ cases.Actor) ([]*info.Item, error) {
	return []*info.Item{f.item(2, info.Signed), f.item(1, info.Draft)}, f.call("Infos")
}

func (f *Fake) Info(_ context.Context, _ cases.Actor, id int64) (*info.Item, error) {
	return f.item(id, info.Draft), f.call("Info", id)
}

func (f *Fake) EditInfo(_ context.Context, _ cases.Actor, id int64, field, value string) (cases.InfoDraft, error) {
	it := f.item(id, info.Draft)
	return cases.InfoDraft{Item: it, Warnings: it.Warnings()}, f.call("EditInfo", id, " ", field, " ", value)
}

func (f *Fake) SubmitInfo(_ context.Context, _ cases.Actor, id int64) (*info.Item, error) {
	return f.item(id, info.Review), f.call("SubmitInfo", id)
}

func (f *Fake) ReturnInfo(_ context.Context, _ cases.Actor, id int64, why string) (*info.Item, error) {
	return f.item(id, info.Draft), f.call("ReturnInfo", id, " ", why)
}

func (f *Fake) SignInfo(_ context.Context, _ cases.Actor, id int64) (*info.Item, error) {
	return f.item(id, info.Signed), f.call("SignInfo", id)
}

func (f *Fake) SendInfo(_ context.Context, _ cases.Actor, id int64, to string) (*info.Item, error) {
	return f.item(id, info.Sent), f.call("SendInfo", id, " ", to)
}

func (f *Fake) InfoFeedback(_ context.Context, _ cases.Actor, id int64, outcome info.State, text, by string) (*info.Item, error) {
	return f.item(id, outcome), f.call("InfoFeedback", id, " ", outcome, " ", text, " ", by)
}

func (f *Fake) TellInfo(_ context.Context, _ cases.Actor, id int64) (int, error) {
	return 3, f.call("TellInfo", id)
}

func (f *Fake) ParseSpan(text string) (report.Span, error) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if f.Now != nil {
		now = f.Now()
	}
	sp, err := report.Parse(text, now, now.Location())
	if err != nil {
		return sp, &cases.Refusal{Reason: cases.ReportBadSpan, Value: text}
	}
	return sp, nil
}

// Report is a month in which the one concern came in, issued as 〔2026〕第11期.
func (f *Fake) Report(_ context.Context, _ cases.Actor, sp report.Span, issue bool) (*report.Report, error) {
	if err := f.call("Report", sp.String(), " issue=", issue); err != nil {
		return nil, err
	}
	r := &report.Report{Span: sp, Period: sp.String(), Org: "阳光街道党工委", Generated: f.report().ReceivedAt,
		Now: report.Figures{Received: 1, Direct: 1, Open: 1}, Communities: []report.Rank{{Name: "阳光社区", Figures: report.Figures{Received: 1, Open: 1}}}}
	if issue {
		r.Number = 11
	}
	return r, nil
}

func (f *Fake) Archive(_ context.Context, _ cases.Actor, kind string) ([]cases.Issued, error) {
	at := f.report().ReceivedAt
	return []cases.Issued{{ID: 2, Kind: cases.ArchiveReport, Period: "2026-10", Year: 2026, Number: 10, Issued: at},
		{ID: 1, Kind: cases.ArchiveDigest, Period: "2026-11-25", Year: 2026, Number: 329, Issued: at.Add(-time.Hour)}}, f.call("Archive", kind)
}

func (f *Fake) Archived(_ context.Context, _ cases.Actor, id int64, lang string) (cases.Issued, []cases.File, error) {
	e := cases.Issued{ID: id, Kind: cases.ArchiveReport, Period: "2026-10", Year: 2026, Number: 10, Issued: f.report().ReceivedAt}
	return e, []cases.File{{Name: "minyi-report-2026-10.html", Data: []byte("<p>")}}, f.call("Archived", id, " ", lang)
}

func (f *Fake) Subscribe(_ context.Context, _ cases.Actor, community string) error {
	return f.call("Subscribe", community)
}

func (f *Fake) Unsubscribe(_ context.Context, _ cases.Actor) (bool, error) {
	return true, f.call("Unsubscribe")
}

// consultation is the one every canned answer is about: a single, a multi, a rating and a free-text question.
func (f *Fake) consultation() *consult.Consultation {
	at := f.report().ReceivedAt
	return &consult.Consultation{ID: 3, Title: "口袋公园改造征求意见", Audience: consult.Subscribers, State: consult.Open, Invited: 120,
		Opens: at, Closes: at.Add(7 * 24 * time.Hour), Questions: []consult.Question{
			{Kind: consult.Single, Text: "您是否赞成改造？", Options: []string{"赞成", "不赞成"}},
			{Kind: consult.Multi, Text: "希望增加哪些设施？", Options: []string{"座椅", "健身器材", "绿化"}},
			{Kind: consult.Rating, Text: "对社区环境的满意度"},
			{Kind: consult.Text, Text: "其他意见"}}}
}

func (f *Fake) AnswerConsult(_ context.Context, _ cases.Actor, id int64, q int, value string) (*consult.Consultation, *consult.Answer, error) {
	c := f.consultation()
	a := &consult.Answer{Chat: 77}
	if err := f.call("AnswerConsult", id, " ", q, " ", value); err != nil {
		return nil, nil, err
	}
	if err := c.Set(a, q, value); err != nil {
		return nil, nil, &cases.Refusal{Reason: cases.ConsultBadAnswer, Value: value}
	}
	return c, a, nil
}

func (f *Fake) Consults(_ context.Context, _ cases.Actor) ([]*consult.Consultation, error) {
	return []*consult.Consultation{f.consultation()}, f.call("Consults")
}

func (f *Fake) SendConsult(_ context.Context, _ cases.Actor, id int64) (int, error) {
	return 120, f.call("SendConsult", id)
}

func (f *Fake) CloseConsult(_ context.Context, _ cases.Actor, id int64) (*consult.Consultation, error) {
	c := f.consultation()
	c.State = consult.Closed
	return c, f.call("CloseConsult", id)
}

func (f *Fake) ConsultOutcome(_ context.Context, _ cases.Actor, id int64, outcome string) (int, error) {
	return 80, f.call("ConsultOutcome", id, " ", outcome)
}

func (f *Fake) ConsultResults(_ context.Context, _ cases.Actor, id int64) (*consult.Consultation, []consult.Tally, int, error) {
	c := f.consultation()
	a, b := consult.Answer{Chat: 1}, consult.Answer{Chat: 2}
	for _, s := range []struct {
		a     *consult.Answer
		q     int
		value string
	}{{&a, 0, "0"}, {&b, 0, "1"}, {&a, 1, "2"}, {&a, 2, "4"}, {&b, 2, "5"}, {&a, 3, "多种树，我是张三，电话13800001234"}} {
		_ = c.Set(s.a, s.q, s.value)
	}
	return c, c.Results([]consult.Answer{a, b}), 2, f.call("ConsultResults", id)
}

func (f *Fake) LinkConsult(_ context.Context, _ cases.Actor, id, infoID int64) (*info.Item, error) {
	it := f.item(infoID, info.Draft)
	it.Evidence = []string{"「口袋公园改造征求意见」邀请120人，2人参与。第1题「您是否赞成改造？」：赞成50.0%、不赞成50.0%。"}
	return it, f.call("LinkConsult", id, " ", infoID)
}

func (f *Fake) CreateConsult(_ context.Context, _ cases.Actor, c *consult.Consultation) (*consult.Consultation, error) {
	c.ID, c.State = 4, consult.Draft
	return c, f.call("CreateConsult", c.Title, " ", len(c.Questions))
}
