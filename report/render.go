package report

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
)

func t(lang string, key string, args ...string) string {
	return locale.Default().Render(lang, locale.Key(key), args...)
}

// cell is one value of a table: words, or a number that a workbook keeps as a number.
type cell struct {
	s   string
	n   float64
	num bool
	pct bool // n is a share, shown as a percentage
	at  time.Time
}

func words(s string) cell { return cell{s: s} }
func number(n float64) cell {
	return cell{n: n, num: true}
}
func share(p *float64) cell {
	if p == nil {
		return cell{s: "—"}
	}
	return cell{n: *p, num: true, pct: true}
}
func hours(p *float64) cell {
	if p == nil {
		return cell{s: "—"}
	}
	return cell{n: math.Round(*p*10) / 10, num: true}
}

func (c cell) String() string {
	switch {
	case !c.at.IsZero():
		return c.at.Format("2006-01-02 15:04")
	case c.pct:
		return strconv.FormatFloat(c.n*100, 'f', 1, 64) + "%"
	case c.num:
		return strconv.FormatFloat(c.n, 'f', -1, 64)
	}
	return c.s
}

// table is a table of the report, as a sheet of the workbook too.
type table struct {
	sheet string
	head  []string
	rows  [][]cell
}

// section is one headed part: its paragraphs and tables.
type section struct {
	head   string
	paras  []string
	tables []table
}

func pctText(p *float64, lang string) string {
	if p == nil {
		return t(lang, "rp_none")
	}
	return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
}

// change words a count against the one compared with.
func change(now, base int, lang string) string {
	switch {
	case now == base:
		return t(lang, "rp_flat")
	case base == 0:
		return t(lang, "rp_nobase")
	}
	v := float64(now-base) / float64(base) * 100
	p := strconv.FormatFloat(math.Abs(v), 'f', 1, 64) + "%"
	if v > 0 {
		return t(lang, "rp_up", "pct", p)
	}
	return t(lang, "rp_down", "pct", p)
}

// changeCell is a count's change as a share (a workbook number), or — with nothing to compare.
func changeCell(now, base int) cell {
	if base == 0 {
		if now == 0 {
			return cell{n: 0, num: true, pct: true}
		}
		return cell{s: "—"}
	}
	return cell{n: float64(now-base) / float64(base), num: true, pct: true}
}

// points words a rate against the one compared with, in percentage points.
func points(now, base *float64, lang string) string {
	if now == nil || base == nil {
		return t(lang, "rp_nobase")
	}
	d := (*now - *base) * 100
	pp := strconv.FormatFloat(math.Abs(d), 'f', 1, 64)
	switch {
	case pp == "0.0":
		return t(lang, "rp_flat")
	case d > 0:
		return t(lang, "rp_pp_up", "pp", pp)
	}
	return t(lang, "rp_pp_down", "pp", pp)
}

// duration words hours as 2天3小时 (or minutes when under an hour).
func duration(h *float64, lang string) string {
	if h == nil {
		return t(lang, "rp_none")
	}
	switch v := *h; {
	case v < 1:
		return t(lang, "rp_minutes", "m", strconv.Itoa(int(math.Round(v*60))))
	case v < 72:
		return t(lang, "rp_hours", "h", strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64))
	default:
		d := int(v / 24)
		return t(lang, "rp_days", "d", strconv.Itoa(d), "h", strconv.Itoa(int(v)-24*d))
	}
}

func seconds(s *float64, lang string) string {
	if s == nil {
		return t(lang, "rp_none")
	}
	h := *s / 3600
	return duration(&h, lang)
}

func itoa(n int) string { return strconv.Itoa(n) }

// Title is the report's title in lang.
func (r *Report) Title(lang string) string { return t(lang, "rp_title", "span", r.Span.Title(lang)) }

// Issue is the report's issue number (〔2026〕第3期), empty until archived.
func (r *Report) Issue(lang string) string {
	if r.Number == 0 {
		return ""
	}
	return t(lang, "rp_issue", "year", itoa(r.Span.End().AddDate(0, 0, -1).Year()), "n", itoa(r.Number))
}

// sections are the report's parts in lang.
func (r *Report) sections(lang string, loc *time.Location) []section {
	n, p, a := r.Now, r.Prev, r.YearAgo
	var out []section

	figs := table{sheet: t(lang, "rp_sheet_overview"), head: []string{t(lang, "rp_fig"), t(lang, "rp_col_now"), t(lang, "rp_col_prev"),
		t(lang, "rp_col_mom"), t(lang, "rp_col_ago"), t(lang, "rp_col_yoy")}}
	for _, f := range []struct {
		key     string
		of      func(Figures) int
		counted bool
	}{
		{"received", func(f Figures) int { return f.Received }, true}, {"direct", func(f Figures) int { return f.Direct }, true},
		{"filed", func(f Figures) int { return f.Filed }, true}, {"urgent", func(f Figures) int { return f.Urgent }, true},
		{"sensitive", func(f Figures) int { return f.Sensitive }, true}, {"closed", func(f Figures) int { return f.Closed }, true},
		{"rejected", func(f Figures) int { return f.Rejected }, true}, {"duplicate", func(f Figures) int { return f.Duplicate }, true},
		{"open", func(f Figures) int { return f.Open }, true}, {"overdue", func(f Figures) int { return f.Overdue }, true},
	} {
		figs.rows = append(figs.rows, []cell{words(t(lang, "rp_fig_"+f.key)), number(float64(f.of(n))), number(float64(f.of(p))),
			changeCell(f.of(n), f.of(p)), number(float64(f.of(a))), changeCell(f.of(n), f.of(a))})
	}
	for _, f := range []struct {
		key string
		of  func(Figures) *float64
	}{
		{"response", func(f Figures) *float64 { return f.ResponseRate }}, {"resolution", func(f Figures) *float64 { return f.ResolutionRate }},
		{"satisfaction", func(f Figures) *float64 { return f.SatisfactionRate }},
	} {
		figs.rows = append(figs.rows, []cell{words(t(lang, "rp_fig_"+f.key)), share(f.of(n)), share(f.of(p)), ppCell(f.of(n), f.of(p)),
			share(f.of(a)), ppCell(f.of(n), f.of(a))})
	}
	ackMin := func(f Figures) *float64 {
		if f.AckMedianS == nil {
			return nil
		}
		m := *f.AckMedianS / 60
		return &m
	}
	figs.rows = append(figs.rows,
		[]cell{words(t(lang, "rp_fig_median_close")), hours(n.MedianCloseH), hours(p.MedianCloseH), words(""), hours(a.MedianCloseH), words("")},
		[]cell{words(t(lang, "rp_fig_ack_median")), hours(ackMin(n)), hours(ackMin(p)), words(""), hours(ackMin(a)), words("")})
	out = append(out, section{head: t(lang, "rp_s_overview"), paras: []string{
		t(lang, "rp_overview", "received", itoa(n.Received), "direct", itoa(n.Direct), "filed", itoa(n.Filed),
			"mom", change(n.Received, p.Received, lang), "yoy", change(n.Received, a.Received, lang), "closed", itoa(n.Closed),
			"rejected", itoa(n.Rejected), "duplicate", itoa(n.Duplicate), "open", itoa(n.Open), "overdue", itoa(n.Overdue)),
		t(lang, "rp_rates", "response", pctText(n.ResponseRate, lang), "resolution", pctText(n.ResolutionRate, lang),
			"res_mom", points(n.ResolutionRate, p.ResolutionRate, lang), "res_yoy", points(n.ResolutionRate, a.ResolutionRate, lang),
			"satisfaction", pctText(n.SatisfactionRate, lang), "median", duration(n.MedianCloseH, lang)),
		t(lang, "rp_compare_note", "prev", r.Span.Prev().Title(lang), "ago", r.Span.YearAgo().Title(lang)),
	}, tables: []table{figs}})

	countTable := func(sheet, col string, cs []Count) table {
		tb := table{sheet: t(lang, sheet), head: []string{t(lang, col), t(lang, "rp_col_now"), t(lang, "rp_col_prev"), t(lang, "rp_col_mom"),
			t(lang, "rp_col_ago"), t(lang, "rp_col_yoy")}}
		for _, c := range cs {
			tb.rows = append(tb.rows, []cell{words(orUnknown(c.Name, lang)), number(float64(c.N)), number(float64(c.Prev)), changeCell(c.N, c.Prev),
				number(float64(c.YearAgo)), changeCell(c.N, c.YearAgo)})
		}
		return tb
	}
	out = append(out, section{head: t(lang, "rp_s_topics"), tables: []table{countTable("rp_sheet_sectors", "rp_col_sector", r.Sectors),
		countTable("rp_sheet_topics", "rp_col_topic", r.Topics)}})

	rankTable := func(sheet, col string, rs []Rank) table {
		tb := table{sheet: t(lang, sheet), head: []string{t(lang, "rp_col_rank"), t(lang, col), t(lang, "rp_col_received"), t(lang, "rp_col_closed"),
			t(lang, "rp_col_resolution"), t(lang, "rp_col_median"), t(lang, "rp_col_overdue")}}
		for i, x := range rs {
			tb.rows = append(tb.rows, []cell{number(float64(i + 1)), words(orUnknown(x.Name, lang)), number(float64(x.Received)),
				number(float64(x.Closed)), share(x.ResolutionRate), hours(x.MedianCloseH), number(float64(x.Overdue))})
		}
		return tb
	}
	grids := make([]Rank, len(r.Grids))
	for i, g := range r.Grids {
		community, grid, _ := strings.Cut(g.Name, "/")
		g.Name = orUnknown(community, lang) + "·" + orUnknown(grid, lang)
		grids[i] = g
	}
	out = append(out, section{head: t(lang, "rp_s_places"), paras: []string{t(lang, "rp_rank_note")},
		tables: []table{rankTable("rp_sheet_communities", "rp_col_community", r.Communities), rankTable("rp_sheet_grids", "rp_col_grid", grids)}})
	units := section{head: t(lang, "rp_s_units"), tables: []table{rankTable("rp_sheet_units", "rp_col_unit", r.Units)}}
	if len(r.Units) == 0 {
		units.paras = append(units.paras, t(lang, "rp_units_none"))
	}
	if r.Unassigned > 0 {
		units.paras = append(units.paras, t(lang, "rp_unassigned", "n", itoa(r.Unassigned)))
	}
	out = append(out, units)

	probs := section{head: t(lang, "rp_s_problems")}
	pt := table{sheet: t(lang, "rp_sheet_problems"), head: []string{t(lang, "rp_col_community"), t(lang, "rp_col_topic"), t(lang, "rp_col_received"),
		t(lang, "rp_col_days"), t(lang, "rp_col_closed"), t(lang, "rp_col_excerpt")}}
	for i, x := range r.Problems {
		topic := orUnknown(x.Topic, lang)
		if x.Subtopic != "" {
			topic += "（" + x.Subtopic + "）"
		}
		probs.paras = append(probs.paras, t(lang, "rp_problem", "i", itoa(i+1), "community", orUnknown(x.Community, lang), "topic", topic,
			"n", itoa(x.N), "days", itoa(x.Days), "closed", itoa(x.Closed), "excerpt", x.Excerpt))
		pt.rows = append(pt.rows, []cell{words(orUnknown(x.Community, lang)), words(topic), number(float64(x.N)), number(float64(x.Days)),
			number(float64(x.Closed)), words(x.Excerpt)})
	}
	if len(r.Problems) == 0 {
		probs.paras = append(probs.paras, t(lang, "rp_problems_none"))
	}
	probs.tables = []table{pt}
	out = append(out, probs)

	urgent := section{head: t(lang, "rp_s_urgent")}
	if n.Urgent == 0 {
		urgent.paras = []string{t(lang, "rp_urgent_none")}
	} else {
		urgent.paras = []string{t(lang, "rp_urgent", "n", itoa(n.Urgent), "mom", change(n.Urgent, p.Urgent, lang), "acked", itoa(n.Acked),
			"median", seconds(n.AckMedianS, lang), "worst", seconds(n.AckWorstS, lang), "unacked", itoa(n.Unacked))}
	}
	out = append(out, urgent)

	w := r.Info
	is := section{head: t(lang, "rp_s_info"), paras: []string{t(lang, "rp_info", "drafted", itoa(w.Drafted), "signed", itoa(w.Signed),
		"sent", itoa(w.Sent), "adopted", itoa(w.Adopted), "instructed", itoa(w.Instructed), "lag", duration(w.MedianLagH, lang))}}
	it := table{sheet: t(lang, "rp_sheet_info"), head: []string{t(lang, "rp_col_issue"), t(lang, "rp_col_title"), t(lang, "rp_col_state"),
		t(lang, "rp_col_sent"), t(lang, "rp_col_lag")}}
	for _, l := range w.Items {
		issue := (&info.Item{Year: l.Year, Number: l.Number}).Issue(lang)
		title := l.Title
		if title == "" {
			title = t(lang, "rp_info_hidden")
		}
		lag := l.LagH
		is.paras = append(is.paras, t(lang, "rp_info_line", "issue", issue, "title", title, "state", l.State.Label(lang),
			"sent", info.Day(lang, l.SentAt.In(loc)), "lag", duration(&lag, lang)))
		it.rows = append(it.rows, []cell{words(issue), words(title), words(l.State.Label(lang)), {at: l.SentAt.In(loc)},
			number(math.Round(lag*10) / 10)})
	}
	is.tables = []table{it}
	out = append(out, is)
	return out
}

// ppCell is a rate's change in percentage points, as a number.
func ppCell(now, base *float64) cell {
	if now == nil || base == nil {
		return cell{s: "—"}
	}
	return cell{n: math.Round((*now-*base)*1000) / 10, num: true}
}

func orUnknown(s, lang string) string {
	if s == "" {
		return t(lang, "rp_unknown")
	}
	return s
}

// head is the lines above the title: the office, the issue and the date.
func (r *Report) head(lang string, loc *time.Location) (org, issue, date string) {
	return r.Org, r.Issue(lang), info.Day(lang, r.Generated.In(loc))
}

// Text is the report for a chat: its paragraphs and the first lines of each table.
func (r *Report) Text(lang string, loc *time.Location) string {
	org, issue, date := r.head(lang, loc)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s %s\n%s\n", r.Title(lang), org, issue, date)
	for _, s := range r.sections(lang, loc) {
		b.WriteString("\n" + s.head + "\n")
		for _, p := range s.paras {
			b.WriteString(p + "\n")
		}
		for _, tb := range s.tables[:min(len(s.tables), 2)] {
			if s.head == t(lang, "rp_s_overview") || s.head == t(lang, "rp_s_problems") || s.head == t(lang, "rp_s_info") {
				continue // the paragraphs say it
			}
			for _, row := range tb.rows[:min(5, len(tb.rows))] {
				var cells []string
				for i, c := range row {
					cells = append(cells, tb.head[i]+" "+c.String())
				}
				b.WriteString("· " + strings.Join(cells, "，") + "\n")
			}
		}
	}
	return b.String()
}

// HTML is the report as a printable page: no scripts, no fonts from elsewhere.
func (r *Report) HTML(lang string, loc *time.Location) []byte {
	e := html.EscapeString
	org, issue, date := r.head(lang, loc)
	htmlLang := "zh-CN"
	if lang == "en" {
		htmlLang = "en"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!doctype html>
<html lang="%s"><head><meta charset="utf-8"><title>%s</title>
<style>
@page{size:A4;margin:20mm}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:#000;margin:24px;line-height:1.6;max-width:190mm}
.org{color:#c00000;text-align:center;font-size:26px;margin:0}.issue{text-align:center;margin:4px 0}
.date{text-align:right;border-bottom:2px solid #c00000;padding-bottom:4px}
h1{font-size:22px;text-align:center}h2{font-size:18px;border-bottom:1px solid #000;break-after:avoid}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #444;padding:2px 8px;text-align:left;font-size:13px}
th{background:#eee}td.n{text-align:right}.note{font-size:12px;color:#333}
</style></head><body>
<p class="org">%s</p><p class="issue">%s</p><p class="date">%s</p>
<h1>%s</h1>
`, htmlLang, e(r.Title(lang)), e(org), e(issue), e(date), e(r.Title(lang)))
	b.Write(r.Body(lang, loc))
	fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n</body></html>\n", e(t(lang, "rp_generated", "at", r.Generated.In(loc).Format("2006-01-02 15:04"))))
	return b.Bytes()
}

// Body is the report's parts as HTML, its words escaped: the printable page's
// body, and what the workbench shows in its own page.
func (r *Report) Body(lang string, loc *time.Location) []byte {
	e := html.EscapeString
	var b bytes.Buffer
	for _, s := range r.sections(lang, loc) {
		fmt.Fprintf(&b, "<h2>%s</h2>\n", e(s.head))
		for _, p := range s.paras {
			fmt.Fprintf(&b, "<p>%s</p>\n", e(p))
		}
		for _, tb := range s.tables {
			if len(tb.rows) == 0 {
				continue
			}
			b.WriteString("<table><tr>")
			for _, h := range tb.head {
				fmt.Fprintf(&b, "<th>%s</th>", e(h))
			}
			b.WriteString("</tr>\n")
			for _, row := range tb.rows {
				b.WriteString("<tr>")
				for _, c := range row {
					class := ""
					if c.num {
						class = ` class="n"`
					}
					fmt.Fprintf(&b, "<td%s>%s</td>", class, e(c.String()))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</table>\n")
		}
	}
	return b.Bytes()
}

// Document is the report as a Word document: the office's red head, the title,
// each part's paragraphs and tables.
func (r *Report) Document(lang string, loc *time.Location) *docx.Document {
	const red = "C00000"
	org, issue, date := r.head(lang, loc)
	d := &docx.Document{Title: r.Title(lang)}
	add := func(p docx.Paragraph) { d.Paragraphs = append(d.Paragraphs, p) }
	add(docx.Paragraph{Align: docx.Center, After: 6, Runs: []docx.Run{{Text: org, Font: "方正小标宋简体", Size: 26, Color: red}}})
	if issue != "" {
		add(docx.Paragraph{Align: docx.Center, After: 6, Runs: []docx.Run{{Text: issue, Size: 16}}})
	}
	add(docx.Paragraph{Align: docx.Right, RuleBelow: red, After: 18, Runs: []docx.Run{{Text: date, Size: 16}}})
	add(docx.Paragraph{Align: docx.Center, Before: 12, After: 18, Runs: []docx.Run{{Text: r.Title(lang), Font: "方正小标宋简体", Size: 22}}})
	for _, s := range r.sections(lang, loc) {
		add(docx.Paragraph{Indent: 2, Line: 28, Runs: []docx.Run{{Text: s.head, Font: "黑体", Size: 16}}})
		for _, p := range s.paras {
			add(docx.Paragraph{Indent: 2, Line: 28, Align: docx.Both, Runs: []docx.Run{{Text: p, Size: 16}}})
		}
		for _, tb := range s.tables {
			if len(tb.rows) == 0 {
				continue
			}
			rows := [][]string{tb.head}
			for _, row := range tb.rows {
				var cells []string
				for _, c := range row {
					cells = append(cells, c.String())
				}
				rows = append(rows, cells)
			}
			add(docx.Paragraph{Table: rows, After: 6})
		}
	}
	return d
}

// XLSX is the report's tables as a workbook: a sheet each, numbers as numbers,
// shares as percentages, dates as dates, the header frozen and filtered.
func (r *Report) XLSX(lang string, loc *time.Location) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEEEEE"}, Pattern: 1}})
	if err != nil {
		return nil, fmt.Errorf("report workbook: %w", err)
	}
	pctStyle, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, fmt.Errorf("report workbook: %w", err)
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, fmt.Errorf("report workbook: %w", err)
	}
	first := true
	for _, s := range r.sections(lang, loc) {
		for _, tb := range s.tables {
			name := tb.sheet
			if first {
				if err := f.SetSheetName("Sheet1", name); err != nil {
					return nil, fmt.Errorf("report workbook: %w", err)
				}
				first = false
			} else if _, err := f.NewSheet(name); err != nil {
				return nil, fmt.Errorf("report workbook: %w", err)
			}
			if err := writeSheet(f, name, tb, bold, pctStyle, dateStyle); err != nil {
				return nil, fmt.Errorf("report workbook %s: %w", name, err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("report workbook: %w", err)
	}
	return buf.Bytes(), nil
}

func writeSheet(f *excelize.File, sheet string, tb table, bold, pctStyle, dateStyle int) error {
	widths := make([]int, len(tb.head))
	for i, h := range tb.head {
		c, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sheet, c, h); err != nil {
			return err
		}
		widths[i] = width(h)
	}
	for y, row := range tb.rows {
		for x, v := range row {
			c, _ := excelize.CoordinatesToCellName(x+1, y+2)
			var err error
			switch {
			case !v.at.IsZero():
				err = f.SetCellValue(sheet, c, v.at)
				if err == nil {
					err = f.SetCellStyle(sheet, c, c, dateStyle)
				}
			case v.num:
				err = f.SetCellFloat(sheet, c, v.n, -1, 64)
				if err == nil && v.pct {
					err = f.SetCellStyle(sheet, c, c, pctStyle)
				}
			default:
				err = f.SetCellStr(sheet, c, v.s)
			}
			if err != nil {
				return err
			}
			widths[x] = max(widths[x], width(v.String()))
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(tb.head), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, float64(min(max(w+2, 8), 60))); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	end, _ := excelize.CoordinatesToCellName(len(tb.head), max(1, len(tb.rows)+1))
	return f.AutoFilter(sheet, "A1:"+end, nil)
}

// width is text's width in a sheet's character units: a Chinese character is two.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r > 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
