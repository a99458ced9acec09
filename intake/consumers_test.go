package intake

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
)

func consumers(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	q, err := st.QueueStatus(t.Context(), time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range q.Consumers {
		out[c.Name] = c.Pending
	}
	return out
}

// Issue 13 item 15: restarts leave no consumers behind. A worker stopping cleanly
// removes itself; idle consumers with nothing pending are pruned; a consumer
// holding pending entries is never removed (they would be lost).
func TestConsumersDoNotPileUp(t *testing.T) {
	st := openStore(t)
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		w := New(st, &flaky{}, WithConsumer("run-"+string(rune('a'+i))), WithLogger(quiet))
		var wg sync.WaitGroup
		wg.Go(func() { w.Run(ctx) })
		// a consumer appears once it has been given an entry
		id, err := st.Submit(t.Context(), "run"+string(rune('a'+i)), &concern.Report{ReceivedAt: time.Now(), Text: "路灯坏了很久", Status: concern.StatusReceived}, 0)
		if err != nil {
			t.Fatal(err)
		}
		waitRecord(t, st, id)
		if got := consumers(t, st); len(got) != 1 {
			t.Fatalf("consumers while running: %v", got)
		}
		w.Stop()
		wg.Wait()
		cancel()
	}
	if got := consumers(t, st); len(got) != 0 {
		t.Fatalf("consumers left after three clean stops: %v", got)
	}
	// a crashed consumer holding an entry, and an idle one holding none
	at := time.Now()
	if _, err := st.Submit(t.Context(), "d1", &concern.Report{ReceivedAt: at, Text: "路灯坏了很久", Status: concern.StatusReceived}, 0); err != nil {
		t.Fatal(err)
	}
	st.EnsureIntakeGroup(t.Context())
	if got, _ := st.ReadIntake(t.Context(), "crashed", 10, 0); len(got) != 1 {
		t.Fatalf("read %d", len(got))
	}
	srv.Do(t, "XGROUP", "CREATECONSUMER", "minyi:{intake}", "classify", "idle")
	n, err := st.PruneConsumers(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	got := consumers(t, st)
	if n != 1 || got["crashed"] != 1 || len(got) != 1 {
		t.Fatalf("pruned %d, left %v: want only the idle one gone", n, got)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("waited 10 s in vain")
}
