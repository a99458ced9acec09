// Package api is minyi's HTTP APIs for other systems: the intake API, through which
// other channels (a hotline system, a web form, a mini-program back end) submit
// concerns into the same queue, classifier and digests (渠道统揽); and a read-only
// Open311 GeoReport v2 endpoint, from which civic platforms pull concerns.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/telemetry"
)

// MaxBody is the largest request body the intake API takes.
const MaxBody = 64 << 10

// Config is what the APIs need to know of the deployment.
type Config struct {
	// IntakeKeys gives each intake channel's key: key → channel name.
	IntakeKeys map[string]string
	// Open311Keys gives each reading platform's key: key → its name.
	Open311Keys map[string]string
	// Grids lists the communities and their grids; a concern's place must be one of them.
	Grids map[string][]string
	// Location is the time zone of dates in queries and answers.
	Location *time.Location
	// Retention is how long concerns are kept, and external ids remembered.
	Retention time.Duration
	// Agency names the office responsible, where no unit holds a concern yet.
	Agency string
	// IntakeRate and IntakeBurst limit each intake channel's submissions: a bucket
	// of IntakeBurst that refills at IntakeRate a second (0: no limit). Open311Rate
	// and Open311Burst do the same for each Open311 key's requests. The buckets
	// are kept in Redis, shared by every instance.
	IntakeRate   float64
	IntakeBurst  int
	Open311Rate  float64
	Open311Burst int
	// Open311Slots is how many Open311 requests queries may run at once
	// (0: half the CPUs, at least one); the others wait their turn.
	Open311Slots int
}

// API serves the intake and Open311 endpoints.
type API struct {
	st       *store.Store
	cases    Cases
	tax      *classify.Taxonomy
	cfg      Config
	log      *slog.Logger
	metrics  *telemetry.Metrics
	now      func() time.Time
	ix       *index.Index
	limits   *limiter
	slots    chan struct{} // one token for each requests query running
	slotWait time.Duration // as long as a requests query waits for a slot
}

// Cases is the case service, through which the intake API files concerns and
// reads them back (cases.Service).
type Cases interface {
	SubmitExternal(ctx context.Context, channel, externalID string, r *concern.Report, keep time.Duration) (string, bool, error)
	ExternalConcern(ctx context.Context, channel, id string) (*concern.Report, bool, error)
}

// Option configures an API.
type Option func(*API)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(a *API) { a.log = l } }

// WithMetrics counts requests in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(a *API) { a.metrics = m } }

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(a *API) { a.now = now } }

// WithIndex pages Open311's requests from ix, which the program may share with
// other readers; without it the API keeps an index of its own over the store.
func WithIndex(ix *index.Index) Option { return func(a *API) { a.ix = ix } }

// New makes the APIs: the intake API files through svc, Open311 reads st,
// describing topics from tax.
func New(st *store.Store, svc Cases, tax *classify.Taxonomy, cfg Config, opts ...Option) *API {
	a := &API{st: st, cases: svc, tax: tax, cfg: cfg, log: slog.Default(), now: time.Now, slotWait: 5 * time.Second}
	if a.cfg.Location == nil {
		a.cfg.Location = time.UTC
	}
	for _, o := range opts {
		o(a)
	}
	if a.ix == nil {
		a.ix = index.New(st, index.WithLogger(a.log), index.WithClock(a.now))
	}
	a.limits = newLimiter(st, a.log)
	if a.cfg.Open311Slots < 1 {
		a.cfg.Open311Slots = max(1, runtime.GOMAXPROCS(0)/2)
	}
	a.slots = make(chan struct{}, a.cfg.Open311Slots)
	return a
}

// Register adds the endpoints to mux. Without keys configured for one of the two
// APIs, its endpoints answer that it is not enabled.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/concerns", a.counted("intake_post", a.postConcern))
	mux.HandleFunc("GET /api/v1/concerns/{id}", a.counted("intake_get", a.getConcern))
	mux.HandleFunc("GET /open311/v2/{file}", a.counted("open311", a.open311))
	mux.HandleFunc("GET /open311/v2/requests/{file}", a.counted("open311", a.open311Request))
}

// counted records each request's endpoint and status code.
func (a *API) counted(endpoint string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h(rec, r)
		a.metrics.APIRequest(endpoint, rec.code)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// keyOf finds who a request's key belongs to among keys, comparing in constant
// time. The key comes as "Authorization: Bearer KEY" or as X-API-Key; with
// inQuery (Open311's way), also as the api_key query parameter.
func keyOf(r *http.Request, keys map[string]string, inQuery bool) (string, bool) {
	given := r.Header.Get("X-API-Key")
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = strings.TrimSpace(auth)
	}
	if given == "" && inQuery {
		given = r.URL.Query().Get("api_key")
	}
	if given == "" {
		return "", false
	}
	// hashed first so that every comparison takes the same time whatever the lengths
	g := sha256.Sum256([]byte(given))
	name, found := "", false
	for key, who := range keys {
		k := sha256.Sum256([]byte(key))
		if subtle.ConstantTimeCompare(g[:], k[:]) == 1 {
			name, found = who, true
		}
	}
	return name, found
}

// retryAfter is a wait as Retry-After gives it: whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
