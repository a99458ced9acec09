// Package intake consumes the intake queue: each queued concern is classified, its
// record written, and only then acknowledged.
package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/telemetry"
)

// Screener flags urgency and sensitivity, apart from the topic.
type Screener interface {
	Screen(text string) classify.Flags
}

// Worker is one consumer of the intake queue's "classify" group.
type Worker struct {
	st       *store.Store
	cls      classify.Classifier
	screen   Screener
	log      *slog.Logger
	consumer string
	minIdle  time.Duration
	block    time.Duration
	// saved is told each concern whose record was written.
	saved func(*concern.Report)
	// urgent is told each urgent concern once its record is written, to alert staff.
	urgent func(context.Context, *concern.Report) error
	// deadline gives the time by which a concern of a service level must be answered.
	deadline func(concern.Level, time.Time) time.Time
	// attempts is how many times an entry may fail before it becomes a dead letter.
	attempts int
	// dead is told each entry moved to the dead letters, to alert staff.
	dead    func(ctx context.Context, concernID, why string) error
	metrics *telemetry.Metrics
	// read is when the queue was last read without error (unix ns), for readiness.
	read atomic.Int64

	stop     chan struct{}
	stopOnce sync.Once
}

// Option configures a Worker.
type Option func(*Worker)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(w *Worker) { w.log = l } }

// WithConsumer names this consumer in the group (one name per instance).
func WithConsumer(name string) Option { return func(w *Worker) { w.consumer = name } }

// WithReclaimAfter sets how long an entry may sit unacknowledged with another
// consumer before this one takes it over.
func WithReclaimAfter(d time.Duration) Option { return func(w *Worker) { w.minIdle = d } }

// WithSaved calls fn after each concern's record is written.
func WithSaved(fn func(*concern.Report)) Option { return func(w *Worker) { w.saved = fn } }

// WithDeadlines sets how deadlines follow from service levels.
func WithDeadlines(fn func(concern.Level, time.Time) time.Time) Option {
	return func(w *Worker) { w.deadline = fn }
}

// WithAttempts sets how many failed attempts move an entry to the dead letters.
func WithAttempts(n int) Option { return func(w *Worker) { w.attempts = max(n, 1) } }

// WithDeadLetters calls fn for each entry moved to the dead letters.
func WithDeadLetters(fn func(ctx context.Context, concernID, why string) error) Option {
	return func(w *Worker) { w.dead = fn }
}

// WithMetrics records classification times and concerns recorded in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(w *Worker) { w.metrics = m } }

// WithScreener flags urgent and sensitive concerns.
func WithScreener(s Screener) Option { return func(w *Worker) { w.screen = s } }

// WithUrgent calls fn for each urgent concern right after its record is written
// and before it is acknowledged; an error leaves the entry to be handled again.
func WithUrgent(fn func(context.Context, *concern.Report) error) Option {
	return func(w *Worker) { w.urgent = fn }
}

// New makes a Worker that tags concerns with cls.
func New(st *store.Store, cls classify.Classifier, opts ...Option) *Worker {
	w := &Worker{st: st, cls: cls, log: slog.Default(), consumer: "minyi", minIdle: time.Minute, block: time.Second, attempts: 5,
		stop: make(chan struct{})}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Run consumes the queue until ctx ends. Entries it cannot finish stay pending and
// are taken up again, by this worker or another, once idle for the reclaim time.
func (w *Worker) Run(ctx context.Context) error {
	wait := backoff.Backoff{Max: 5 * time.Second}
	for ctx.Err() == nil {
		if err := w.st.EnsureIntakeGroup(ctx); err != nil {
			wait.Wait(ctx)
			w.log.Warn("intake queue unavailable", "err", err)
			continue
		}
		break
	}
	defer w.leave(ctx)
	lastClaim := time.Time{}
	for ctx.Err() == nil && !w.stopping() {
		if time.Since(lastClaim) > w.minIdle/2 {
			lastClaim = time.Now()
			if n, err := w.st.PruneConsumers(ctx, consumerIdle); err != nil && ctx.Err() == nil {
				w.log.Debug("pruning idle queue consumers", "err", err)
			} else if n > 0 {
				w.log.Info("idle queue consumers holding nothing removed", "consumers", n)
			}
			stale, err := w.st.ClaimStaleIntake(ctx, w.consumer, w.minIdle, 32)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("reclaiming stale intake entries", "err", err)
			}
			for _, e := range stale {
				w.log.Info("reclaimed stale intake entry", "concern", e.ConcernID)
				w.handle(ctx, e)
			}
		}
		entries, err := w.st.ReadIntake(ctx, w.consumer, 32, w.block)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("reading intake queue", "err", err)
				wait.Wait(ctx)
			}
			continue
		}
		wait.Reset()
		w.read.Store(time.Now().UnixNano())
		for _, e := range entries {
			w.handle(ctx, e)
		}
	}
	return nil
}

// consumerIdle is how long a consumer holding nothing may sit before any worker
// removes it: an instance gone for good, or restarted under a new name.
const consumerIdle = time.Hour

// leave removes this worker's consumer from the group if it holds nothing, so
// that each restart does not leave one behind.
func (w *Worker) leave(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if _, err := w.st.RemoveConsumer(ctx, w.consumer); err != nil {
		w.log.Debug("queue consumer not removed at stop", "err", err)
	}
}

// Stop asks Run to finish the entries it has read and return; the rest wait in
// the queue for the next consumer.
func (w *Worker) Stop() { w.stopOnce.Do(func() { close(w.stop) }) }

func (w *Worker) stopping() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// Consuming reports whether the worker has read the queue lately (within
// three of its blocking reads, or 5 s), for readiness checks.
func (w *Worker) Consuming() bool {
	last := w.read.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < max(3*w.block, 5*time.Second)
}

// handle classifies and records one concern, then acknowledges it. On a failure
// the entry stays pending, to be reclaimed later, until it has failed too often.
func (w *Worker) handle(ctx context.Context, e store.IntakeEntry) {
	log := w.log.With("concern", e.ConcernID)
	r, err := decode(e)
	if err != nil {
		w.fail(ctx, log, e, 1, fmt.Errorf("cannot be read: %w", err)) // it never will be
		return
	}
	began := time.Now()
	// an LLM in the chain gives its own view of urgency beside the topic
	var view classify.ModelView
	res, err := w.cls.Classify(classify.WithModelView(ctx, &view), r.Text)
	if err != nil {
		w.fail(ctx, log, e, w.attempts, fmt.Errorf("classification: %w", err))
		return
	}
	r.Sector, r.Topic, r.Subtopic = res.Sector, res.Topic, res.Subtopic
	r.Confidence, r.Classifier, r.Reason = res.Confidence, res.Classifier, res.Reason
	w.metrics.Classified(res.Classifier, time.Since(began))
	r.Level = concern.LevelGeneral
	var rules classify.Flags
	if w.screen != nil {
		rules = w.screen.Screen(r.Text)
	}
	// the rules' urgency, and what was decided at submission, stay; the model may
	// only add urgency where neither found any (to be confirmed by staff)
	Flag(r, rules)
	if !r.Urgent {
		Flag(r, view.Add(rules))
	}
	switch {
	case r.Urgent:
		r.Level = concern.LevelUrgent
	case rules.Utility:
		r.Level = concern.LevelUtility
	}
	if r.UrgentByModel {
		log.Info("the model judged urgent a concern the rules did not", "hazard", r.Hazard, "reason", r.UrgentReason)
	}
	if w.deadline != nil {
		r.Deadline = w.deadline(r.Level, r.ReceivedAt)
	}
	// with its similarity bands, so that later digests can tell a group of similar concerns coming back
	if err := w.st.SaveReport(ctx, r, minhash.Sign(r.Text).RecurBands()); err != nil {
		w.fail(ctx, log, e, w.attempts, fmt.Errorf("writing the record: %w", err))
		return
	}
	// before the ack, so that a crash here repeats the alert rather than losing it
	if r.Urgent && w.urgent != nil {
		if err := w.urgent(ctx, r); err != nil {
			w.fail(ctx, log, e, w.attempts, fmt.Errorf("alerting staff: %w", err))
			return
		}
	}
	if err := w.st.AckIntake(ctx, e.StreamID); err != nil {
		log.Warn("ack failed; the entry will be handled again", "err", err)
		return
	}
	log.Info("concern recorded", "topic", r.Topic, "classifier", r.Classifier, "confidence", r.Confidence,
		"urgent", r.Urgent, "hazard", r.Hazard, "by_model", r.UrgentByModel, "admins_only", r.AdminsOnly, "sensitive", r.Sensitive)
	channel := r.Channel
	if r.FiledBy != 0 {
		channel = "grid"
	}
	w.metrics.Concern(channel, r.Sector)
	if w.saved != nil {
		w.saved(r)
	}
}

// fail counts a failed attempt at an entry. Until the limit the entry stays
// pending, to be tried again once reclaimed; then it becomes a dead letter and
// staff are told. Nothing is dropped: a dead letter waits for minyi queue retry.
func (w *Worker) fail(ctx context.Context, log *slog.Logger, e store.IntakeEntry, limit int, why error) {
	if ctx.Err() != nil {
		return // stopping: not the entry's fault
	}
	dead, err := w.st.FailIntake(ctx, e.StreamID, limit, why.Error(), time.Now())
	if err != nil {
		log.Warn("handling failed; will retry", "err", why, "count_err", err)
		return
	}
	if !dead {
		log.Warn("handling failed; will retry", "err", why)
		return
	}
	log.Error("handling failed too often; moved to the dead letters", "err", why, "stream_id", e.StreamID)
	if w.dead != nil {
		if err := w.dead(ctx, e.ConcernID, why.Error()); err != nil {
			log.Error("staff not alerted of a dead letter", "err", err)
		}
	}
}

func decode(e store.IntakeEntry) (*concern.Report, error) {
	if !concern.ValidID(e.ConcernID) {
		return nil, fmt.Errorf("bad concern id %q", e.ConcernID)
	}
	var r concern.Report
	if err := json.Unmarshal(e.Body, &r); err != nil {
		return nil, err
	}
	r.ID, r.DraftID = e.ConcernID, e.DraftID
	return &r, nil
}
