package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/minyi-project/minyi/store"
)

// limitWait is as long as a request waits for its bucket in Redis: a Redis that
// answers slower than this counts as down.
const limitWait = 250 * time.Millisecond

// limiter takes a token for each request of a key from that key's bucket in
// Redis, which every instance shares. When Redis cannot answer, it takes one
// from a bucket of this instance alone, of the same rate and burst: the limit is
// then per instance (n instances let through at most n times as much), which is
// neither a hole (a flood is still cut to the limit) nor an outage of its own (a
// request within the limit goes on, and finds the store as it can).
type limiter struct {
	st  *store.Store
	log *slog.Logger

	mu    sync.Mutex
	local map[string]*rate.Limiter // by bucket; as many as there are configured keys
	down  bool                     // Redis did not answer the last time
}

func newLimiter(st *store.Store, log *slog.Logger) *limiter {
	return &limiter{st: st, log: log, local: map[string]*rate.Limiter{}}
}

// allow takes a token from bucket, which holds burst and gains perSecond a
// second; when there is none it says how long until there is. perSecond 0 is no limit.
func (l *limiter) allow(ctx context.Context, bucket string, perSecond float64, burst int) (bool, time.Duration) {
	if perSecond <= 0 {
		return true, 0
	}
	ctx, cancel := context.WithTimeout(ctx, limitWait)
	ok, wait, err := l.st.Allow(ctx, bucket, perSecond, burst)
	cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		if l.down {
			l.down = false
			l.log.Info("rate limits: Redis answers again; the limits are shared by every instance again")
		}
		return ok, wait
	}
	if !l.down {
		l.down = true
		l.log.Warn("rate limits: Redis does not answer; limiting per instance until it does", "err", err)
	}
	lim := l.local[bucket]
	if lim == nil || lim.Limit() != rate.Limit(perSecond) || lim.Burst() != max(burst, 1) {
		lim = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
		l.local[bucket] = lim
	}
	now := time.Now()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
