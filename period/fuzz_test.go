package period

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse: any text either gives a period of 1 to MaxDays whole days, not
// beginning after today, that reads back to itself; or a *Error naming its problem.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "today", "昨天", "7d", "92d", "93d", "0d", "-1d", "2026-11-25", "2026-02-30",
		"2026-11-01..2026-11-15", "2026-11-15..2026-11-01", "..", "2026-11-01..", "9999-12-31", "0000-01-01..0000-03-01", "7dd", "1e3d"} {
		f.Add(s)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, sh)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s, now, sh)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Problem == "" || err.Error() == "" {
				t.Fatalf("Parse(%q): %v is not a period.Error", s, err)
			}
			return
		}
		if n := p.Days(); n < 1 || n > MaxDays {
			t.Fatalf("Parse(%q) = %s: %d days", s, p, n)
		}
		if p.From.After(Day(now, sh)) || !p.From.Equal(Day(p.From, sh)) || !p.To.Equal(Day(p.To, sh)) {
			t.Fatalf("Parse(%q) = %s: not whole days up to today", s, p)
		}
		back, err := Parse(p.String(), now, sh)
		if err != nil || back.String() != p.String() {
			t.Fatalf("Parse(%q) = %s reads back as %s, %v", s, p, back, err)
		}
	})
}
