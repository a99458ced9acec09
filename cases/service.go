// Package cases is the one case service every front end calls (chat, console,
// the intake API, the web workbench): typed actions taking an Actor — showing
// and listing concerns, assigning, setting status, linking duplicates, service
// levels, notes and replies, invites and roles, ratings, acknowledging alerts,
// digests, erasing a resident's data — each returning a typed result or a
// *Refusal. It alone audits and notifies: whoever must hear of a change is told
// through their own chat's inbox, in order and in their language. It also
// submits drafts, raises and escalates urgent alerts and sweeps old data.
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/tasks"
	"github.com/minyi-project/minyi/telemetry"
)

// Notifier puts inputs in chats' inboxes (inbox.Writer does).
type Notifier interface {
	Ingest(ctx context.Context, inputs ...flows.Input) ([]bool, error)
}

// Intake is where finished drafts go and where users' lists are found (the store).
type Intake interface {
	Submit(ctx context.Context, draftID string, r *concern.Report, perDay int) (string, error)
	List(ctx context.Context, userID int64, list string, n int) ([]concern.Summary, int, error)
}

// Screener decides whether a concern is an emergency happening now (the
// screening engine, classify.Screener).
type Screener interface {
	Screen(text string) classify.Flags
}

// Config is the case handling policy.
type Config struct {
	// Admins are Telegram user ids with every right.
	Admins []int64
	// StaffChat gets urgent alerts; when 0 they go to each admin.
	StaffChat int64
	// Levels gives each service level its time to answer.
	Levels map[concern.Level]time.Duration
	// AlertEvery repeats an unacknowledged alert.
	AlertEvery time.Duration
	// Escalate is how long an urgent alert to the staff chat may go unacknowledged
	// before it also goes to each admin privately, and again every AlertEvery
	// until acknowledged (0: never). Without a staff chat the admins have it already.
	Escalate time.Duration
	// AlertStorm is how many urgent alerts a minute one channel may raise one by
	// one; the rest of the minute's come as one alert (0: no limit).
	AlertStorm int
	// InviteTTL is how long an invite code is valid.
	InviteTTL time.Duration
	// Retention is how long personal data is kept once a concern is finished.
	Retention time.Duration
	// Location is the office's time zone.
	Location *time.Location
	// ConcernsPerDay is how many concerns a resident may submit a day (0: no limit).
	ConcernsPerDay int
	// ExportLimit is the most concerns one export from the workbench holds (0: DefaultExportLimit).
	ExportLimit int
	// DigestAt is the time of day the previous day's digest goes out.
	DigestAt time.Duration
	// DigestChats get the scheduled digest; when empty, the alert chats do.
	DigestChats []int64
	// OrgName is the office, 报送单位 of its 信息 (MINYI_ORG_NAME).
	OrgName string
}

// DefaultLevels are the service levels' default times.
var DefaultLevels = map[concern.Level]time.Duration{
	concern.LevelUrgent:  2 * time.Hour,
	concern.LevelUtility: 24 * time.Hour,
	concern.LevelGeneral: 7 * 24 * time.Hour,
	concern.LevelComplex: 15 * 24 * time.Hour,
}

// Service is the case service: typed actions for every front end, and the effects of the engine.
type Service struct {
	st      *store.Store
	intake  Intake
	notify  Notifier
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	digests *digest.Builder
	files   Files
	metrics *telemetry.Metrics
	screen  Screener
	menus   func(ctx context.Context, userID int64, role concern.Role) error
	tasks   *tasks.Group // where menus are set, beside the command that changed a role
	index   *index.Index
	drafter Drafter
}

// Option configures a Service.
type Option func(*Service)

// WithIntake replaces where drafts are submitted (the store by default).
func WithIntake(i Intake) Option { return func(s *Service) { s.intake = i } }

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithMenus calls fn when someone's role changes (enrolled, or revoked to
// resident), to give them their role's command menu. Menus are a convenience: a
// failure is logged, and changes nothing else.
func WithMenus(fn func(ctx context.Context, userID int64, role concern.Role) error) Option {
	return func(s *Service) { s.menus = fn }
}

// WithTasks sets the group the menus are set in (required with WithMenus), which
// its owner stops at shutdown.
func WithTasks(g *tasks.Group) Option { return func(s *Service) { s.tasks = g } }

// WithScreener screens each concern as it is submitted, so that the receipt of
// an emergency can say what to do now (without one, receipts are all alike and
// only the intake worker screens).
func WithScreener(sc Screener) Option { return func(s *Service) { s.screen = sc } }

// WithMetrics counts digests sent in m.
func WithMetrics(m *telemetry.Metrics) Option { return func(s *Service) { s.metrics = m } }

// New makes a Service.
func New(st *store.Store, notify Notifier, cfg Config, opts ...Option) *Service {
	if cfg.ExportLimit <= 0 {
		cfg.ExportLimit = DefaultExportLimit
	}
	if cfg.Levels == nil {
		cfg.Levels = DefaultLevels
	}
	if cfg.AlertEvery <= 0 {
		cfg.AlertEvery = 15 * time.Minute
	}
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = 72 * time.Hour
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	s := &Service{st: st, intake: st, notify: notify, cfg: cfg, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// IsAdmin reports whether a user is an admin by configuration.
func (s *Service) IsAdmin(userID int64) bool { return slices.Contains(s.cfg.Admins, userID) }

// Deadline is when a concern of level, received at from, must be answered.
func (s *Service) Deadline(level concern.Level, from time.Time) time.Time {
	return from.Add(s.cfg.Levels[level])
}

// Execute carries out the resident's effects for the input that asked for them:
// submitting a draft and listing one's own concerns. (Commands are typed calls
// on the service, made by the command registry.) It returns the outcome for the
// engine, and a concern to list for the user, if one was submitted.
func (s *Service) Execute(ctx context.Context, in flows.Input, lang string, e flows.Effect) (flows.EffectResult, *store.Listing) {
	log := s.log.With("input", in.ID, "chat", in.ChatID, "effect", e.Kind)
	switch e.Kind {
	case flows.EffectSubmit:
		return s.submit(ctx, log, in, lang, e.Draft)
	case flows.EffectListMine:
		list, total, err := s.intake.List(ctx, in.UserID, store.ListMine, flows.MineShown)
		if err != nil {
			log.Warn("listing own concerns failed", "err", err)
			return flows.EffectResult{Failed: true}, nil
		}
		return flows.EffectResult{Concerns: list, Total: total}, nil
	}
	log.Error("unknown effect")
	return flows.EffectResult{Failed: true}, nil
}

func (s *Service) submit(ctx context.Context, log *slog.Logger, in flows.Input, lang string, d *flows.Draft) (flows.EffectResult, *store.Listing) {
	if len(d.Roles) > 0 && !slices.Contains(d.Roles, ActorOf(in, lang).Role) {
		// the role is looked up afresh for every update: one revoked mid-filing files nothing
		log.Info("a draft of a flow the sender's role may no longer use discarded", "draft", d.ID, "flow", d.Flow, "role", in.Role)
		return flows.EffectResult{Refused: string(FileNotAllowed)}, nil
	}
	r := reportFrom(in, lang, d)
	if s.screen != nil {
		// decided now, before the queue: the receipt, sent at once, must already say
		// what to do; the intake worker keeps this urgency and may only add to it
		intake.Flag(r, s.screen.Screen(r.Text))
	}
	perDay := s.cfg.ConcernsPerDay
	if r.Urgent && !r.AdminsOnly {
		perDay = 0 // a danger to life is never turned away by the daily limit
	}
	id, err := s.intake.Submit(ctx, d.ID, r, perDay)
	if errors.Is(err, store.ErrQuota) {
		log.Info("daily limit of concerns reached", "draft", d.ID, "limit", s.cfg.ConcernsPerDay)
		return flows.EffectResult{Refused: string(LimitConcerns), Count: s.cfg.ConcernsPerDay}, nil
	}
	if err != nil {
		log.Warn("submit failed; the user is asked to retry", "draft", d.ID, "err", err)
		return flows.EffectResult{Failed: true}, nil
	}
	log.Info("concern queued", "concern", id, "draft", d.ID, "urgent", r.Urgent, "hazard", r.Hazard)
	listing := &store.Listing{List: store.ListMine, Summary: concern.Summary{ID: id, At: in.Time, Excerpt: concern.Excerpt(r.Text, 40)}}
	if r.FiledBy != 0 {
		listing.List = store.ListFiled
		if err := s.audit(ctx, ActorOf(in, lang), "file", id, string(r.Capacity)); err != nil {
			log.Warn("audit of a filing failed", "err", err)
		}
	}
	// collective action is urgent for admins only: the reporter hears nothing of it
	res := flows.EffectResult{ConcernID: id, Urgent: r.Urgent && !r.AdminsOnly}
	if res.Urgent {
		res.Hazard = r.Hazard
	}
	return res, listing
}

// reportFrom turns a finished draft into a concern, by the map its flow declares.
func reportFrom(in flows.Input, lang string, d *flows.Draft) *concern.Report {
	v := d.Value
	r := &concern.Report{
		DraftID:    d.ID,
		ReceivedAt: in.Time,
		Channel:    in.Channel,
		Lang:       lang,
		ReplyChat:  in.ChatID,
		Text:       v(flows.AttrText).Text,
		Photos:     v(flows.AttrPhotos).Photos,
		Custom:     d.Custom,
		Status:     concern.StatusReceived,
		History:    []concern.StatusChange{{At: in.Time, Status: concern.StatusReceived}},
	}
	if d.Map.OnBehalf {
		// the resident has no chat here: the worker who filed hears back instead
		r.ReplyChat = 0
		r.FiledBy, r.FiledByName = in.UserID, in.UserName
		r.Consent = v(flows.AttrConsent).Choice == "yes"
		r.ResidentName, r.ResidentPhone = v(flows.AttrResidentName).Text, v(flows.AttrResidentPhone).Text
		r.Capacity = concern.Capacity(v(flows.AttrCapacity).Choice)
		r.HeardWhen = v(flows.AttrHeard).Choice
		r.Community, r.Grid, _ = strings.Cut(v(flows.AttrGrid).Choice, "/")
		return r
	}
	place := v(flows.AttrPlace)
	r.Community, r.Address, r.Location = place.Choice, place.Text, place.Location
	if c := v(flows.AttrContact).Contact; c != nil {
		r.Phone = c.Phone
		r.ReporterID, r.ReporterName = in.UserID, in.UserName
	}
	return r
}

// tell puts the news of a concern's history step hist in the chat of whoever
// reported it, or of the grid worker who filed it. It reports whether anyone could be told.
func (s *Service) tell(ctx context.Context, r *concern.Report, hist int) (bool, error) {
	h := r.History[hist]
	ev := flows.Event{
		Type: flows.EventStatus, Concern: r.ID, Status: h.Status, Unit: r.Unit, Other: r.DuplicateOf,
		Excerpt: concern.Excerpt(r.MaskedText(), 20),
	}
	switch {
	case h.Code == concern.HistReplied:
		ev.Type, ev.Note, ev.Unit, ev.Other = flows.EventReply, h.Note, "", ""
	case h.Status == concern.StatusRejected || h.Status == concern.StatusClosed || h.Status == concern.StatusInProgress:
		ev.Note = h.Note
	}
	if h.Status != concern.StatusTransferred && h.Code != concern.HistAssigned {
		ev.Unit = ""
	}
	if h.Status != concern.StatusDuplicate {
		ev.Other = ""
	}
	var inputs []flows.Input
	if r.ReplyChat != 0 {
		e := ev
		e.Rate = ev.Type == flows.EventStatus && h.Status == concern.StatusClosed && r.Rating == ""
		inputs = append(inputs, s.eventInput(r.ReplyChat, fmt.Sprintf("ev:%s:%d:r", r.ID, hist), &e))
	}
	if r.FiledBy != 0 {
		e := ev
		e.Filed = true
		inputs = append(inputs, s.eventInput(r.FiledBy, fmt.Sprintf("ev:%s:%d:f", r.ID, hist), &e))
	}
	// a chat that blocked the bot cannot be told: staff hear that nobody was
	if stopped, err := s.st.Stopped(ctx, r.ReplyChat, r.FiledBy); err == nil && len(stopped) > 0 {
		inputs = slices.DeleteFunc(inputs, func(in flows.Input) bool { return stopped[in.ChatID] })
	}
	if len(inputs) == 0 {
		return false, nil
	}
	if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	return true, nil
}

func (s *Service) eventInput(chat int64, id string, e *flows.Event) flows.Input {
	return flows.Input{ID: id, Time: s.now(), Channel: "event", ChatID: chat, UserID: chat, Kind: flows.InputEvent, Event: e}
}

// audit records an action. The request's id keeps a repeated one from being
// recorded twice.
func (s *Service) audit(ctx context.Context, a Actor, action, id, detail string) error {
	role := a.Role
	if role == "" {
		role = concern.RoleResident
	}
	req := a.Request
	if req == "" {
		req = "once:" + secret() // no request to repeat: each one is recorded
	}
	return s.st.Audit(ctx, req+"/"+action+"/"+id, concern.AuditEntry{
		At: s.now(), By: a.UserID, Role: role, Action: action, Concern: id, Detail: detail,
	})
}
