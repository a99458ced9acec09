package cases

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/store"
)

// digestEvents lists the digest events waiting in a chat's inbox.
func digestEvents(t *testing.T, st *store.Store, chat int64) []*flows.Event {
	t.Helper()
	entries, err := st.ReadInbox(t.Context(), st.ShardOf(chat), "0", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*flows.Event
	for _, e := range entries {
		var in flows.Input
		json.Unmarshal(e.Payload, &in)
		if in.ChatID == chat && in.Event != nil && in.Event.Type == flows.EventDigest {
			out = append(out, in.Event)
		}
	}
	return out
}

// The scheduled digest goes out once a day: not before its time, once with two
// instances running, not again after a restart, and late when it was missed.
func TestScheduledDigestOnce(t *testing.T) {
	srv.Flush(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st, err := store.Open(t.Context(), srv.URL(), store.WithLocation(sh))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 11, 26, 7, 59, 0, 0, sh)}
	instance := func() *Service {
		return New(st, inbox.NewWriter(st), Config{StaffChat: -100, Location: sh, DigestAt: 8 * time.Hour},
			WithClock(c.now), WithLogger(quiet), WithDigests(digest.NewBuilder(st, nil, sh)))
	}
	a, b := instance(), instance()
	a.Tick(t.Context())
	if n := len(digestEvents(t, st, -100)); n != 0 {
		t.Fatalf("%d digests before 08:00", n)
	}
	c.t = time.Date(2026, 11, 26, 8, 1, 0, 0, sh)
	var wg sync.WaitGroup
	for _, s := range []*Service{a, b, a, b} {
		wg.Go(func() { s.Tick(t.Context()) })
	}
	wg.Wait()
	got := digestEvents(t, st, -100)
	if len(got) != 1 || got[0].From != "2026-11-25" || got[0].To != "2026-11-25" || got[0].Late {
		t.Fatalf("after 08:00 with two instances: %+v", got)
	}
	instance().Tick(t.Context()) // restarted
	if n := len(digestEvents(t, st, -100)); n != 1 {
		t.Fatalf("%d digests after a restart", n)
	}
	// down through the next morning: the missed digest goes out late on start-up
	c.t = time.Date(2026, 11, 27, 10, 30, 0, 0, sh)
	instance().Tick(t.Context())
	got = digestEvents(t, st, -100)
	if len(got) != 2 || got[1].From != "2026-11-26" || !got[1].Late {
		t.Fatalf("missed digest: %+v", got)
	}
}
