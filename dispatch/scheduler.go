package dispatch

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/telemetry"
)

// ChatLimits are how fast one chat may be sent to: a GCRA bucket of a rate and a
// burst for private chats, another for groups.
type ChatLimits struct {
	PrivatePerSecond float64
	PrivateBurst     int
	GroupPerMinute   float64
	GroupBurst       int
}

// TelegramChatLimits keep to what Telegram asks: about one message a second in a
// chat (short bursts pass), at most 20 a minute in a group (a burst of 3, then
// one every 60/17 s, so that no minute holds more than 20).
func TelegramChatLimits() ChatLimits {
	return ChatLimits{PrivatePerSecond: 1, PrivateBurst: 3, GroupPerMinute: 17, GroupBurst: 3}
}

// Scheduler sends deliveries through a Transport within a Budget and the chat
// limits. Make it with New, run it with Run, hand it deliveries with Enqueue.
type Scheduler struct {
	t        Transport
	split    Splitter
	obs      Observer
	budget   Budget
	limits   ChatLimits
	paced    bool
	workers  int
	answerer int
	attempts int
	retry    time.Duration // the first wait before a failed send is tried again
	log      *slog.Logger
	metrics  *telemetry.Metrics
	now      func() time.Time

	mu      sync.Mutex
	chats   map[int64]*chat
	rings   [len(classes)]ring
	waiting chatHeap // chats held back by their pacing or a retry's backoff
	answers []*job   // pressed buttons to answer
	wake    chan struct{}
	ring    chan struct{} // wakes the answerers
	// paused is when a pause Telegram asked for ends, for the answers (the
	// budget keeps it for the messages)
	paused time.Time
}

// Option configures a Scheduler.
type Option func(*Scheduler)

// WithBudget sets the budget all messages are taken from (default: no limit).
func WithBudget(b Budget) Option { return func(s *Scheduler) { s.budget = b } }

// WithChatLimits keeps each chat to l (default: none).
func WithChatLimits(l ChatLimits) Option {
	return func(s *Scheduler) { s.limits, s.paced = l, l.PrivatePerSecond > 0 && l.GroupPerMinute > 0 }
}

// WithWorkers sets how many messages may be on their way at once (default 32).
func WithWorkers(n int) Option { return func(s *Scheduler) { s.workers = max(n, 1) } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Scheduler) { s.log = l } }

// WithMetrics counts what is queued, sent, dropped and paused in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(s *Scheduler) { s.metrics = m } }

// WithAttempts sets how often a prompt is tried before it is given up (default 5);
// receipts, alerts and notices are tried for as long as the scheduler runs.
func WithAttempts(n int) Option { return func(s *Scheduler) { s.attempts = max(n, 1) } }

// New makes a Scheduler sending through t.
func New(t Transport, opts ...Option) *Scheduler {
	s := &Scheduler{t: t, budget: NewBudget(0, 1), workers: 32, answerer: 8, attempts: 5, retry: 500 * time.Millisecond, log: slog.Default(), now: time.Now,
		chats: map[int64]*chat{}, wake: make(chan struct{}, 1), ring: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	s.split, _ = t.(Splitter)
	s.obs, _ = t.(Observer)
	return s
}

// chat is one chat's messages waiting, in order.
type chat struct {
	id    int64
	items []*item
	busy  bool      // its first item is on its way
	next  time.Time // not before: its pacing, or a failed try's backoff
	tat   time.Time // its pacing's bucket: when it would be full again
	tries int       // failed tries of its first item
	first bool      // to go before the others of its class (its send met a 429)
	// where it is held: in a ring (rank+1, with gen to tell a stale entry), in
	// the waiting heap, or nowhere
	at    int
	gen   uint64
	index int // in the waiting heap
}

const (
	nowhere   = 0
	inWaiting = -1
)

// item is one message of a delivery.
type item struct {
	job    *job
	out    Out
	prompt bool
	queued time.Time
}

// job is one delivery.
type job struct {
	d        Delivery
	class    Class
	done     func(error)
	left     int  // items not yet sent or dropped
	answered bool // its button answered, or it has none
	started  bool // a message of it was handed to a worker
	finished bool
	err      error
	toast    string
}

// Ticket follows a delivery handed to Enqueue.
type Ticket struct {
	s *Scheduler
	j *job
}

// Pending reports whether any of the delivery is still to be sent.
func (t *Ticket) Pending() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return !t.j.finished
}

// Untouched reports whether none of the delivery has been tried yet: it is still
// to be sent, and no message of it may have reached the chat.
func (t *Ticket) Untouched() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return !t.j.finished && !t.j.started
}

// Enqueue hands over a delivery; done (when not nil) is called once it is sent,
// dropped, or given up on (with the error), but never when Run ends first: what
// is still queued then is for the caller to send again later (the outbox).
// Deliveries of a chat are sent in the order they are handed over.
func (s *Scheduler) Enqueue(d Delivery, done func(error)) *Ticket {
	j := &job{d: d, class: classes[d.Class.rank()], done: done, answered: d.CallbackID == ""}
	var finished []*job
	s.mu.Lock()
	c := s.chats[d.ChatID]
	if c == nil {
		c = &chat{id: d.ChatID}
		s.chats[d.ChatID] = c
	}
	if j.class == ClassAnswer && asks(d.Messages) {
		// the chat moved on: a step's prompt still waiting asks for what is no longer
		// asked. Only a new question replaces it: a toast or a notice (too many
		// messages, a stale button) leaves the chat where it was.
		finished = s.dropPrompts(c)
	}
	now := s.now()
	for _, m := range d.Messages {
		if m.Toast && d.CallbackID != "" {
			j.toast = m.Text // said on the pressed button
			continue
		}
		parts := []flows.Message{m}
		if s.split != nil {
			parts = s.split.Split(m)
		}
		for _, p := range parts {
			o := Out{ChatID: d.ChatID, InputID: d.InputID, Message: p}
			if p.Edit {
				o.EditID = d.MessageID
			}
			c.items = append(c.items, &item{job: j, out: o, prompt: m.Prompt, queued: now})
			j.left++
		}
	}
	s.metrics.Queued(j.class.String(), j.left)
	if !j.answered {
		s.answers = append(s.answers, j)
		signal(s.ring)
	}
	if j.left == 0 && j.answered {
		j.finished = true
		finished = append(finished, j)
	}
	if c.at > 0 && len(c.items) > 0 && c.items[len(c.items)-1].job == j {
		// waiting in a ring of a lower class than what it now holds: move it up
		if rank := s.best(c); rank+1 < c.at {
			c.at = nowhere
		}
	}
	s.place(c)
	s.mu.Unlock()
	s.finish(finished)
	return &Ticket{s: s, j: j}
}

// asks reports whether ms put a question to the chat: a prompt in a message of its own.
func asks(ms []flows.Message) bool {
	for _, m := range ms {
		if m.Prompt && !m.Toast {
			return true
		}
	}
	return false
}

// dropPrompts removes the chat's waiting prompts (not one on its way) and
// returns the deliveries that leaves with nothing to send.
func (s *Scheduler) dropPrompts(c *chat) []*job {
	var finished []*job
	kept := c.items[:0]
	dropped := 0
	for i, it := range c.items {
		if !it.prompt || (i == 0 && c.busy) {
			kept = append(kept, it)
			continue
		}
		dropped++
		s.metrics.Queued(it.job.class.String(), -1)
		if it.job.left--; it.job.left == 0 && it.job.answered {
			it.job.finished = true
			finished = append(finished, it.job)
		}
	}
	clear(c.items[len(kept):])
	c.items = kept
	s.metrics.Dropped("obsolete", dropped)
	if dropped > 0 && !c.busy {
		c.tries = 0
	}
	return finished
}

// best is the rank of the most urgent class the chat holds.
func (s *Scheduler) best(c *chat) int {
	r := len(classes) - 1
	for _, it := range c.items {
		r = min(r, it.job.class.rank())
	}
	return r
}

// place puts a chat where the dispatcher will find it when its first item may go.
func (s *Scheduler) place(c *chat) {
	if c.at != nowhere || c.busy || len(c.items) == 0 || !c.items[0].job.answered {
		return
	}
	if s.now().Before(c.next) {
		c.at = inWaiting
		heap.Push(&s.waiting, c)
	} else {
		rank := s.best(c)
		c.gen++
		c.at = rank + 1
		if c.first {
			s.rings[rank].pushFront(c, c.gen)
			c.first = false
		} else {
			s.rings[rank].push(c, c.gen)
		}
	}
	signal(s.wake)
}

// front is the first chat of the most urgent ring that may be sent to now.
// Entries left behind (the chat moved, or has nothing it may send) are dropped
// on the way; a chat found with nothing to send is placed again when it has.
func (s *Scheduler) front() (*chat, int) {
	for rank := range s.rings {
		for s.rings[rank].len() > 0 {
			c, gen := s.rings[rank].peek()
			if c.at == rank+1 && c.gen == gen {
				if !c.busy && len(c.items) > 0 && c.items[0].job.answered {
					return c, rank
				}
				c.at = nowhere
			}
			s.rings[rank].pop()
		}
	}
	return nil, 0
}

// pick takes the chat to send to next: the first of the most urgent ring.
func (s *Scheduler) pick() *chat {
	c, rank := s.front()
	if c != nil {
		s.rings[rank].pop()
		c.at = nowhere
	}
	return c
}

// ready moves the chats whose wait is over into their rings, and returns how
// long until the next one's is (0: none waits).
func (s *Scheduler) ready() time.Duration {
	now := s.now()
	for s.waiting.Len() > 0 {
		c := s.waiting[0]
		if now.Before(c.next) {
			return c.next.Sub(now)
		}
		heap.Pop(&s.waiting)
		c.at = nowhere
		s.place(c)
	}
	return 0
}

// Run sends until ctx ends; then what is queued stays queued.
func (s *Scheduler) Run(ctx context.Context) error {
	work := make(chan *item)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case it := <-work:
					// one handed over just before a 429 waits out the pause too
					s.mu.Lock()
					wait := s.paused.Sub(s.now())
					s.mu.Unlock()
					if wait > 0 {
						backoff.Sleep(ctx, wait)
					}
					err := s.t.Send(ctx, it.out)
					s.sent(ctx, it, err)
				}
			}
		})
	}
	for range s.answerer {
		wg.Go(func() { s.answerLoop(ctx) })
	}
	s.dispatch(ctx, work)
	wg.Wait()
	return nil
}

// dispatch hands the next message to a worker whenever the budget allows one.
func (s *Scheduler) dispatch(ctx context.Context, work chan<- *item) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	swept := s.now()
	for ctx.Err() == nil {
		s.mu.Lock()
		after := s.ready()
		first, _ := s.front()
		ok := first != nil
		if s.now().Sub(swept) > 30*time.Second {
			s.sweep()
			swept = s.now()
		}
		s.mu.Unlock()
		if !ok {
			if after == 0 {
				after = time.Hour
			}
			timer.Reset(after)
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-timer.C:
			}
			continue
		}
		wait, err := s.budget.Take(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("send budget", "err", err)
				backoff.Sleep(ctx, 100*time.Millisecond)
			}
			continue
		}
		if wait > 0 {
			backoff.Sleep(ctx, wait)
			continue
		}
		s.mu.Lock()
		c := s.pick() // picked after the budget, so that what came meanwhile is weighed
		var it *item
		if c != nil {
			it = c.items[0]
			it.job.started = true
			c.busy = true
			s.pace(c)
		}
		s.mu.Unlock()
		if it == nil {
			continue
		}
		select {
		case work <- it:
		case <-ctx.Done():
			return
		}
	}
}

// pace counts a message against its chat's bucket and sets when the next may go.
func (s *Scheduler) pace(c *chat) {
	if !s.paced {
		return
	}
	interval, burst := time.Duration(float64(time.Second)/s.limits.PrivatePerSecond), s.limits.PrivateBurst
	if c.id < 0 {
		interval, burst = time.Duration(float64(time.Minute)/s.limits.GroupPerMinute), s.limits.GroupBurst
	}
	now := s.now()
	if c.tat.Before(now) {
		c.tat = now
	}
	c.tat = c.tat.Add(interval)
	c.next = c.tat.Add(-time.Duration(max(burst, 1)-1) * interval)
}

// sent takes a worker's outcome.
func (s *Scheduler) sent(ctx context.Context, it *item, err error) {
	if ctx.Err() != nil {
		return // stopping: it stays in the outbox for the next start
	}
	var (
		finished []*job
		pause    time.Duration
		tooMany  *RetryAfterError
	)
	s.mu.Lock()
	c := s.chats[it.out.ChatID]
	c.busy = false
	switch {
	case err == nil, errors.Is(err, ErrRefused):
		if err != nil {
			s.log.Error("message refused; skipped", "chat", c.id, "input", it.out.InputID, "err", err)
		} else {
			s.metrics.Sent(it.job.class.String(), s.now().Sub(it.queued))
		}
		c.tries = 0
		finished = s.remove(c, 1)
	case errors.As(err, &tooMany):
		pause = tooMany.After
		if pause <= 0 {
			pause = time.Second // Telegram always names a wait; none named is not "go at once"
		}
		if until := s.now().Add(pause); until.After(s.paused) {
			s.paused = until
		}
		s.metrics.Paused(pause)
		s.log.Warn("telegram asks to slow down; all sending paused", "retry_after", pause, "chat", c.id)
		c.first = true // it was next: it goes first again
	case errors.Is(err, ErrUnreachable):
		n := len(c.items)
		if c.id < 0 {
			// a group (the staff chat) is never given up: only this delivery is
			n = 0
			for n < len(c.items) && c.items[n].job == it.job {
				n++
			}
		}
		for _, x := range c.items[:n] {
			x.job.err = err
		}
		c.tries = 0
		finished = s.remove(c, n)
	default:
		c.tries++
		if it.prompt && c.tries >= s.attempts {
			s.log.Warn("prompt not sent; given up", "chat", c.id, "input", it.out.InputID, "tries", c.tries, "err", err)
			c.tries = 0
			finished = s.remove(c, 1)
			break
		}
		backoff := min(s.retry<<min(c.tries-1, 6), 30*time.Second)
		if next := s.now().Add(backoff); next.After(c.next) {
			c.next = next
		}
		level := slog.LevelDebug
		if c.tries == 1 || c.tries%20 == 0 { // an outage fails every chat's tries: not a line each
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "telegram unavailable; will try again", "chat", c.id, "input", it.out.InputID, "tries", c.tries, "wait", backoff, "err", err)
	}
	s.place(c)
	s.mu.Unlock()
	if pause > 0 {
		if err := s.budget.Pause(ctx, pause); err != nil && ctx.Err() == nil {
			s.log.Warn("pause not shared with the other instances", "err", err)
		}
	}
	s.finish(finished)
}

// remove takes the chat's first n items off (sent, skipped or given up) and
// returns the deliveries that leaves done.
func (s *Scheduler) remove(c *chat, n int) []*job {
	var finished []*job
	for _, it := range c.items[:n] {
		s.metrics.Queued(it.job.class.String(), -1)
		if it.job.left--; it.job.left == 0 && it.job.answered {
			it.job.finished = true
			finished = append(finished, it.job)
		}
	}
	clear(c.items[:n])
	c.items = c.items[n:]
	return finished
}

// finish tells of deliveries done, outside the lock.
func (s *Scheduler) finish(jobs []*job) {
	for _, j := range jobs {
		if s.obs != nil {
			s.obs.Delivered(j.d, j.err)
		}
		if j.done != nil {
			j.done(j.err)
		}
	}
}

// answerLoop answers pressed buttons as they come, ahead of the budget.
func (s *Scheduler) answerLoop(ctx context.Context) {
	for ctx.Err() == nil {
		s.mu.Lock()
		if len(s.answers) == 0 {
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-s.ring:
			}
			continue
		}
		j := s.answers[0]
		s.answers[0] = nil
		s.answers = s.answers[1:]
		if len(s.answers) > 0 {
			signal(s.ring) // for the next answerer
		}
		wait := s.paused.Sub(s.now())
		s.mu.Unlock()
		if wait > 0 {
			backoff.Sleep(ctx, wait)
		}
		err := s.t.Answer(ctx, j.d.ChatID, j.d.CallbackID, j.toast)
		if ctx.Err() != nil {
			return
		}
		var tooMany *RetryAfterError
		if errors.As(err, &tooMany) {
			s.mu.Lock()
			if until := s.now().Add(tooMany.After); until.After(s.paused) {
				s.paused = until
			}
			s.mu.Unlock()
		}
		if err != nil {
			// a query too old to answer is no reason to hold the replies back
			s.log.Debug("button not answered", "chat", j.d.ChatID, "input", j.d.InputID, "err", err)
		}
		var finished []*job
		s.mu.Lock()
		j.answered = true
		if j.left == 0 {
			j.finished = true
			finished = append(finished, j)
		}
		if c := s.chats[j.d.ChatID]; c != nil {
			s.place(c)
		}
		s.mu.Unlock()
		s.finish(finished)
	}
}

// sweep forgets chats with nothing waiting whose pacing is over.
func (s *Scheduler) sweep() {
	now := s.now()
	for id, c := range s.chats {
		if len(c.items) == 0 && !c.busy && c.at == nowhere && !now.Before(c.tat) {
			delete(s.chats, id)
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// ring is a FIFO of chats, each entry with the generation it was pushed at.
type ring struct {
	buf  []ringEntry
	head int
}

type ringEntry struct {
	c   *chat
	gen uint64
}

func (r *ring) push(c *chat, gen uint64) { r.buf = append(r.buf, ringEntry{c, gen}) }

func (r *ring) pushFront(c *chat, gen uint64) {
	if r.head > 0 {
		r.head--
		r.buf[r.head] = ringEntry{c, gen}
		return
	}
	r.buf = append([]ringEntry{{c, gen}}, r.buf...)
}

func (r *ring) len() int { return len(r.buf) - r.head }

func (r *ring) peek() (*chat, uint64) { e := r.buf[r.head]; return e.c, e.gen }

func (r *ring) pop() (*chat, uint64, bool) {
	if r.len() == 0 {
		return nil, 0, false
	}
	e := r.buf[r.head]
	r.buf[r.head] = ringEntry{}
	r.head++
	if r.head > 1024 && r.head*2 > len(r.buf) {
		r.buf = append(r.buf[:0], r.buf[r.head:]...)
		r.head = 0
	}
	return e.c, e.gen, true
}

// chatHeap orders waiting chats by when they may be sent to.
type chatHeap []*chat

func (h chatHeap) Len() int           { return len(h) }
func (h chatHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h chatHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *chatHeap) Push(x any)        { c := x.(*chat); c.index = len(*h); *h = append(*h, c) }
func (h *chatHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}
