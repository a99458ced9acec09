package bot

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/flows"
)

// Redis unreachable for 30 s: residents writing meanwhile are told, once a minute
// each, to try again; nothing they sent is lost, it is handled in order once Redis
// is back, without anyone's help; and no goroutines pile up.
func TestRedisUnreachableFor30s(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 30 s")
	}
	h := newHarness(t, false)
	residents := []int64{1001, 1002, 1003}
	for _, r := range residents {
		h.as(r, "/report")
	}
	time.Sleep(time.Second) // settle: pools warm, pollers idle
	// idle keep-alive connections (two goroutines each, as many as the load opened,
	// bounded by the pool) are not a leak: each count is taken without them
	h.tr.http.CloseIdleConnections()
	before := ourGoroutines()

	srv.Down()
	began := time.Now()
	var sent []int64
	var during []int
	for time.Since(began) < 30*time.Second {
		for _, r := range residents {
			sent = append(sent, h.api.push(textUpdate(r, fmt.Sprintf("停电第%d次反映：小区3栋从早上开始停电，到现在还没来电。", len(sent))))...)
		}
		time.Sleep(3 * time.Second)
		h.tr.http.CloseIdleConnections()
		during = append(during, ourGoroutines())
	}
	// each resident was told to try again, and only once in the outage's half minute
	told := map[string]int{}
	for _, c := range h.api.snapshot() {
		if strings.Contains(c.Params["text"], "系统暂时繁忙") {
			told[c.Params["chat_id"]]++
		}
	}
	for _, r := range residents {
		if n := told[fmt.Sprint(r)]; n != 1 {
			t.Errorf("resident %d told %d times to try again", r, n)
		}
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	recovered := time.Now()
	for _, id := range sent {
		h.waitDelivered(id)
	}
	t.Logf("%d updates sent in a %.0f s outage, all handled %.1f s after Redis came back", len(sent), recovered.Sub(began).Seconds(), time.Since(recovered).Seconds())
	time.Sleep(2 * time.Second)
	// a connection being made or a request in flight (the long poll) shows for a
	// moment; what leaks stays: the least of a few counts over two seconds
	after := -1
	for range 10 {
		h.tr.http.CloseIdleConnections()
		if n := ourGoroutines(); after < 0 || n < after {
			after = n
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("goroutines: %d before, %v during, %d after", before, during, after)
	if after > before+5 || during[len(during)-1] > during[0]+5 {
		t.Fatalf("goroutines grew: %d before, %v during, %d after; now:\n%s", before, during, after, goroutineSummary())
	}
	// in order: each resident's first message, sent in the outage, is their concern;
	// the later ones came to the photo step after it
	for i, r := range residents {
		chat, err := h.st.LoadChat(t.Context(), r, r, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sess flows.Session
		json.Unmarshal(chat.Session, &sess)
		want := fmt.Sprintf("停电第%d次反映", i)
		if sess.Flow == nil || !strings.HasPrefix(sess.Flow.Answers["describe"].Text, want) {
			t.Errorf("resident %d's concern is not their first message (%s…): %+v", r, want, sess.Flow)
		}
	}
}

// goroutineSummary counts the goroutines by where they were started, for a failure's message.
func goroutineSummary() string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	by := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "miniredis") || strings.Contains(g, "storetest.(*proxy)") {
			continue
		}
		lines := strings.Split(strings.TrimSpace(g), "\n")
		key := lines[len(lines)-1]
		if len(lines) > 1 {
			key = lines[1] + " ← " + strings.TrimSpace(lines[len(lines)-2])
		}
		by[key]++
	}
	var out []string
	for k, n := range by {
		out = append(out, fmt.Sprintf("%3d %s", n, k))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// ourGoroutines counts the goroutines of the program under test, leaving out those
// of the embedded Redis and its outage proxy, which serve the other side.
func ourGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "miniredis") && !strings.Contains(g, "storetest.(*proxy)") {
			n++
		}
	}
	return n
}
