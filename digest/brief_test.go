package digest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/export"
)

// overdueDigest is a day's digest of an office with 60 concerns overdue, most of
// them received weeks before the period, 3 of the period's own, and one sensitive.
func overdueDigest(t *testing.T) *Digest {
	d, _ := overdueDigestOf(t)
	return d
}

// overdueDigestOf is overdueDigest and its concerns as stored, by id.
func overdueDigestOf(t *testing.T) (*Digest, map[string]*concern.Report) {
	t.Helper()
	st := open(t)
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, sh)
	stored := map[string]*concern.Report{}
	for i := range 60 {
		at := time.Date(2026, 11, 1, 9, i, 0, 0, sh)
		if i < 3 {
			at = time.Date(2026, 11, 25, 9, i, 0, 0, sh) // of the period
		}
		r := &concern.Report{ReceivedAt: at, Text: fmt.Sprintf("我叫王小明，第%d号路灯坏了", i), ReporterName: "王小明", Topic: "城乡建设", Sector: "社会建设", Community: "阳光社区",
			Status: concern.StatusTransferred, Unit: "街道城管办", Confidence: 0.9, Channel: concern.ChannelTelegram, Level: concern.LevelGeneral,
			Sensitive: i == 59, Deadline: at.Add(12 * time.Hour), ExternalID: fmt.Sprintf("12345-%d", i), FiledBy: int64(i % 2),
			History: []concern.StatusChange{{At: at, Status: concern.StatusReceived},
				{At: at.Add(time.Hour), Status: concern.StatusTransferred, By: "工作人员 李四", Note: "已联系王小明，电话13800138000"}}}
		stored[accept(t, st, r, true)] = r
	}
	b := NewBuilder(st, sectors, sh, WithClock(func() time.Time { return now }), WithOrg("阳光街道党工委"))
	d, err := b.Build(t.Context(), day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Org != "阳光街道党工委" || d.Overdue != 3 || d.OverdueNowTotal != 60 || len(d.OverdueNow) != OverdueShown || len(d.OverdueRows) != 60 {
		t.Fatalf("org %q, overdue %d of the period, %d now, %d listed, %d rows", d.Org, d.Overdue, d.OverdueNowTotal, len(d.OverdueNow), len(d.OverdueRows))
	}
	return d, stored
}

// emoji finds a pictograph, which prints as an empty box without an emoji font.
var emoji = regexp.MustCompile(`[\x{1F000}-\x{1FAFF}\x{2600}-\x{27BF}\x{23E9}-\x{23FA}\x{2B50}\x{FE0F}]`)

// The brief names the office and, once issued, its number; its headings are
// words; the overdue list says how many there are and where the rest are, and
// tells the period's overdue from everything overdue now.
func TestBriefHeadAndOverdueList(t *testing.T) {
	d := overdueDigest(t)
	page := string(d.HTML("zh", sh))
	if strings.Contains(page, "期〕") || strings.Contains(page, "第0期") {
		t.Error("a digest not yet issued carries a number")
	}
	d.Number = 12
	page = string(d.HTML("zh", sh))
	org, num, title := strings.Index(page, "<p class=\"org\">阳光街道党工委</p>"), strings.Index(page, "〔2026〕第12期"), strings.Index(page, "<h1>")
	if org < 0 || num < 0 || !(org < title && num < title) {
		t.Errorf("the brief's head: office at %d, number at %d, title at %d", org, num, title)
	}
	for _, m := range regexp.MustCompile(`<(th|h1|h2)>([^<]*)</`).FindAllStringSubmatch(page, -1) {
		if emoji.MatchString(m[2]) || strings.TrimSpace(m[2]) == "" {
			t.Errorf("heading %q is not in words", m[0])
		}
	}
	if strings.Contains(page, "王小明") {
		t.Error("the brief shows a name")
	}
	for _, want := range []string{"<th>编号</th><th>办理时限</th><th>承办单位</th><th>摘录</th>", "共60件，列出前50件，其余见表格", "“其中超期 3”只计本期收到的诉求", "共 60 件"} {
		if !strings.Contains(page, want) {
			t.Errorf("the brief lacks %q", want)
		}
	}
	if n := strings.Count(page, "<tr><td>"); n != 50+countRows(d) {
		t.Errorf("%d table rows", n)
	}
	en := string(d.HTML("en", sh))
	for _, want := range []string{"阳光街道党工委", "No. 12, 2026", "60 in all; the first 50 are listed, the rest are in the workbook", "<th>Deadline</th>"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English brief lacks %q", want)
		}
	}
	text := d.Text("zh", sh)
	lines := strings.Split(text, "\n")
	if lines[0] != "阳光街道党工委" || !strings.Contains(lines[1], "民意日报") || lines[2] != "〔2026〕第12期" {
		t.Errorf("the message's head: %q", lines[:3])
	}
	for _, want := range []string{"共60件，列出前20件，其余见表格", "只计本期收到的诉求"} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q", want)
		}
	}
}

// zipped is a part of a workbook.
func zipped(t *testing.T, book []byte, name string) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := z.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countRows is how many rows the count tables of the brief have.
func countRows(d *Digest) int {
	return len(d.BySector) + len(d.ByTopic) + len(d.ByCommunity) + len(d.ByGrid)
}

// The workbook: widths, a frozen heading row and a filter on each table, times
// as dates in the office's time, counts as numbers, the export's columns, and
// every overdue concern, not only those the brief lists.
func TestWorkbookIsATable(t *testing.T) {
	d, stored := overdueDigestOf(t)
	d.Number = 12
	book, err := d.XLSX("zh", sh)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	// the filter in each table sheet itself (its defined name alone shows no buttons),
	// and the widths in order, as Excel wants them
	for i := 1; i <= 3; i++ {
		x := zipped(t, book, fmt.Sprintf("xl/worksheets/sheet%d.xml", i))
		if !strings.Contains(x, "<autoFilter ref=") || !regexp.MustCompile(`<cols><col [^>]*min="1"`).MatchString(x) {
			t.Errorf("sheet %d: no autofilter, or widths out of order: %.300s", i, x[strings.Index(x, "<cols>"):])
		}
	}
	names := f.GetDefinedName()
	filtered := map[string]bool{}
	for _, n := range names {
		if n.Name == "_xlnm._FilterDatabase" {
			filtered[n.Scope] = true
		}
	}
	var heads []string
	for _, c := range export.Columns(export.Options{}) {
		heads = append(heads, c.Head("zh"))
	}
	for _, sheet := range []string{"诉求明细", "超期未办结", "分组统计"} {
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v, %v", sheet, panes, err)
		}
		if !filtered[sheet] {
			t.Errorf("%s has no autofilter (defined names %+v)", sheet, names)
		}
		if w, _ := f.GetColWidth(sheet, "B"); w < 12 {
			t.Errorf("%s: column B keeps the default width", sheet)
		}
		rows, _ := f.GetRows(sheet)
		for _, h := range rows[0] {
			if emoji.MatchString(h) || h == "" {
				t.Errorf("%s: heading %q", sheet, h)
			}
		}
		if sheet == "分组统计" {
			continue
		}
		if strings.Join(rows[0], "|") != strings.Join(heads, "|") {
			t.Errorf("%s's columns are not the export's:\n%q\n%q", sheet, rows[0], heads)
		}
	}
	// each concern reads as `minyi export` (masked) writes it, cell for cell
	cols := export.Columns(export.Options{})
	for _, sheet := range []string{"诉求明细", "超期未办结"} {
		rows, _ := f.GetRows(sheet)
		for _, row := range rows[1:] {
			r := stored[row[0]]
			var want []string
			for _, c := range cols {
				want = append(want, c.Text(r, export.Options{Location: sh}))
			}
			for len(want) > 0 && want[len(want)-1] == "" {
				want = want[:len(want)-1]
			}
			if strings.Join(row, "|") != strings.Join(want, "|") {
				t.Errorf("%s: the digest's row\n%q\nthe export's\n%q", sheet, row, want)
			}
			if joined := strings.Join(row, "|"); strings.Contains(joined, "王小明") || strings.Contains(joined, "13800138000") || !strings.Contains(joined, "已转办") {
				t.Errorf("%s: %q is not masked, or lost its history", sheet, row)
			}
		}
	}
	overdue, _ := f.GetRows("超期未办结")
	if len(overdue) != 61 {
		t.Errorf("the overdue sheet has %d rows, want all 60 and the heading", len(overdue)-1)
	}
	// a date is a number, shown in the office's time
	for _, sheet := range []string{"诉求明细", "超期未办结"} {
		raw, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
		shown, _ := f.GetCellValue(sheet, "B2")
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			t.Errorf("%s B2 (received) is %q, not a date", sheet, raw)
		}
		rows, _ := f.GetRows(sheet)
		id := rows[1][0]
		var want time.Time
		for _, r := range append(d.Rows, d.OverdueRows...) {
			if r.ID == id {
				want = r.At
			}
		}
		if shown != want.In(sh).Format("2006-01-02 15:04") {
			t.Errorf("%s B2 shows %q, want %v in the office's time", sheet, shown, want.In(sh))
		}
		if typ, _ := f.GetCellType(sheet, "B2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s B2 is text", sheet)
		}
	}
	// counts and averages are numbers
	for _, cell := range []string{"C2", "D2"} {
		if typ, _ := f.GetCellType("分组统计", cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("分组统计 %s is text", cell)
		}
		raw, _ := f.GetCellValue("分组统计", cell, excelize.Options{RawCellValue: true})
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			t.Errorf("分组统计 %s is %q", cell, raw)
		}
	}
	sum, _ := f.GetRows("汇总")
	if len(sum) < 4 || sum[0][0] != "阳光街道党工委" || !strings.Contains(sum[1][0], "民意日报") || emoji.MatchString(sum[1][0]) || sum[2][0] != "〔2026〕第12期" {
		t.Errorf("summary sheet: %q", sum)
	}
	// the sensitive overdue concern is in the sheet by id, its text withheld
	if joined := fmt.Sprint(overdue); strings.Contains(joined, "第59号") {
		t.Error("a sensitive concern's text is in the workbook")
	}
}

// 增长最快 is in the order of its figure, in every rendering.
func TestRisingInTheOrderOfItsFigure(t *testing.T) {
	ch := func(v float64) *float64 { return &v }
	rising := []Count{
		{Name: "交通运输", N: 4, Before: 2, Change: ch(1)},
		{Name: "环境保护", N: 9, Before: 3, Change: ch(2)},
		{Name: "教育文体", N: 3, Before: 0},
		{Name: "民政", N: 6, Before: 2, Change: ch(2)},
	}
	sortRising(rising)
	var order []string
	for _, c := range rising {
		order = append(order, c.Name)
	}
	if got := strings.Join(order, " "); got != "教育文体 环境保护 民政 交通运输" {
		t.Fatalf("rising in the order %s", got)
	}
	d := &Digest{From: "2026-11-25", To: "2026-11-25", Reconciled: true, Rising: rising, ByTopic: rising}
	want := "增长最快：教育文体 新增，环境保护 +200%，民政 +200%，交通运输 +100%"
	if !strings.Contains(d.Text("zh", sh), want) || !strings.Contains(string(d.HTML("zh", sh)), want) {
		t.Errorf("the message or the brief lacks %q", want)
	}
	book, err := d.XLSX("zh", sh)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenReader(bytes.NewReader(book))
	sum, _ := f.GetRows("汇总")
	if !strings.Contains(fmt.Sprint(sum), want) {
		t.Errorf("the summary sheet lacks %q: %q", want, sum)
	}
}
