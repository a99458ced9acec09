package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// Telegram allows one poller per bot. When Redis stops answering one instance for
// longer than the lease's TTL, that instance stops polling before the lease can
// pass to another, and the other takes over once it has.
func TestTwoPollersNeverOverlap(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 300 * time.Millisecond
	var (
		mu      sync.Mutex
		polling = map[string]bool{}
		overlap []string
		polled  = map[string]int{}
		paused  atomic.Bool // Redis does not answer instance a
	)
	take := func(owner string) func(context.Context, string, time.Duration) (bool, error) {
		return func(ctx context.Context, o string, ttl time.Duration) (bool, error) {
			if owner == "a" && paused.Load() {
				select { // as a Redis that neither answers nor fails
				case <-ctx.Done():
					return false, ctx.Err()
				case <-time.After(10 * ttl):
					return false, errors.New("i/o timeout")
				}
			}
			return st.LeasePoller(ctx, o, ttl)
		}
	}
	poll := func(owner string) func(context.Context) error {
		return func(ctx context.Context) error {
			mu.Lock()
			for other, on := range polling {
				if on && other != owner {
					overlap = append(overlap, owner+" began while "+other+" polled")
				}
			}
			polling[owner] = true
			polled[owner]++
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			polling[owner] = false
			mu.Unlock()
			return nil
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(owner string) {
		wg.Go(func() { whileLeased(ctx, log, take(owner), st.ReleasePoller, owner, ttl, poll(owner)) })
	}
	run("a")
	waitUntil(t, "a polls", func() bool { mu.Lock(); defer mu.Unlock(); return polling["a"] })
	run("b")
	time.Sleep(2 * ttl)
	paused.Store(true)
	waitUntil(t, "b takes over", func() bool { mu.Lock(); defer mu.Unlock(); return polling["b"] })
	paused.Store(false)
	time.Sleep(2 * ttl)
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(overlap) > 0 {
		t.Fatalf("two pollers at once: %v", overlap)
	}
	if polled["b"] != 1 {
		t.Fatalf("b polled %d times, want once (it kept the lease)", polled["b"])
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
