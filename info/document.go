package info

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/locale"
)

// Dated is the day the item carries: when it was sent, else signed, else now.
func (it *Item) Dated(now time.Time) time.Time {
	if !it.SentAt.IsZero() {
		return it.SentAt
	}
	for i := len(it.History) - 1; i >= 0; i-- {
		if it.History[i].State == Signed {
			return it.History[i].At
		}
	}
	return now
}

// Day words a date as official documents do (2026年12月2日).
func Day(lang string, t time.Time) string {
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// section is one headed part of the body.
type section struct {
	Head  string
	Paras []string
}

// sections are the body's parts in lang: 基本情况, 群众反映, 原因分析, 意见建议.
func (it *Item) sections(lang string, loc *time.Location) []section {
	cat := locale.Default()
	var quotes []string
	for _, q := range it.Quotes {
		quotes = append(quotes, cat.Render(lang, "info_quote", "text", q.Text))
	}
	if len(quotes) == 0 && len(it.Evidence) == 0 {
		quotes = []string{cat.Render(lang, "info_no_quotes")}
	}
	for _, e := range it.Evidence {
		quotes = append(quotes, cat.Render(lang, "info_evidence", "text", e))
	}
	return []section{
		{cat.Render(lang, "info_sec_situation"), []string{it.Situation(lang, loc)}},
		{cat.Render(lang, "info_sec_quotes"), quotes},
		{cat.Render(lang, "info_sec_analysis"), paragraphs(it.Analysis)},
		{cat.Render(lang, "info_sec_suggestions"), paragraphs(it.Suggestions)},
	}
}

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// head is the red head's lines: the name, the issue (and 急报), the office and the date.
func (it *Item) head(lang string, now time.Time, loc *time.Location) (name, issue, org, date string) {
	cat := locale.Default()
	issue = it.Issue(lang)
	if issue == "" {
		issue = cat.Render(lang, "info_issue_none")
	}
	if it.Urgent {
		issue = cat.Render(lang, "info_urgent_mark") + " " + issue
	}
	return cat.Render(lang, "info_head"), issue, cat.Render(lang, "info_org_line", "org", it.Org), Day(lang, it.Dated(now).In(loc))
}

// Document is the item as a Word document in the usual layout of a 信息: the
// red head (社情民意信息, 期号, 报送单位 and date over a red rule), the title, and
// the body in 仿宋 三号 with headings in 黑体.
func (it *Item) Document(lang string, now time.Time, loc *time.Location) *docx.Document {
	const red = "C00000"
	name, issue, org, date := it.head(lang, now, loc)
	d := &docx.Document{Title: it.Title}
	add := func(p docx.Paragraph) { d.Paragraphs = append(d.Paragraphs, p) }
	add(docx.Paragraph{Align: docx.Center, After: 6, Runs: []docx.Run{{Text: name, Font: "方正小标宋简体", Size: 36, Color: red}}})
	add(docx.Paragraph{Align: docx.Center, After: 6, Runs: []docx.Run{{Text: issue, Size: 16}}})
	add(docx.Paragraph{RightTab: true, RuleBelow: red, After: 18, Runs: []docx.Run{{Text: org, Size: 16}, {Text: date, Size: 16, Tab: true}}})
	add(docx.Paragraph{Align: docx.Center, Before: 12, After: 18, Runs: []docx.Run{{Text: it.Title, Font: "方正小标宋简体", Size: 22}}})
	if it.ByModel && it.Editable() {
		add(docx.Paragraph{Runs: []docx.Run{{Text: locale.Default().Render(lang, "info_model_mark"), Size: 12, Color: red}}})
	}
	for _, s := range it.sections(lang, loc) {
		add(docx.Paragraph{Indent: 2, Line: 28, Runs: []docx.Run{{Text: s.Head, Font: "黑体", Size: 16}}})
		for _, p := range s.Paras {
			add(docx.Paragraph{Indent: 2, Line: 28, Align: docx.Both, Runs: []docx.Run{{Text: p, Size: 16}}})
		}
	}
	return d
}

var page = template.Must(template.New("info").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
@page{size:A4;margin:37mm 26mm 35mm 28mm}
body{font-family:"FangSong","仿宋_GB2312","STFangsong",serif;font-size:16pt;line-height:28pt;max-width:156mm;margin:2em auto;color:#000}
.name{color:#c00000;text-align:center;font-size:36pt;line-height:1.3;font-family:"方正小标宋简体","SimSun",serif;margin:0}
.issue{text-align:center;margin:.3em 0}
.org{display:flex;justify-content:space-between;border-bottom:2px solid #c00000;padding-bottom:.3em;margin-bottom:1.2em}
h1{text-align:center;font-size:22pt;line-height:1.4;font-family:"方正小标宋简体","SimSun",serif;font-weight:normal}
h2{font-family:"黑体","SimHei",sans-serif;font-size:16pt;font-weight:normal;text-indent:2em;margin:0}
p{text-indent:2em;margin:0;text-align:justify}.mark{color:#c00000;text-indent:0;font-size:12pt}
</style></head><body>
<p class="name">{{.Name}}</p><p class="issue">{{.Issue}}</p>
<div class="org"><span>{{.Org}}</span><span>{{.Date}}</span></div>
<h1>{{.Title}}</h1>{{with .Mark}}<p class="mark">{{.}}</p>{{end}}
{{range .Sections}}<h2>{{.Head}}</h2>{{range .Paras}}<p>{{.}}</p>{{end}}{{end}}
</body></html>`))

// HTML is the item as a printable page, laid out as the document is.
func (it *Item) HTML(lang string, now time.Time, loc *time.Location) ([]byte, error) {
	name, issue, org, date := it.head(lang, now, loc)
	mark := ""
	if it.ByModel && it.Editable() {
		mark = locale.Default().Render(lang, "info_model_mark")
	}
	htmlLang := "zh-CN"
	if lang == "en" {
		htmlLang = "en"
	}
	var b bytes.Buffer
	err := page.Execute(&b, map[string]any{"Lang": htmlLang, "Title": it.Title, "Name": name, "Issue": issue, "Org": org, "Date": date,
		"Mark": mark, "Sections": it.sections(lang, loc)})
	if err != nil {
		return nil, fmt.Errorf("info page: %w", err)
	}
	return b.Bytes(), nil
}

// Text is the item as plain text, for a chat: the head, the title and the body.
func (it *Item) Text(lang string, now time.Time, loc *time.Location) string {
	name, issue, org, date := it.head(lang, now, loc)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n%s  %s\n\n%s\n", name, issue, org, date, it.Title)
	if it.ByModel && it.Editable() {
		b.WriteString(locale.Default().Render(lang, "info_model_mark") + "\n")
	}
	for _, s := range it.sections(lang, loc) {
		b.WriteString("\n" + s.Head + "\n")
		for _, p := range s.Paras {
			b.WriteString(p + "\n")
		}
	}
	return b.String()
}

// Template fills 原因分析 and 意见建议 from the facts, for staff to complete
// when no LLM drafts them.
func (it *Item) Template(lang string) (analysis, suggestions string) {
	cat := locale.Default()
	topic := it.Topic
	if topic == "" {
		topic = cat.Render(lang, "info_topic_unknown")
	}
	where := strings.Join(it.Facts.Communities, "、")
	if where == "" {
		where = cat.Render(lang, "info_where_unknown")
	}
	args := []string{"topic", topic, "where", where, "concerns", fmt.Sprint(it.Facts.Concerns), "open", fmt.Sprint(it.Facts.Concerns - it.Facts.Closed)}
	return cat.Render(lang, "info_template_analysis", args...), cat.Render(lang, "info_template_suggestions", args...)
}
