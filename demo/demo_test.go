package demo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

func options(seed int64) Options {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	return Options{
		Reports: 2000, Days: 14, End: time.Date(2026, 11, 26, 0, 0, 0, 0, sh), Seed: seed,
		Grids:    []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格"},
		Sector:   func(topic, _ string) string { return "社会建设" },
		Deadline: func(_ concern.Level, at time.Time) time.Time { return at.Add(7 * 24 * time.Hour) },
	}
}

// The data must hold what a digest shows: every kind of concern, spread over the
// days, and the same for the same seed.
func TestReportsAreVariedAndRepeatable(t *testing.T) {
	o := options(1)
	rs := Reports(o)
	if len(rs) != o.Reports {
		t.Fatalf("%d reports, want %d", len(rs), o.Reports)
	}
	first, end := o.End.AddDate(0, 0, -o.Days+1), o.End.AddDate(0, 0, 1)
	days, topics, communities := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var urgent, sensitive, filed, closed, rated, unsure, nearDup, long int
	for i, r := range rs {
		if r.ReceivedAt.Before(first) || !r.ReceivedAt.Before(end) {
			t.Fatalf("report %d received %v, outside %v..%v", i, r.ReceivedAt, first, end)
		}
		if r.Text == "" || r.Topic == "" || r.Community == "" || r.Grid == "" || r.Deadline.IsZero() || len(r.History) == 0 {
			t.Fatalf("report %d incomplete: %+v", i, r)
		}
		days[r.ReceivedAt.Format("01-02")] = true
		topics[r.Topic] = true
		communities[r.Community] = true
		if r.Urgent {
			urgent++
		}
		if r.Sensitive {
			sensitive++
		}
		if r.FiledBy != 0 {
			filed++
		}
		if r.Status == concern.StatusClosed {
			closed++
		}
		if r.Rating != "" {
			rated++
		}
		if r.Confidence < 0.3 {
			unsure++
		}
		if len([]rune(r.Text)) > 80 {
			long++
		}
		if i > 0 && r.Text != rs[i-1].Text && strings.Contains(r.Text, strings.TrimSuffix(rs[i-1].Text, "。")[:12]) {
			nearDup++
		}
	}
	if len(days) != o.Days || len(topics) < 8 || len(communities) != 2 {
		t.Errorf("%d days, %d topics, %d communities", len(days), len(topics), len(communities))
	}
	for name, n := range map[string]int{"urgent": urgent, "sensitive": sensitive, "filed": filed, "closed": closed, "rated": rated, "unsure": unsure, "near-duplicate": nearDup, "long": long} {
		if n == 0 {
			t.Errorf("no %s concerns", name)
		}
	}
	if urgent > len(rs)/10 {
		t.Errorf("%d urgent concerns of %d: urgent ones should be rare", urgent, len(rs))
	}
	if !reflect.DeepEqual(rs[:50], Reports(o)[:50]) {
		t.Error("the same seed gave different data")
	}
	if reflect.DeepEqual(rs[:50], Reports(options(2))[:50]) {
		t.Error("another seed gave the same data")
	}
}

// Data that ends today stops at the clock's now: nothing is received, handled,
// closed or acknowledged later, whatever the hour (even before the day's first
// concern would have come in).
func TestNothingIsDatedInTheFuture(t *testing.T) {
	for _, hour := range []int{0, 3, 9, 15, 23} {
		o := options(int64(hour) + 5)
		o.Now = o.End.Add(time.Duration(hour)*time.Hour + 17*time.Minute)
		rs := Reports(o)
		today := 0
		for i, r := range rs {
			if r.ReceivedAt.After(o.Now) {
				t.Fatalf("now %v: report %d received %v", o.Now, i, r.ReceivedAt)
			}
			for _, h := range r.History {
				if h.At.After(o.Now) {
					t.Fatalf("now %v: report %d %s at %v", o.Now, i, h.Status, h.At)
				}
			}
			if r.Ack != nil && r.Ack.At.After(o.Now) {
				t.Fatalf("now %v: report %d acknowledged at %v", o.Now, i, r.Ack.At)
			}
			if !r.ReceivedAt.Before(o.End) {
				today++
			}
		}
		if today == 0 {
			t.Errorf("now %v: nothing received today", o.Now)
		}
	}
}
