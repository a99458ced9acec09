package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDoublesUpToMax(t *testing.T) {
	b := Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond}
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
	}
	want := []time.Duration{1, 2, 4, 5, 5}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits %v, want %v ms", got, want)
		}
	}
	b.Reset()
	if d := b.Next(); d != time.Millisecond {
		t.Fatalf("after Reset: %v", d)
	}
	began := time.Now()
	if !b.Wait(t.Context()) || time.Since(began) < 2*time.Millisecond {
		t.Fatal("Wait did not sleep the next wait")
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	began := time.Now()
	if Sleep(ctx, time.Minute) || time.Since(began) > time.Second {
		t.Fatal("a cancelled wait went on")
	}
	if !Sleep(t.Context(), time.Millisecond) {
		t.Fatal("a short wait did not pass")
	}
}
