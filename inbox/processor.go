// Package inbox runs the conversation side of minyi: updates persisted in the
// store's inbox are processed one at a time per chat through the flow engine, the
// outcome is committed atomically, and the replies are handed to a transport.
//
// Chats are spread over shards; an instance processes a shard only while it holds
// the shard's lease, so a chat's updates are processed in order even with several
// instances, and a crashed instance's shards pass to another after the lease runs out.
package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/lease"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/telemetry"
)

// Executor carries out the effects the engine asks for: submitting concerns,
// listing them, and staff, grid and account commands (the cases service does).
type Executor interface {
	Execute(ctx context.Context, in flows.Input, lang string, e flows.Effect) (flows.EffectResult, *store.Listing)
}

// Commands carries out the typed commands the engine hands over (commands.Registry).
type Commands interface {
	Run(ctx context.Context, in flows.Input, lang string, e flows.Effect) flows.EffectResult
}

// WithCommands carries out the engine's typed commands through c.
func WithCommands(c Commands) Option { return func(p *Processor) { p.cmds = c } }

// Processor drains the inbox.
type Processor struct {
	st         *store.Store
	m          *flows.Machine
	exec       Executor
	cmds       Commands
	sched      *dispatch.Scheduler
	sending    []dispatch.Option
	admins     map[int64]bool
	log        *slog.Logger
	owner      string
	sessionTTL time.Duration
	leaseTTL   time.Duration
	block      time.Duration
	// perMinute is how many messages a user may send a minute (0: no limit).
	perMinute int64
	metrics   *telemetry.Metrics
	now       func() time.Time
	// sweepEvery is how often an owned shard's idle drafts are looked for.
	sweepEvery time.Duration

	// last is each chat's latest input from its user whose replies are still
	// being sent, so that the same input repeated meanwhile gets no second answer
	last map[int64]lastInput

	// delivered holds outbox entries sent but not yet removed from the store, so
	// that a shard taken again after an outage does not send them twice; done
	// holds them by shard until the shard's next commit (or a flush) removes them.
	mu        sync.Mutex
	delivered map[string]bool
	done      map[int][]string
	// inflight counts each shard's replies handed to the senders and not yet sent
	inflight map[int]int
	// queued names the outbox entries ("shard/id") the scheduler holds: a shard lost
	// and taken back must not hand them over twice
	queued map[string]bool
	// flushing marks the shards whose delivered entries a timer will remove if no
	// commit takes them along first
	flushing map[int]bool

	stop     chan struct{}
	flushes  sync.WaitGroup // delivered replies' removals waiting for no commit
	stopOnce sync.Once
}

type job struct {
	shard    int
	outboxID string
	d        dispatch.Delivery
}

// lastInput is what a chat's user last sent, and the sending of its answer.
type lastInput struct {
	said   string
	ticket *dispatch.Ticket
	key    *byte
}

// Option configures a Processor.
type Option func(*Processor)

// WithAdmins names the users who are admins by configuration.
func WithAdmins(ids ...int64) Option {
	return func(p *Processor) {
		for _, id := range ids {
			p.admins[id] = true
		}
	}
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(p *Processor) { p.log = l } }

// WithMetrics counts updates and flow steps in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(p *Processor) { p.metrics = m } }

// WithSessionTTL sets how long an idle chat's session is kept.
func WithSessionTTL(d time.Duration) Option { return func(p *Processor) { p.sessionTTL = d } }

// WithLeaseTTL sets how long a shard lease lasts without renewal; a crashed
// instance's chats wait this long before another instance takes them.
func WithLeaseTTL(d time.Duration) Option { return func(p *Processor) { p.leaseTTL = d } }

// WithOwner names this instance in leases (a random name by default).
func WithOwner(name string) Option { return func(p *Processor) { p.owner = name } }

// WithMessageLimit limits the messages one user may send a minute; staff and
// admins are not limited. Past it the user is told once, then ignored until the
// minute is over.
func WithMessageLimit(perMinute int) Option {
	return func(p *Processor) { p.perMinute = int64(perMinute) }
}

// WithClock sets the clock that decides when a draft has sat idle too long
// (the transports' clock, which stamps the inputs).
func WithClock(now func() time.Time) Option { return func(p *Processor) { p.now = now } }

// WithDraftSweep sets how often an owned shard is searched for drafts idle past
// the flow expiry, whose contents are then dropped.
func WithDraftSweep(d time.Duration) Option { return func(p *Processor) { p.sweepEvery = d } }

// WithSending configures the instance's send scheduler: its budget, the chat
// limits, how many messages may be on their way at once (by default none of
// these holds anything back).
func WithSending(opts ...dispatch.Option) Option {
	return func(p *Processor) { p.sending = append(p.sending, opts...) }
}

// New makes a Processor that carries effects out with exec and sends replies
// through t, by its own send scheduler.
func New(st *store.Store, m *flows.Machine, exec Executor, t dispatch.Transport, opts ...Option) *Processor {
	p := &Processor{
		st: st, m: m, exec: exec, admins: map[int64]bool{}, log: slog.Default(),
		sessionTTL: 30 * 24 * time.Hour, leaseTTL: 15 * time.Second, block: time.Second,
		now: time.Now, sweepEvery: 30 * time.Second, last: map[int64]lastInput{},
		delivered: map[string]bool{}, done: map[int][]string{}, inflight: map[int]int{}, queued: map[string]bool{}, flushing: map[int]bool{}, stop: make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	if p.owner == "" {
		p.owner = InstanceName()
	}
	p.sched = dispatch.New(t, append([]dispatch.Option{dispatch.WithLogger(p.log), dispatch.WithMetrics(p.metrics)}, p.sending...)...)
	return p
}

// InstanceName makes a name for this process that no other shares.
func InstanceName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Writer persists inputs in the inbox, for transports. Calls that arrive while
// another is in flight (webhook requests, one update each) are gathered and sent
// together in the next round trip, as a database's group commit: each caller
// still returns only once its own inputs are stored.
type Writer struct {
	st *store.Store

	mu      sync.Mutex
	busy    bool   // a round trip is in flight
	waiting *batch // gathered meanwhile, to go next
	trips   sync.WaitGroup
}

// Wait returns once no round trip is on its way; call it when nothing ingests
// through the writer any more (the webhook's server has shut down).
func (w *Writer) Wait() { w.trips.Wait() }

// batch is inputs of several callers sent in one round trip.
type batch struct {
	items []store.InboxItem
	done  chan struct{}
	added []bool
	err   error
}

// NewWriter makes a Writer over st.
func NewWriter(st *store.Store) *Writer { return &Writer{st: st} }

// gatherTimeout bounds a round trip made for other callers, whose own contexts
// the sender does not hold.
const gatherTimeout = 10 * time.Second

// Ingest persists inputs in the inbox and reports which were new. Only when it
// returns nil may the transport acknowledge them.
func (w *Writer) Ingest(ctx context.Context, inputs ...flows.Input) ([]bool, error) {
	items := make([]store.InboxItem, len(inputs))
	for i, in := range inputs {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode input %s: %w", in.ID, err)
		}
		items[i] = store.InboxItem{ChatID: in.ChatID, Key: in.ID, Payload: b}
	}
	w.mu.Lock()
	if !w.busy {
		w.busy = true
		w.mu.Unlock()
		added, err := w.st.Ingest(ctx, items)
		w.next()
		return added, err
	}
	b := w.waiting
	if b == nil {
		b = &batch{done: make(chan struct{})}
		w.waiting = b
	}
	from := len(b.items)
	b.items = append(b.items, items...)
	w.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err() // the batch may still store them; a retry is dropped as a repeat
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.added[from : from+len(items)], nil
}

// next sends what gathered during the last round trip, if anything, in a
// goroutine of its own (so that the caller that made the trip can answer), and
// so on until nothing waits.
func (w *Writer) next() {
	w.mu.Lock()
	b := w.waiting
	w.waiting = nil
	if b == nil {
		w.busy = false
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	w.trips.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), gatherTimeout)
		b.added, b.err = w.st.Ingest(ctx, b.items)
		cancel()
		close(b.done)
		w.next()
	})
}

// Run processes the inbox until ctx ends, then gives its shards up. After Stop
// it finishes what it has in hand and returns.
func (p *Processor) Run(ctx context.Context) error {
	// idle ends at Stop: no more waiting for leases or new inbox entries
	idle, endIdle := context.WithCancel(ctx)
	defer endIdle()
	go func() {
		select {
		case <-p.stop:
			endIdle()
		case <-idle.Done():
		}
	}()
	sending, stopSending := context.WithCancel(ctx)
	var sender, shards sync.WaitGroup
	sender.Go(func() { p.sched.Run(sending) })
	for shard := range p.st.Shards() {
		shards.Go(func() { p.runShard(ctx, idle, shard) })
	}
	shards.Wait()
	// only shard loops hand replies over, and each waited for its own to go out
	stopSending()
	sender.Wait()
	p.flushes.Wait() // only delivered replies start flushes, and none is delivered now
	return nil
}

// Stop asks Run to finish what it has in hand and return: no new inbox entries
// are read; those read are processed, their replies sent and forgotten, and the
// shards given up. What is left in the inbox waits there for the next owner.
func (p *Processor) Stop() { p.stopOnce.Do(func() { close(p.stop) }) }

func (p *Processor) runShard(ctx, idle context.Context, shard int) {
	wait := backoff.Backoff{Max: p.leaseTTL / 3}
	for idle.Err() == nil {
		taken := time.Now()
		ok, err := p.st.LeaseShard(idle, shard, p.owner, p.leaseTTL)
		switch {
		case err != nil:
			if idle.Err() == nil {
				p.log.Debug("shard lease", "shard", shard, "err", err)
			}
			wait.Wait(idle)
		case !ok:
			backoff.Sleep(idle, p.leaseTTL/3)
		default:
			wait.Reset()
			p.own(ctx, idle, shard, taken)
		}
	}
}

// own processes a shard for as long as its lease, taken by a call sent at taken, holds.
func (p *Processor) own(parent, idle context.Context, shard int, taken time.Time) {
	ctx, stop := lease.Hold(parent, taken, p.leaseTTL, func(ctx context.Context, ttl time.Duration) (bool, error) {
		return p.st.LeaseShard(ctx, shard, p.owner, ttl)
	})
	defer func() {
		stop()
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			p.log.Warn("shard given up", "shard", shard, "why", cause)
		}
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(parent), time.Second)
		defer rcancel()
		p.st.ReleaseShard(rctx, shard, p.owner)
	}()
	p.log.Debug("shard taken", "shard", shard, "owner", p.owner)

	// replies committed by an earlier owner but perhaps never sent go out first
	var pending []store.OutboxEntry
	if err := p.retry(ctx, func() (err error) {
		pending, err = p.st.PendingOutbox(ctx, shard)
		return err
	}); err != nil {
		return
	}
	for _, e := range pending {
		if p.wasDelivered(shard, e.ID) || p.isQueued(shard, e.ID) {
			continue // sent already (its removal is still being retried), or on its way
		}
		var d dispatch.Delivery
		if err := json.Unmarshal(e.Payload, &d); err != nil {
			p.log.Error("undecodable outbox entry dropped", "shard", shard, "id", e.ID, "err", err)
			p.st.DoneOutbox(ctx, shard, e.ID)
			continue
		}
		p.enqueue(job{shard: shard, outboxID: e.ID, d: d})
	}

	after := "0"
	wait := backoff.Backoff{Max: 5 * time.Second}
	swept := time.Time{}
	for ctx.Err() == nil && idle.Err() == nil {
		if time.Since(swept) >= p.sweepEvery {
			swept = time.Now()
			p.sweepDrafts(ctx, shard)
		}
		entries, err := p.st.ReadInbox(idle, shard, after, 64, p.block)
		if err != nil {
			if ctx.Err() == nil && idle.Err() == nil {
				p.log.Warn("read inbox", "shard", shard, "err", err)
				wait.Wait(ctx)
			}
			continue
		}
		wait.Reset()
		for _, e := range entries {
			if err := p.handle(ctx, shard, e); err != nil {
				return
			}
			after = e.ID
		}
		if len(entries) == 0 {
			p.flushDone(ctx, shard) // idle: no commit is coming to take them along
		}
	}
	if ctx.Err() == nil {
		// stopping: the shard's replies go out and are forgotten before it is given up,
		// so that its next owner does not send them again
		p.waitSent(ctx, shard)
		p.flushDone(ctx, shard)
	}
}

// sweepDrafts puts an expiry event in the inbox of each chat of the shard whose
// draft has sat idle past the flow expiry; the engine, in the chat's order,
// drops the draft's contents if it is still idle then.
func (p *Processor) sweepDrafts(ctx context.Context, shard int) {
	now := p.now()
	chats, err := p.st.IdleDrafts(ctx, shard, now.Add(-p.m.Expiry()), 100)
	if err != nil || len(chats) == 0 {
		if err != nil && ctx.Err() == nil {
			p.log.Debug("idle drafts", "shard", shard, "err", err)
		}
		return
	}
	items := make([]store.InboxItem, 0, len(chats))
	for _, chat := range chats {
		in := flows.Input{ID: fmt.Sprintf("expire:%d:%d", chat, now.UnixMilli()), Time: now, Channel: "event",
			ChatID: chat, UserID: chat, Kind: flows.InputEvent, Event: &flows.Event{Type: flows.EventExpire}}
		b, _ := json.Marshal(in) // an Input always encodes
		items = append(items, store.InboxItem{ChatID: chat, Key: in.ID, Payload: b})
	}
	if _, err := p.st.Ingest(ctx, items); err != nil && ctx.Err() == nil {
		p.log.Warn("idle drafts not swept; will try again", "shard", shard, "err", err)
	}
}

// isQueued reports whether the scheduler holds the shard's outbox entry id.
func (p *Processor) isQueued(shard int, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued[fmt.Sprintf("%d/%s", shard, id)]
}

// waitSent waits until the senders have sent every reply of a shard handed to them.
func (p *Processor) waitSent(ctx context.Context, shard int) {
	for ctx.Err() == nil {
		p.mu.Lock()
		n := p.inflight[shard]
		p.mu.Unlock()
		if n == 0 {
			return
		}
		backoff.Sleep(ctx, 10*time.Millisecond)
	}
}

func (p *Processor) handle(ctx context.Context, shard int, e store.InboxEntry) error {
	var in flows.Input
	if err := json.Unmarshal(e.Payload, &in); err != nil || in.ChatID == 0 || p.st.ShardOf(in.ChatID) != shard {
		p.log.Error("undecodable inbox entry dropped", "shard", shard, "id", e.ID, "err", err)
		return p.retry(ctx, func() error { return p.st.DropInbox(ctx, shard, e.ID) })
	}
	return p.retry(ctx, func() error { return p.process(ctx, shard, e.ID, in) })
}

// process runs one input through the engine and commits the outcome. It may run
// again for the same input after a failure: submitting is idempotent per draft.
func (p *Processor) process(ctx context.Context, shard int, entryID string, in flows.Input) error {
	ctx = telemetry.WithUpdate(ctx, in.ID)
	log := p.log.With("input", in.ID, "chat", in.ChatID)
	fromUser := in.Kind != flows.InputEvent && in.Kind != flows.InputResult
	window := time.Duration(0)
	if fromUser && p.perMinute > 0 && !p.admins[in.UserID] && !in.Group {
		window = time.Minute // counted in the same round trip as the load
	}
	chat, err := p.st.LoadChat(ctx, in.ChatID, in.UserID, window)
	if err != nil {
		return err
	}
	if chat.Stopped && fromUser {
		// whoever blocked the bot wrote again: they can be reached
		if err := p.st.Unstop(ctx, in.ChatID); err != nil {
			return err
		}
		chat.Stopped = false
	}
	// the role is looked up afresh for every update, so that a revocation holds at once
	in.Role = concern.RoleResident
	if member := chat.Member; member != nil {
		in.Role, in.Community, in.Grid = member.Role, member.Community, member.Grid
	}
	if p.admins[in.UserID] {
		in.Role = concern.RoleAdmin
	}
	var sess flows.Session
	if raw := chat.Session; raw != nil {
		if err := json.Unmarshal(raw, &sess); err != nil {
			log.Error("unreadable session replaced", "err", err)
			sess = flows.Session{}
		}
	}
	if over := chat.Recent - p.perMinute; window > 0 && over > 0 && in.Role != concern.RoleStaff {
		if over > 1 {
			// told already: the input is let go, the session left as it was
			log.Debug("over the message limit; ignored", "recent", chat.Recent)
			session := chat.Session
			if session == nil {
				session = []byte("{}")
			}
			return p.commit(ctx, shard, entryID, in, session, dispatch.Delivery{ChatID: in.ChatID, InputID: in.ID, CallbackID: in.CallbackID}, nil, sess.DraftTouched(), "")
		}
		log.Info("over the message limit", "limit", p.perMinute)
		in.Throttled = true
	}
	said := saying(in)
	if p.repeated(in.ChatID, said) {
		// the same again while its answer waits to be sent: that answer answers
		// both, and a pressed button is answered at once
		log.Debug("repeated while its answer waits; not answered again")
		p.metrics.Update(string(in.Kind))
		p.metrics.Dropped("repeat", 1)
		session := chat.Session
		if session == nil {
			session = []byte("{}")
		}
		return p.commit(ctx, shard, entryID, in, session, dispatch.Delivery{ChatID: in.ChatID, InputID: in.ID, CallbackID: in.CallbackID}, nil, sess.DraftTouched(), "")
	}
	lang := p.m.Lang(sess, in)
	var listing *store.Listing
	submitted, urgent := false, false
	res := p.m.Run(sess, in, func(e flows.Effect) flows.EffectResult {
		if e.Kind == flows.EffectCommand && p.cmds != nil {
			return p.cmds.Run(ctx, in, lang, e)
		}
		out, l := p.exec.Execute(ctx, in, lang, e)
		submitted = submitted || e.Kind == flows.EffectSubmit && !out.Failed
		urgent = urgent || e.Kind == flows.EffectSubmit && out.Urgent
		if l != nil {
			listing = l
		}
		return out
	})
	sessJSON, err := json.Marshal(res.Session)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	d := dispatch.Delivery{ChatID: in.ChatID, InputID: in.ID, CallbackID: in.CallbackID, MessageID: in.MessageID, Messages: res.Messages,
		Class: classOf(in, urgent)}
	if chat.Stopped {
		log.Info("chat blocked the bot; news not sent", "kind", in.Kind, "replies", len(d.Messages))
		d.Messages = nil
	}
	if err := p.commit(ctx, shard, entryID, in, sessJSON, d, listing, res.Session.DraftTouched(), said); err != nil {
		return err
	}
	log.Debug("input processed", "kind", in.Kind, "replies", len(d.Messages))
	if fromUser {
		p.count(in, sess.Flow, res.Session.Flow, submitted)
	}
	return nil
}

// count records an update, and what it did to the chat's flow: a step answered,
// or the draft left behind (cancelled, expired, or replaced by a new one).
func (p *Processor) count(in flows.Input, before, after *flows.FlowState, submitted bool) {
	if p.metrics == nil {
		return
	}
	p.metrics.Update(string(in.Kind))
	if before == nil {
		return
	}
	step := p.m.StepID(before.Flow, before.Step)
	switch {
	case after != nil && after.Token == before.Token:
		if after.Step != before.Step {
			p.metrics.StepCompleted(before.Flow, step)
		}
	case submitted:
		p.metrics.StepCompleted(before.Flow, step)
	default:
		p.metrics.Abandoned(before.Flow, step)
	}
}

// commit stores an input's outcome (the chat's session, its replies, a listing),
// forgets replies delivered since the last commit, and hands the new replies to
// the send scheduler. said, when not empty, is what the user sent, remembered
// while its answer is being sent so that a repeat of it is not answered again.
func (p *Processor) commit(ctx context.Context, shard int, entryID string, in flows.Input, session []byte, d dispatch.Delivery, listing *store.Listing, draft time.Time, said string) error {
	var outbox []byte
	if len(d.Messages) > 0 || d.CallbackID != "" {
		var err error
		if outbox, err = json.Marshal(d); err != nil {
			return fmt.Errorf("encode replies: %w", err)
		}
	}
	done := p.takeDone(shard, 256)
	outID, err := p.st.Commit(ctx, store.Commit{
		Shard: shard, Owner: p.owner, EntryID: entryID, ChatID: in.ChatID,
		Session: session, TTL: p.sessionTTL, Outbox: outbox, Listing: listing, Done: done, Draft: draft,
	})
	p.removed(shard, done, err == nil)
	if err != nil {
		return err
	}
	t := p.enqueue(job{shard: shard, outboxID: outID, d: d})
	if said != "" {
		p.remember(in.ChatID, said, t)
	}
	return nil
}

// enqueue hands a delivery to the scheduler; when it is done with, its outbox
// entry is forgotten. One the scheduler still holds when it stops stays in the
// outbox and goes out when the shard is next taken.
func (p *Processor) enqueue(j job) sentAs {
	entry := fmt.Sprintf("%d/%s", j.shard, j.outboxID)
	p.mu.Lock()
	p.inflight[j.shard]++
	if j.outboxID != "" {
		p.queued[entry] = true
	}
	p.mu.Unlock()
	key := new(byte) // names this delivery in last, before the ticket exists
	var once sync.Once
	t := p.sched.Enqueue(j.d, func(err error) {
		once.Do(func() {
			if err != nil {
				p.undelivered(j.d, err)
			}
			if j.outboxID != "" {
				p.mu.Lock()
				delete(p.queued, entry)
				p.mu.Unlock()
				p.finished(j.shard, j.outboxID)
			}
			p.sent(j.shard)
			p.forget(j.d.ChatID, key)
		})
	})
	return sentAs{t, key}
}

// sentAs is a delivery handed to the scheduler: its ticket, and its key in last.
type sentAs struct {
	ticket *dispatch.Ticket
	key    *byte
}

// saying is what a user sent, to tell the same input sent again; empty for
// what is not the user's (events, effects' results).
func saying(in flows.Input) string {
	var what string
	switch in.Kind {
	case flows.InputText:
		if strings.HasPrefix(in.Text, "/") {
			return "" // a command said twice may mean it twice (/invite: two codes)
		}
		what = in.Text
	case flows.InputButton:
		what = fmt.Sprintf("%s@%d", in.Data, in.MessageID)
	case flows.InputPhoto:
		what = in.Photo
	case flows.InputLocation:
		if in.Location != nil {
			what = fmt.Sprintf("%g,%g", in.Location.Lat, in.Location.Lon)
		}
	case flows.InputContact:
		if in.Contact != nil {
			what = in.Contact.Phone
		}
	case flows.InputOther:
		what = in.Other
	default:
		return ""
	}
	return fmt.Sprintf("%d/%s/%s", in.UserID, in.Kind, what)
}

// repeated reports whether said is what the chat's user sent last, and its
// answer is still waiting to be sent.
func (p *Processor) repeated(chat int64, said string) bool {
	if said == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.last[chat]
	// only while nothing of the answer has been tried: once a message may have
	// reached the chat, the same words can be an answer to it
	return ok && l.said == said && l.ticket.Untouched()
}

// remember keeps what the chat's user sent last while its answer is being sent.
func (p *Processor) remember(chat int64, said string, s sentAs) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last[chat] = lastInput{said: said, ticket: s.ticket, key: s.key}
	if !s.ticket.Pending() {
		delete(p.last, chat) // sent already, before it was remembered
	}
}

// forget lets go of a chat's last input once its answer is done with.
func (p *Processor) forget(chat int64, key *byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l, ok := p.last[chat]; ok && l.key == key {
		delete(p.last, chat)
	}
}

// classOf is how soon an input's replies must go: alerts and a resident's
// safety advice first, then answers to what a user did, case news, digests.
func classOf(in flows.Input, urgent bool) dispatch.Class {
	if in.Kind == flows.InputEvent && in.Event != nil {
		switch in.Event.Type {
		case flows.EventAlert, flows.EventDeadLetter, flows.EventAdvice:
			return dispatch.ClassAlert
		case flows.EventDigest, flows.EventConsult, flows.EventOutcome:
			return dispatch.ClassBulk // broadcasts wait for everything else
		}
		return dispatch.ClassNotice
	}
	if urgent {
		return dispatch.ClassAlert
	}
	return dispatch.ClassAnswer
}

// sent counts a reply handed to the senders as done with.
func (p *Processor) sent(shard int) {
	p.mu.Lock()
	p.inflight[shard]--
	p.mu.Unlock()
}

// undelivered records why replies did not go out. A private chat that blocked
// the bot is marked stopped, and nothing more is sent to it until its user writes
// again; a group (the staff chat) is never stopped, so its alerts keep being tried.
func (p *Processor) undelivered(d dispatch.Delivery, err error) {
	if !errors.Is(err, ErrUnreachable) || d.ChatID < 0 {
		p.log.Error("replies not delivered", "chat", d.ChatID, "input", d.InputID, "err", err)
		return
	}
	p.log.Info("chat blocked the bot; marked stopped", "chat", d.ChatID, "input", d.InputID)
	// one try, on the scheduler's time: a chat not marked is tried again, and
	// refuses again, with its next reply
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.st.MarkStopped(ctx, d.ChatID, time.Now()); err != nil {
		p.log.Warn("chat not marked stopped", "chat", d.ChatID, "err", err)
	}
}

// finished notes a delivered outbox entry. It is removed from the store with the
// shard's next commit, or by flushDone when no commit comes: one round trip the
// fewer for each reply, at the price of a slightly longer window in which a
// crash sends it again.
func (p *Processor) finished(shard int, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delivered[fmt.Sprintf("%d/%s", shard, id)] = true
	p.done[shard] = append(p.done[shard], id)
	if p.flushing[shard] {
		return
	}
	// a crash before the removal sends the reply again: if no commit of the shard
	// comes within doneDelay to take it along, it is removed on its own
	p.flushing[shard] = true
	p.flushes.Go(func() {
		time.Sleep(doneDelay)
		p.mu.Lock()
		delete(p.flushing, shard)
		p.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.flushDone(ctx, shard)
	})
}

// doneDelay is how long a delivered reply's outbox entry waits for a commit of
// its shard to remove it with, before it is removed by itself.
const doneDelay = 10 * time.Millisecond

// takeDone hands over a shard's delivered entries for removal, up to max.
func (p *Processor) takeDone(shard, max int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := p.done[shard]
	if len(ids) > max {
		p.done[shard] = ids[max:]
		return ids[:max:max]
	}
	delete(p.done, shard)
	return ids
}

// removed records that entries taken with takeDone are gone from the store, or,
// when they are not, puts them back for the next try.
func (p *Processor) removed(shard int, ids []string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ok {
		p.done[shard] = append(ids, p.done[shard]...)
		return
	}
	for _, id := range ids {
		delete(p.delivered, fmt.Sprintf("%d/%s", shard, id))
	}
}

// flushDone removes a shard's delivered entries that no commit took along.
func (p *Processor) flushDone(ctx context.Context, shard int) {
	ids := p.takeDone(shard, 1024)
	if len(ids) == 0 {
		return
	}
	err := p.st.DoneOutbox(ctx, shard, ids...)
	if err != nil && ctx.Err() == nil {
		p.log.Debug("outbox cleanup deferred", "shard", shard, "err", err)
	}
	p.removed(shard, ids, err == nil)
}

func (p *Processor) wasDelivered(shard int, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delivered[fmt.Sprintf("%d/%s", shard, id)]
}

// retry runs fn until it succeeds, the lease is lost or ctx ends, backing off in between.
func (p *Processor) retry(ctx context.Context, fn func() error) error {
	wait := backoff.Backoff{Max: 5 * time.Second}
	for {
		err := fn()
		if err == nil || errors.Is(err, store.ErrLeaseLost) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d := wait.Next()
		p.log.Warn("store unavailable, retrying", "err", err, "wait", d)
		backoff.Sleep(ctx, d)
	}
}

// ErrUnreachable is a chat that can no longer be reached, as when the user
// blocked the bot.
var ErrUnreachable = dispatch.ErrUnreachable
