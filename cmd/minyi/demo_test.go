package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/store"
)

// minyi demo-data (and console --demo) fills the days up to now, never past it:
// no concern is received, handled or acknowledged in the future.
func TestDemoDataIsNeverDatedInTheFuture(t *testing.T) {
	srv.Flush(t)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_LOG_LEVEL", "error")
	var out, errOut bytes.Buffer
	if code := run([]string{"demo-data", "--reports", "400", "--days", "2"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("demo-data: %d\n%s%s", code, out.String(), errOut.String())
	}
	now := time.Now()
	cfg, err := config.Load(config.OS, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), srv.URL(), store.WithLocation(cfg.Location))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, err := st.ReceivedIDs(t.Context(), []string{st.DayKey(now.AddDate(0, 0, -2)), st.DayKey(now.AddDate(0, 0, -1)), st.DayKey(now)}) // a day more, should the run cross midnight
	if err != nil {
		t.Fatal(err)
	}
	reports, err := st.Reports(t.Context(), ids)
	if err != nil || len(reports) != 400 {
		t.Fatalf("%d concerns stored over the two days (%v)", len(reports), err)
	}
	for _, r := range reports {
		if r.ReceivedAt.After(now) {
			t.Errorf("%s received at %v, after now (%v)", r.ID, r.ReceivedAt, now)
		}
		for _, h := range r.History {
			if h.At.After(now) {
				t.Errorf("%s %s at %v, after now (%v)", r.ID, h.Status, h.At, now)
			}
		}
		if r.Ack != nil && r.Ack.At.After(now) {
			t.Errorf("%s acknowledged at %v, after now", r.ID, r.Ack.At)
		}
	}
}
