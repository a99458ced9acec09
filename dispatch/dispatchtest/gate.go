// Package dispatchtest holds what tests of sending share.
package dispatchtest

import (
	"context"
	"sync/atomic"
	"time"
)

// Gate is a send budget (dispatch.Budget) that lets nothing through while shut,
// as it is made; tests open it when what they queued may go.
type Gate struct{ open atomic.Bool }

// Open lets everything through.
func (g *Gate) Open() { g.open.Store(true) }

// Shut lets nothing through.
func (g *Gate) Shut() { g.open.Store(false) }

// Take lets a message go while open; while shut it asks to come back in 5 ms.
func (g *Gate) Take(context.Context) (time.Duration, error) {
	if g.open.Load() {
		return 0, nil
	}
	return 5 * time.Millisecond, nil
}

// Pause does nothing: a gate has no clock.
func (g *Gate) Pause(context.Context, time.Duration) error { return nil }
