package dispatch_test

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

	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

// stamps records when each message went out; tooMany, while set, answers the
// next send with a 429 for that long.
type stamps struct {
	mu      sync.Mutex
	at      []time.Time
	tooMany atomic.Int64
}

func (s *stamps) Send(_ context.Context, o dispatch.Out) error {
	if d := s.tooMany.Swap(0); d > 0 {
		return &dispatch.RetryAfterError{After: time.Duration(d), Err: errors.New("Too Many Requests")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	return nil
}

func (s *stamps) Answer(context.Context, int64, string, string) error { return nil }

func (s *stamps) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

// Two instances on one Redis share one budget: together they send no faster
// than it allows, each gets a share, and a 429 one of them meets pauses both.
func TestTwoInstancesShareTheBudget(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var tr [2]*stamps
	var sc [2]*dispatch.Scheduler
	for i := range 2 {
		st, err := store.Open(ctx, srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		tr[i] = &stamps{}
		sc[i] = dispatch.New(tr[i], dispatch.WithLogger(quiet), dispatch.WithBudget(dispatch.SharedBudget(st, 20, 1, quiet)))
		wg.Go(func() { sc[i].Run(ctx) })
	}
	began := time.Now()
	for i := range 2 {
		for chat := range 100 {
			sc[i].Enqueue(dispatch.Delivery{ChatID: int64(1000*i + chat + 1), InputID: "x", Messages: []flows.Message{{Text: "答复"}}}, nil)
		}
	}
	time.Sleep(2 * time.Second)
	var in2s [2]int
	for i := range 2 {
		for _, at := range tr[i].times() {
			if at.Sub(began) <= 2*time.Second {
				in2s[i]++
			}
		}
	}
	t.Logf("in 2 s at 20/s shared: %d + %d", in2s[0], in2s[1])
	if total := in2s[0] + in2s[1]; total > 20*2+1 || total < 30 {
		t.Fatalf("%d + %d sent in 2 s with a shared 20/s", in2s[0], in2s[1])
	}
	if in2s[0] < 8 || in2s[1] < 8 {
		t.Fatalf("one instance took the budget: %d and %d", in2s[0], in2s[1])
	}

	// instance 0 meets a 429 asking for 1.5 s: instance 1 stops too
	tr[0].tooMany.Store(int64(1500 * time.Millisecond))
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && tr[0].tooMany.Load() != 0; {
		time.Sleep(time.Millisecond)
	}
	hit := time.Now()
	time.Sleep(1200 * time.Millisecond)
	for i := range 2 {
		for _, at := range tr[i].times() {
			if at.After(hit.Add(100*time.Millisecond)) && at.Before(hit.Add(1200*time.Millisecond)) {
				t.Fatalf("instance %d sent %v after the other met a 429 for 1.5 s", i, at.Sub(hit))
			}
		}
	}
}
