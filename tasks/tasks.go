// Package tasks holds background work started on the way — a menu to set, a chat
// to tell that the service is busy — so that it has an owner: main makes one
// Group, passes it down, and stops it at shutdown, waiting for what runs.
package tasks

import (
	"context"
	"sync"
	"time"
)

// Group runs tasks until it is stopped. The zero value is not usable: make one
// with New.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// New makes a group whose tasks run until Stop.
func New() *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{ctx: ctx, cancel: cancel}
}

// Go runs fn in a goroutine of the group, with a context that ends after timeout
// or when the group is cut off. After Stop nothing more is started, and Go
// reports false.
func (g *Group) Go(timeout time.Duration, fn func(context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Go(func() {
		ctx, cancel := context.WithTimeout(g.ctx, timeout)
		defer cancel()
		fn(ctx)
	})
	return true
}

// Stop starts nothing more, lets the running tasks finish for up to grace, then
// cuts them off and waits for them to return.
func (g *Group) Stop(grace time.Duration) {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		g.cancel()
		<-done
	}
	g.cancel()
}
