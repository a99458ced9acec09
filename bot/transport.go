// Package bot is minyi's Telegram transport, on github.com/go-telegram/bot.
//
// Updates come in by long polling or by webhook and are persisted in the inbox
// before Telegram hears that they arrived: polling moves its offset past an update
// only after the inbox took it, and the webhook answers 200 only then. Replies go
// out one message at a time through Send, driven by the send scheduler
// (package dispatch), to which Send maps Telegram's errors: 429 is retry_after,
// 403 a chat that blocked the bot, 400 a message never worth another try, and
// 5xx or no answer a passing outage.
package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/tasks"
	"github.com/minyi-project/minyi/telemetry"
)

// Ingester persists inputs before they are acknowledged.
type Ingester interface {
	Ingest(ctx context.Context, inputs ...flows.Input) ([]bool, error)
}

// Texts renders the bot's own wording, for what the transport says by itself,
// and the command menu of each role (the engine, flows.Machine).
type Texts interface {
	Text(lang string, key locale.Key, args ...string) string
	Menu(role concern.Role) []flows.MenuCommand
}

// Transport connects minyi to Telegram.
type Transport struct {
	tg        *tgbot.Bot
	token     string
	apiURL    string
	ing       Ingester
	texts     Texts
	log       *slog.Logger
	http      *http.Client
	budget    dispatch.Budget
	now       func() time.Time
	poll      time.Duration
	attempts  int
	staffChat int64
	pause     func(ctx context.Context, d time.Duration)
	metrics   *telemetry.Metrics
	// tasks runs what the transport does on the side (telling a chat the service is
	// busy); its own when none is given, stopped by Close
	tasks    *tasks.Group
	ownTasks bool

	mu   sync.Mutex
	told map[int64]time.Time // when each chat was last told the service is busy

	wrongSecret tally
}

// Option configures a Transport.
type Option func(*Transport)

// WithMetrics counts failed Bot API calls in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(t *Transport) { t.metrics = m } }

// WithServerURL points the transport at another Bot API server (self-hosted or a test's).
func WithServerURL(u string) Option {
	return func(t *Transport) { t.apiURL = strings.TrimRight(u, "/") }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(t *Transport) { t.log = l } }

// WithBudget takes the messages the transport sends by itself (that the
// service is busy, while the store is down) from the bot's budget.
func WithBudget(b dispatch.Budget) Option { return func(t *Transport) { t.budget = b } }

// WithClock sets where the time of each update comes from.
func WithClock(now func() time.Time) Option { return func(t *Transport) { t.now = now } }

// WithStaffChat accepts updates from the staff group chat besides private chats.
func WithStaffChat(id int64) Option { return func(t *Transport) { t.staffChat = id } }

// WithPollTimeout sets how long one getUpdates call waits for updates.
func WithPollTimeout(d time.Duration) Option { return func(t *Transport) { t.poll = d } }

// WithTasks runs the transport's side work in g, which its owner stops.
func WithTasks(g *tasks.Group) Option { return func(t *Transport) { t.tasks = g } }

// WithPause replaces how the transport waits between retries (tests record waits instead).
func WithPause(fn func(ctx context.Context, d time.Duration)) Option {
	return func(t *Transport) { t.pause = fn }
}

// New makes a Transport for the bot with token, persisting updates through ing.
func New(token string, ing Ingester, texts Texts, opts ...Option) (*Transport, error) {
	t := &Transport{
		token: token, apiURL: "https://api.telegram.org", ing: ing, texts: texts,
		log: slog.Default(), now: time.Now, poll: 50 * time.Second, attempts: 5,
		budget: dispatch.NewBudget(0, 1), pause: func(ctx context.Context, d time.Duration) { backoff.Sleep(ctx, d) }, told: map[int64]time.Time{},
	}
	for _, o := range opts {
		o(t)
	}
	if t.tasks == nil {
		t.tasks, t.ownTasks = tasks.New(), true
	}
	// every sender keeps its connection: the default transport keeps two idle ones
	// a host, and the rest would be dialled afresh for each message
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConns, base.MaxIdleConnsPerHost = 256, 256
	t.http = &http.Client{Timeout: t.poll + 15*time.Second, Transport: &statusTransport{base: base}}
	tg, err := tgbot.New(token,
		tgbot.WithServerURL(t.apiURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(t.poll, t.http),
		tgbot.WithErrorsHandler(func(err error) { t.log.Warn("telegram client", "err", redactToken(err, token)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	t.tg = tg
	return t, nil
}

// Close stops the transport's own side work, if it has any, and closes the
// connections it keeps to Telegram. Call it once nothing sends any more.
func (t *Transport) Close() {
	if t.ownTasks {
		t.tasks.Stop(5 * time.Second)
	}
	t.http.CloseIdleConnections()
}

// Check asks Telegram who the bot is, to fail early on a wrong token or server.
func (t *Transport) Check(ctx context.Context) (string, error) {
	me, err := t.tg.GetMe(ctx)
	if err != nil {
		if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
			return "", fmt.Errorf("telegram refused the token (check MINYI_TELEGRAM_TOKEN): %w", err)
		}
		return "", fmt.Errorf("telegram getMe: %w", err)
	}
	return me.Username, nil
}

// ServerError is a Bot API answer with a 5xx status, worth retrying.
type ServerError struct {
	Status int
	Body   string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("telegram server error %d: %s", e.Status, e.Body)
}

// statusTransport turns 5xx answers into a ServerError, which the library passes
// on wrapped, so that Send can tell a passing outage from a refusal. It also
// sends each request body in one piece: the library streams its form through a
// pipe, which would otherwise go out as many small chunked writes.
type statusTransport struct{ base http.RoundTripper }

// CloseIdleConnections closes the kept connections, as http.Client.CloseIdleConnections asks.
func (s *statusTransport) CloseIdleConnections() {
	if c, ok := s.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (s *statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.ContentLength <= 0 {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := s.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 500 {
		return resp, err
	}
	defer resp.Body.Close()
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	return nil, &ServerError{Status: resp.StatusCode, Body: string(buf[:n])}
}
