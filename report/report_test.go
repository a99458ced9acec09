package report

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/info"
)

var sh = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

// memory is a Source over records kept in memory, by day.
type memory struct {
	days  map[string][]string
	recs  map[string][]byte
	infos []*info.Item
	reads int
}

func (m *memory) RecordedIDs(_ context.Context, days []string) ([]string, error) {
	var out []string
	for _, d := range days {
		out = append(out, m.days[d]...)
	}
	return out, nil
}

func (m *memory) RawReports(_ context.Context, ids []string) ([][]byte, error) {
	m.reads++
	var out [][]byte
	for _, id := range ids {
		out = append(out, m.recs[id])
	}
	return out, nil
}

func (m *memory) Infos(context.Context) ([]*info.Item, error) { return m.infos, nil }

func (m *memory) add(t *testing.T, r concern.Report) {
	t.Helper()
	day := r.ReceivedAt.In(sh).Format("20060102")
	r.ID = day + "-" + strings.Repeat("0", 3) + string(rune('0'+len(m.days[day])%10)) + string(rune('a'+len(m.recs)%26))
	if r.History == nil {
		r.History = []concern.StatusChange{{At: r.ReceivedAt, Status: concern.StatusReceived}}
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	m.days[day] = append(m.days[day], r.ID)
	m.recs[r.ID] = data
}

func at(y int, mo time.Month, d, h int) time.Time { return time.Date(y, mo, d, h, 0, 0, 0, sh) }

// closed is a concern closed after the given hours.
func closed(r concern.Report, after int) concern.Report {
	r.Status = concern.StatusClosed
	r.History = []concern.StatusChange{{At: r.ReceivedAt, Status: concern.StatusReceived},
		{At: r.ReceivedAt.Add(time.Duration(after) * time.Hour), Status: concern.StatusClosed}}
	return r
}

// synthetic holds November 2026 (10 concerns), October 2026 (8) and November
// 2025 (5), with answers worked out by hand.
func synthetic(t *testing.T) *memory {
	m := &memory{days: map[string][]string{}, recs: map[string][]byte{}}
	a := func(day, h int, community string) concern.Report {
		return concern.Report{ReceivedAt: at(2026, 11, day, h), Community: community, Grid: "第一网格", Sector: "社会建设", Topic: "城乡建设",
			Status: concern.StatusReceived, Text: "东门路灯坏了，我是张三，电话13800001234", ReporterName: "张三"}
	}
	// A: six, four closed (24, 24, 48, 72 h); B: four, one closed (48 h) after its deadline
	m.add(t, closed(a(1, 9, "阳光社区"), 24))
	m.add(t, closed(a(2, 9, "阳光社区"), 24))
	m.add(t, closed(a(3, 9, "阳光社区"), 48))
	m.add(t, closed(a(4, 9, "阳光社区"), 72))
	m.add(t, a(5, 9, "阳光社区"))
	u := a(6, 9, "阳光社区")
	u.Urgent, u.Ack = true, &concern.Ack{By: 1, At: u.ReceivedAt.Add(5 * time.Minute), After: 5 * time.Minute}
	m.add(t, u)
	late := closed(a(7, 9, "和平社区"), 48)
	late.Deadline = late.ReceivedAt.Add(24 * time.Hour)
	late.Unit = "区住建局"
	m.add(t, late)
	open := a(8, 9, "和平社区")
	open.Deadline = open.ReceivedAt.Add(24 * time.Hour) // passed by the clock's now
	open.Unit = "区住建局"
	open.Status = concern.StatusTransferred
	m.add(t, open)
	u2 := a(9, 9, "和平社区")
	u2.Urgent, u2.Topic = true, "安全生产"
	m.add(t, u2)
	s := a(10, 9, "和平社区")
	s.Sensitive, s.Topic, s.Text = true, "纪检监察", "社区主任王五收受好处"
	m.add(t, s)
	// October: eight, six closed
	for i := range 8 {
		r := concern.Report{ReceivedAt: at(2026, 10, 1+i, 10), Community: "阳光社区", Grid: "第一网格", Sector: "社会建设", Topic: "城乡建设",
			Status: concern.StatusReceived, Text: "路灯不亮"}
		if i < 6 {
			r = closed(r, 24)
		}
		m.add(t, r)
	}
	// November 2025: five
	for i := range 5 {
		m.add(t, concern.Report{ReceivedAt: at(2025, 11, 1+i, 10), Community: "阳光社区", Sector: "社会建设", Topic: "城乡建设", Status: concern.StatusReceived, Text: "x"})
	}
	first := at(2026, 11, 1, 9)
	m.infos = []*info.Item{
		{ID: 1, Title: "关于东门路灯长期不亮的情况反映", Year: 2026, Number: 7, State: info.Adopted, Created: at(2026, 11, 3, 9), SentAt: at(2026, 11, 5, 9),
			Facts: info.Facts{First: first}, History: []info.Step{{At: at(2026, 11, 3, 9), State: info.Draft}, {At: at(2026, 11, 4, 9), State: info.Signed},
				{At: at(2026, 11, 5, 9), State: info.Sent}, {At: at(2026, 11, 10, 9), State: info.Adopted}}},
		{ID: 2, Title: "某干部问题", AdminsOnly: true, Year: 2026, Number: 8, State: info.Instructed, Created: at(2026, 10, 20, 9), SentAt: at(2026, 11, 2, 9),
			Facts: info.Facts{First: at(2026, 10, 19, 9)}, History: []info.Step{{At: at(2026, 10, 20, 9), State: info.Draft},
				{At: at(2026, 10, 30, 9), State: info.Signed}, {At: at(2026, 11, 2, 9), State: info.Sent}, {At: at(2026, 11, 20, 9), State: info.Instructed}}},
		{ID: 3, Title: "草稿", State: info.Draft, Created: at(2026, 11, 25, 9), History: []info.Step{{At: at(2026, 11, 25, 9), State: info.Draft}}},
	}
	return m
}

func f(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// 环比, 同比 and the rest on data whose answers are known.
func TestReportOnKnownFigures(t *testing.T) {
	m := synthetic(t)
	now := at(2026, 12, 1, 8)
	b := NewBuilder(m, sh, WithClock(func() time.Time { return now }), WithOrg("阳光街道党工委"))
	b.chunk = 3 // several chunks a day do not change the sums
	sp, err := Parse("2026-11", now, sh)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Build(t.Context(), sp)
	if err != nil {
		t.Fatal(err)
	}
	n, p, a := r.Now, r.Prev, r.YearAgo
	if n.Received != 10 || p.Received != 8 || a.Received != 5 || n.Closed != 5 || n.Open != 5 || n.Urgent != 2 || n.Sensitive != 1 {
		t.Fatalf("counts: now %+v prev %+v ago %+v", n, p, a)
	}
	if n.Overdue != 2 || f(n.ResolutionRate) != 0.5 || f(p.ResolutionRate) != 0.75 || f(n.MedianCloseH) != 48 || f(p.MedianCloseH) != 24 {
		t.Fatalf("overdue %d, resolution %v/%v, median %v/%v", n.Overdue, f(n.ResolutionRate), f(p.ResolutionRate), f(n.MedianCloseH), f(p.MedianCloseH))
	}
	if n.Acked != 1 || n.Unacked != 1 || f(n.AckMedianS) != 300 {
		t.Fatalf("acks %+v", n)
	}
	text := r.Text("zh", sh)
	for _, want := range []string{"本期收到诉求10件", "环比增长25.0%", "同比增长100.0%", "解决率50.0%（环比下降25.0个百分点", "办结用时中位数48小时",
		"超期2件", "2026年10月", "2025年11月", "起草社情民意信息2篇，签发1篇，报送2篇；获采用1篇，获领导批示1篇",
		"〔2026〕第7期《关于东门路灯长期不亮的情况反映》", "《敏感事项，标题限管理员查看》", "2026年11月民意综合分析"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	// median lag of the two sent in November: 96 h and 14 days → (96+336)/2 = 216 h
	if f(r.Info.MedianLagH) != 216 {
		t.Fatalf("lag %v", f(r.Info.MedianLagH))
	}
	if strings.Contains(text, "某干部问题") || strings.Contains(text, "张三") || strings.Contains(text, "13800001234") || strings.Contains(text, "王五") {
		t.Fatalf("personal or sensitive words in the report:\n%s", text)
	}
	if len(r.Communities) != 2 || r.Communities[0].Name != "阳光社区" || f(r.Communities[0].ResolutionRate) != 4.0/6 || r.Communities[1].Overdue != 2 {
		t.Fatalf("communities %+v", r.Communities)
	}
	if len(r.Units) != 1 || r.Units[0].Received != 2 || r.Units[0].Overdue != 2 || r.Unassigned != 4 {
		t.Fatalf("units %+v, unassigned %d", r.Units, r.Unassigned)
	}
	if len(r.Problems) != 2 || r.Problems[0].N != 6 || r.Problems[0].Community != "阳光社区" || r.Problems[0].Days != 6 ||
		!strings.Contains(r.Problems[0].Excerpt, "某某") || strings.Contains(r.Problems[0].Excerpt, "1380000") {
		t.Fatalf("problems %+v", r.Problems)
	}
	if i := slices.IndexFunc(r.Topics, func(c Count) bool { return c.Name == "城乡建设" }); i < 0 || r.Topics[i].N != 8 || r.Topics[i].Prev != 8 || r.Topics[i].YearAgo != 5 {
		t.Fatalf("topics %+v", r.Topics)
	}
	en := r.Text("en", sh)
	if !strings.Contains(en, "10 concerns this span") || !strings.Contains(en, "up 25.0%") || !strings.Contains(en, "down 25.0 points") {
		t.Fatalf("English:\n%s", en)
	}
}

// The spans compared: a quarter's are the quarter before and that of a year
// before; a year's both the year before.
func TestSpansCompared(t *testing.T) {
	now := at(2026, 12, 3, 9)
	for _, c := range []struct{ in, span, prev, ago, title string }{
		{"2026-11", "2026-11", "2026-10", "2025-11", "2026年11月"},
		{"2026年1月", "2026-01", "2025-12", "2025-01", "2026年1月"},
		{"2026q1", "2026-Q1", "2025-Q4", "2025-Q1", "2026年第一季度"},
		{"2026-Q4", "2026-Q4", "2026-Q3", "2025-Q4", "2026年第四季度"},
		{"2026", "2026", "2025", "2025", "2026年度"},
		{"2026年", "2026", "2025", "2025", "2026年度"},
		{"", "2026-11", "2026-10", "2025-11", "2026年11月"},
	} {
		s, err := Parse(c.in, now, sh)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if s.String() != c.span || s.Prev().String() != c.prev || s.YearAgo().String() != c.ago || s.Title("zh") != c.title {
			t.Errorf("%q: %s prev %s ago %s %q", c.in, s, s.Prev(), s.YearAgo(), s.Title("zh"))
		}
	}
	if s, _ := Parse("2026-Q4", now, sh); s.From() != at(2026, 10, 1, 0) || s.End() != at(2027, 1, 1, 0) || len(s.Days()) != 92 {
		t.Errorf("Q4 runs %v to %v", s.From(), s.End())
	}
	for _, c := range []struct {
		in   string
		want Fault
	}{{"2026-13", BadSpan}, {"2026-Q5", BadSpan}, {"2026-Q", BadSpan}, {"26-11", BadSpan}, {"路灯", BadSpan}, {"2026-11-01", BadSpan},
		{"2027", Future}, {"2026-12x", BadSpan}, {"2027-01", Future}} {
		_, err := Parse(c.in, now, sh)
		var e *Error
		if !errors.As(err, &e) || e.Problem != c.want {
			t.Errorf("%q: %v, want %s", c.in, err, c.want)
		}
	}
}

// The workbook keeps numbers as numbers and dates as dates, its headers frozen
// and filtered; the Word document reads back with its tables.
func TestReportFiles(t *testing.T) {
	m := synthetic(t)
	now := at(2026, 12, 1, 8)
	r, err := NewBuilder(m, sh, WithClock(func() time.Time { return now }), WithOrg("阳光街道党工委")).Build(t.Context(), Span{Kind: Month, Year: 2026, N: 11})
	if err != nil {
		t.Fatal(err)
	}
	r.Number = 11
	book, err := r.XLSX("zh", sh)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(strings.NewReader(string(book)))
	if err != nil {
		t.Fatal(err)
	}
	sheets := x.GetSheetList()
	if strings.Join(sheets, ",") != "总体情况,分领域,分类别,社区,网格,承办单位,共性问题,信息工作" {
		t.Fatalf("sheets %v", sheets)
	}
	if v, _ := x.GetCellValue("总体情况", "B2", excelize.Options{RawCellValue: true}); v != "10" {
		t.Fatalf("received %q", v)
	}
	if typ, _ := x.GetCellType("总体情况", "B2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("received is %v", typ)
	}
	if v, _ := x.GetCellValue("总体情况", "D2"); v != "25.00%" {
		t.Fatalf("环比 shown %q", v)
	}
	if v, _ := x.GetCellValue("信息工作", "D2", excelize.Options{RawCellValue: true}); !strings.HasPrefix(v, "46") { // an Excel serial date of 2026
		t.Fatalf("a date cell holds %q", v)
	}
	panes, _ := x.GetPanes("社区")
	if !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("panes %+v", panes)
	}
	if w, _ := x.GetColWidth("共性问题", "F"); w < 30 {
		t.Fatalf("the excerpt column is %v wide", w)
	}
	doc, err := r.Document("zh", sh).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	paras, err := docx.Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(paras, "\n")
	for _, want := range []string{"阳光街道党工委", "〔2026〕第11期", "2026年11月民意综合分析", "一、总体情况", "收到诉求", "阳光社区", "七、信息工作"} {
		if !strings.Contains(all, want) {
			t.Errorf("the document lacks %q", want)
		}
	}
	page := string(r.HTML("zh", sh))
	if !strings.Contains(page, "<th>环比</th>") || !strings.Contains(page, "〔2026〕第11期") {
		t.Fatalf("page:\n%.2000s", page)
	}
}

// A shared problem is quoted from a concern staff may read: never one that is
// sensitive or for admins only, however recent.
func TestProblemsQuoteNoAdminsOnlyWords(t *testing.T) {
	m := &memory{days: map[string][]string{}, recs: map[string][]byte{}}
	r := concern.Report{ReceivedAt: at(2026, 11, 3, 9), Community: "阳光社区", Topic: "城乡建设", Status: concern.StatusReceived, Text: "东门路灯不亮"}
	m.add(t, r)
	r.ReceivedAt, r.Text, r.AdminsOnly = at(2026, 11, 4, 9), "明天大家一起去区政府门口讨说法", true
	m.add(t, r)
	r.ReceivedAt, r.Text, r.AdminsOnly, r.Sensitive = at(2026, 11, 5, 9), "社区书记收受好处", false, true
	m.add(t, r)
	rep, err := NewBuilder(m, sh, WithClock(func() time.Time { return at(2026, 12, 1, 9) })).Build(t.Context(), Span{Kind: Month, Year: 2026, N: 11})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 {
		t.Fatalf("one concern staff may read is no shared problem: %+v", rep.Problems)
	}
	if text := rep.Text("zh", sh); strings.Contains(text, "区政府") || strings.Contains(text, "好处") {
		t.Fatalf("admins' words in the report:\n%s", text)
	}
}
