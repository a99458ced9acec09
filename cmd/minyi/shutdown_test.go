package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// SIGTERM while residents are mid-report: the binary stops taking updates,
// finishes those in hand and exits within the grace period; started again, every
// resident finishes, each concern is stored once with one receipt, and no reply
// is sent twice.
func TestShutdownLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "minyi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { shutdown(t, bin, mode) })
	}
}

func shutdown(t *testing.T, bin, mode string) {
	const residents = 40
	const grace = 5 * time.Second
	srv.Flush(t)
	api := newFleetAPI()
	fake := httptest.NewServer(api)
	defer fake.Close()
	env := append(os.Environ(),
		"MINYI_TELEGRAM_TOKEN="+token, "MINYI_TELEGRAM_API_URL="+fake.URL, "MINYI_REDIS_URL="+srv.URL(),
		"MINYI_COMMUNITIES=阳光社区,和平社区", "MINYI_LEASE_TTL=2s", "MINYI_TELEGRAM_RATE=0", "MINYI_LOG_LEVEL=info",
		"MINYI_LLM_BASE_URL=", "MINYI_CLASSIFY_MODEL=", "MINYI_SHUTDOWN_GRACE="+grace.String())
	if mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hook := ln.Addr().String()
		ln.Close()
		stop := api.deliver("http://"+hook+"/tg", "shutdown-secret")
		defer stop()
		env = append(env, "MINYI_WEBHOOK_URL=https://bot.example.org/tg", "MINYI_WEBHOOK_SECRET=shutdown-secret", "MINYI_HTTP_ADDR="+hook)
	} else {
		env = append(env, "MINYI_WEBHOOK_URL=", "MINYI_HTTP_ADDR=127.0.0.1:0")
	}
	var logs strings.Builder
	var logMu sync.Mutex
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		w := writerFunc(func(b []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(b) })
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	proc := start()

	var wg sync.WaitGroup
	errs := make(chan error, residents)
	for i := range residents {
		chat := int64(650000 + i)
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 30 * time.Millisecond)
			if err := api.walk(chat, time.Duration(100+i%4*100)*time.Millisecond, fmt.Sprintf("第%d位居民：小区%d号楼的路灯坏了一个多月，晚上很黑。", i, i)); err != nil {
				errs <- fmt.Errorf("resident %d: %w", chat, err)
			}
		})
	}

	// mid-conversation: some residents are done, most are not
	time.Sleep(1500 * time.Millisecond)
	began := time.Now()
	proc.Process.Signal(syscall.SIGTERM)
	err := proc.Wait()
	took := time.Since(began)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if took > grace+time.Second {
		t.Errorf("took %v to stop; the grace period is %v", took, grace)
	}
	finishedBefore := len(api.receipts())
	repeatsBefore := api.repeats()
	time.Sleep(300 * time.Millisecond) // a while down, as a restart takes
	proc = start()
	defer func() { proc.Process.Signal(syscall.SIGTERM); proc.Wait() }()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := store.Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := tally(t, st, api)
	logMu.Lock()
	clean := strings.Contains(logs.String(), "stopped cleanly")
	logMu.Unlock()
	t.Logf("%s: SIGTERM with %d of %d residents through; stopped in %v (grace %v, clean %v); after the restart: %d concerns stored, %d classified, %d receipts, %d stored twice, %d replies repeated (%d before the restart)",
		mode, finishedBefore, residents, took.Round(time.Millisecond), grace, clean, o.stored, o.classified, o.receipts, o.twice, api.repeats(), repeatsBefore)
	if !clean {
		t.Error("the binary did not say it stopped cleanly")
	}
	if o.stored != residents || o.classified != residents || o.receipts != residents || api.repeats() != 0 {
		t.Errorf("want %d concerns, classified, with one receipt each and no reply repeated", residents)
	}
	if t.Failed() {
		logMu.Lock()
		t.Logf("logs:\n%s", logs.String())
		logMu.Unlock()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
