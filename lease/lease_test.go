package lease

import (
	"context"
	"errors"
	"testing"
	"time"
)

const ttl = 90 * time.Millisecond

func held(t *testing.T, renew Renew) (context.Context, func()) {
	t.Helper()
	ctx, stop := Hold(t.Context(), time.Now(), ttl, renew)
	t.Cleanup(stop)
	return ctx, stop
}

func TestRenewedLeaseHolds(t *testing.T) {
	ctx, stop := held(t, func(context.Context, time.Duration) (bool, error) { return true, nil })
	select {
	case <-ctx.Done():
		t.Fatalf("ended while renewed: %v", context.Cause(ctx))
	case <-time.After(5 * ttl):
	}
	stop()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Fatalf("stopped with cause %v", context.Cause(ctx))
	}
}

func TestLeaseEnds(t *testing.T) {
	for _, c := range []struct {
		name  string
		renew Renew
		cause error
	}{
		{"another owner", func(context.Context, time.Duration) (bool, error) { return false, nil }, ErrLost},
		{"redis errors", func(context.Context, time.Duration) (bool, error) { return false, errors.New("connection refused") }, ErrUnconfirmed},
		// Redis paused: the renewal neither answers nor fails
		{"redis silent", func(ctx context.Context, _ time.Duration) (bool, error) { time.Sleep(10 * ttl); return true, nil }, ErrUnconfirmed},
	} {
		t.Run(c.name, func(t *testing.T) {
			began := time.Now()
			ctx, _ := held(t, c.renew)
			select {
			case <-ctx.Done():
			case <-time.After(5 * ttl):
				t.Fatal("work goes on")
			}
			if took := time.Since(began); took > ttl+ttl/2 {
				t.Errorf("ended %v after the lease was taken; its TTL is %v", took, ttl)
			}
			if !errors.Is(context.Cause(ctx), c.cause) {
				t.Errorf("cause %v, want %v", context.Cause(ctx), c.cause)
			}
		})
	}
}
