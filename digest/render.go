package digest

import (
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/tghtml"
)

// w is the digest's own wording of key in lang (the catalog's dg_ messages),
// fmt's verbs filled from args.
func w(lang, key string, args ...any) string {
	return locale.Default().Printf(lang, locale.Key("dg_"+key), args...)
}

// seconds words a delay: seconds under a minute, then minutes, then hours and minutes.
func seconds(v float64, lang string) string {
	switch n := int(v + 0.5); {
	case n < 60:
		return w(lang, "dur_sec", n)
	case n < 3600:
		return w(lang, "dur_min", (n+30)/60)
	default:
		m := (n + 30) / 60
		return w(lang, "dur_hour", m/60, m%60)
	}
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.Itoa(int(*v*100+0.5)) + "%"
}

func change(c Count, lang string) string {
	if c.Change == nil {
		if c.N > 0 {
			return w(lang, "new")
		}
		return "—"
	}
	if c.Before < 1 {
		// a percentage of less than one a day says more about the base than the change
		return w(lang, "per_day", *c.Change*c.Before)
	}
	v := int(*c.Change*100 + 0.5*sign(*c.Change))
	if v >= 0 {
		return "+" + strconv.Itoa(v) + "%"
	}
	return strconv.Itoa(v) + "%"
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func orNone(s, lang string) string {
	if s == "" {
		return w(lang, "untagged")
	}
	return s
}

// idList lists ids, the first n of them, saying how many more there are.
func idList(ids []string, n int, lang string) string {
	if len(ids) <= n {
		return strings.Join(ids, "、")
	}
	return strings.Join(ids[:n], "、") + " " + w(lang, "and_more", len(ids))
}

func (d *Digest) title(lang string) string {
	if d.From == d.To {
		return w(lang, "title_day", d.From)
	}
	return w(lang, "title_range", d.From, d.To)
}

// number is the digest's issue number, like 〔2026〕第12期, of the year its period ends in.
func (d *Digest) number(lang string) string {
	year := d.Period.To.Year()
	if d.Period.To.IsZero() && len(d.To) >= 4 {
		year, _ = strconv.Atoi(d.To[:4]) // a digest read back from JSON has no Period
	}
	return w(lang, "number", year, d.Number)
}

// risingList words the topics rising fastest, in their order (by their figure).
func (d *Digest) risingList(lang string) string {
	var r []string
	for _, c := range d.Rising {
		r = append(r, c.Name+" "+change(c, lang))
	}
	return strings.Join(r, w(lang, "list_sep"))
}

// overdueLines are what the overdue list says besides its items: that the
// overview's 其中超期 is the period's own and this list everything overdue now,
// and, when it lists only the first shown of them, where the rest are.
func (d *Digest) overdueLines(lang string, shown int) []string {
	var l []string
	switch {
	case d.OverdueNowTotal > shown && shown > 0:
		l = append(l, w(lang, "overdue_more", d.OverdueNowTotal, shown))
	case d.OverdueNowTotal > 0 && shown == 0:
		l = append(l, w(lang, "overdue_unlisted", d.OverdueNowTotal)) // all of them sensitive
	}
	if d.OverdueNowTotal > 0 || d.Overdue > 0 {
		l = append(l, w(lang, "overdue_note", d.Overdue, d.OverdueNowTotal))
	}
	return l
}

// Telegram renders the digest as Telegram HTML, in messages under 4,096 characters.
// The first line says so when the counts do not reconcile.
func (d *Digest) Telegram(lang string, loc *time.Location) []string {
	return SplitHTML(strings.Join(d.htmlLines(lang, loc), "\n"), 4096)
}

// Text renders the digest as plain text.
func (d *Digest) Text(lang string, loc *time.Location) string {
	return tghtml.StripTags(strings.Join(d.htmlLines(lang, loc), "\n"))
}

// htmlLines builds the Telegram text; every tag opens and closes on its own line,
// so that the text can be split between lines.
func (d *Digest) htmlLines(lang string, loc *time.Location) []string {
	e := html.EscapeString
	var l []string
	if !d.Reconciled {
		l = append(l, "<b>"+e(w(lang, "mismatch", d.Accepted, d.Counted, idList(d.Missing, 20, lang)))+"</b>")
	}
	if d.Org != "" {
		l = append(l, e(d.Org))
	}
	l = append(l, "<b>"+e(d.title(lang))+"</b>")
	if d.Number > 0 {
		l = append(l, e(d.number(lang)))
	}
	if d.Late {
		l = append(l, "<i>"+e(w(lang, "late"))+"</i>")
	}
	l = append(l, "", "<b>"+e(w(lang, "s_overview"))+"</b>",
		e(w(lang, "overview", d.Received, d.Direct, d.Filed, d.Closed, d.Rejected, d.Duplicate, d.Open, d.Overdue)),
		e(w(lang, "rates", pct(d.ResponseRate), pct(d.ResolutionRate), pct(d.SatisfactionRate))))
	if d.Summary != "" {
		l = append(l, "", "<b>"+e(w(lang, "s_summary"))+"</b>", e(d.Summary))
	} else if d.SummaryFailed {
		l = append(l, "", "<i>"+e(w(lang, "summary_fail"))+"</i>")
	}
	counts := func(cs []Count, n int) {
		for _, c := range cs[:min(n, len(cs))] {
			l = append(l, e(fmt.Sprintf("%s  %d（%s）", orNone(c.Name, lang), c.N, change(c, lang))))
		}
	}
	l = append(l, "", "<b>"+e(w(lang, "s_sector"))+"</b>")
	counts(d.BySector, 6)
	l = append(l, "", "<b>"+e(w(lang, "s_topic"))+"</b>")
	counts(d.ByTopic, 10)
	if len(d.Rising) > 0 {
		l = append(l, e(w(lang, "rising", d.risingList(lang))))
	}
	l = append(l, "", "<b>"+e(w(lang, "s_place"))+"</b>")
	counts(d.ByCommunity, 10)
	counts(d.ByGrid, 10)
	l = append(l, "", "<b>"+e(w(lang, "s_groups"))+"</b>")
	if len(d.Groups) == 0 {
		l = append(l, e(w(lang, "no_groups")))
	}
	for i, g := range d.Groups[:min(10, len(d.Groups))] {
		rec := ""
		if g.Recurring > 0 {
			rec = w(lang, "recurring", g.Recurring)
		}
		l = append(l, "<b>"+e(w(lang, "group", i+1, g.Count, orNone(g.Community, lang), orNone(g.Topic, lang), rec))+"</b>",
			"「"+e(g.Excerpt)+"」", e(idList(g.IDs, 10, lang)))
	}
	l = append(l, "", "<b>"+e(w(lang, "s_flags"))+"</b>")
	if len(d.Urgent) == 0 {
		l = append(l, e(w(lang, "urgent_none")))
	}
	for _, it := range d.Urgent[:min(20, len(d.Urgent))] {
		l = append(l, e("🚨 "+it.ID+" · "+orNone(it.Community, lang)+" · "+it.Reason+" · 「"+it.Excerpt+"」"))
	}
	switch {
	case d.Acked > 0:
		l = append(l, e(w(lang, "ack_times", seconds(*d.AckMedianS, lang), seconds(*d.AckWorstS, lang), d.Acked, d.Unacked)))
	case d.Unacked > 0:
		l = append(l, e(w(lang, "ack_none", d.Unacked)))
	}
	if len(d.Sensitive) > 0 {
		var ids []string
		for _, it := range d.Sensitive {
			ids = append(ids, it.ID)
		}
		l = append(l, e(w(lang, "sensitive_hdr", idList(ids, 20, lang))))
	}
	if len(d.Unsure) > 0 {
		var ids []string
		for _, it := range d.Unsure {
			ids = append(ids, it.ID)
		}
		l = append(l, e(w(lang, "unsure_hdr", len(d.Unsure), idList(ids, 20, lang))))
	}
	l = append(l, "", "<b>"+e(w(lang, "s_overdue", d.OverdueNowTotal))+"</b>")
	if d.OverdueNowTotal == 0 {
		l = append(l, e(w(lang, "overdue_none")))
	}
	shown := d.OverdueNow[:min(20, len(d.OverdueNow))]
	for _, it := range shown {
		unit := it.Unit
		if unit == "" {
			unit = w(lang, "unit_none")
		}
		l = append(l, e(w(lang, "overdue_line", it.ID, it.Deadline.In(loc).Format("01-02 15:04"), unit, "「"+it.Excerpt+"」")))
	}
	for _, line := range d.overdueLines(lang, len(shown)) {
		l = append(l, e(line))
	}
	if d.LeadsChecked {
		l = append(l, "", "<b>"+e(w(lang, "s_leads"))+"</b>")
		for _, line := range d.leadLines(lang, loc) {
			l = append(l, e(line))
		}
	}
	l = append(l, "")
	if d.Reconciled {
		l = append(l, e(w(lang, "reconciled", d.Accepted, d.Counted)))
	} else {
		l = append(l, "<b>"+e(w(lang, "unreconciled", d.Accepted, d.Counted))+"</b>")
	}
	return l
}

// SplitHTML cuts Telegram HTML into messages of at most limit UTF-16 units, between
// lines. A line too long for one message loses its tags and is cut between
// characters, never inside an entity like &amp;.
func SplitHTML(text string, limit int) []string {
	var out []string
	var cur strings.Builder
	size := 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			size = 0
		}
	}
	for _, line := range strings.Split(text, "\n") {
		n := units(line) + 1
		if n > limit {
			flush()
			for _, part := range cutPlain(tghtml.StripOnlyTags(line), limit) {
				out = append(out, part)
			}
			continue
		}
		if size+n > limit {
			flush()
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		size += n
	}
	flush()
	return out
}

func units(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

// cutPlain cuts escaped text into pieces of at most limit units, not inside an entity.
func cutPlain(s string, limit int) []string {
	var out []string
	for s != "" {
		size, end, entity := 0, 0, -1
		for i, r := range s {
			u := len(utf16.Encode([]rune{r}))
			if size+u > limit {
				break
			}
			switch r {
			case '&':
				entity = i
			case ';':
				entity = -1
			}
			size += u
			end = i + len(string(r))
		}
		if end < len(s) && entity >= 0 && entity > 0 {
			end = entity // do not leave &amp half here, half there
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// JSON renders the digest as JSON.
func (d *Digest) JSON() ([]byte, error) { return json.MarshalIndent(d, "", "  ") }

// leadLines are the 待研判线索, each with the command that drafts its 信息.
func (d *Digest) leadLines(lang string, loc *time.Location) []string {
	if len(d.Leads) == 0 {
		return []string{w(lang, "leads_none")}
	}
	var l []string
	for _, ld := range d.Leads[:min(20, len(d.Leads))] {
		from := strings.Join(ld.IDs[:min(10, len(ld.IDs))], " ")
		var line string
		switch ld.Kind {
		case LeadGroup:
			from = ld.Key
			line = w(lang, "lead_group", len(ld.IDs), orNone(ld.Community, lang), orNone(ld.Topic, lang), ld.Excerpt)
		case LeadRising:
			line = w(lang, "lead_rising", ld.Topic, change(ld.Rise, lang), len(ld.IDs))
		case LeadUrgent:
			line = w(lang, "lead_urgent", ld.IDs[0], ld.Since.In(loc).Format("01-02"), int(d.Generated.Sub(ld.Since).Hours()/24), ld.Excerpt)
		case LeadSensitive:
			line = w(lang, "lead_sensitive", ld.IDs[0], ld.Since.In(loc).Format("01-02"), int(d.Generated.Sub(ld.Since).Hours()/24))
		}
		if ld.Drafted != 0 {
			line += w(lang, "lead_drafted", ld.Drafted)
		} else {
			line += " → /info new " + from
		}
		l = append(l, line)
	}
	if len(d.Leads) > 20 {
		l = append(l, w(lang, "leads_more", len(d.Leads)-20))
	}
	return l
}
