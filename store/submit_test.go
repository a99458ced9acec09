package store

import (
	"errors"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store/storetest"
)

// An external id's text is fingerprinted beside its marker: the same text is a
// duplicate, another is told apart with the first id; a Telegram draft's marker
// and a marker from before fingerprints stay as they were. The channel of a
// queued concern is kept for its day.
func TestSubmitExternalFingerprintAndOrigin(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	ext := report(at, "小区东门的路灯坏了")
	ext.Channel = "hotline"
	id, fresh, err := st.SubmitExternal(ctx, "hotline", "HL-1", ext, time.Hour)
	if err != nil || !fresh {
		t.Fatalf("first: %s %v %v", id, fresh, err)
	}
	if again, fresh, err := st.SubmitExternal(ctx, "hotline", "HL-1", ext, time.Hour); err != nil || fresh || again != id {
		t.Fatalf("same text: %s %v %v", again, fresh, err)
	}
	other := report(at, "楼下饭店油烟太大")
	other.Channel = "hotline"
	if got, fresh, err := st.SubmitExternal(ctx, "hotline", "HL-1", other, time.Hour); !errors.Is(err, ErrTextDiffers) || fresh || got != id {
		t.Fatalf("other text: %s %v %v, want %s with ErrTextDiffers", got, fresh, err, id)
	}
	// the marker itself holds the id alone, as before
	if v, _ := st.rdb.Get(ctx, keyDraftPrefix+"ext:hotline:HL-1").Result(); v != id {
		t.Errorf("marker %q", v)
	}
	// a marker from before fingerprints: taken as the same
	srv.Do(t, "SET", keyDraftPrefix+"ext:hotline:HL-OLD", "20261126-0777")
	if got, fresh, err := st.SubmitExternal(ctx, "hotline", "HL-OLD", other, time.Hour); err != nil || fresh || got != "20261126-0777" {
		t.Errorf("an old marker: %s %v %v", got, fresh, err)
	}
	// Telegram drafts: no fingerprint; resubmitted, the same id
	tg := report(at, "垃圾没人清运")
	tg.Channel = concern.ChannelTelegram
	tgID, err := st.Submit(ctx, "draft-1", tg, 0)
	if err != nil {
		t.Fatal(err)
	}
	tg.Text = "edited"
	if again, err := st.Submit(ctx, "draft-1", tg, 0); err != nil || again != tgID {
		t.Errorf("a Telegram draft again: %s %v", again, err)
	}
	for _, c := range []struct{ id, channel string }{{id, "hotline"}, {tgID, "telegram"}} {
		queued, from, err := st.QueuedFrom(ctx, c.id)
		if err != nil || !queued || from != c.channel {
			t.Errorf("%s: queued %v from %q %v, want from %s", c.id, queued, from, err, c.channel)
		}
	}
	if queued, _, err := st.QueuedFrom(ctx, "20261126-0999"); err != nil || queued {
		t.Errorf("an id never given: queued %v %v", queued, err)
	}
	if ttl := srv.Do(t, "TTL", keyOriginPrefix+"20261126"); ttl == "-1" {
		t.Error("the day's origins never expire")
	}
}

// The scripts of this change run on a Redis Cluster: one key each, or keys of one slot.
func TestIssue13ScriptsOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	url := storetest.StartCluster(t)
	st, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	at := time.Now()
	r := report(at, "小区东门的路灯坏了")
	r.Channel = "hotline"
	id, _, err := st.SubmitExternal(ctx, "hotline", "HL-9", r, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SubmitExternal(ctx, "hotline", "HL-9", report(at, "另一件事"), time.Hour); !errors.Is(err, ErrTextDiffers) {
		t.Errorf("other text on the cluster: %v", err)
	}
	if q, from, err := st.QueuedFrom(ctx, id); err != nil || !q || from != "hotline" {
		t.Errorf("queued from on the cluster: %v %q %v", q, from, err)
	}
	r.ID = id
	if err := st.SaveReport(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateReport(ctx, id, func(c *concern.Report) error { c.Unit = "城管科"; return nil }); err != nil {
		t.Fatal(err)
	}
	reps := []*concern.Report{report(at, "甲"), report(at, "乙")}
	if err := st.Import(ctx, reps, nil); err != nil {
		t.Fatal(err)
	}
	ids, _, err := st.ChangedSince(ctx, 0)
	if err != nil || len(ids) != 3 {
		t.Errorf("changed on the cluster: %v %v", ids, err)
	}
	st.rdb.Del(ctx, keyChangedBackfill)
	if _, err := st.BackfillChanged(ctx); err != nil {
		t.Errorf("backfill on the cluster: %v", err)
	}
	for range 3 {
		if ok, _, err := st.Allow(ctx, "cluster", 1, 2); err != nil {
			t.Fatalf("allow on the cluster: %v", err)
		} else if !ok {
			return
		}
	}
	t.Error("a burst of 2 allowed 3")
}
