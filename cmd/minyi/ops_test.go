package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics into series → value (the series as written, labels and all).
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sumOf adds up the series that start with prefix.
func sumOf(m map[string]float64, prefix string) float64 {
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func status(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitStatus(t *testing.T, addr, path string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := status(addr, path)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d, not %d, within %v", path, got, want, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The metrics move as residents talk to the bot, and readiness follows Redis.
func TestMetricsAndReadiness(t *testing.T) {
	srv.Flush(t)
	api := newFleetAPI()
	fake := httptest.NewServer(api)
	t.Cleanup(fake.Close)
	fleetEnv(t, fake.URL, srv.URL())
	t.Setenv("MINYI_WEBHOOK_URL", "")
	addr := freeAddr(t)
	t.Setenv("MINYI_HTTP_ADDR", addr)
	startInstance(t, "ops", "")
	waitListening(t, addr)
	if got := status(addr, "/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz: %d", got)
	}
	waitStatus(t, addr, "/readyz", http.StatusOK, 10*time.Second)

	before := scrape(t, addr)
	if err := api.walk(630001, 0, "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。"); err != nil {
		t.Fatal(err)
	}
	// another starts a report and cancels it
	api.push(typedBy(630002, "/report"))
	if _, err := api.waitFor(630002, 0, "第1步"); err != nil {
		t.Fatal(err)
	}
	api.push(typedBy(630002, "/cancel"))
	if _, err := api.waitFor(630002, 0, "已取消"); err != nil {
		t.Fatal(err)
	}
	var after map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		after = scrape(t, addr)
		if sumOf(after, "minyi_concerns_received_total") > sumOf(before, "minyi_concerns_received_total") || time.Now().After(deadline) {
			break
		}
	}
	delta := func(series string) float64 { return after[series] - before[series] }
	sum := sumOf
	checks := []struct {
		what string
		got  float64
		want float64
	}{
		{"typed updates (/report, the words, 匿名 from its keyboard; /report, /cancel)", delta(`minyi_updates_total{type="text"}`), 5},
		{"buttons pressed (跳过, the community, 提交)", delta(`minyi_updates_total{type="button"}`), 3},
		{"steps completed (describe, photos, where, contact, confirm)", sum(after, `minyi_flow_steps_total{flow="report",outcome="completed"`) - sum(before, `minyi_flow_steps_total{flow="report",outcome="completed"`), 5},
		{"drafts abandoned at the description", delta(`minyi_flow_steps_total{flow="report",outcome="abandoned",step="describe"}`), 1},
		{"concerns received", sum(after, "minyi_concerns_received_total") - sum(before, "minyi_concerns_received_total"), 1},
		{"classifications timed", sum(after, "minyi_classification_seconds_count") - sum(before, "minyi_classification_seconds_count"), 1},
		{"queue readable", after["minyi_queue_readable"], 1},
		{"queue empty", after["minyi_queue_length"], 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if t.Failed() {
		for k, v := range after {
			if strings.HasPrefix(k, "minyi_") {
				t.Logf("%s %v (before %v)", k, v, before[k])
			}
		}
	}

	// readiness goes with Redis, and comes back with it
	srv.Down()
	waitStatus(t, addr, "/readyz", http.StatusServiceUnavailable, 10*time.Second)
	if got := status(addr, "/healthz"); got != http.StatusOK {
		t.Errorf("/healthz with Redis down: %d (the process is up)", got)
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, addr, "/readyz", http.StatusOK, 20*time.Second)
}
