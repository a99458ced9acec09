package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The token bucket is exact under concurrency: many goroutines on two stores
// sharing one Redis get exactly the burst, and then one token per interval.
func TestAllowIsExactAcrossClients(t *testing.T) {
	a := open(t)
	b, err := Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			for range 20 {
				ok, wait, err := st.Allow(ctx, "test:flood", 0.001, 100) // one token in 1000 s: none comes back during the test
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				} else {
					refused.Add(1)
					if wait <= 0 || wait > 1000*time.Second {
						t.Errorf("retry after %v", wait)
					}
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 100 || refused.Load() != 64*20-100 {
		t.Fatalf("%d allowed, %d refused; want exactly the burst of 100", allowed.Load(), refused.Load())
	}

	// 20 a second, burst 2: two at once, then one each 50 ms
	for range 2 {
		if ok, _, _ := a.Allow(ctx, "test:refill", 20, 2); !ok {
			t.Fatal("the burst was refused")
		}
	}
	ok, wait, _ := b.Allow(ctx, "test:refill", 20, 2)
	if ok || wait <= 0 || wait > 50*time.Millisecond {
		t.Fatalf("past the burst: %v, retry after %v; want refused for up to 50 ms", ok, wait)
	}
	time.Sleep(wait + 5*time.Millisecond)
	if ok, _, _ := b.Allow(ctx, "test:refill", 20, 2); !ok {
		t.Fatal("refused after waiting as told")
	}
	// buckets are apart; no limit is no limit
	if ok, _, _ := a.Allow(ctx, "test:other", 20, 2); !ok {
		t.Error("another key's bucket is shared")
	}
	for range 1000 {
		if ok, _, err := a.Allow(ctx, "test:off", 0, 0); !ok || err != nil {
			t.Fatal("a rate of 0 limits")
		}
	}
	// the bucket's key expires once full again
	if ttl := srv.Do(t, "PTTL", keyBucketPrefix+"test:refill"); ttl == "-1" {
		t.Errorf("a bucket never expires")
	}
}

// With Redis down, Allow says so (the caller decides), quickly.
func TestAllowWithRedisDown(t *testing.T) {
	st := open(t)
	srv.Down()
	t.Cleanup(func() { srv.Up() })
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if _, _, err := st.Allow(ctx, "test:down", 1, 1); err == nil {
		t.Fatal("no error with Redis down")
	}
}
