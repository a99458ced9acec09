// Package period reads the periods digests cover: a day, a run of days, or the
// last N days, in the office's time zone.
package period

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxDays is the longest period a digest covers.
const MaxDays = 92

// Period is a run of whole days, From and To included, in a time zone.
type Period struct {
	From, To time.Time // midnights
}

// Problem names what is wrong with a period, so that callers can word it in their language.
type Problem string

// The problems Parse reports.
const (
	BadDate  Problem = "bad_date" // not a date like 2026-11-25
	BadDays  Problem = "bad_days" // "Nd" without a whole number of days
	Reversed Problem = "reversed" // ends before it begins
	TooLong  Problem = "too_long" // more than MaxDays days
	Future   Problem = "future"   // begins after today
)

// Error is a period Parse refuses: the problem and the text it was found in.
type Error struct {
	Problem Problem
	Input   string
}

func (e *Error) Error() string {
	switch e.Problem {
	case BadDate:
		return fmt.Sprintf("%q is not a date like 2026-11-25", e.Input)
	case BadDays:
		return fmt.Sprintf("%q: write the number of days, such as 7d", e.Input)
	case Reversed:
		return fmt.Sprintf("%s ends before it begins", e.Input)
	case TooLong:
		return fmt.Sprintf("%s: a digest covers at most %d days", e.Input, MaxDays)
	case Future:
		return fmt.Sprintf("%s has not begun yet", e.Input)
	}
	return fmt.Sprintf("%s: %s", e.Input, e.Problem)
}

// Parse reads a period as staff type it: "" (yesterday), "today", "yesterday",
// "2026-11-25", "7d" (the last seven days, today included) or
// "2026-11-01..2026-11-15". now and loc decide what today is.
func Parse(s string, now time.Time, loc *time.Location) (Period, error) {
	today := Day(now, loc)
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "yesterday", "昨天":
		d := today.AddDate(0, 0, -1)
		return Period{d, d}, nil
	case "today", "今天":
		return Period{today, today}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return Period{}, &Error{BadDays, s}
		}
		if days > MaxDays {
			return Period{}, &Error{TooLong, s}
		}
		return Period{today.AddDate(0, 0, 1-days), today}, nil
	}
	a, b, isRange := strings.Cut(s, "..")
	from, err := parseDate(a, loc)
	if err != nil {
		return Period{}, err
	}
	to := from
	if isRange {
		if to, err = parseDate(b, loc); err != nil {
			return Period{}, err
		}
	}
	p := Period{from, to}
	switch {
	case to.Before(from):
		return Period{}, &Error{Reversed, s}
	case from.After(today):
		return Period{}, &Error{Future, s}
	case p.Days() > MaxDays:
		return Period{}, &Error{TooLong, s}
	}
	return p, nil
}

func parseDate(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, &Error{BadDate, strings.TrimSpace(s)}
	}
	return t, nil
}

// Day is the midnight that begins t's day in loc.
func Day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Days counts the period's days.
func (p Period) Days() int {
	n := 0
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// Each lists the period's days.
func (p Period) Each() []time.Time {
	var out []time.Time
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// End is the instant the period ends (the next midnight).
func (p Period) End() time.Time { return p.To.AddDate(0, 0, 1) }

// Contains reports whether t falls within the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.End()) }

// Before is the n days just before the period, for comparison.
func (p Period) Before(n int) Period {
	return Period{p.From.AddDate(0, 0, -n), p.From.AddDate(0, 0, -1)}
}

// String is "2026-11-25" or "2026-11-01..2026-11-15".
func (p Period) String() string {
	if p.From.Equal(p.To) {
		return p.From.Format("2006-01-02")
	}
	return p.From.Format("2006-01-02") + ".." + p.To.Format("2006-01-02")
}

// Key is a day's key in the store, like 20261125.
func Key(d time.Time) string { return d.Format("20060102") }

// Args renders the period for a command effect; FromArgs reads it back.
func (p Period) Args() []string {
	return []string{p.From.Format("2006-01-02"), p.To.Format("2006-01-02")}
}

// FromArgs reads a period written by Args.
func FromArgs(args []string, loc *time.Location) (Period, error) {
	if len(args) < 2 {
		return Period{}, errors.New("period needs two dates")
	}
	return Parse(args[0]+".."+args[1], time.Now(), loc)
}
