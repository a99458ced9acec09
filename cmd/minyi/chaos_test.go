//go:build chaos

package main

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// The crash test: the real binary, a real redis-server, a fake Bot API and 200
// residents each walking the report flow, while the binary is killed with SIGKILL
// at random moments and started again. Afterwards every receipt matches exactly
// one stored, classified concern; none is stored twice; no resident saw two
// receipts for one concern; and there are as many concerns as residents who
// finished. In polling mode and in webhook mode.
// Run with: go test -tags chaos -run TestCrash ./cmd/minyi
func TestCrash(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { crash(t, mode) })
	}
}

func crash(t *testing.T, mode string) {
	const residents = 200
	const minKills = 5
	seed := time.Now().UnixNano()
	if s := os.Getenv("MINYI_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d (MINYI_CHAOS_SEED to repeat)", seed)

	dir := t.TempDir()
	bin := filepath.Join(dir, "minyi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv.Flush(t)
	api := newFleetAPI()
	fake := httptest.NewServer(api)
	defer fake.Close()
	hook := ""
	if mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hook = ln.Addr().String()
		ln.Close()
		stop := api.deliver("http://"+hook+"/tg", "chaos-secret")
		defer stop()
	}

	logs, err := os.Create(filepath.Join(dir, "minyi.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	env := append(os.Environ(),
		"MINYI_TELEGRAM_TOKEN="+token, "MINYI_TELEGRAM_API_URL="+fake.URL, "MINYI_REDIS_URL="+srv.URL(),
		"MINYI_COMMUNITIES=阳光社区,和平社区", "MINYI_LEASE_TTL=2s", "MINYI_INTAKE_RECLAIM=2s", "MINYI_TELEGRAM_RATE=0",
		"MINYI_LOG_LEVEL=info", "MINYI_LOG_FORMAT=json", "MINYI_LLM_BASE_URL=", "MINYI_CLASSIFY_MODEL=")
	if hook != "" {
		env = append(env, "MINYI_WEBHOOK_URL=https://bot.example.org/tg", "MINYI_WEBHOOK_SECRET=chaos-secret", "MINYI_HTTP_ADDR="+hook)
	} else {
		env = append(env, "MINYI_WEBHOOK_URL=", "MINYI_HTTP_ADDR=127.0.0.1:0")
	}
	var proc *exec.Cmd
	start := func() {
		proc = exec.Command(bin, "serve")
		proc.Env, proc.Stdout, proc.Stderr = env, logs, logs
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
	}
	start()
	defer func() {
		proc.Process.Kill()
		proc.Wait()
	}()

	// the residents
	var wg sync.WaitGroup
	finished := make(chan int64, residents)
	failed := make(chan string, residents)
	for i := range residents {
		chat := int64(500000 + i)
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond) // they come one after another
			if err := api.walk(chat, time.Duration(100+i%7*100)*time.Millisecond, fmt.Sprintf("第%d位居民反映：小区%d号楼门口的路灯坏了一个多月，晚上很黑，老人出门不安全。", i, i)); err != nil {
				failed <- fmt.Sprintf("resident %d: %v", chat, err)
				return
			}
			finished <- chat
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// the killer
	kills := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(time.Duration(300+rng.Intn(1200)) * time.Millisecond):
			if kills >= minKills && len(finished) > residents*9/10 {
				continue // enough: let the last ones finish
			}
			proc.Process.Signal(syscall.SIGKILL)
			proc.Wait()
			kills++
			time.Sleep(time.Duration(rng.Intn(300)) * time.Millisecond)
			start()
		}
	}
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	if kills < minKills {
		t.Errorf("killed only %d times", kills)
	}

	// let the last queued concerns be classified, then look at what was stored
	ctx := context.Background()
	st, err := store.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := tally(t, st, api)
	t.Logf("%s: kills %d; residents %d, finished %d; receipts seen %d; concerns stored %d, classified %d, stored twice %d; residents with two receipts for one concern %d; updates served %d (re-served after a crash %d), Bot API calls %d, replies repeated %d",
		mode, kills, residents, len(finished), o.receipts, o.stored, o.classified, o.twice, o.twoReceipts, api.served(), api.served()-api.pushed(), api.callCount(), api.repeats())
	if o.stored != len(finished) || len(finished) != residents || o.classified != o.stored || o.receipts != o.stored {
		t.Errorf("concerns %d, finished %d of %d, classified %d, receipts %d", o.stored, len(finished), residents, o.classified, o.receipts)
	}
	if t.Failed() {
		t.Logf("the binary's logs: %s", logs.Name())
		if b, err := os.ReadFile(logs.Name()); err == nil && len(b) > 0 {
			os.WriteFile(filepath.Join(os.TempDir(), "minyi-chaos.log"), b, 0o644)
			t.Logf("copied to %s", filepath.Join(os.TempDir(), "minyi-chaos.log"))
		}
	}
}
