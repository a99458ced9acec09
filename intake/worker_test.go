package intake

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

// flaky fails its first n calls, then tags everything as 城乡建设.
type flaky struct{ fails atomic.Int32 }

func (f *flaky) Classify(context.Context, string) (classify.Result, error) {
	if f.fails.Add(-1) >= 0 {
		return classify.Result{}, errors.New("classifier unavailable")
	}
	return classify.Result{Topic: "城乡建设", Sector: "社会建设", Confidence: 0.9, Classifier: "test", Reason: "test"}, nil
}

func run(t *testing.T, w *Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func waitRecord(t *testing.T, st *store.Store, id string) *concern.Report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := st.Report(t.Context(), id); err == nil {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never recorded", id)
	return nil
}

func TestQueuedConcernIsClassifiedRecordedAndAcked(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	id, err := st.Submit(t.Context(), "d1", &concern.Report{ReceivedAt: at, Text: "路灯坏了", Status: concern.StatusReceived})
	if err != nil {
		t.Fatal(err)
	}
	cls := &flaky{}
	cls.fails.Store(1) // the first attempt fails: the entry stays pending and is taken up again
	var saved atomic.Int32
	run(t, New(st, cls, WithLogger(quiet), WithReclaimAfter(200*time.Millisecond), WithSaved(func(*concern.Report) { saved.Add(1) })))
	r := waitRecord(t, st, id)
	if r.Topic != "城乡建设" || r.Classifier != "test" || r.ID != id || r.DraftID != "d1" || r.Text != "路灯坏了" {
		t.Fatalf("record: %+v", r)
	}
	ids, _ := st.DayIDs(t.Context(), "20261126")
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("day index: %v", ids)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		stats, _ := st.IntakeStats(t.Context())
		if stats.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry never acknowledged: %+v", stats)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if saved.Load() != 1 {
		t.Fatalf("recorded %d times", saved.Load())
	}
}

// A consumer that read an entry and died leaves it pending; another takes it over.
func TestStaleEntryOfDeadConsumerIsReclaimed(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _ := st.Submit(t.Context(), "d2", &concern.Report{ReceivedAt: time.Now(), Text: "噪音", Status: concern.StatusReceived})
	st.EnsureIntakeGroup(t.Context())
	if got, _ := st.ReadIntake(t.Context(), "dead", 10, 0); len(got) != 1 {
		t.Fatalf("dead consumer read %d entries", len(got))
	}
	run(t, New(st, classify.Unsorted{}, WithLogger(quiet), WithConsumer("alive"), WithReclaimAfter(300*time.Millisecond)))
	r := waitRecord(t, st, id)
	if r.Classifier != "unsorted" || r.Topic != "" {
		t.Fatalf("record: %+v", r)
	}
}
