package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store/storetest"
)

// Two clients share one send budget exactly, and a pause one of them sets
// holds the other too.
func TestSendAllowanceShared(t *testing.T) {
	srv.Flush(t)
	a := open(t)
	b, err := Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 32 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			for range 10 {
				ok, wait, err := st.SendAllowance(ctx, 0.001, 25) // none comes back during the test
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				} else if wait <= 0 {
					t.Errorf("refused with a wait of %v", wait)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 25 {
		t.Fatalf("%d allowed across two clients, want the burst of 25", allowed.Load())
	}
	srv.Flush(t)
	if err := a.PauseSending(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	// a shorter pause does not cut a longer one short
	if err := b.PauseSending(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ok, wait, err := b.SendAllowance(ctx, 25, 5)
	if err != nil || ok || wait < 1500*time.Millisecond || wait > 2*time.Second {
		t.Fatalf("during a pause: %v, wait %v, %v", ok, wait, err)
	}
	if ok, _, _ := a.SendAllowance(ctx, 0, 1); !ok {
		t.Fatal("no limit (rate 0) is refused")
	}
}

func TestSendAllowanceOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	st, err := Open(t.Context(), storetest.StartCluster(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PauseSending(t.Context(), time.Second); err != nil {
		t.Fatal(err)
	}
	if ok, wait, err := st.SendAllowance(t.Context(), 25, 5); err != nil || ok || wait <= 0 {
		t.Fatalf("on a cluster: %v %v %v", ok, wait, err)
	}
}
