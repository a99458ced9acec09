package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/dispatch/dispatchtest"
	"github.com/minyi-project/minyi/flows"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sent is one call the fake transport took.
type sent struct {
	at       time.Time
	chat     int64
	text     string
	callback string
}

// fakeTransport records what it is asked to send; fail, when set, decides a
// send's error (nil: it goes through).
type fakeTransport struct {
	mu    sync.Mutex
	calls []sent
	fail  func(o Out, try int) error
	tries map[string]int
}

func (f *fakeTransport) Send(_ context.Context, o Out) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tries == nil {
		f.tries = map[string]int{}
	}
	key := fmt.Sprintf("%d/%s", o.ChatID, o.Message.Text)
	f.tries[key]++
	if f.fail != nil {
		if err := f.fail(o, f.tries[key]); err != nil {
			return err
		}
	}
	f.calls = append(f.calls, sent{at: time.Now(), chat: o.ChatID, text: o.Message.Text})
	return nil
}

func (f *fakeTransport) Answer(_ context.Context, chat int64, id, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, sent{at: time.Now(), chat: chat, callback: id, text: text})
	return nil
}

func (f *fakeTransport) snapshot() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.calls...)
}

// texts are the messages sent to chat, in order.
func (f *fakeTransport) texts(chat int64) []string {
	var out []string
	for _, c := range f.snapshot() {
		if c.chat == chat && c.callback == "" {
			out = append(out, c.text)
		}
	}
	return out
}

// run runs s until the test ends.
func run(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func msg(text string) flows.Message    { return flows.Message{Text: text} }
func prompt(text string) flows.Message { return flows.Message{Text: text, Prompt: true} }

// counter counts deliveries done, and keeps their errors.
type counter struct {
	mu   sync.Mutex
	n    int
	errs []error
}

func (c *counter) done(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Many chats, many deliveries each, some sends failing for a while: each chat
// gets its messages in the order they were handed over, every one of them.
func TestEachChatInOrder(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	var mu sync.Mutex
	ft := &fakeTransport{fail: func(o Out, try int) error {
		mu.Lock()
		defer mu.Unlock()
		if try < 3 && rnd.Intn(4) == 0 {
			return errors.New("telegram server error 502")
		}
		return nil
	}}
	s := New(ft, WithLogger(quiet), WithWorkers(8))
	s.retry = time.Millisecond
	run(t, s)
	const chats, per = 20, 30
	var c counter
	var wg sync.WaitGroup
	for chat := range chats {
		wg.Go(func() {
			for i := range per {
				s.Enqueue(Delivery{ChatID: int64(chat + 1), InputID: fmt.Sprint(i), Messages: []flows.Message{msg(fmt.Sprintf("%d-a", i)), msg(fmt.Sprintf("%d-b", i))}}, c.done)
			}
		})
	}
	wg.Wait()
	waitFor(t, "every delivery", func() bool { return c.count() == chats*per })
	for chat := range chats {
		got := ft.texts(int64(chat + 1))
		if len(got) != 2*per {
			t.Fatalf("chat %d: %d messages, want %d", chat+1, len(got), 2*per)
		}
		for i := range per {
			if got[2*i] != fmt.Sprintf("%d-a", i) || got[2*i+1] != fmt.Sprintf("%d-b", i) {
				t.Fatalf("chat %d out of order at %d: %v", chat+1, i, got[2*i:2*i+2])
			}
		}
	}
}

// A prompt still waiting when a newer answer comes for the chat is not sent; a
// receipt waiting the same way is, and before the newer answer.
func TestObsoletePromptDroppedReceiptKept(t *testing.T) {
	ft := &fakeTransport{}
	g := &dispatchtest.Gate{}
	s := New(ft, WithLogger(quiet), WithBudget(g))
	run(t, s)
	var c counter
	s.Enqueue(Delivery{ChatID: 1, InputID: "1", Messages: []flows.Message{prompt("第2步：照片")}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 1, InputID: "2", Messages: []flows.Message{prompt("第3步：位置")}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 2, InputID: "3", Messages: []flows.Message{msg("✅ 您的诉求已收到")}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 2, InputID: "4", Messages: []flows.Message{prompt("第1步：描述")}, Class: ClassAnswer}, c.done)
	// a notice is no newer answer: the prompt before it stands
	s.Enqueue(Delivery{ChatID: 3, InputID: "5", Messages: []flows.Message{prompt("第4步：联系方式")}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 3, InputID: "6", Messages: []flows.Message{msg("诉求已受理")}, Class: ClassNotice}, c.done)
	// nor is an answer that asks nothing: a stale button's toast, the too-many-messages notice
	s.Enqueue(Delivery{ChatID: 4, InputID: "7", Messages: []flows.Message{prompt("第3步：位置")}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 4, InputID: "8", CallbackID: "cb8", Messages: []flows.Message{{Text: "这个按钮已失效", Toast: true}}, Class: ClassAnswer}, c.done)
	s.Enqueue(Delivery{ChatID: 4, InputID: "9", Messages: []flows.Message{msg("您发送得太快了")}, Class: ClassAnswer}, c.done)
	if n := c.count(); n != 1 {
		t.Fatalf("%d deliveries done before anything was sent; want 1 (the dropped prompt)", n)
	}
	g.Open()
	waitFor(t, "all nine", func() bool { return c.count() == 9 })
	for chat, want := range map[int64]string{1: "[第3步：位置]", 2: "[✅ 您的诉求已收到 第1步：描述]", 3: "[第4步：联系方式 诉求已受理]", 4: "[第3步：位置 您发送得太快了]"} {
		if got := fmt.Sprint(ft.texts(chat)); got != want {
			t.Errorf("chat %d got %s, want %s", chat, got, want)
		}
	}
}

// A receipt is tried until it goes, however long Telegram fails; a prompt is
// given up after its attempts (the resident gets the next answer instead).
func TestReceiptNeverGivenUp(t *testing.T) {
	ft := &fakeTransport{fail: func(o Out, try int) error {
		if try <= 7 {
			return errors.New("telegram server error 500")
		}
		return nil
	}}
	s := New(ft, WithLogger(quiet), WithAttempts(3))
	s.retry = time.Millisecond // seven tries, without the half minute of backoff
	run(t, s)
	var c counter
	s.Enqueue(Delivery{ChatID: 1, InputID: "r", Messages: []flows.Message{msg("✅ 您的诉求已收到，编号 20261126-0001")}}, c.done)
	s.Enqueue(Delivery{ChatID: 2, InputID: "p", Messages: []flows.Message{prompt("第2步")}}, c.done)
	waitFor(t, "both done with", func() bool { return c.count() == 2 })
	if got := ft.texts(1); len(got) != 1 {
		t.Fatalf("the receipt: %v", got)
	}
	if got := ft.texts(2); len(got) != 0 {
		t.Fatalf("the prompt was sent after 3 failed tries of 3: %v", got)
	}
	if ft.tries["1/✅ 您的诉求已收到，编号 20261126-0001"] != 8 || ft.tries["2/第2步"] != 3 {
		t.Fatalf("tries: %v", ft.tries)
	}
}

// A 429 pauses all sending, every chat's, for its retry_after.
func TestTooManyPausesEverything(t *testing.T) {
	var once atomic.Bool
	ft := &fakeTransport{fail: func(o Out, try int) error {
		if o.ChatID == 1 && once.CompareAndSwap(false, true) {
			return &RetryAfterError{After: time.Second, Err: errors.New("Too Many Requests: retry after 1")}
		}
		return nil
	}}
	s := New(ft, WithLogger(quiet), WithBudget(NewBudget(0, 1)), WithWorkers(1))
	run(t, s)
	var c counter
	began := time.Now()
	s.Enqueue(Delivery{ChatID: 1, InputID: "a", Messages: []flows.Message{msg("一")}}, c.done)
	time.Sleep(50 * time.Millisecond) // the 429 comes first
	for chat := int64(2); chat <= 5; chat++ {
		s.Enqueue(Delivery{ChatID: chat, InputID: "b", Messages: []flows.Message{msg("二")}, CallbackID: fmt.Sprint("cb", chat)}, c.done)
	}
	waitFor(t, "all five", func() bool { return c.count() == 5 })
	for _, call := range ft.snapshot() {
		if call.callback != "" {
			// an answer to a button is not a message, but Telegram asked for a pause of all
			if call.at.Sub(began) < 950*time.Millisecond {
				t.Errorf("button of chat %d answered %v after the 429", call.chat, call.at.Sub(began))
			}
			continue
		}
		if d := call.at.Sub(began); d < 950*time.Millisecond {
			t.Errorf("chat %d sent %v after a 429 asking for 1 s", call.chat, d)
		}
	}
	if got := ft.texts(1); len(got) != 1 {
		t.Fatalf("the refused message was not sent again after the pause: %v", got)
	}
}

// Alerts go before everything that waits; within a class chats take turns.
func TestAlertsFirstChatsTakeTurns(t *testing.T) {
	ft := &fakeTransport{}
	g := &dispatchtest.Gate{}
	s := New(ft, WithLogger(quiet), WithBudget(g), WithWorkers(1))
	run(t, s)
	var c counter
	for i := range 3 {
		for chat := int64(1); chat <= 3; chat++ {
			s.Enqueue(Delivery{ChatID: chat, InputID: fmt.Sprint(i), Messages: []flows.Message{msg(fmt.Sprintf("%d:%d", chat, i))}}, c.done)
		}
	}
	s.Enqueue(Delivery{ChatID: 4, InputID: "b", Messages: []flows.Message{msg("日报")}, Class: ClassBulk}, c.done)
	s.Enqueue(Delivery{ChatID: 5, InputID: "n", Messages: []flows.Message{msg("已受理")}, Class: ClassNotice}, c.done)
	s.Enqueue(Delivery{ChatID: -100, InputID: "al", Messages: []flows.Message{msg("🚨 紧急诉求")}, Class: ClassAlert}, c.done)
	g.Open()
	waitFor(t, "all", func() bool { return c.count() == 12 })
	var order []string
	for _, call := range ft.snapshot() {
		order = append(order, call.text)
	}
	want := "[🚨 紧急诉求 1:0 2:0 3:0 1:1 2:1 3:1 1:2 2:2 3:2 已受理 日报]"
	if fmt.Sprint(order) != want {
		t.Fatalf("sent in the order %v\nwant %s", order, want)
	}
}

// A chat behind an urgent message it holds is served at the urgent message's
// class: its order is kept, and the alert does not wait behind other chats.
func TestUrgentBehindOrdinaryInOneChat(t *testing.T) {
	ft := &fakeTransport{}
	g := &dispatchtest.Gate{}
	s := New(ft, WithLogger(quiet), WithBudget(g), WithWorkers(1))
	run(t, s)
	var c counter
	for chat := int64(1); chat <= 5; chat++ {
		s.Enqueue(Delivery{ChatID: chat, InputID: "x", Messages: []flows.Message{msg(fmt.Sprint("答复", chat))}}, c.done)
	}
	s.Enqueue(Delivery{ChatID: 9, InputID: "d", Messages: []flows.Message{msg("日报")}, Class: ClassBulk}, c.done)
	s.Enqueue(Delivery{ChatID: 9, InputID: "a", Messages: []flows.Message{msg("⏫ 升级提醒")}, Class: ClassAlert}, c.done)
	g.Open()
	waitFor(t, "all", func() bool { return c.count() == 7 })
	var order []string
	for _, call := range ft.snapshot() {
		order = append(order, call.text)
	}
	// the chat's own order first; while its first message is on its way, one
	// other chat's may be taken
	if order[0] != "日报" || order[1] != "⏫ 升级提醒" && order[2] != "⏫ 升级提醒" {
		t.Fatalf("sent in the order %v", order)
	}
}

// A pressed button is answered at once, with its toast, while its reply waits
// for the budget.
func TestButtonsAnsweredAtOnce(t *testing.T) {
	ft := &fakeTransport{}
	g := &dispatchtest.Gate{}
	s := New(ft, WithLogger(quiet), WithBudget(g))
	run(t, s)
	var c counter
	s.Enqueue(Delivery{ChatID: 1, InputID: "x", CallbackID: "cb1", Messages: []flows.Message{{Text: "已确认", Toast: true}, msg("下一步")}}, c.done)
	waitFor(t, "the answer", func() bool { return len(ft.snapshot()) == 1 })
	if call := ft.snapshot()[0]; call.callback != "cb1" || call.text != "已确认" {
		t.Fatalf("answered %+v", call)
	}
	if c.count() != 0 {
		t.Fatal("done before its message was sent")
	}
	g.Open()
	waitFor(t, "the message", func() bool { return c.count() == 1 })
	if got := fmt.Sprint(ft.texts(1)); got != "[下一步]" {
		t.Fatalf("sent %s", got)
	}
}

// A chat that blocked the bot has everything waiting for it given up, with
// ErrUnreachable; the staff group only loses the delivery refused.
func TestUnreachable(t *testing.T) {
	ft := &fakeTransport{fail: func(o Out, _ int) error {
		if o.ChatID == 1 || o.Message.Text == "g1" {
			return fmt.Errorf("%w: Forbidden: bot was blocked by the user", ErrUnreachable)
		}
		return nil
	}}
	g := &dispatchtest.Gate{}
	s := New(ft, WithLogger(quiet), WithBudget(g))
	run(t, s)
	var c counter
	s.Enqueue(Delivery{ChatID: 1, InputID: "1", Messages: []flows.Message{msg("a"), msg("b")}}, c.done)
	s.Enqueue(Delivery{ChatID: 1, InputID: "2", Messages: []flows.Message{msg("c")}}, c.done)
	s.Enqueue(Delivery{ChatID: -5, InputID: "3", Messages: []flows.Message{msg("g1"), msg("g2")}}, c.done)
	s.Enqueue(Delivery{ChatID: -5, InputID: "4", Messages: []flows.Message{msg("g3")}}, c.done)
	g.Open()
	waitFor(t, "all four", func() bool { return c.count() == 4 })
	if len(c.errs) != 3 || !errors.Is(c.errs[0], ErrUnreachable) {
		t.Fatalf("errors %v", c.errs)
	}
	if got := fmt.Sprint(ft.texts(-5)); got != "[g3]" {
		t.Fatalf("group got %s", got)
	}
}

// The chat limits: three at once into a chat, then one a second.
func TestChatPacing(t *testing.T) {
	ft := &fakeTransport{}
	s := New(ft, WithLogger(quiet), WithChatLimits(TelegramChatLimits()))
	run(t, s)
	var c counter
	began := time.Now()
	for i := range 5 {
		s.Enqueue(Delivery{ChatID: 1, InputID: fmt.Sprint(i), Messages: []flows.Message{msg(fmt.Sprint(i))}}, c.done)
	}
	s.Enqueue(Delivery{ChatID: 2, InputID: "o", Messages: []flows.Message{msg("other")}}, c.done)
	waitFor(t, "all", func() bool { return c.count() == 6 })
	var at []time.Duration
	for _, call := range ft.snapshot() {
		if call.chat == 1 {
			at = append(at, call.at.Sub(began))
		} else if d := call.at.Sub(began); d > 500*time.Millisecond {
			t.Errorf("another chat waited %v behind a busy one", d)
		}
	}
	if at[2] > 500*time.Millisecond || at[3] < 900*time.Millisecond || at[4] < 1900*time.Millisecond {
		t.Fatalf("sent into one chat at %v", at)
	}
}

func TestLocalBudget(t *testing.T) {
	now := time.Unix(0, 0)
	b := NewBudget(10, 2).(*localBudget)
	b.now = func() time.Time { return now }
	var got []string
	for range 4 {
		w, _ := b.Take(context.Background())
		got = append(got, w.String())
	}
	now = now.Add(100 * time.Millisecond)
	w, _ := b.Take(context.Background())
	got = append(got, w.String())
	b.Pause(context.Background(), 2*time.Second)
	w, _ = b.Take(context.Background())
	got = append(got, w.String())
	if s := strings.Join(got, " "); s != "0s 0s 100ms 100ms 0s 2s" {
		t.Fatalf("waits %s", s)
	}
}

// Random deliveries (prompts or not, any class, some with buttons), random
// failures and sends racing the enqueues: every delivery is done with once;
// each chat's messages come in order; every message that is no prompt comes;
// a prompt is missing only when a newer answer to its chat came after it.
func TestRandomDeliveries(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rnd, failing := rand.New(rand.NewSource(seed)), rand.New(rand.NewSource(-seed))
		var mu sync.Mutex
		ft := &fakeTransport{fail: func(o Out, try int) error {
			mu.Lock()
			defer mu.Unlock()
			switch n := failing.Intn(20); {
			case try < 3 && n == 0:
				return errors.New("telegram server error 500")
			case try < 2 && n == 1:
				return &RetryAfterError{After: time.Millisecond, Err: errors.New("429")}
			}
			return nil
		}}
		s := New(ft, WithLogger(quiet), WithWorkers(4), WithBudget(NewBudget(5000, 10)))
		s.retry = time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { s.Run(ctx); close(stopped) }()
		type sentMsg struct {
			text   string
			prompt bool
			answer bool // the delivery was an answer with messages
		}
		const chats, n = 6, 300
		var plan [chats + 1][]sentMsg
		done := make([]atomic.Int32, n)
		for i := range n {
			chat := int64(1 + rnd.Intn(chats))
			class := []Class{ClassAnswer, ClassAnswer, ClassAlert, ClassNotice, ClassBulk}[rnd.Intn(5)]
			d := Delivery{ChatID: chat, InputID: fmt.Sprint(i), Class: class}
			if rnd.Intn(3) == 0 {
				d.CallbackID = fmt.Sprint("cb", i)
			}
			for k := range rnd.Intn(3) {
				m := flows.Message{Text: fmt.Sprintf("%d.%d", i, k), Prompt: rnd.Intn(2) == 0}
				d.Messages = append(d.Messages, m)
				plan[chat] = append(plan[chat], sentMsg{text: m.Text, prompt: m.Prompt, answer: class == ClassAnswer})
			}
			s.Enqueue(d, func(error) { done[i].Add(1) })
			if rnd.Intn(10) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		waitFor(t, fmt.Sprint("every delivery, seed ", seed), func() bool {
			for i := range done {
				if done[i].Load() == 0 {
					return false
				}
			}
			return true
		})
		time.Sleep(20 * time.Millisecond)
		cancel()
		<-stopped
		for i := range done {
			if done[i].Load() != 1 {
				t.Fatalf("seed %d: delivery %d done %d times", seed, i, done[i].Load())
			}
		}
		for chat := int64(1); chat <= chats; chat++ {
			got := ft.texts(chat)
			j := 0
			for k, m := range plan[chat] {
				if j < len(got) && got[j] == m.text {
					j++
					continue
				}
				// missing: must be a prompt with a newer answer of the chat after it
				newer := false
				for _, later := range plan[chat][k+1:] {
					if later.answer && later.text[:strings.IndexByte(later.text, '.')] != m.text[:strings.IndexByte(m.text, '.')] {
						newer = true
					}
				}
				if !m.prompt || !newer {
					t.Fatalf("seed %d chat %d: %q (prompt %v) not sent, or out of order; sent %v", seed, chat, m.text, m.prompt, got)
				}
			}
			if j != len(got) {
				t.Fatalf("seed %d chat %d: sent %v, not in the planned order", seed, chat, got)
			}
		}
	}
}
