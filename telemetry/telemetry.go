// Package telemetry is what minyi tells its operators about itself: Prometheus
// metrics, and the update an update's log lines belong to.
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are minyi's Prometheus metrics. A nil *Metrics records nothing, so that
// packages and tests that do not care need not make one.
type Metrics struct {
	reg        *prometheus.Registry
	updates    *prometheus.CounterVec
	steps      *prometheus.CounterVec
	concerns   *prometheus.CounterVec
	classify   *prometheus.HistogramVec
	apiErrors  *prometheus.CounterVec
	digests    *prometheus.CounterVec
	apiIntakes *prometheus.CounterVec
	queued     *prometheus.GaugeVec
	sent       *prometheus.CounterVec
	sendWait   *prometheus.HistogramVec
	dropped    *prometheus.CounterVec
	pauses     prometheus.Counter
	paused     prometheus.Counter
}

// New makes the metrics in a registry of their own, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_updates_total", Help: "Updates processed, by what the user sent (text, button, photo, location, contact, other, event).",
	}, []string{"type"})
	m.steps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_flow_steps_total", Help: "Flow steps answered (completed) or left with the draft (abandoned: cancelled or expired), by flow and step.",
	}, []string{"flow", "step", "outcome"})
	m.concerns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_concerns_received_total", Help: "Concerns recorded by the intake worker, by channel and sector.",
	}, []string{"channel", "sector"})
	m.classify = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "minyi_classification_seconds", Help: "Time to classify a concern, by the classifier that decided.",
		Buckets: []float64{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30},
	}, []string{"classifier"})
	m.apiErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_telegram_errors_total", Help: "Bot API calls that failed, by error code (0: no answer).",
	}, []string{"code"})
	m.digests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_digests_sent_total", Help: "Digests sent to chats, scheduled or requested.",
	}, []string{"kind"})
	m.apiIntakes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_api_requests_total", Help: "Requests to the intake and Open311 APIs, by endpoint and status code.",
	}, []string{"endpoint", "code"})
	m.queued = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "minyi_send_queued", Help: "Messages waiting to be sent, by priority class (alert, answer, notice, bulk).",
	}, []string{"class"})
	m.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_messages_sent_total", Help: "Messages sent to Telegram, by priority class.",
	}, []string{"class"})
	m.sendWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "minyi_send_wait_seconds", Help: "From a message's being queued to its being sent, by priority class.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300},
	}, []string{"class"})
	m.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minyi_send_dropped_total", Help: "Messages not sent because they no longer mattered: obsolete (a prompt a newer answer replaced), repeat (the answer to an input repeated while its first answer waited).",
	}, []string{"reason"})
	m.pauses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minyi_telegram_pauses_total", Help: "Times Telegram answered 429 and all sending paused for its retry_after.",
	})
	m.paused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "minyi_telegram_paused_seconds_total", Help: "Seconds of sending paused at Telegram's request (retry_after).",
	})
	m.reg.MustRegister(m.updates, m.steps, m.concerns, m.classify, m.apiErrors, m.digests, m.apiIntakes,
		m.queued, m.sent, m.sendWait, m.dropped, m.pauses, m.paused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Update counts an update processed.
func (m *Metrics) Update(kind string) {
	if m != nil {
		m.updates.WithLabelValues(kind).Inc()
	}
}

// StepCompleted counts a step of a flow answered.
func (m *Metrics) StepCompleted(flow, step string) {
	if m != nil {
		m.steps.WithLabelValues(flow, step, "completed").Inc()
	}
}

// Abandoned counts a draft left at a step (cancelled, or expired).
func (m *Metrics) Abandoned(flow, step string) {
	if m != nil {
		m.steps.WithLabelValues(flow, step, "abandoned").Inc()
	}
}

// Queued moves the count of messages waiting in class by delta.
func (m *Metrics) Queued(class string, delta int) {
	if m != nil {
		m.queued.WithLabelValues(class).Add(float64(delta))
	}
}

// Sent counts a message sent in class after waiting d since it was queued.
func (m *Metrics) Sent(class string, d time.Duration) {
	if m != nil {
		m.sent.WithLabelValues(class).Inc()
		m.sendWait.WithLabelValues(class).Observe(d.Seconds())
	}
}

// Dropped counts messages not sent because they no longer mattered.
func (m *Metrics) Dropped(reason string, n int) {
	if m != nil && n > 0 {
		m.dropped.WithLabelValues(reason).Add(float64(n))
	}
}

// Paused counts a pause of all sending Telegram asked for.
func (m *Metrics) Paused(d time.Duration) {
	if m != nil {
		m.pauses.Inc()
		m.paused.Add(d.Seconds())
	}
}

// Concern counts a concern recorded.
func (m *Metrics) Concern(channel, sector string) {
	if m != nil {
		m.concerns.WithLabelValues(channel, sector).Inc()
	}
}

// Classified records how long classifying took, and which classifier decided.
func (m *Metrics) Classified(classifier string, d time.Duration) {
	if m != nil {
		m.classify.WithLabelValues(classifier).Observe(d.Seconds())
	}
}

// TelegramError counts a failed Bot API call by its error code (0 when none came back).
func (m *Metrics) TelegramError(code int) {
	if m != nil {
		m.apiErrors.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

// DigestSent counts a digest sent ("scheduled" or "requested").
func (m *Metrics) DigestSent(kind string) {
	if m != nil {
		m.digests.WithLabelValues(kind).Inc()
	}
}

// APIRequest counts a request to an HTTP API by endpoint and status code.
func (m *Metrics) APIRequest(endpoint string, code int) {
	if m != nil {
		m.apiIntakes.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
	}
}

// QueueFigures are the intake queue's state as the queue gauges show it.
type QueueFigures struct {
	Length, Pending, Dead int64
	OldestPending         time.Duration
}

// WatchQueue makes the queue gauges read figures on every scrape (bounded by a
// short timeout, so that a slow Redis does not hang the scrape).
func (m *Metrics) WatchQueue(figures func(context.Context) (QueueFigures, error)) {
	if m != nil {
		m.reg.MustRegister(&queueCollector{figures: figures})
	}
}

var (
	queueLength  = prometheus.NewDesc("minyi_queue_length", "Entries in the intake queue (waiting and being handled).", nil, nil)
	queuePending = prometheus.NewDesc("minyi_queue_pending", "Intake entries delivered to a worker and not yet acknowledged.", nil, nil)
	queueDead    = prometheus.NewDesc("minyi_queue_dead_letters", "Intake entries that failed too often and wait for `minyi queue retry`.", nil, nil)
	queueOldest  = prometheus.NewDesc("minyi_queue_oldest_pending_seconds", "Age of the oldest unacknowledged intake entry.", nil, nil)
	queueUp      = prometheus.NewDesc("minyi_queue_readable", "1 when the queue's figures could be read from Redis at this scrape, else 0.", nil, nil)
)

type queueCollector struct {
	figures func(context.Context) (QueueFigures, error)
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueLength
	ch <- queuePending
	ch <- queueDead
	ch <- queueOldest
	ch <- queueUp
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	f, err := c.figures(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(queueLength, prometheus.GaugeValue, float64(f.Length))
	ch <- prometheus.MustNewConstMetric(queuePending, prometheus.GaugeValue, float64(f.Pending))
	ch <- prometheus.MustNewConstMetric(queueDead, prometheus.GaugeValue, float64(f.Dead))
	ch <- prometheus.MustNewConstMetric(queueOldest, prometheus.GaugeValue, f.OldestPending.Seconds())
}

type updateKey struct{}

// WithUpdate marks ctx as the processing of one update (or API request), so that
// every line logged with it carries the id.
func WithUpdate(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, updateKey{}, id)
}

// UpdateOf is the id WithUpdate put in ctx, if any.
func UpdateOf(ctx context.Context) string {
	id, _ := ctx.Value(updateKey{}).(string)
	return id
}

// LogHandler adds the update id in a record's context (WithUpdate) to the record.
type LogHandler struct{ slog.Handler }

// Handle adds the update id, then hands the record on.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := UpdateOf(ctx); id != "" {
		r.AddAttrs(slog.String("update", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapping.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapping.
func (h LogHandler) WithGroup(name string) slog.Handler {
	return LogHandler{h.Handler.WithGroup(name)}
}

// Logger makes minyi's logger at level, as text or (format "json") JSON lines,
// writing to w: every line logged with an update's context names the update.
func Logger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(LogHandler{Handler: slog.NewJSONHandler(w, opts)})
	}
	return slog.New(LogHandler{Handler: slog.NewTextHandler(w, opts)})
}
