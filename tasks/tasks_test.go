package tasks

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestStopWaitsThenCuts(t *testing.T) {
	g := New()
	var finished, cut atomic.Int32
	g.Go(time.Minute, func(ctx context.Context) { time.Sleep(10 * time.Millisecond); finished.Add(1) })
	g.Go(time.Minute, func(ctx context.Context) { <-ctx.Done(); cut.Add(1) })
	began := time.Now()
	g.Stop(50 * time.Millisecond)
	if finished.Load() != 1 || cut.Load() != 1 {
		t.Fatalf("finished %d, cut %d: Stop returned before its tasks", finished.Load(), cut.Load())
	}
	if took := time.Since(began); took < 50*time.Millisecond || took > time.Second {
		t.Fatalf("Stop took %v, want the grace (50ms)", took)
	}
	if g.Go(time.Minute, func(context.Context) { t.Error("ran after Stop") }) {
		t.Fatal("Go after Stop reported true")
	}
}

func TestTaskTimeout(t *testing.T) {
	g := New()
	defer g.Stop(time.Second)
	done := make(chan error, 1)
	g.Go(20*time.Millisecond, func(ctx context.Context) { <-ctx.Done(); done <- ctx.Err() })
	select {
	case err := <-done:
		if err != context.DeadlineExceeded {
			t.Fatalf("ended with %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the task's timeout did not end it")
	}
}
