// Package workbench is the staff's web workbench, served under /staff/: sign-in
// through a one-time link from the bot (/web), a dashboard, the list of
// concerns with filters and search, a concern's page with its history, audit
// and actions, the 社情民意信息 drafted from concerns or a digest's 共性问题 and
// taken from draft to feedback, and the same as JSON under /staff/api/v1/.
// Every action is a call on the case service, so the rules, the audit and the
// notices are the chat's; a session's role is read afresh on every request.
package workbench

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/report"
)

//go:embed templates/*.html templates/*.css
var files embed.FS

// Service is what the workbench calls: the case service.
type Service interface {
	SignIn(ctx context.Context, code, request string) (cases.Session, error)
	SignOut(ctx context.Context, cookie string) error
	WebActor(ctx context.Context, cookie, request string) (cases.Actor, string, error)
	List(ctx context.Context, a cases.Actor, q cases.ListQuery) (cases.Reports, error)
	Show(ctx context.Context, a cases.Actor, id string) (*concern.Report, error)
	Audit(ctx context.Context, a cases.Actor, id string) ([]concern.AuditEntry, error)
	Assign(ctx context.Context, a cases.Actor, id, unit string) (cases.Change, error)
	SetStatus(ctx context.Context, a cases.Actor, id string, st concern.Status, note string) (cases.Change, error)
	LinkDuplicate(ctx context.Context, a cases.Actor, id, other string) (cases.Change, error)
	SetLevel(ctx context.Context, a cases.Actor, id string, l concern.Level) (cases.Change, error)
	AddNote(ctx context.Context, a cases.Actor, id, note string) (cases.Change, error)
	ReplyToReporter(ctx context.Context, a cases.Actor, id, text string) (cases.Change, error)
	Ack(ctx context.Context, a cases.Actor, id string) error
	Export(ctx context.Context, a cases.Actor, q cases.ListQuery, what string) ([]*concern.Report, error)
	ExportLimit() int
	Photo(ctx context.Context, a cases.Actor, id string, n int) (io.ReadCloser, string, error)
	Digest(ctx context.Context, a cases.Actor, req cases.DigestRequest) (*digest.Digest, error)
	// 社情民意信息
	ComposeInfo(ctx context.Context, a cases.Actor, from cases.InfoFrom) (cases.InfoDraft, error)
	Infos(ctx context.Context, a cases.Actor) ([]*info.Item, error)
	Info(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	InfoAudit(ctx context.Context, a cases.Actor, id int64) ([]concern.AuditEntry, error)
	EditInfo(ctx context.Context, a cases.Actor, id int64, field, value string) (cases.InfoDraft, error)
	SubmitInfo(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	ReturnInfo(ctx context.Context, a cases.Actor, id int64, why string) (*info.Item, error)
	SignInfo(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	SendInfo(ctx context.Context, a cases.Actor, id int64, to string) (*info.Item, error)
	InfoFeedback(ctx context.Context, a cases.Actor, id int64, outcome info.State, text, by string) (*info.Item, error)
	TellInfo(ctx context.Context, a cases.Actor, id int64) (int, error)
	// 综合分析 and the archive
	ParseSpan(text string) (report.Span, error)
	Report(ctx context.Context, a cases.Actor, sp report.Span, issue bool) (*report.Report, error)
	Archive(ctx context.Context, a cases.Actor, kind string) ([]cases.Issued, error)
	Archived(ctx context.Context, a cases.Actor, id int64, lang string) (cases.Issued, []cases.File, error)
	// 征求意见
	Consults(ctx context.Context, a cases.Actor) ([]*consult.Consultation, error)
	CreateConsult(ctx context.Context, a cases.Actor, c *consult.Consultation) (*consult.Consultation, error)
	ConsultResults(ctx context.Context, a cases.Actor, id int64) (*consult.Consultation, []consult.Tally, int, error)
	SendConsult(ctx context.Context, a cases.Actor, id int64) (int, error)
	CloseConsult(ctx context.Context, a cases.Actor, id int64) (*consult.Consultation, error)
	ConsultOutcome(ctx context.Context, a cases.Actor, id int64, outcome string) (int, error)
}

// cookieName holds a session (user.token); HttpOnly, SameSite=Strict, Secure
// behind https.
const cookieName = "minyi_staff"

// langCookie holds the language a member chose for the workbench (zh or en).
const langCookie = "minyi_lang"

// Server serves the workbench.
type Server struct {
	svc      Service
	cat      locale.Catalog
	loc      *time.Location
	units    []string
	grids    []string // 社区/网格
	sectors  []string
	topics   []string
	channels []string
	secure   bool
	log      *slog.Logger
	now      func() time.Time
	pages    *template.Template
}

// Option configures a Server.
type Option func(*Server)

// WithLocation sets the time zone dates are shown in.
func WithLocation(loc *time.Location) Option { return func(s *Server) { s.loc = loc } }

// WithUnits names the units offered when referring a concern (MINYI_UNITS).
func WithUnits(units ...string) Option { return func(s *Server) { s.units = units } }

// WithGrids names the grids (社区/网格) the list's filters offer.
func WithGrids(grids ...string) Option { return func(s *Server) { s.grids = grids } }

// WithTags names the sectors and topics the list's filters offer.
func WithTags(sectors, topics []string) Option {
	return func(s *Server) { s.sectors, s.topics = sectors, topics }
}

// WithChannels names the intake channels besides Telegram and the console.
func WithChannels(channels ...string) Option { return func(s *Server) { s.channels = channels } }

// WithSecureCookies marks the session cookie Secure: the workbench is reached over https.
func WithSecureCookies(on bool) Option { return func(s *Server) { s.secure = on } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New makes the workbench over svc, worded from cat.
func New(svc Service, cat locale.Catalog, opts ...Option) (*Server, error) {
	s := &Server{svc: svc, cat: cat, loc: time.UTC, log: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	funcs := template.FuncMap{
		"t":        func(lang, key string, args ...string) string { return cat.Render(lang, locale.Key(key), args...) },
		"status":   func(lang string, st concern.Status) string { return st.Label(lang) },
		"level":    func(lang string, l concern.Level) string { return l.Label(lang) },
		"when":     func(t time.Time) string { return s.when(t) },
		"excerpt":  func(r concern.Report) string { return concern.Excerpt(r.MaskedText(), 40) },
		"action":   func(lang, a string) string { return cat.Label(lang, locale.Key("action_"+a), a) },
		"inc":      func(i int) int { return i + 1 },
		"percent":  func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"infodesk": infoDesk,
		"dash": func(s string) string {
			if s == "" {
				return "—"
			}
			return s
		},
		"infostate": func(lang string, st info.State) string { return st.Label(lang) },
	}
	pages, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s.pages = pages
	for _, k := range slices.Concat(keys, filterKeys, infoKeys, reportKeys, consultKeys, templateKeys()) {
		if !cat.Has(k) {
			err = errors.Join(err, errors.New("workbench: catalog has no message "+string(k)))
		}
	}
	return s, err
}

// templateKeys are the catalog keys the templates name (t LANG "KEY").
func templateKeys() []locale.Key {
	var out []locale.Key
	names, _ := fs.Glob(files, "templates/*.html")
	for _, n := range names {
		b, _ := files.ReadFile(n)
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			out = append(out, locale.Key(m[1]))
		}
	}
	return out
}

var templateKey = regexp.MustCompile(`\{\{t \S+ "([a-z_]+)"`)

func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.loc).Format("2006-01-02 15:04")
}

// Register puts the workbench's routes on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff/signin", s.signInPage)
	mux.HandleFunc("POST /staff/signin", s.signIn)
	mux.HandleFunc("POST /staff/signout", s.member(s.signOut))
	mux.HandleFunc("GET /staff/style.css", s.style)
	mux.HandleFunc("GET /staff/{$}", s.member(s.dashboard))
	mux.HandleFunc("POST /staff/lang", s.member(s.setLang))
	mux.HandleFunc("GET /staff/concerns", s.member(s.list))
	mux.HandleFunc("POST /staff/concerns/bulk", s.member(s.bulk))
	mux.HandleFunc("GET /staff/concerns/{id}", s.member(s.detail))
	mux.HandleFunc("GET /staff/concerns/{id}/photos/{n}", s.member(s.photo))
	mux.HandleFunc("POST /staff/concerns/{id}/{action}", s.member(s.change))
	mux.HandleFunc("GET /staff/export", s.member(s.exportPage))
	mux.HandleFunc("GET /staff/export/{format}", s.member(s.export))
	mux.HandleFunc("GET /staff/digest", s.member(s.digestPage))
	mux.HandleFunc("GET /staff/digest/{file}", s.member(s.digestFile))
	mux.HandleFunc("GET /staff/api/v1/concerns", s.member(s.apiList))
	mux.HandleFunc("GET /staff/api/v1/concerns/{id}", s.member(s.apiConcern))
	mux.HandleFunc("GET /staff/info", s.member(s.infoList))
	mux.HandleFunc("POST /staff/info/new", s.member(s.infoNew))
	mux.HandleFunc("GET /staff/info/{id}", s.member(s.infoPage))
	mux.HandleFunc("GET /staff/info/{id}/{file}", s.member(s.infoFile))
	mux.HandleFunc("POST /staff/info/{id}/{action}", s.member(s.infoAction))
	mux.HandleFunc("GET /staff/api/v1/info", s.member(s.apiInfos))
	mux.HandleFunc("GET /staff/api/v1/info/{id}", s.member(s.apiInfo))
	mux.HandleFunc("GET /staff/reports", s.member(s.reportsPage))
	mux.HandleFunc("POST /staff/reports/issue", s.member(s.reportIssue))
	mux.HandleFunc("GET /staff/reports/file/{format}", s.member(s.reportFile))
	mux.HandleFunc("GET /staff/archive/{id}/{format}", s.member(s.archiveFile))
	mux.HandleFunc("GET /staff/api/v1/reports", s.member(s.apiReport))
	mux.HandleFunc("GET /staff/api/v1/archive", s.member(s.apiArchive))
	mux.HandleFunc("GET /staff/consults", s.member(s.consultList))
	mux.HandleFunc("POST /staff/consults/new", s.member(s.consultNew))
	mux.HandleFunc("GET /staff/consults/{id}", s.member(s.consultPage))
	mux.HandleFunc("GET /staff/consults/{id}/{format}", s.member(s.consultFile))
	mux.HandleFunc("POST /staff/consults/{id}/{action}", s.member(s.consultAction))
}

// visit is one signed-in request: who, and the session's CSRF token.
type visit struct {
	actor cases.Actor
	csrf  string
}

// member lets a request through only with a live session of a member; others
// get 401 (a page saying how to sign in, or JSON under /staff/api/).
func (s *Server) member(h func(http.ResponseWriter, *http.Request, visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil {
			s.unauthorized(w, r)
			return
		}
		a, csrf, err := s.svc.WebActor(r.Context(), c.Value, "web:"+newToken())
		if _, refused := cases.AsRefusal(err); refused {
			s.unauthorized(w, r)
			return
		}
		if err != nil {
			s.log.Warn("workbench: session not read", "err", err)
			s.failed(w, r, "zh")
			return
		}
		if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
			a.Lang = c.Value // chosen on the workbench; otherwise the member's own
		}
		h(w, r, visit{actor: a, csrf: csrf})
	}
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not signed in: send /web to the bot in a private chat for a link"})
		return
	}
	s.render(w, r, http.StatusUnauthorized, "message", page{Lang: "zh", Title: s.cat.Render("zh", "web_signin_title"),
		Message: s.cat.Render("zh", "web_signin_needed")})
}

func (s *Server) failed(w http.ResponseWriter, r *http.Request, lang string) {
	if isAPI(r) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the store is unavailable; try again in a minute"})
		return
	}
	s.render(w, r, http.StatusServiceUnavailable, "message", page{Lang: lang, Title: s.cat.Render(lang, "web_failed_title"),
		Message: s.cat.Render(lang, "command_failed")})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/staff/api/") }

// checkCSRF compares the form's token with the session's, in constant time.
func checkCSRF(r *http.Request, v visit) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.csrf)) == 1
}

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) style(w http.ResponseWriter, _ *http.Request) {
	b, _ := files.ReadFile("templates/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(b)
}

// page is what every template gets.
type page struct {
	Lang, Title, Message, Error string
	CSRF, Request, Back         string
	Actor                       cases.Actor
	Data                        any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.Back = "/staff/"
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/staff/") {
		p.Back = r.URL.RequestURI() // where the language switch comes back to
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// nothing from elsewhere, no framing: the workbench shows residents' data
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, name, p); err != nil {
		s.log.Warn("workbench: page not rendered", "page", name, "err", err)
	}
}
