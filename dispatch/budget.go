package dispatch

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Budget is the bot's allowance of messages, shared by whatever sends for it.
type Budget interface {
	// Take takes one message's allowance and returns 0, or returns how long until
	// one is free (during a pause, until its end) without taking anything.
	Take(ctx context.Context) (time.Duration, error)
	// Pause stops all sending for d, as Telegram asks with a 429.
	Pause(ctx context.Context, d time.Duration) error
}

// DefaultBurst is how many messages the budget lets go at once after a quiet
// spell: with 25 a second it keeps any one second under Telegram's 30.
func DefaultBurst(perSecond float64) int {
	return max(1, int(perSecond/5))
}

// NewBudget is a budget of perSecond messages a second, burst at once, for
// this process alone. perSecond <= 0 is no limit.
func NewBudget(perSecond float64, burst int) Budget {
	b := &localBudget{now: time.Now}
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		b.bucket = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return b
}

// localBudget is a token bucket (x/time/rate's, as the API's local limits) and a pause.
type localBudget struct {
	bucket *rate.Limiter // nil: no limit
	now    func() time.Time

	mu     sync.Mutex
	paused time.Time
}

func (b *localBudget) Take(context.Context) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.paused) {
		return b.paused.Sub(now), nil
	}
	if b.bucket == nil {
		return 0, nil
	}
	r := b.bucket.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now) // nothing taken: the caller asks again after wait
		return wait, nil
	}
	return 0, nil
}

func (b *localBudget) Pause(_ context.Context, d time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.paused) {
		b.paused = until
	}
	return nil
}

// Allowance is a budget kept elsewhere (Redis), shared by every instance.
type Allowance interface {
	// SendAllowance takes one message from the shared bucket, or says how long
	// until one is free, or until a pause ends.
	SendAllowance(ctx context.Context, perSecond float64, burst int) (bool, time.Duration, error)
	// PauseSending pauses every instance's sending for d.
	PauseSending(ctx context.Context, d time.Duration) error
}

// SharedBudget is a budget of perSecond messages a second, burst at once, kept
// in a for every instance that uses it, pauses included. While a does not
// answer, each instance keeps to the same figures on its own (so that a burst
// of 429s, which pause them all, is the worst a Redis outage can bring).
func SharedBudget(a Allowance, perSecond float64, burst int, log *slog.Logger) Budget {
	if perSecond <= 0 || math.IsInf(perSecond, 1) {
		return NewBudget(0, burst)
	}
	return &sharedBudget{a: a, perSecond: perSecond, burst: max(burst, 1), local: NewBudget(perSecond, burst), log: log}
}

type sharedBudget struct {
	a         Allowance
	perSecond float64
	burst     int
	local     Budget
	log       *slog.Logger

	mu     sync.Mutex
	failed time.Time // when the shared budget last failed to answer; zero while it answers
}

// retryShared is how long the budget keeps to itself after the shared one failed.
const retryShared = 5 * time.Second

func (b *sharedBudget) Take(ctx context.Context) (time.Duration, error) {
	b.mu.Lock()
	alone := !b.failed.IsZero() && time.Since(b.failed) < retryShared
	b.mu.Unlock()
	if !alone {
		ok, wait, err := b.a.SendAllowance(ctx, b.perSecond, b.burst)
		if err == nil {
			b.recovered()
			if ok {
				return 0, nil
			}
			return max(wait, time.Millisecond), nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		b.fail(err)
	}
	return b.local.Take(ctx)
}

func (b *sharedBudget) Pause(ctx context.Context, d time.Duration) error {
	b.local.Pause(ctx, d)
	if err := b.a.PauseSending(ctx, d); err != nil {
		b.fail(err)
		return err
	}
	return nil
}

func (b *sharedBudget) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed.IsZero() {
		b.log.Warn("shared send budget unavailable; keeping to the rate alone", "err", err)
	}
	b.failed = time.Now()
}

func (b *sharedBudget) recovered() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.failed.IsZero() {
		b.log.Info("shared send budget back")
		b.failed = time.Time{}
	}
}
