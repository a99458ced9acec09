// Package backoff is minyi's one way of waiting before trying again: a wait that
// ends early when its context does, and a wait that doubles up to a bound.
package backoff

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends; it reports whether the whole wait passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Backoff doubles a wait from Min up to Max (Min 100 ms when unset).
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next takes the next wait: Min, then twice the last, up to Max.
func (b *Backoff) Next() time.Duration {
	first := b.Min
	if first <= 0 {
		first = 100 * time.Millisecond
	}
	if b.cur == 0 {
		b.cur = first
	} else {
		b.cur = min(b.cur*2, max(b.Max, first))
	}
	return b.cur
}

// Wait sleeps the next wait, and reports whether it passed before ctx ended.
func (b *Backoff) Wait(ctx context.Context) bool { return Sleep(ctx, b.Next()) }

// Reset starts again from Min, after a success.
func (b *Backoff) Reset() { b.cur = 0 }
