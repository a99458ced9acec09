package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// Every write of a record marks it changed, later than anything marked before:
// saving, updating, importing; a reader asking from its last mark + 1 sees each
// write once.
func TestChangedMarksEveryWrite(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	r := report(at, "噪音扰民")
	r.ID = "20261126-0001"
	if err := st.SaveReport(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	ids, mark, err := st.ChangedSince(ctx, 0)
	if err != nil || !slices.Equal(ids, []string{r.ID}) || mark == 0 {
		t.Fatalf("after a save: %v %d %v", ids, mark, err)
	}
	if ids, _, _ := st.ChangedSince(ctx, mark+1); len(ids) != 0 {
		t.Fatalf("nothing written since, yet %v", ids)
	}
	// an update, many in one millisecond: each after the last
	last := mark
	for i := range 20 {
		if _, err := st.UpdateReport(ctx, r.ID, func(c *concern.Report) error { c.Unit = fmt.Sprint(i); return nil }); err != nil {
			t.Fatal(err)
		}
		ids, m, err := st.ChangedSince(ctx, last+1)
		if err != nil || !slices.Equal(ids, []string{r.ID}) || m <= last {
			t.Fatalf("update %d: %v %d (last %d) %v", i, ids, m, last, err)
		}
		last = m
	}
	// an import marks its records
	reps := []*concern.Report{report(at, "路灯坏了"), report(at.Add(time.Hour), "垃圾没人清运")}
	if err := st.Import(ctx, reps, nil); err != nil {
		t.Fatal(err)
	}
	ids, m, err := st.ChangedSince(ctx, last+1)
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{reps[0].ID, reps[1].ID}) || m <= last {
		t.Fatalf("after an import: %v %d %v", ids, m, err)
	}
	// Redis forgot its scripts: still marked
	if err := st.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateReport(ctx, r.ID, func(c *concern.Report) error { c.Unit = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if ids, _, err := st.ChangedSince(ctx, m+1); err != nil || !slices.Equal(ids, []string{r.ID}) {
		t.Fatalf("after SCRIPT FLUSH: %v %v", ids, err)
	}
	r2 := report(at, "又一件")
	r2.ID = "20261126-0009"
	st.rdb.ScriptFlush(ctx)
	if err := st.SaveReport(ctx, r2, nil); err != nil {
		t.Fatal(err)
	}
	if score, err := st.rdb.ZScore(ctx, keyChanged, r2.ID).Result(); err != nil || int64(score) <= m {
		t.Fatalf("a save after SCRIPT FLUSH: %v %v", score, err)
	}
}

// Records from before the changed index are put into it once, with when they
// were received, from the day indexes; a second run adds nothing.
func TestBackfillChanged(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	var want []string
	received := map[string]int64{}
	for i := range 30 {
		id := fmt.Sprintf("2026112%d-%04d", i%3, i)
		received[id] = at.Add(time.Duration(i) * time.Minute).UnixMilli()
		srv.Do(t, "ZADD", keyDayPrefix+id[:8], fmt.Sprint(received[id]), id)
		want = append(want, id)
	}
	// one written by this version already, before the backfill ran
	srv.Do(t, "ZADD", keyChanged, "99999999999999", "20261120-0000")
	n, err := st.BackfillChanged(ctx)
	if err != nil || n != 29 {
		t.Fatalf("backfill: %d %v, want 29 added", n, err)
	}
	ids, _, err := st.ChangedSince(ctx, 0)
	slices.Sort(ids)
	slices.Sort(want)
	if err != nil || !slices.Equal(ids, want) {
		t.Fatalf("changed after the backfill: %v %v", ids, err)
	}
	for _, id := range want {
		s, _ := st.rdb.ZScore(ctx, keyChanged, id).Result()
		switch {
		case id == "20261120-0000" && s != 99999999999999:
			t.Errorf("a mark already there was replaced: %v", s)
		case id != "20261120-0000" && int64(s) != received[id]:
			t.Errorf("%s backfilled with %v, not its received time %d", id, s, received[id])
		}
	}
	srv.Do(t, "ZADD", keyDayPrefix+"20261125", "1", "20261125-0001")
	if n, err := st.BackfillChanged(ctx); err != nil || n != 0 {
		t.Errorf("a second backfill: %d %v, want none", n, err)
	}
}
