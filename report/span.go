// Package report builds the office's periodic analysis (综合分析): a month's,
// a quarter's or a year's concerns with 环比 and 同比, rankings of communities,
// grids and units, the main shared problems, urgent response and the
// information work, read a day at a time so that a year of a busy office is
// never all in memory. It renders them for a chat, as a printable page, a
// workbook and a Word document.
package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/locale"
)

// Kind is how long a span is.
type Kind string

// The kinds of span.
const (
	Month   Kind = "month"
	Quarter Kind = "quarter"
	Year    Kind = "year"
)

// Span is a calendar month, quarter or year in the office's time zone.
type Span struct {
	Kind Kind
	Year int
	// N is the month (1–12) or quarter (1–4); 0 for a year.
	N   int
	loc *time.Location
}

// Fault names what is wrong with a span as typed.
type Fault string

// The problems Parse reports.
const (
	BadSpan Fault = "bad_span" // not 2026-11, 2026-Q4 or 2026
	Future  Fault = "future"   // has not begun
)

// Error is a span Parse refuses.
type Error struct {
	Problem Fault
	Input   string
}

func (e *Error) Error() string {
	if e.Problem == Future {
		return fmt.Sprintf("%s has not begun yet", e.Input)
	}
	return fmt.Sprintf("%q is not a month, quarter or year like 2026-11, 2026-Q4 or 2026", e.Input)
}

// Parse reads a span as staff type it: 2026-11 (or 2026年11月), 2026-Q4 (or
// 2026q4), 2026 (or 2026年); "" is last month. A span that has not begun is
// refused, unless now is zero.
func Parse(s string, now time.Time, loc *time.Location) (Span, error) {
	in := s
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer("年", "-", "月", "", " ", "").Replace(s)
	s = strings.TrimSuffix(s, "-")
	var sp Span
	switch {
	case s == "":
		t := time.Date(now.In(loc).Year(), now.In(loc).Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0)
		return Span{Kind: Month, Year: t.Year(), N: int(t.Month()), loc: loc}, nil
	case len(s) == 4:
		y, err := strconv.Atoi(s)
		if err != nil {
			return Span{}, &Error{BadSpan, in}
		}
		sp = Span{Kind: Year, Year: y}
	default:
		y, rest, ok := strings.Cut(s, "-")
		if !ok && len(s) > 4 && s[4] == 'Q' {
			y, rest, ok = s[:4], s[4:], true
		}
		year, err := strconv.Atoi(y)
		if !ok || err != nil || len(y) != 4 {
			return Span{}, &Error{BadSpan, in}
		}
		if q, isQ := strings.CutPrefix(rest, "Q"); isQ {
			n, err := strconv.Atoi(q)
			if err != nil || n < 1 || n > 4 || len(q) != 1 {
				return Span{}, &Error{BadSpan, in}
			}
			sp = Span{Kind: Quarter, Year: year, N: n}
		} else {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 || n > 12 || len(rest) > 2 {
				return Span{}, &Error{BadSpan, in}
			}
			sp = Span{Kind: Month, Year: year, N: n}
		}
	}
	if sp.Year < 2000 || sp.Year > 2999 {
		return Span{}, &Error{BadSpan, in}
	}
	sp.loc = loc
	if now.IsZero() {
		return sp, nil // read back from the archive: no clock to hold it to
	}
	if sp.From().After(now) {
		return Span{}, &Error{Future, in}
	}
	return sp, nil
}

// In is the span in a time zone (spans built by hand need one).
func (s Span) In(loc *time.Location) Span { s.loc = loc; return s }

func (s Span) location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// From is the span's first midnight.
func (s Span) From() time.Time {
	switch s.Kind {
	case Month:
		return time.Date(s.Year, time.Month(s.N), 1, 0, 0, 0, 0, s.location())
	case Quarter:
		return time.Date(s.Year, time.Month(3*s.N-2), 1, 0, 0, 0, 0, s.location())
	}
	return time.Date(s.Year, 1, 1, 0, 0, 0, 0, s.location())
}

// End is the midnight after the span.
func (s Span) End() time.Time {
	switch s.Kind {
	case Month:
		return s.From().AddDate(0, 1, 0)
	case Quarter:
		return s.From().AddDate(0, 3, 0)
	}
	return s.From().AddDate(1, 0, 0)
}

// Days are the span's days, in order.
func (s Span) Days() []time.Time {
	var out []time.Time
	for d := s.From(); d.Before(s.End()); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// Prev is the span before (环比): the month, quarter or year before.
func (s Span) Prev() Span {
	switch s.Kind {
	case Month:
		t := s.From().AddDate(0, -1, 0)
		return Span{Kind: Month, Year: t.Year(), N: int(t.Month()), loc: s.loc}
	case Quarter:
		if s.N == 1 {
			return Span{Kind: Quarter, Year: s.Year - 1, N: 4, loc: s.loc}
		}
		return Span{Kind: Quarter, Year: s.Year, N: s.N - 1, loc: s.loc}
	}
	return Span{Kind: Year, Year: s.Year - 1, loc: s.loc}
}

// YearAgo is the same span a year before (同比); for a year it is the year before.
func (s Span) YearAgo() Span { s.Year--; return s }

// String is the span as Parse reads it: 2026-11, 2026-Q4, 2026.
func (s Span) String() string {
	switch s.Kind {
	case Month:
		return fmt.Sprintf("%d-%02d", s.Year, s.N)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", s.Year, s.N)
	}
	return strconv.Itoa(s.Year)
}

// Title is the span in words: 2026年11月, 2026年第四季度, 2026年度.
func (s Span) Title(lang string) string {
	cat := locale.Default()
	y := strconv.Itoa(s.Year)
	switch s.Kind {
	case Month:
		if lang == "en" {
			return s.From().Format("January 2006")
		}
		return cat.Render(lang, "rp_span_month", "year", y, "n", strconv.Itoa(s.N))
	case Quarter:
		return cat.Render(lang, "rp_span_quarter", "year", y, "n", cat.Render(lang, locale.Key("rp_q"+strconv.Itoa(s.N))))
	}
	return cat.Render(lang, "rp_span_year", "year", y)
}
