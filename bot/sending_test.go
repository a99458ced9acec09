package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/dispatch/dispatchtest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/telemetry"
)

func gated(g *dispatchtest.Gate) func(*harnessConfig) {
	return func(c *harnessConfig) { c.sending = []dispatch.Option{dispatch.WithBudget(g)} }
}

// since returns the calls made after the first n.
func (h *harness) since(n int) []apiCall { return h.api.snapshot()[n:] }

func count(calls []apiCall, method string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// A resident taps the same button five times while its answer waits behind the
// budget: every tap's spinner stops at once, and the answer is sent once.
func TestSameTapFiveTimesOneAnswer(t *testing.T) {
	g := &dispatchtest.Gate{}
	g.Open()
	h := newHarness(t, false, gated(g))
	h.say("小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。")
	g.Shut()
	from := len(h.api.snapshot())
	var presses []map[string]any
	for range 5 {
		presses = append(presses, h.button("跳过"))
	}
	ids := h.api.push(presses...)
	waitFor(t, func() bool { return count(h.since(from), "answerCallbackQuery") == 5 })
	if n := count(h.since(from), "sendMessage"); n != 0 {
		t.Fatalf("%d messages sent through a shut budget", n)
	}
	g.Open()
	for _, id := range ids {
		h.waitDelivered(id)
	}
	time.Sleep(200 * time.Millisecond)
	calls := h.since(from)
	if n := count(calls, "sendMessage") + count(calls, "editMessageText"); n != 1 || !strings.HasPrefix(calls[len(calls)-1].Params["text"], "第3步") {
		t.Fatalf("five taps of one button: %d messages\n%s", n, transcript(calls))
	}
	// and the resident goes on as if they had tapped once
	mustContain(t, h.press("阳光社区"), "第4步")
}

// A prompt still waiting when the resident has already answered it is not sent:
// only the newer prompt is. A receipt waiting the same way is sent, before what
// follows it.
func TestObsoletePromptNotSentReceiptIs(t *testing.T) {
	g := &dispatchtest.Gate{}
	h := newHarness(t, false, gated(g))
	from := len(h.api.snapshot())
	ids := h.api.push(textUpdate(resident, "楼道里的灯坏了两周了，请尽快维修。"), textUpdate(resident, "跳过"))
	time.Sleep(300 * time.Millisecond) // both processed, both answers waiting
	g.Open()
	for _, id := range ids {
		h.waitDelivered(id)
	}
	calls := h.since(from)
	if len(calls) != 1 || !strings.HasPrefix(calls[0].Params["text"], "第3步") {
		t.Fatalf("the photo step's prompt was sent though answered:\n%s", transcript(calls))
	}
	h.press("和平社区")
	h.press("匿名")
	g.Shut()
	from = len(h.api.snapshot())
	submit := h.button("提交")
	ids = h.api.push(submit, textUpdate(resident, "/status"))
	time.Sleep(300 * time.Millisecond)
	g.Open()
	for _, id := range ids {
		h.waitDelivered(id)
	}
	var texts []string
	for _, c := range h.since(from) {
		if c.Method != "answerCallbackQuery" {
			texts = append(texts, c.Params["text"])
		}
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "您的诉求已收到") || !strings.Contains(texts[1], "20261126-0001") {
		t.Fatalf("receipt then the list, in order: %q", texts)
	}
}

// The real transport under the scheduler, against the fake Bot API: a 429 with
// retry_after 1 pauses every chat's messages for a second, then the refused
// message goes again, first, and the rest after it; the pause is counted.
func TestTooManyRequestsPausesAllChats(t *testing.T) {
	api := newFakeAPI(t)
	metrics := telemetry.New()
	tr, err := New(testToken, nil, nil, WithServerURL(api.srv.URL), WithLogger(testLogger()), WithMetrics(metrics))
	if err != nil {
		t.Fatal(err)
	}
	s := dispatch.New(tr, dispatch.WithLogger(testLogger()), dispatch.WithMetrics(metrics), dispatch.WithWorkers(1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	api.fail("sendMessage", tooMany(1))
	began := time.Now()
	left := make(chan struct{}, 3)
	for _, chat := range []int64{11, 12, 13} {
		s.Enqueue(dispatch.Delivery{ChatID: chat, InputID: "x", Messages: []flows.Message{{Text: fmt.Sprint("答复", chat)}}}, func(error) { left <- struct{}{} })
	}
	for range 3 {
		<-left
	}
	var got []string
	for _, c := range api.snapshot() {
		got = append(got, fmt.Sprintf("%s %s %d %v", c.Method, c.Params["chat_id"], c.Status, c.At.Sub(began) >= 950*time.Millisecond))
	}
	// the chats' order after the pause is the scheduler's; each one's call waited it out
	slices.Sort(got[1:])
	want := "[sendMessage 11 429 false sendMessage 11 200 true sendMessage 12 200 true sendMessage 13 200 true]"
	if fmt.Sprint(got) != want {
		t.Fatalf("calls (method chat status after-the-pause):\n%v\nwant\n%s", got, want)
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{"minyi_telegram_pauses_total 1", "minyi_telegram_paused_seconds_total 1", `minyi_telegram_errors_total{code="429"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// A command said twice while the first answer waits may be meant twice (two
// invite codes): each gets its answer. Only inputs whose answer has not been
// tried at all are taken for repeats.
func TestCommandTwiceTwoAnswers(t *testing.T) {
	g := &dispatchtest.Gate{}
	h := newHarness(t, false, gated(g))
	from := len(h.api.snapshot())
	ids := h.api.push(textUpdate(resident, "/help"), textUpdate(resident, "/help"))
	time.Sleep(100 * time.Millisecond)
	g.Open()
	for _, id := range ids {
		h.waitDelivered(id)
	}
	time.Sleep(200 * time.Millisecond)
	// each answer is the help and the menu
	if n := count(h.since(from), "sendMessage"); n != 4 {
		t.Fatalf("/help twice: %d messages, want 4 (two answers)\n%s", n, transcript(h.since(from)))
	}
}
