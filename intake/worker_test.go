package intake

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
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

func (f *flaky) Name() string { return "test" }

func (f *flaky) Classify(context.Context, string) (classify.Result, error) {
	if f.fails.Add(-1) >= 0 {
		return classify.Result{}, errors.New("classifier unavailable")
	}
	return classify.Result{Topic: "城乡建设", Sector: "社会建设", Confidence: 0.9, Classifier: "test", Reason: "test"}, nil
}

// screener is the screening over lex.
func screener(t *testing.T, lex *classify.Lexicon) *classify.Screener {
	t.Helper()
	s, err := classify.NewScreener(lex)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openStore gives a test an empty store.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
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
	st := openStore(t)
	at := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	id, err := st.Submit(t.Context(), "d1", &concern.Report{ReceivedAt: at, Text: "路灯坏了", Status: concern.StatusReceived}, 0)
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
		stats, _ := st.QueueStatus(t.Context(), time.Now(), 0)
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
	st := openStore(t)
	id, _ := st.Submit(t.Context(), "d2", &concern.Report{ReceivedAt: time.Now(), Text: "噪音", Status: concern.StatusReceived}, 0)
	st.EnsureIntakeGroup(t.Context())
	if got, _ := st.ReadIntake(t.Context(), "dead", 10, 0); len(got) != 1 {
		t.Fatalf("dead consumer read %d entries", len(got))
	}
	run(t, New(st, &flaky{}, WithLogger(quiet), WithConsumer("alive"), WithReclaimAfter(300*time.Millisecond)))
	r := waitRecord(t, st, id)
	if r.Classifier != "test" || r.Topic != "城乡建设" {
		t.Fatalf("record: %+v", r)
	}
}

// An urgent concern is flagged with its reason, and the staff alert hook hears of
// it before the entry is acknowledged; a sensitive one is flagged for restricted handling.
func TestUrgentAndSensitiveAreFlagged(t *testing.T) {
	st := openStore(t)
	tax, _ := classify.DefaultTaxonomy()
	lex, err := classify.NewLexicon(tax, "城乡建设")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	urgentID, _ := st.Submit(t.Context(), "u1", &concern.Report{ReceivedAt: now, Text: "3栋楼道里燃气泄漏，味道很大，请马上来人", Status: concern.StatusReceived}, 0)
	sensitiveID, _ := st.Submit(t.Context(), "s1", &concern.Report{ReceivedAt: now, Text: "村支书贪污扶贫款，村民集体上访", Status: concern.StatusReceived}, 0)
	plainID, _ := st.Submit(t.Context(), "p1", &concern.Report{ReceivedAt: now, Text: "路灯坏了一个月", Status: concern.StatusReceived}, 0)
	alerts := make(chan string, 3)
	run(t, New(st, lex, WithLogger(quiet), WithScreener(screener(t, lex)), WithUrgent(func(_ context.Context, r *concern.Report) error {
		stats, _ := st.QueueStatus(context.Background(), time.Now(), 0)
		if stats.Pending == 0 {
			t.Error("the urgent alert came after the entry was acknowledged")
		}
		alerts <- r.ID
		return nil
	}), WithDeadlines(func(l concern.Level, from time.Time) time.Time {
		return from.Add(map[concern.Level]time.Duration{concern.LevelUrgent: 2 * time.Hour, concern.LevelGeneral: 7 * 24 * time.Hour}[l])
	})))
	u := waitRecord(t, st, urgentID)
	s := waitRecord(t, st, sensitiveID)
	p := waitRecord(t, st, plainID)
	if !u.Urgent || !strings.Contains(u.UrgentReason, "燃气泄漏") || u.Sensitive || u.Level != concern.LevelUrgent || !u.Deadline.Equal(u.ReceivedAt.Add(2*time.Hour)) {
		t.Fatalf("urgent concern: %+v", u)
	}
	if p.Level != concern.LevelGeneral || !p.Deadline.Equal(p.ReceivedAt.Add(7*24*time.Hour)) {
		t.Fatalf("plain concern: level %s deadline %v", p.Level, p.Deadline)
	}
	if !s.Sensitive || !strings.Contains(s.SensitiveReason, "贪污") || s.Urgent {
		t.Fatalf("sensitive concern: %+v", s)
	}
	if p.Urgent || p.Sensitive {
		t.Fatalf("plain concern flagged: %+v", p)
	}
	select {
	case id := <-alerts:
		if id != urgentID {
			t.Fatalf("alert for %s", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert for the urgent concern")
	}
	select {
	case id := <-alerts:
		t.Fatalf("a second alert, for %s", id)
	case <-time.After(300 * time.Millisecond):
	}
}

// An entry that keeps failing moves to the dead letters after the set number of
// attempts, staff are told once, and minyi queue retry puts it back: handled then.
// One that cannot even be read goes there at once.
func TestFailingEntryBecomesADeadLetterAndComesBack(t *testing.T) {
	st := openStore(t)
	id, _ := st.Submit(t.Context(), "d3", &concern.Report{ReceivedAt: time.Now(), Text: "路灯坏了一个月", Status: concern.StatusReceived}, 0)
	cls := &flaky{}
	cls.fails.Store(1 << 20) // until told otherwise
	type told struct{ id, why string }
	dead := make(chan told, 4)
	w := New(st, cls, WithLogger(quiet), WithReclaimAfter(50*time.Millisecond), WithAttempts(3),
		WithDeadLetters(func(_ context.Context, id, why string) error { dead <- told{id, why}; return nil }))
	w.block = 20 * time.Millisecond
	run(t, w)

	select {
	case d := <-dead:
		if d.id != id || !strings.Contains(d.why, "classifier unavailable") {
			t.Fatalf("told of %+v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("never became a dead letter")
	}
	q, err := st.QueueStatus(t.Context(), time.Now(), 10)
	if err != nil || q.Length != 0 || q.Pending != 0 || q.Dead != 1 || q.DeadLetters[0].ConcernID != id || q.DeadLetters[0].Attempts != 3 {
		t.Fatalf("status %+v, %v", q, err)
	}
	if _, err := st.Report(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("recorded while failing: %v", err)
	}
	if _, err := st.RetryDead(t.Context(), "20991231-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retrying an unknown id: %v", err)
	}
	cls.fails.Store(0) // the fault is fixed
	if n, err := st.RetryDead(t.Context(), id); n != 1 || err != nil {
		t.Fatalf("retry: %d, %v", n, err)
	}
	if r := waitRecord(t, st, id); r.Topic != "城乡建设" {
		t.Fatalf("record after retry: %+v", r)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		q, _ := st.QueueStatus(t.Context(), time.Now(), 10)
		if q.Dead == 0 && q.Length == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after retry %+v", q)
		}
	}
	select {
	case d := <-dead:
		t.Fatalf("told again: %+v", d)
	default:
	}

	// a body that cannot be read never will be: no retries
	srv.Do(t, "XADD", "minyi:{intake}", "*", "id", "20261126-0099", "draft", "d4", "body", "{not json")
	select {
	case d := <-dead:
		if !strings.Contains(d.why, "cannot be read") {
			t.Fatalf("told %+v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an unreadable entry never became a dead letter")
	}
}
