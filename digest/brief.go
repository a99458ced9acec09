package digest

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/tghtml"
)

// noEmoji drops pictographs, which print as empty boxes where no emoji font is installed.
func noEmoji(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || r == 0xFE0F {
			return -1
		}
		return r
	}, s))
}

// bw is a heading of the brief in lang (the catalog's brief_ messages).
func bw(lang, key string) string { return locale.Default().Render(lang, locale.Key("brief_"+key)) }

// HTML renders a printable brief: one page per section, charts as inline SVG, no
// scripts and no fonts from elsewhere, legible in black and white.
func (d *Digest) HTML(lang string, loc *time.Location) []byte {
	e := func(s string) string { return html.EscapeString(noEmoji(s)) }
	var b strings.Builder
	htmlLang := bw(lang, "html_lang")
	fmt.Fprintf(&b, `<!doctype html>
<html lang="%s"><head><meta charset="utf-8"><title>%s</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;color:#000;margin:24px;line-height:1.5}
section{page-break-after:always;break-after:page;margin-bottom:48px}
section:last-child{page-break-after:auto;break-after:auto}
h1{font-size:22px;border-bottom:2px solid #000}h2{font-size:18px;border-bottom:1px solid #000}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #444;padding:2px 8px;text-align:left;font-size:13px}
th{background:#eee}.org{font-size:20px;font-weight:bold;text-align:center;margin:0}.number{text-align:center;margin:4px 0 12px}.warn{border:2px solid #000;padding:6px;font-weight:bold}.note{font-size:12px;color:#333}
svg text{font-family:inherit}
@media print{body{margin:12mm}}
</style></head><body>
`, htmlLang, e(d.title(lang)))
	lines := d.htmlLines(lang, loc)
	section := func(title string) { fmt.Fprintf(&b, "<section>\n<h2>%s</h2>\n", e(title)) }
	end := func() { b.WriteString("</section>\n") }

	// page 1: the overview, reconciliation and summary, as in the message
	b.WriteString("<section>\n")
	if !d.Reconciled {
		fmt.Fprintf(&b, "<p class=\"warn\">%s</p>\n", e(w(lang, "mismatch", d.Accepted, d.Counted, idList(d.Missing, 50, lang))))
	}
	if d.Org != "" {
		fmt.Fprintf(&b, "<p class=\"org\">%s</p>\n", e(d.Org))
	}
	if d.Number > 0 {
		fmt.Fprintf(&b, "<p class=\"number\">%s</p>\n", e(d.number(lang)))
	}
	fmt.Fprintf(&b, "<h1>%s</h1>\n", e(d.title(lang)))
	if d.Late {
		fmt.Fprintf(&b, "<p><i>%s</i></p>\n", e(w(lang, "late")))
	}
	fmt.Fprintf(&b, "<p>%s</p>\n<p>%s</p>\n", e(w(lang, "overview", d.Received, d.Direct, d.Filed, d.Closed, d.Rejected, d.Duplicate, d.Open, d.Overdue)),
		e(w(lang, "rates", pct(d.ResponseRate), pct(d.ResolutionRate), pct(d.SatisfactionRate))))
	if d.Summary != "" {
		fmt.Fprintf(&b, "<h2>%s</h2>\n<p>%s</p>\n", e(w(lang, "s_summary")), e(d.Summary))
	} else if d.SummaryFailed {
		fmt.Fprintf(&b, "<p><i>%s</i></p>\n", e(w(lang, "summary_fail")))
	}
	if d.Reconciled {
		fmt.Fprintf(&b, "<p>%s</p>\n", e(w(lang, "reconciled", d.Accepted, d.Counted)))
	}
	fmt.Fprintf(&b, "<p class=\"note\">%s %s。%s</p>\n", e(bw(lang, "generated")), d.Generated.In(loc).Format("2006-01-02 15:04"), e(bw(lang, "masked_note")))
	end()

	section(bw(lang, "by_sector"))
	b.WriteString(barChart(d.BySector, lang))
	countTable(&b, d.BySector, lang)
	fmt.Fprintf(&b, "<h2>%s</h2>\n", e(bw(lang, "trend")))
	b.WriteString(lineChart(d.TrendDays, d.Trend, d.BySector))
	fmt.Fprintf(&b, "<h2>%s</h2>\n", e(bw(lang, "topics")))
	countTable(&b, d.ByTopic, lang)
	if len(d.Rising) > 0 {
		fmt.Fprintf(&b, "<p>%s</p>\n", e(w(lang, "rising", d.risingList(lang))))
	}
	end()

	section(bw(lang, "by_place"))
	b.WriteString(barChart(d.ByCommunity[:min(12, len(d.ByCommunity))], lang))
	countTable(&b, d.ByCommunity, lang)
	fmt.Fprintf(&b, "<h2>%s</h2>\n", e(bw(lang, "grids")))
	countTable(&b, d.ByGrid, lang)
	end()

	// the remaining sections are the message's, each on its page
	for _, s := range []struct{ from, to string }{{"s_groups", "s_flags"}, {"s_flags", "s_overdue"}} {
		section(w(lang, s.from))
		for _, line := range between(lines, w(lang, s.from), w(lang, s.to)) {
			fmt.Fprintf(&b, "<p>%s</p>\n", noEmoji(line))
		}
		end()
	}
	section(w(lang, "s_overdue", d.OverdueNowTotal))
	switch {
	case d.OverdueNowTotal == 0:
		fmt.Fprintf(&b, "<p>%s</p>\n", e(w(lang, "overdue_none")))
	case len(d.OverdueNow) > 0:
		fmt.Fprintf(&b, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n", e(bw(lang, "id")), e(bw(lang, "deadline")), e(bw(lang, "unit")), e(bw(lang, "excerpt")))
		for _, it := range d.OverdueNow {
			unit := it.Unit
			if unit == "" {
				unit = w(lang, "unit_none")
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", e(it.ID), it.Deadline.In(loc).Format("2006-01-02 15:04"), e(unit), e(it.Excerpt))
		}
		b.WriteString("</table>\n")
	}
	for _, line := range d.overdueLines(lang, len(d.OverdueNow)) {
		fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", e(line))
	}
	end()
	if d.LeadsChecked { // 待研判线索: on its own page, each with the command that drafts its 信息
		section(w(lang, "s_leads"))
		for _, line := range d.leadLines(lang, loc) {
			fmt.Fprintf(&b, "<p>%s</p>\n", e(line))
		}
		end()
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// between returns the message lines after the heading from, up to the heading to
// (headings are matched up to any number they carry).
func between(lines []string, from, to string) []string {
	from, _, _ = strings.Cut(from, "%")
	to, _, _ = strings.Cut(to, "%")
	var out []string
	in := false
	for _, l := range lines {
		plain := tghtml.StripTags(l)
		switch {
		case strings.HasPrefix(plain, from):
			in = true
			continue
		case strings.HasPrefix(plain, to):
			return out
		}
		if in && l != "" {
			out = append(out, l)
		}
	}
	return out
}

func countTable(b *strings.Builder, cs []Count, lang string) {
	e := html.EscapeString
	fmt.Fprintf(b, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n", e(bw(lang, "name")), e(bw(lang, "count")), e(bw(lang, "before")), e(bw(lang, "change")))
	for _, c := range cs {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%.1f</td><td>%s</td></tr>\n", e(orNone(c.Name, lang)), c.N, c.Before, e(change(c, lang)))
	}
	b.WriteString("</table>\n")
}

// barChart draws horizontal bars, labelled with their names and counts.
func barChart(cs []Count, lang string) string {
	const width, rowH, labelW = 640, 26, 150
	top := 0
	for _, c := range cs {
		top = max(top, c.N)
	}
	h := len(cs)*rowH + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`+"\n", width, h, width, h)
	for i, c := range cs {
		y := i*rowH + 5
		bar := 0
		if top > 0 {
			bar = c.N * (width - labelW - 60) / top
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="end">%s</text>`, labelW-6, y+16, html.EscapeString(orNone(c.Name, lang)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#444" stroke="#000"/>`, labelW, y+3, max(bar, 1), rowH-8)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13">%d</text>`+"\n", labelW+max(bar, 1)+6, y+16, c.N)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// Line styles that tell the series apart without colour.
var dashes = []string{"", "8 4", "2 3", "10 4 2 4", "1 5", "14 6"}

// lineChart draws each sector's daily counts, told apart by dash and marker, and
// labelled at the line's end.
func lineChart(days []string, series map[string][]int64, order []Count) string {
	const width, height, left, right, top, bottom = 720, 300, 40, 110, 16, 30
	peak := int64(1)
	for _, s := range series {
		for _, v := range s {
			peak = max(peak, v)
		}
	}
	x := func(i int) float64 {
		if len(days) < 2 {
			return left
		}
		return left + float64(i)*float64(width-left-right)/float64(len(days)-1)
	}
	y := func(v int64) float64 {
		return float64(height-bottom) - float64(v)*float64(height-bottom-top)/float64(peak)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`, left, height-bottom, width-right, height-bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`, left, top, left, height-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%d</text>`+"\n", left-4, top+8, peak)
	for i, d := range days {
		anchor := "middle"
		if i == len(days)-1 {
			anchor = "end" // clear of the lines' names to its right
		} else if i%2 != 0 || i == len(days)-2 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" font-size="10" text-anchor="%s">%s</text>`, x(i), height-bottom+14, anchor, d[4:6]+"-"+d[6:])
	}
	b.WriteString("\n")
	// labels at the lines' ends, pushed apart where lines end close together
	var labels []endLabel
	for _, c := range order {
		if s := series[c.Name]; len(s) > 0 {
			labels = append(labels, endLabel{c.Name, y(s[len(s)-1]) + 4})
		}
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i].y < labels[j].y })
	for i := 1; i < len(labels); i++ {
		labels[i].y = math.Max(labels[i].y, labels[i-1].y+13)
	}
	// and kept above the axis: names pushed below it move the ones above up
	for i := len(labels) - 1; i >= 0; i-- {
		limit := float64(height - bottom + 4)
		if i < len(labels)-1 {
			limit = labels[i+1].y - 13
		}
		labels[i].y = math.Min(labels[i].y, limit)
	}
	for _, l := range labels {
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="12">%s</text>`+"\n", width-right+10, l.y, html.EscapeString(l.name))
	}
	for k, c := range order {
		s := series[c.Name]
		if len(s) == 0 {
			continue
		}
		var pts []string
		for i, v := range s {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		dash := ""
		if d := dashes[k%len(dashes)]; d != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, d)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#000" stroke-width="1.6"%s points="%s"/>`+"\n", dash, strings.Join(pts, " "))
		for i, v := range s {
			b.WriteString(marker(k, x(i), y(v)))
		}
		b.WriteString(marker(k, float64(width-right+2), labelY(labels, c.Name)-4))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// endLabel is a line's name where it ends.
type endLabel struct {
	name string
	y    float64
}

func labelY(labels []endLabel, name string) float64 {
	for _, l := range labels {
		if l.name == name {
			return l.y
		}
	}
	return 0
}

// marker draws the k-th series' point shape: circle, square, triangle, cross…
func marker(k int, x, y float64) string {
	switch k % 6 {
	case 0:
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="3" fill="#000"/>`, x, y)
	case 1:
		return fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="6" height="6" fill="#fff" stroke="#000"/>`, x-3, y-3)
	case 2:
		return fmt.Sprintf(`<path d="M%.1f %.1f l3.5 6 h-7z" fill="#000"/>`, x, y-3.5)
	case 3:
		return fmt.Sprintf(`<path d="M%.1f %.1f l6 6 m0 -6 l-6 6" stroke="#000"/>`, x-3, y-3)
	case 4:
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="3" fill="#fff" stroke="#000"/>`, x, y)
	}
	return fmt.Sprintf(`<path d="M%.1f %.1f l3.5 3.5 l-3.5 3.5 l-3.5 -3.5z" fill="#000"/>`, x, y-3.5)
}
