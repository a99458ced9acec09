package cases

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/period"
	"github.com/minyi-project/minyi/store"
)

var (
	staffer = Actor{UserID: 3001, Name: "李干事", Role: concern.RoleStaff, Lang: "zh", Request: "tg:1"}
	admin   = Actor{UserID: 9001, Name: "王书记", Role: concern.RoleAdmin, Lang: "zh", Request: "tg:2"}
)

// req gives an actor a fresh request id, as each update has.
func req(a Actor, id string) Actor { a.Request = id; return a }

type drafter struct {
	facts       []string
	fail        error
	analysis    string
	suggestions string
}

func (d *drafter) DraftInfo(_ context.Context, facts string) (string, string, error) {
	d.facts = append(d.facts, facts)
	return d.analysis, d.suggestions, d.fail
}

// lamps saves the concerns of one shared problem: three residents of 阳光社区
// (one twice) and one of 和平社区, one of them closed; names and phones in the text.
func lamps(t *testing.T, st *store.Store, at time.Time) []*concern.Report {
	t.Helper()
	var out []*concern.Report
	for i, r := range []concern.Report{
		{ReporterID: 1001, ReporterName: "张三", ReplyChat: 1001, Community: "阳光社区", Grid: "第一网格", Text: "我是张三，东门路灯坏了一个月，电话13800001234", Status: concern.StatusReceived},
		{ReporterID: 1001, ReporterName: "张三", ReplyChat: 1001, Community: "阳光社区", Grid: "第一网格", Text: "东门路灯还是不亮", Status: concern.StatusClosed},
		{ReporterID: 1002, ReporterName: "李四", ReplyChat: 1002, Community: "阳光社区", Grid: "第二网格", Text: "路灯坏了晚上很黑，老人摔倒了", Status: concern.StatusReceived, Urgent: true},
		{FiledBy: 5001, ResidentName: "赵六", ResidentPhone: "13900001111", Community: "和平社区", Grid: "第一网格", Text: "赵六阿姨说小区路灯不亮", Status: concern.StatusReceived},
	} {
		r.DraftID = "lamp" + string(rune('a'+i))
		r.ReceivedAt = at.Add(time.Duration(i) * time.Hour)
		r.Sector, r.Topic, r.Channel = "社会建设", "城乡建设", "telegram"
		r.History = []concern.StatusChange{{At: r.ReceivedAt, Status: concern.StatusReceived}}
		out = append(out, saved(t, st, &r))
	}
	return out
}

func ids(rs []*concern.Report) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func reason(err error) Reason {
	if r, ok := AsRefusal(err); ok {
		return r.Reason
	}
	return ""
}

// The figures of 基本情况 are the linked concerns' own; the quotes are masked;
// without an LLM the template stands, with one its draft is marked, and from
// the masked facts only.
func TestComposeInfoFromConcerns(t *testing.T) {
	svc, st, _, c := setup(t, Config{OrgName: "阳光街道党工委"})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	d, err := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Concerns: ids(rs)})
	if err != nil {
		t.Fatal(err)
	}
	it := d.Item
	f := it.Facts
	if f.Concerns != 4 || f.Residents != 3 || len(f.Communities) != 2 || f.Grids != 3 || f.Closed != 1 || f.Urgent != 1 ||
		!f.First.Equal(rs[0].ReceivedAt) || !f.Last.Equal(rs[3].ReceivedAt) || strings.Join(f.Topics, ",") != "城乡建设" {
		t.Fatalf("facts %+v", f)
	}
	sit := it.Situation("zh", time.UTC)
	for _, want := range []string{"2026年11月23日，阳光社区、和平社区", "涉及2个社区", "3名群众", "问题4件", "已办结1件", "尚未办结3件", "1件涉及紧急情况"} {
		if !strings.Contains(sit, want) {
			t.Errorf("基本情况 %q lacks %q", sit, want)
		}
	}
	over := *it
	over.Facts.Last = over.Facts.First.AddDate(0, 0, 9)
	if s := over.Situation("zh", time.UTC); !strings.HasPrefix(s, "2026年11月23日至2026年12月2日，") {
		t.Errorf("over several days: %q", s)
	}
	if s := over.Situation("en", time.UTC); !strings.HasPrefix(s, "From 23 November 2026 to 2 December 2026, 3 residents") {
		t.Errorf("in English: %q", s)
	}
	if it.ID != 1 || it.State != info.Draft || it.Org != "阳光街道党工委" || !it.Urgent || it.Topic != "城乡建设" || it.ByModel || len(it.Quotes) != 3 {
		t.Fatalf("item %+v", it)
	}
	for _, q := range it.Quotes {
		if strings.Contains(q.Text, "张三") || strings.Contains(q.Text, "13800001234") || strings.Contains(q.Text, "赵六") {
			t.Fatalf("a quote unmasked: %q", q.Text)
		}
	}
	if !strings.Contains(it.Analysis, "（请填写）") || !strings.Contains(it.Suggestions, "3件") {
		t.Fatalf("the template: %q / %q", it.Analysis, it.Suggestions)
	}
	if len(d.Warnings) != 0 {
		t.Fatalf("warnings %v", d.Warnings)
	}
	audit, _ := st.AuditTrail(t.Context(), "info:1")
	if len(audit) != 1 || audit[0].Action != "info_new" || audit[0].By != 3001 {
		t.Fatalf("audit %+v", audit)
	}

	// with an LLM: the facts it reads are masked; its draft is marked and masked again
	llm := &drafter{analysis: "物业与市政职责不清，联系人张三13800001234反映多次", suggestions: "明确责任单位，限期修复。"}
	svc.drafter = llm
	d, err = svc.ComposeInfo(t.Context(), req(staffer, "tg:3"), InfoFrom{Concerns: ids(rs)})
	if err != nil {
		t.Fatal(err)
	}
	if len(llm.facts) != 1 || strings.Contains(llm.facts[0], "张三") || strings.Contains(llm.facts[0], "13800001234") ||
		strings.Contains(llm.facts[0], "赵六") || strings.Contains(llm.facts[0], "13900001111") || !strings.Contains(llm.facts[0], "问题4件") {
		t.Fatalf("the LLM read %q", llm.facts)
	}
	if !d.Item.ByModel || strings.Contains(d.Item.Analysis, "13800001234") || d.Item.Suggestions != "明确责任单位，限期修复。" {
		t.Fatalf("the LLM's draft: %+v", d.Item)
	}
	// and when it fails, the template stands, unmarked
	svc.drafter = &drafter{fail: errors.New("llm: 502")}
	d, err = svc.ComposeInfo(t.Context(), req(staffer, "tg:4"), InfoFrom{Concerns: ids(rs[:1])})
	if err != nil || d.Item.ByModel || !strings.Contains(d.Item.Analysis, "（请填写）") {
		t.Fatalf("after a failed draft: %+v, %v", d.Item, err)
	}
}

// Only admins sign; each step follows the one before; feedback only after 报送;
// the words change until signed; every step audited.
func TestInfoStateMachine(t *testing.T) {
	svc, st, _, c := setup(t, Config{OrgName: "阳光街道党工委"})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	d, err := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Concerns: ids(rs)})
	if err != nil {
		t.Fatal(err)
	}
	id := d.Item.ID
	steps := []struct {
		name string
		do   func() error
		want Reason
	}{
		{"a resident lists", func() error {
			_, err := svc.Infos(t.Context(), Actor{UserID: 1001, Role: concern.RoleResident})
			return err
		}, NotAllowed},
		{"a grid worker drafts", func() error {
			_, err := svc.ComposeInfo(t.Context(), Actor{UserID: 5001, Role: concern.RoleGrid}, InfoFrom{Concerns: ids(rs)})
			return err
		}, NotAllowed},
		{"a community's staff", func() error {
			_, err := svc.Infos(t.Context(), Actor{UserID: 3002, Role: concern.RoleStaff, Community: "阳光社区"})
			return err
		}, InfoOffice},
		{"sent before signed", func() error {
			_, err := svc.SendInfo(t.Context(), req(staffer, "s1"), id, "区委办公室")
			return err
		}, InfoBadMove},
		{"feedback on a draft", func() error {
			_, err := svc.InfoFeedback(t.Context(), req(staffer, "s2"), id, info.Adopted, "", "")
			return err
		}, InfoBadMove},
		{"staff sign", func() error { _, err := svc.SignInfo(t.Context(), req(staffer, "s3"), id); return err }, InfoSignAdmin},
		{"an unknown field", func() error { _, err := svc.EditInfo(t.Context(), req(staffer, "s4"), id, "colour", "红"); return err }, InfoBadField},
		{"edit the title", func() error {
			_, err := svc.EditInfo(t.Context(), req(staffer, "s5"), id, InfoTitle, "阳光社区路灯长期失修 群众夜间出行不便")
			return err
		}, ""},
		{"quotes from a concern not there", func() error {
			_, err := svc.EditInfo(t.Context(), req(staffer, "s6"), id, InfoQuotes, "20261101-0099")
			return err
		}, NotFound},
		{"submit", func() error { _, err := svc.SubmitInfo(t.Context(), req(staffer, "s7"), id); return err }, ""},
		{"submit twice", func() error { _, err := svc.SubmitInfo(t.Context(), req(staffer, "s8"), id); return err }, InfoBadMove},
		{"tell before sent", func() error { _, err := svc.TellInfo(t.Context(), req(staffer, "s9"), id); return err }, InfoNotSent},
		{"an admin signs", func() error { _, err := svc.SignInfo(t.Context(), req(admin, "s10"), id); return err }, ""},
		{"edit once signed", func() error {
			_, err := svc.EditInfo(t.Context(), req(admin, "s11"), id, InfoTitle, "新标题")
			return err
		}, InfoNotEditable},
		{"sent to nobody", func() error { _, err := svc.SendInfo(t.Context(), req(staffer, "s12"), id, " "); return err }, InfoNoRecipient},
		{"sent", func() error {
			_, err := svc.SendInfo(t.Context(), req(staffer, "s13"), id, "区委办公室")
			return err
		}, ""},
		{"批示 without its text", func() error {
			_, err := svc.InfoFeedback(t.Context(), req(staffer, "s14"), id, info.Instructed, " ", "")
			return err
		}, InfoInstructionText},
		{"批示", func() error {
			_, err := svc.InfoFeedback(t.Context(), req(staffer, "s15"), id, info.Instructed, "请区住建局牵头，一周内修复。", "区委书记")
			return err
		}, ""},
		{"a second outcome", func() error {
			_, err := svc.InfoFeedback(t.Context(), req(staffer, "s16"), id, info.Adopted, "", "")
			return err
		}, InfoBadMove},
		{"an item not there", func() error { _, err := svc.SignInfo(t.Context(), req(admin, "s17"), 99); return err }, InfoNotFound},
	}
	for _, s := range steps {
		if got := reason(s.do()); got != s.want {
			t.Errorf("%s: refused %q, want %q", s.name, got, s.want)
		}
	}
	it, err := svc.Info(t.Context(), staffer, id)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != info.Instructed || it.Year != 2026 || it.Number != 1 || it.SentTo != "区委办公室" || it.Feedback == nil ||
		it.Feedback.By != "区委书记" || it.Title != "阳光社区路灯长期失修 群众夜间出行不便" || it.Lag() != 72*time.Hour {
		t.Fatalf("item %+v", it)
	}
	var states []string
	for _, s := range it.History {
		states = append(states, string(s.State))
	}
	if strings.Join(states, " ") != "draft review signed sent instructed" {
		t.Fatalf("history %v", states)
	}
	audit, _ := svc.InfoAudit(t.Context(), staffer, id)
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "info_new info_edit info_submit info_sign info_send info_feedback" {
		t.Fatalf("audit %v", actions)
	}
	// 批示 is on every linked concern's history
	for _, r := range rs {
		got, _ := st.Report(t.Context(), r.ID)
		last := got.History[len(got.History)-1]
		if last.Code != concern.HistInfo || last.Text("zh") != "已编入社情民意信息〔2026〕第1期，反馈：领导批示" {
			t.Fatalf("%s's history ends %+v (%q)", r.ID, last, last.Text("zh"))
		}
	}
}

// The reporters are told, once each, in their chats; grid workers for what they filed.
func TestTellInfoReporters(t *testing.T) {
	svc, st, box, c := setup(t, Config{})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	d, _ := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Concerns: ids(rs)})
	id := d.Item.ID
	for i, step := range []func() error{
		func() error { _, err := svc.SignInfo(t.Context(), req(admin, "a"), id); return err },
		func() error { _, err := svc.SendInfo(t.Context(), req(staffer, "b"), id, "区委"); return err },
		func() error {
			_, err := svc.InfoFeedback(t.Context(), req(staffer, "c"), id, info.Instructed, "请抓紧解决", "")
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	n, err := svc.TellInfo(t.Context(), req(staffer, "d"), id)
	if err != nil || n != 4 {
		t.Fatalf("told %d, %v", n, err)
	}
	if n, _ := svc.TellInfo(t.Context(), req(staffer, "e"), id); n != 0 {
		t.Fatalf("told %d again", n)
	}
	got := box.to(1001)
	if len(got) != 2 || got[0].Event.Type != flows.EventReported || got[0].Event.Info != "instructed" || strings.Contains(got[0].Event.Excerpt, "张三") {
		t.Fatalf("1001 was told %+v", got)
	}
	if f := box.to(5001); len(f) != 1 || !f[0].Event.Filed {
		t.Fatalf("the grid worker was told %+v", f)
	}
}

// Issue numbers count per year: the first signed in 2027 is 第1期 again.
func TestInfoNumbersPerYear(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	c.t = time.Date(2026, 12, 31, 15, 0, 0, 0, time.UTC)
	sign := func(n int) *info.Item {
		d, err := svc.ComposeInfo(t.Context(), req(staffer, "n"+string(rune('a'+n))), InfoFrom{Concerns: ids(rs[:1])})
		if err != nil {
			t.Fatal(err)
		}
		it, err := svc.SignInfo(t.Context(), req(admin, "s"+string(rune('a'+n))), d.Item.ID)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	var got []string
	for i := range 3 {
		if i == 2 {
			c.t = time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
		}
		got = append(got, sign(i).Issue("zh"))
	}
	if strings.Join(got, " ") != "〔2026〕第1期 〔2026〕第2期 〔2027〕第1期" {
		t.Fatalf("issues %v", got)
	}
	// in the office's time zone: 16:30 UTC on 31 December is 2027 in Shanghai
	sh := time.FixedZone("CST", 8*3600)
	svc.cfg.Location = sh
	c.t = time.Date(2027, 12, 31, 16, 30, 0, 0, time.UTC)
	if it := sign(3); it.Issue("zh") != "〔2028〕第1期" {
		t.Fatalf("late on New Year's Eve UTC: %s", it.Issue("zh"))
	}
}

// A 信息 from a 共性问题 group of a day's digest; one spanning several topics is
// warned of; sensitive concerns make an item admins only.
func TestComposeInfoFromAGroup(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	svc.digests = digest.NewBuilder(st, nil, time.UTC, digest.WithClock(c.now))
	day := c.t.Add(-24 * time.Hour)
	var group []*concern.Report
	for i := range 4 {
		group = append(group, saved(t, st, &concern.Report{DraftID: "g" + string(rune('a'+i)), ReceivedAt: day.Add(time.Duration(i) * time.Minute),
			Channel: "telegram", ReporterID: int64(2000 + i), Community: "阳光社区", Topic: "城乡建设", Sector: "社会建设",
			Text: "阳光小区3号楼电梯又坏了，已经停了三天，老人上下楼非常困难", Status: concern.StatusReceived}))
	}
	if _, err := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Group: "2026-11-25#9"}); reason(err) != InfoNoGroup {
		t.Fatalf("a group not there: %v", err)
	}
	d, err := svc.ComposeInfo(t.Context(), req(staffer, "g1"), InfoFrom{Group: "2026-11-25#1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Item.Concerns, ",") != strings.Join(ids(group), ",") || d.Item.Group != "2026-11-25#1" || d.Item.Facts.Residents != 4 {
		t.Fatalf("from the group: %+v", d.Item)
	}
	links, _ := st.InfosOfGroups(t.Context(), []string{"2026-11-25#1"})
	if len(links["2026-11-25#1"]) != 1 {
		t.Fatalf("group links %v", links)
	}

	other := saved(t, st, &concern.Report{DraftID: "o", ReceivedAt: day, Channel: "telegram", Community: "阳光社区", Topic: "环境保护",
		Text: "工地夜间施工噪音扰民", Status: concern.StatusReceived})
	d, err = svc.ComposeInfo(t.Context(), req(staffer, "g2"), InfoFrom{Concerns: []string{group[0].ID, other.ID}})
	if err != nil || len(d.Warnings) != 1 || d.Warnings[0] != info.WarnTopics {
		t.Fatalf("two topics: %v, %v", d.Warnings, err)
	}
	long := strings.Repeat("原因很多。", 400)
	d, err = svc.EditInfo(t.Context(), req(staffer, "g3"), d.Item.ID, InfoAnalysis, long)
	if err != nil || len(d.Warnings) != 2 || d.Warnings[1] != info.WarnLength {
		t.Fatalf("too long: %v, %v", d.Warnings, err)
	}
	if w := d.Item.Warn("zh", info.WarnLength); !strings.Contains(w, "超过1500字") {
		t.Fatalf("the warning says %q", w)
	}

	secret := saved(t, st, &concern.Report{DraftID: "s", ReceivedAt: day, Channel: "telegram", Community: "阳光社区", Topic: "纪检监察",
		Text: "社区主任收受好处", Sensitive: true, SensitiveReason: "干部作风", Status: concern.StatusReceived})
	if _, err := svc.ComposeInfo(t.Context(), req(staffer, "g4"), InfoFrom{Concerns: []string{secret.ID}}); reason(err) != Restricted {
		t.Fatalf("staff from a sensitive concern: %v", err)
	}
	d, err = svc.ComposeInfo(t.Context(), req(admin, "g5"), InfoFrom{Concerns: []string{secret.ID}})
	if err != nil || !d.Item.AdminsOnly {
		t.Fatalf("an admin's: %+v, %v", d.Item, err)
	}
	if _, err := svc.Info(t.Context(), staffer, d.Item.ID); reason(err) != InfoNotFound {
		t.Fatalf("staff read an admins' item: %v", err)
	}
	list, _ := svc.Infos(t.Context(), staffer)
	all, _ := svc.Infos(t.Context(), admin)
	if len(list) != 2 || len(all) != 3 {
		t.Fatalf("staff list %d, admins %d", len(list), len(all))
	}
}

// The DOCX reads back: the red head, the issue, the office and date, the title and the body.
func TestInfoDocumentReadsBack(t *testing.T) {
	svc, st, _, c := setup(t, Config{OrgName: "阳光街道党工委"})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	d, _ := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Concerns: ids(rs)})
	it, err := svc.SignInfo(t.Context(), admin, d.Item.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := it.Document("zh", c.t, time.UTC).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	paras, err := docx.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"社情民意信息", "【急报】 〔2026〕第1期", "报送单位：阳光街道党工委\t2026年11月26日", it.Title, "一、基本情况"}
	if len(paras) < 12 || strings.Join(paras[:5], "|") != strings.Join(want, "|") {
		t.Fatalf("paragraphs %q", paras)
	}
	body := strings.Join(paras, "\n")
	for _, w := range []string{"二、群众反映", "三、原因分析", "四、意见建议", "问题4件"} {
		if !strings.Contains(body, w) {
			t.Errorf("the document lacks %q", w)
		}
	}
	if strings.Contains(body, "张三") || strings.Contains(body, "13800001234") {
		t.Fatalf("personal data in the document:\n%s", body)
	}
	page, err := it.HTML("zh", c.t, time.UTC)
	if err != nil || !strings.Contains(string(page), "〔2026〕第1期") || !strings.Contains(string(page), "@page{size:A4") {
		t.Fatalf("the page: %v\n%s", err, page)
	}
}

// 待研判线索: a group past the threshold with no 信息 is listed, drafted it is
// still listed (with its draft), and once a 信息 of it is sent it is not; an
// urgent concern days old without one is listed as well.
func TestDigestLeadsUntilSent(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	b := digest.NewBuilder(st, nil, time.UTC, digest.WithClock(c.now), digest.WithLeads(st, digest.LeadRules{GroupMin: 3, AgedDays: 3}))
	svc.digests = b
	day := c.t.Add(-24 * time.Hour)
	for i := range 3 {
		saved(t, st, &concern.Report{DraftID: "l" + string(rune('a'+i)), ReceivedAt: day.Add(time.Duration(i) * time.Minute),
			Channel: "telegram", ReporterID: int64(2000 + i), Community: "阳光社区", Topic: "城乡建设", Sector: "社会建设",
			Text: "阳光小区3号楼电梯又坏了，已经停了三天，老人上下楼非常困难", Status: concern.StatusReceived})
	}
	old := saved(t, st, &concern.Report{DraftID: "u", ReceivedAt: day.AddDate(0, 0, -4), Channel: "telegram", ReporterID: 2100,
		Community: "和平社区", Topic: "安全生产", Urgent: true, Text: "地下室有煤气味，邻居说好几天了", Status: concern.StatusReceived})
	key := day.Format("2006-01-02")
	p := period.Period{From: day.Truncate(24 * time.Hour), To: day.Truncate(24 * time.Hour)}
	leads := func() []digest.Lead {
		t.Helper()
		d, err := b.Build(t.Context(), p)
		if err != nil || !d.LeadsChecked {
			t.Fatalf("digest: %v", err)
		}
		return d.Leads
	}
	kinds := func(ls []digest.Lead) (out []string) {
		for _, l := range ls {
			out = append(out, l.Kind+" "+l.Key+" "+strings.Join(l.IDs, ","))
		}
		return out
	}
	ls := leads()
	if len(ls) != 2 || ls[0].Kind != digest.LeadGroup || ls[0].Key != key+"#1" || len(ls[0].IDs) != 3 ||
		ls[1].Kind != digest.LeadUrgent || ls[1].IDs[0] != old.ID {
		t.Fatalf("leads before any 信息: %v", kinds(ls))
	}
	// the brief and the chat's text list them too, each with the command that drafts its 信息
	if dg, err := b.Build(t.Context(), p); err != nil {
		t.Fatal(err)
	} else if page, text := string(dg.HTML("zh", time.UTC)), strings.Join(dg.Telegram("zh", time.UTC), "\n"); !strings.Contains(page, "待研判线索") ||
		!strings.Contains(page, "/info new "+key+"#1") || !strings.Contains(text, "/info new "+key+"#1") {
		t.Fatalf("the brief or text lacks the leads:\n%s", text)
	}
	d, err := svc.ComposeInfo(t.Context(), req(staffer, "d1"), InfoFrom{Group: ls[0].Key})
	if err != nil {
		t.Fatal(err)
	}
	if ls = leads(); len(ls) != 2 || ls[0].Drafted != d.Item.ID {
		t.Fatalf("drafted, still a lead, with its draft: %v %+v", kinds(ls), ls[0])
	}
	id := d.Item.ID
	for i, step := range []func() error{
		func() error { _, err := svc.SubmitInfo(t.Context(), req(staffer, "d2"), id); return err },
		func() error { _, err := svc.SignInfo(t.Context(), req(admin, "d3"), id); return err },
		func() error { _, err := svc.SendInfo(t.Context(), req(admin, "d4"), id, "区委办"); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if ls = leads(); len(ls) != 1 || ls[0].Kind != digest.LeadUrgent {
		t.Fatalf("after it was sent: %v", kinds(ls))
	}
}

// What staff type as the source of a 信息: ids, a day's group or a period's.
func TestParseInfoFrom(t *testing.T) {
	for _, c := range []struct {
		in   string
		want InfoFrom
		no   Reason
	}{
		{in: "2026-11-30#2", want: InfoFrom{Group: "2026-11-30#2"}},
		{in: "2026-11-24..2026-11-30#1", want: InfoFrom{Group: "2026-11-24..2026-11-30#1"}},
		{in: "2026-11-24..yesterday#1", no: InfoBadFrom},
		{in: "2026-13-01#1", no: InfoBadFrom},
		{in: "2026-11-30#0", no: InfoBadFrom},
		{in: "2026-11-30#x", no: InfoBadFrom},
		{in: "  ", no: InfoNothing},
		{in: "not-an-id", no: InfoBadFrom},
	} {
		got, err := ParseInfoFrom(c.in)
		if reason(err) != c.no || strings.Join(got.Concerns, ",") != strings.Join(c.want.Concerns, ",") || got.Group != c.want.Group {
			t.Errorf("%q: %+v %v, want %+v %q", c.in, got, err, c.want, c.no)
		}
	}
}

// The words of a concern reach only a 信息 of that concern: quotes from
// another are refused; a concern for admins only (collective action) goes into
// an admins' item, never a staff draft staff could not then see.
func TestInfoQuotesStayWithTheirConcerns(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	secret := saved(t, st, &concern.Report{DraftID: "s", ReceivedAt: c.t.Add(-time.Hour), Channel: "telegram", Community: "阳光社区",
		Text: "某书记收受贿赂", Sensitive: true, Status: concern.StatusReceived})
	crowd := saved(t, st, &concern.Report{DraftID: "m", ReceivedAt: c.t.Add(-time.Hour), Channel: "telegram", Community: "阳光社区",
		Text: "明天上午大家一起去区政府门口", AdminsOnly: true, Status: concern.StatusReceived})
	if _, err := svc.ComposeInfo(t.Context(), staffer, InfoFrom{Concerns: []string{crowd.ID}}); reason(err) != Restricted {
		t.Fatalf("staff from a concern for admins only: %v", err)
	}
	d, err := svc.ComposeInfo(t.Context(), req(staffer, "q1"), InfoFrom{Concerns: ids(rs[:2])})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []Actor{req(admin, "q2"), req(staffer, "q3")} {
		if _, err := svc.EditInfo(t.Context(), who, d.Item.ID, InfoQuotes, secret.ID+" "+rs[0].ID); reason(err) != InfoQuoteOther && reason(err) != Restricted {
			t.Fatalf("%s quoted a concern not linked: %v", who.Role, err)
		}
	}
	if _, err := svc.EditInfo(t.Context(), req(admin, "q4"), d.Item.ID, InfoQuotes, rs[2].ID); reason(err) != InfoQuoteOther {
		t.Fatalf("an admin quoted a concern of another: %v", err)
	}
	it, _ := svc.Info(t.Context(), staffer, d.Item.ID)
	for _, q := range it.Quotes {
		if q.Concern == secret.ID || strings.Contains(q.Text, "贿赂") {
			t.Fatalf("the sensitive words reached staff: %+v", it.Quotes)
		}
	}
	if d, err = svc.EditInfo(t.Context(), req(staffer, "q5"), d.Item.ID, InfoQuotes, rs[1].ID); err != nil || len(d.Item.Quotes) != 1 {
		t.Fatalf("a quote of its own: %v", err)
	}
}

// The same request composing twice (a form sent twice, an update delivered
// twice) makes one item.
func TestComposeInfoOncePerRequest(t *testing.T) {
	svc, st, _, c := setup(t, Config{})
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	a, err := svc.ComposeInfo(t.Context(), req(staffer, "web:form1"), InfoFrom{Concerns: ids(rs)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.ComposeInfo(t.Context(), req(staffer, "web:form1"), InfoFrom{Concerns: ids(rs)})
	if err != nil || b.Item.ID != a.Item.ID {
		t.Fatalf("again: %v %v", b.Item, err)
	}
	if all, _ := svc.Infos(t.Context(), staffer); len(all) != 1 {
		t.Fatalf("%d items", len(all))
	}
}
