package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

// fleetEnv points serve at a fleet API and a Redis, as every instance of a test
// shares them.
func fleetEnv(t *testing.T, apiURL, redisURL string) {
	t.Setenv("MINYI_TELEGRAM_TOKEN", token)
	t.Setenv("MINYI_TELEGRAM_API_URL", apiURL)
	t.Setenv("MINYI_REDIS_URL", redisURL)
	t.Setenv("MINYI_COMMUNITIES", "阳光社区,和平社区")
	t.Setenv("MINYI_TELEGRAM_RATE", "0")
	t.Setenv("MINYI_LOG_LEVEL", "warn")
	t.Setenv("MINYI_LLM_BASE_URL", "")
	t.Setenv("MINYI_LLM_MODEL", "")
	t.Setenv("MINYI_CLASSIFY_MODEL", "")
	t.Setenv("MINYI_HTTP_ADDR", "")
}

// startFleet serves a fleet API for a test and points serve at it and at redisURL.
func startFleet(t *testing.T, redisURL string) *fleetAPI {
	t.Helper()
	api := newFleetAPI()
	fake := httptest.NewServer(api)
	t.Cleanup(fake.Close)
	fleetEnv(t, fake.URL, redisURL)
	return api
}

// together runs fn for each of n residents at once, and fails the test with
// whatever they report.
func together(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := fn(i); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// startInstance runs serve in this process with a config file of its own (for
// what differs between instances, such as the address it listens on); it stops
// when the test ends.
func startInstance(t *testing.T, name, config string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- serve(ctx, []string{"-config", path}, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, stderr.String())
			} else if t.Failed() {
				t.Logf("%s logged:\n%.3000s", name, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop within 15 s of being asked", name)
		}
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s", addr)
		}
	}
}

// reportSteps is what a resident types to report a concern without waiting for
// buttons: the command, the words, no photos, a community, anonymous, submit.
func reportSteps(words string) []string {
	return []string{"/report", words, "跳过", "阳光社区", "匿名", "提交"}
}

// inOrderWithin reports whether got is want with some messages left out: the
// same messages, in the same order, none twice.
func inOrderWithin(got, want []string) bool {
	j := 0
	for _, m := range got {
		for j < len(want) && want[j] != m {
			j++
		}
		if j == len(want) {
			return false
		}
		j++
	}
	return true
}

func typedBy(chat int64, text string) map[string]any {
	return map[string]any{"message": map[string]any{"message_id": 1, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private"},
		"from": map[string]any{"id": chat, "is_bot": false, "first_name": "居民", "language_code": "zh-hans"}}}
}

// Two instances in webhook mode on one Redis. Each resident sends the whole report
// at once; their updates go to the two instances in turn, and each is posted again
// to the other instance (as Telegram does when an answer is lost). Every chat must
// read exactly as a resident's who went step by step through one instance: each
// update processed in order and once, one concern and one receipt each.
func TestTwoInstancesInOrderExactlyOnce(t *testing.T) {
	const residents = 40
	srv.Flush(t)
	api := startFleet(t, srv.URL())
	t.Setenv("MINYI_WEBHOOK_URL", "https://bot.example.org/tg")
	t.Setenv("MINYI_WEBHOOK_SECRET", "fleet-secret")
	hooks := []string{freeAddr(t), freeAddr(t)}
	for i, h := range hooks {
		startInstance(t, fmt.Sprintf("instance-%d", i), "http:\n  addr: "+h+"\n")
	}
	for _, h := range hooks {
		waitListening(t, h)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(instance int, body []byte) error {
		req, _ := http.NewRequest(http.MethodPost, "http://"+hooks[instance]+"/tg", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "fleet-secret")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("instance %d answered %d", instance, resp.StatusCode)
		}
		return nil
	}
	words := func(chat int64) string {
		return fmt.Sprintf("小区%d号楼门口的路灯坏了一个多月，晚上很黑，老人出门不安全。", chat)
	}

	// the reference: one resident, one step at a time, through one instance
	const first = int64(610000)
	wants := []string{"第1步", "跳过", "阳光社区", "匿名", "提交", "您的诉求已收到"}
	last := 0
	for i, text := range reportSteps(words(first)) {
		if err := post(0, api.number(typedBy(first, text))); err != nil {
			t.Fatal(err)
		}
		m, err := api.waitFor(first, last, wants[i])
		if err != nil {
			t.Fatalf("reference, step %d: %v", i+1, err)
		}
		last = m.id
	}

	// the others, all at once, alternating and posted twice
	together(t, residents, func(i int) error {
		r := i + 1
		chat := first + int64(r)
		for k, text := range reportSteps(words(chat)) {
			body := api.number(typedBy(chat, text))
			turn := (r + k) % 2
			for _, instance := range []int{turn, 1 - turn} {
				if err := post(instance, body); err != nil {
					return fmt.Errorf("resident %d, update %d: %w", chat, k+1, err)
				}
			}
		}
		if _, err := api.waitFor(chat, 0, "您的诉求已收到"); err != nil {
			return fmt.Errorf("resident %d: %w", chat, err)
		}
		return nil
	})
	if t.Failed() {
		return
	}
	st, err := store.Open(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := tally(t, st, api)
	want := api.transcript(first, words(first))
	differ, leftOut := 0, 0
	for r := 1; r <= residents; r++ {
		chat := first + int64(r)
		// sent all at once, a step's prompt may be made obsolete by the next answer
		// before it goes out, and is then not sent (issue 15): the chat reads as the
		// step-by-step one with such prompts left out, in order, each once, ending
		// with the receipt
		got := api.transcript(chat, words(chat))
		if len(got) < len(want) {
			leftOut++
		}
		if !inOrderWithin(got, want) || len(got) == 0 || got[len(got)-1] != want[len(want)-1] {
			differ++
			if differ <= 3 {
				t.Errorf("resident %d's chat is not the step-by-step one (obsolete prompts aside):\n got  %q\n want %q", chat, got, want)
			}
		}
	}
	t.Logf("two instances: %d residents, each update posted to both; %d concerns stored, %d classified, %d receipts, %d stored twice, %d chats out of order, %d replies repeated, %d chats with an obsolete prompt left out",
		residents+1, o.stored, o.classified, o.receipts, o.twice, differ, api.repeats(), leftOut)
	if o.stored != residents+1 || o.classified != o.stored || o.receipts != o.stored {
		t.Errorf("concerns %d, classified %d, receipts %d; want %d of each", o.stored, o.classified, o.receipts, residents+1)
	}
}

// The whole intake flow on a Redis Cluster of three masters: residents report
// through polling, each concern is queued, classified and stored; /status lists
// it; queue status and a digest of the days reconcile — with no change to minyi
// but the URL (keys that change together share a hash slot, which the cluster
// checks for every multi-key command and script).
func TestIntakeOnRedisCluster(t *testing.T) {
	const residents = 30
	url := storetest.StartCluster(t)
	api := startFleet(t, url)
	t.Setenv("MINYI_WEBHOOK_URL", "")
	startInstance(t, "on-cluster", "http:\n  addr: 127.0.0.1:0\n")

	together(t, residents, func(i int) error {
		chat := int64(620000 + i)
		if err := api.walk(chat, 0, fmt.Sprintf("第%d位居民反映：小区%d号楼门口的路灯坏了一个多月，晚上很黑。", i, i)); err != nil {
			return fmt.Errorf("resident %d: %w", chat, err)
		}
		return nil
	})
	if t.Failed() {
		return
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := tally(t, st, api)
	if o.stored != residents || o.classified != residents || o.receipts != residents {
		t.Errorf("on the cluster: concerns %d, classified %d, receipts %d; want %d of each", o.stored, o.classified, o.receipts, residents)
	}

	// a resident's own list, read from their shard's slot
	chat := int64(620000)
	rc := api.receipts()
	i := slices.IndexFunc(rc, func(r receipt) bool { return r.chat == chat })
	if i < 0 {
		t.Fatal("no receipt for the first resident")
	}
	api.push(typedBy(chat, "/status"))
	if _, err := api.waitFor(chat, rc[i].msg, rc[i].concern); err != nil {
		t.Errorf("/status on the cluster: %v", err)
	}

	cmd := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("minyi %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String() + errOut.String()
	}
	if out := cmd("queue", "status"); !strings.Contains(out, "intake queue: 0 waiting") || !strings.Contains(out, "dead letters: 0") {
		t.Errorf("queue status on the cluster:\n%s", out)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(shanghai)
	out := cmd("digest", "--from", now.AddDate(0, 0, -1).Format(time.DateOnly), "--to", now.AddDate(0, 0, 1).Format(time.DateOnly),
		"--format", "json", "--out", filepath.Join(t.TempDir(), "digest.json"))
	if want := fmt.Sprintf("reconciled (%d accepted = %d counted)", residents, residents); !strings.Contains(out, want) {
		t.Errorf("digest on the cluster lacks %q:\n%s", want, out)
	}
	t.Logf("Redis Cluster (three masters): %d residents; %d concerns stored, %d classified, %d receipts; /status, queue status and the digest read them back", residents, o.stored, o.classified, o.receipts)
}
