package classify

import "testing"

func TestTmpAll(t *testing.T) {
	s := newScreener(t)
	for _, path := range []string{"testdata/screen_dev.jsonl", "testdata/screen_eval.jsonl", "testdata/screen_blind.jsonl", "testdata/screen_blind2.jsonl"} {
		for _, it := range readScreenSet(t, path) {
			f := s.Screen(it.Text)
			if f.Urgent != it.Urgent {
				t.Logf("%v %s %s %s [%s | %v]", it.Urgent, it.ID, it.Hazard, it.Text, f.UrgentReason, f.Discounted)
			}
		}
	}
}
