// Package lease keeps work running only while this instance holds a lease in
// Redis: a shard of the inbox, or the one poller Telegram allows a bot. The work
// is stopped when the lease is lost, and also when it has not been confirmed for
// its TTL — when Redis does not answer, another instance may already hold it.
package lease

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrLost is the cause of a held context ended because another owner holds the lease.
var ErrLost = errors.New("lease lost to another owner")

// ErrUnconfirmed is the cause of a held context ended because the lease was not
// confirmed within its TTL.
var ErrUnconfirmed = errors.New("lease not confirmed within its TTL")

// Renew extends the lease for ttl, reporting false when another owner holds it.
type Renew func(ctx context.Context, ttl time.Duration) (bool, error)

// Hold returns a context for work under a lease taken by a call sent at taken: it
// ends, with ErrLost or ErrUnconfirmed as its cause, when a renewal says another
// owner holds it, or when no renewal has succeeded within ttl of when the last
// successful one was sent (a renewal is tried every ttl/3). Times are counted
// from when a call was sent, because Redis counts from when it received it,
// which is later. stop ends it and waits for the renewing goroutine.
func Hold(ctx context.Context, taken time.Time, ttl time.Duration, renew Renew) (held context.Context, stop func()) {
	held, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		expires := time.NewTimer(time.Until(taken.Add(ttl)))
		defer expires.Stop()
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		// a renewal's outcome: when it was sent, and whether it succeeded
		type outcome struct {
			sent time.Time
			ok   bool
		}
		results := make(chan outcome, 1)
		var calls sync.WaitGroup
		defer calls.Wait()
		inFlight := false
		for {
			select {
			case <-held.Done():
				return
			case <-expires.C:
				cancel(ErrUnconfirmed)
				return
			case r := <-results:
				inFlight = false
				if r.ok {
					expires.Reset(time.Until(r.sent.Add(ttl)))
				} // an error: tried again at the next tick, the TTL running on
			case <-tick.C:
				if inFlight {
					continue // the last renewal still waits for Redis
				}
				inFlight = true
				calls.Go(func() {
					sent := time.Now()
					rctx, rcancel := context.WithTimeout(held, ttl)
					ok, err := renew(rctx, ttl)
					rcancel()
					if err == nil && !ok {
						cancel(ErrLost)
						return
					}
					select {
					case results <- outcome{sent, err == nil}:
					case <-held.Done():
					}
				})
			}
		}
	})
	return held, func() { cancel(context.Canceled); wg.Wait() }
}
