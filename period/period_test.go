package period

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-26 00:30 in Shanghai is still the 25th in UTC
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"":                           "2026-11-25",
		"yesterday":                  "2026-11-25",
		"today":                      "2026-11-26",
		"2026-11-20":                 "2026-11-20",
		"7d":                         "2026-11-20..2026-11-26",
		"1d":                         "2026-11-26",
		"2026-11-01..2026-11-15":     "2026-11-01..2026-11-15",
		" 2026-11-01 .. 2026-11-01 ": "2026-11-01",
		"2026-08-27..2026-11-26":     "2026-08-27..2026-11-26", // 92 days
	} {
		p, err := Parse(in, now, sh)
		if err != nil || p.String() != want {
			t.Errorf("Parse(%q) = %s, %v; want %s", in, p, err, want)
		}
	}
	for in, want := range map[string]string{
		"2026-13-01":             "is not a date",
		"yesterweek":             "is not a date",
		"2026-11-15..2026-11-01": "ends before it begins",
		"2026-08-26..2026-11-26": "at most 92 days",
		"93d":                    "at most 92 days",
		"xd":                     "write the number of days",
		"0d":                     "write the number of days",
		"2026-11-01..":           "is not a date",
		"2026-11-27":             "has not begun yet",
		"2026-11-27..2026-11-30": "has not begun yet",
	} {
		_, err := Parse(in, now, sh)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want %q", in, err, want)
		}
	}
	// callers word the problem themselves, from its kind
	for in, want := range map[string]Problem{"100d": TooLong, "2026-02-30": BadDate, "2026-11-02..2026-11-01": Reversed, "-3d": BadDays, "2027-01-01": Future} {
		var perr *Error
		if _, err := Parse(in, now, sh); !errors.As(err, &perr) || perr.Problem != want {
			t.Errorf("Parse(%q): %v, want a %s error", in, err, want)
		}
	}
	// a period reaching past today is fine: it ends with what has come in so far
	if p, err := Parse("2026-11-20..2026-11-30", now, sh); err != nil || p.Days() != 11 {
		t.Errorf("a period running into the future: %v, %v", p, err)
	}
}

func TestDayBoundaries(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	p, _ := Parse("2026-11-25", time.Now(), sh)
	last := time.Date(2026, 11, 25, 23, 59, 59, 0, sh)
	next := time.Date(2026, 11, 26, 0, 0, 0, 0, sh)
	if !p.Contains(last) || p.Contains(next) {
		t.Fatalf("23:59:59 in: %v, 00:00:00 in: %v", p.Contains(last), p.Contains(next))
	}
	// the same instants seen in UTC
	if !p.Contains(last.UTC()) || p.Contains(next.UTC()) || Key(Day(next.UTC(), sh)) != "20261126" {
		t.Fatal("day boundaries depend on the zone the time is written in")
	}
	if p.Days() != 1 || len(p.Before(7).Each()) != 7 || p.Before(7).To.Format("2006-01-02") != "2026-11-24" {
		t.Fatalf("days %d, before %s", p.Days(), p.Before(7))
	}
}
