// Package cases carries out what the flow engine asks for beyond the conversation:
// submitting concerns, staff case handling (show, assign, status, duplicates,
// service levels, overdue), roles and invites, ratings, erasing a resident's data,
// urgent alerts and the audit trail. Whoever must hear of a change is told through
// their own chat's inbox, in order and in their language.
package cases

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
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
	// DigestAt is the time of day the previous day's digest goes out.
	DigestAt time.Duration
	// DigestChats get the scheduled digest; when empty, the alert chats do.
	DigestChats []int64
}

// DefaultLevels are the service levels' default times.
var DefaultLevels = map[concern.Level]time.Duration{
	concern.LevelUrgent:  2 * time.Hour,
	concern.LevelUtility: 24 * time.Hour,
	concern.LevelGeneral: 7 * 24 * time.Hour,
	concern.LevelComplex: 15 * 24 * time.Hour,
}

// Service carries out effects.
type Service struct {
	st      *store.Store
	intake  Intake
	notify  Notifier
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	digests *digest.Builder
	metrics *telemetry.Metrics
	screen  Screener
	menus   func(ctx context.Context, userID int64, role concern.Role) error
	tasks   *tasks.Group // where menus are set, beside the command that changed a role
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

// refused is a command that changes nothing, with the catalog message saying
// why and the message's arguments (name, value pairs) beyond the concern's id.
type refused struct {
	key  string
	args []string
}

func (r *refused) Error() string { return r.key }

func refusal(key string, args ...string) error { return &refused{key: key, args: args} }

// Execute carries out one effect for the input that asked for it. It returns the
// outcome for the engine, and a concern to list for the user, if one was submitted.
func (s *Service) Execute(ctx context.Context, in flows.Input, lang string, e flows.Effect) (flows.EffectResult, *store.Listing) {
	log := s.log.With("input", in.ID, "chat", in.ChatID, "effect", e.Kind, "command", e.Command)
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
	case flows.EffectCommand:
		res := flows.EffectResult{Command: e.Command, Args: e.Args}
		err := s.command(ctx, in, e, &res)
		var ref *refused
		switch {
		case errors.As(err, &ref):
			res.Refused, res.RefusedArgs = ref.key, ref.args
		case errors.Is(err, store.ErrNotFound):
			res.Refused = "not_found"
		case err != nil:
			log.Warn("command failed", "err", err)
			res.Failed = true
		}
		return res, nil
	}
	log.Error("unknown effect")
	return flows.EffectResult{Failed: true}, nil
}

func (s *Service) submit(ctx context.Context, log *slog.Logger, in flows.Input, lang string, d *flows.Draft) (flows.EffectResult, *store.Listing) {
	if d.Flow == flows.FileFlow && in.Role != concern.RoleGrid {
		// the role is looked up afresh for every update: one revoked mid-filing files nothing
		log.Info("a filing by someone no longer a grid worker discarded", "draft", d.ID, "role", in.Role)
		return flows.EffectResult{Refused: "file_not_allowed"}, nil
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
		return flows.EffectResult{Refused: "limit_concerns", Count: s.cfg.ConcernsPerDay}, nil
	}
	if err != nil {
		log.Warn("submit failed; the user is asked to retry", "draft", d.ID, "err", err)
		return flows.EffectResult{Failed: true}, nil
	}
	log.Info("concern queued", "concern", id, "draft", d.ID, "urgent", r.Urgent, "hazard", r.Hazard)
	listing := &store.Listing{List: store.ListMine, Summary: concern.Summary{ID: id, At: in.Time, Excerpt: concern.Excerpt(r.Text, 40)}}
	if r.FiledBy != 0 {
		listing.List = store.ListFiled
		capacity := map[concern.Capacity]string{concern.Verbatim: "居民原话", concern.Paraphrase: "网格员转述"}[r.Capacity]
		if err := s.audit(ctx, in, "file", id, capacity); err != nil {
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

// reportFrom turns a finished draft into a concern.
func reportFrom(in flows.Input, lang string, d *flows.Draft) *concern.Report {
	f := d.Fields
	r := &concern.Report{
		DraftID:    d.ID,
		ReceivedAt: in.Time,
		Channel:    in.Channel,
		Lang:       lang,
		ReplyChat:  in.ChatID,
		Text:       f["text"].Text,
		Photos:     f["photos"].Photos,
		Status:     concern.StatusReceived,
		History:    []concern.StatusChange{{At: in.Time, Status: concern.StatusReceived}},
	}
	if d.Flow == flows.FileFlow {
		// the resident has no chat here: the worker who filed hears back instead
		r.ReplyChat = 0
		r.FiledBy, r.FiledByName = in.UserID, in.UserName
		r.Consent = f["consent"].Choice == "yes"
		r.ResidentName, r.ResidentPhone = f["name"].Text, f["phone"].Text
		r.Capacity = concern.Capacity(f["capacity"].Choice)
		r.HeardWhen = f["heard"].Choice
		r.Community, r.Grid, _ = strings.Cut(f["grid"].Choice, "/")
		return r
	}
	place := f["place"]
	r.Community, r.Address, r.Location = place.Choice, place.Text, place.Location
	if c := f["contact"].Contact; c != nil {
		r.Phone = c.Phone
		r.ReporterID, r.ReporterName = in.UserID, in.UserName
	}
	return r
}

func (s *Service) command(ctx context.Context, in flows.Input, e flows.Effect, res *flows.EffectResult) error {
	args := e.Args
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch e.Command {
	case "show":
		r, err := s.st.Report(ctx, arg(0))
		if err != nil {
			return err
		}
		if !in.Role.MayHandle(r) {
			return refusal("restricted")
		}
		res.Report = r
		return s.audit(ctx, in, "view", r.ID, "")
	case "assign", "setstat", "dup", "level":
		return s.change(ctx, in, e.Command, args, res)
	case "overdue":
		list, total, err := s.st.Overdue(ctx, s.now(), 20)
		if err != nil {
			return err
		}
		for _, r := range list {
			if in.Role.MayHandle(r) {
				res.Reports = append(res.Reports, *r)
			}
		}
		res.Total = int(total)
		return nil
	case "audit":
		// a sensitive concern's trail is as restricted as the concern
		if r, err := s.st.Report(ctx, arg(0)); err == nil && !in.Role.MayHandle(r) {
			return refusal("restricted")
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		trail, err := s.st.AuditTrail(ctx, arg(0))
		if err != nil {
			return err
		}
		res.Audit = trail
		return nil
	case "invite":
		return s.invite(ctx, in, args, res)
	case "join":
		return s.join(ctx, in, arg(0), res)
	case "revoke":
		return s.revoke(ctx, in, arg(0), res)
	case "filed":
		list, total, err := s.intake.List(ctx, in.UserID, store.ListFiled, flows.MineShown)
		if err != nil {
			return err
		}
		res.Concerns, res.Total = list, total
		return nil
	case "forget":
		return s.forget(ctx, in, res)
	case "rate":
		return s.rate(ctx, in, arg(0), concern.Rating(arg(1)), res)
	case "ack":
		return s.ack(ctx, in, arg(0))
	case "digest":
		return s.digest(ctx, in, args, res)
	}
	return fmt.Errorf("unknown command %q", e.Command)
}

// byLine names who made a change, for the concern's history.
func byLine(in flows.Input) string {
	name := in.UserName
	if name == "" {
		name = strconv.FormatInt(in.UserID, 10)
	}
	// the role's code: each reader sees it in their language (StatusChange.ByLabel)
	return string(concern.Role(in.Role)) + " " + name
}

// change carries out /assign, /status, /dup and /level. Doing one again (the same
// update, after a crash) changes nothing more and tells nobody twice.
func (s *Service) change(ctx context.Context, in flows.Input, cmd string, args []string, res *flows.EffectResult) error {
	id := args[0]
	now := s.now()
	if cmd == "dup" {
		if _, err := s.st.Report(ctx, args[1]); errors.Is(err, store.ErrNotFound) {
			return refusal("not_found_other")
		} else if err != nil {
			return err
		}
	}
	var detail string
	statusChanged := false
	r, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
		if !in.Role.MayHandle(r) {
			return refusal("restricted")
		}
		if r.Changed(in.ID) {
			return nil
		}
		step := concern.StatusChange{At: now, By: byLine(in), Input: in.ID}
		switch cmd {
		case "assign":
			if r.Status.Finished() {
				return refusal("finished_already")
			}
			r.Unit = args[1]
			step.Status, step.Code, step.Args = r.Status, concern.HistAssigned, []string{args[1]}
			if r.Status == concern.StatusReceived || r.Status == concern.StatusAccepted {
				step.Status = concern.StatusTransferred
			}
			detail = args[1]
		case "setstat":
			st := concern.Status(args[1])
			if st == r.Status {
				return refusal("same_status")
			}
			if !r.Status.CanBecome(st) {
				return refusal("bad_transition", "from", string(r.Status), "to", string(st), "allowed", statusList(r.Status.Next()))
			}
			if st.NeedsNote() && args[2] == "" {
				return refusal("note_required", "status", string(st))
			}
			step.Status, step.Note = st, args[2]
			detail = strings.TrimSpace(string(st) + " " + args[2]) // the status's code: worded for each reader
		case "dup":
			if r.Status.Finished() {
				return refusal("finished_already")
			}
			r.DuplicateOf = args[1]
			step.Status, step.Code, step.Args = concern.StatusDuplicate, concern.HistDuplicate, []string{args[1]}
			detail = args[1]
		case "level":
			if r.Status.Finished() {
				return refusal("finished_already")
			}
			r.Level = concern.Level(args[1])
			r.Deadline = s.Deadline(r.Level, r.ReceivedAt)
			step.Status, step.Code, step.Args = r.Status, concern.HistLevel, []string{string(r.Level)}
			detail = args[1]
		}
		statusChanged = step.Status != r.Status || cmd == "assign"
		r.Status = step.Status
		r.History = append(r.History, step)
		return nil
	})
	if err != nil {
		return err
	}
	res.Report = r
	action := map[string]string{"assign": "assign", "setstat": "status", "dup": "dup", "level": "level"}[cmd]
	if err := s.audit(ctx, in, action, id, detail); err != nil {
		return err
	}
	if cmd == "level" || !statusChanged {
		res.Notified = r.ReplyChat != 0 || r.FiledBy != 0
		return nil
	}
	notified, err := s.tell(ctx, r, len(r.History)-1)
	res.Notified = notified
	return err
}

// statusList names statuses for a message, as codes the engine words in the reader's language.
func statusList(ss []concern.Status) string {
	out := make([]string, len(ss))
	for i, st := range ss {
		out[i] = string(st)
	}
	return strings.Join(out, ",")
}

// tell puts the news of a concern's history step hist in the chat of whoever
// reported it, or of the grid worker who filed it. It reports whether anyone could be told.
func (s *Service) tell(ctx context.Context, r *concern.Report, hist int) (bool, error) {
	h := r.History[hist]
	ev := flows.Event{
		Type: flows.EventStatus, Concern: r.ID, Status: h.Status, Unit: r.Unit, Other: r.DuplicateOf,
		Excerpt: concern.Excerpt(r.MaskedText(), 20),
	}
	if h.Status == concern.StatusRejected || h.Status == concern.StatusClosed || h.Status == concern.StatusInProgress {
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
		e.Rate = h.Status == concern.StatusClosed && r.Rating == ""
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

// audit records a staff, admin or user action. The input's id keeps a repeated
// update from being recorded twice.
func (s *Service) audit(ctx context.Context, in flows.Input, action, id, detail string) error {
	role := in.Role
	if role == "" {
		role = concern.RoleResident
	}
	return s.st.Audit(ctx, in.ID+"/"+action+"/"+id, concern.AuditEntry{
		At: s.now(), By: in.UserID, Role: role, Action: action, Concern: id, Detail: detail,
	})
}

// codeAlphabet leaves out letters and digits that read alike (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

func (s *Service) invite(ctx context.Context, in flows.Input, args []string, res *flows.EffectResult) error {
	switch args[0] {
	case "cancel":
		if in.Role != concern.RoleAdmin {
			return refusal("admins_only")
		}
		code := strings.ToUpper(strings.TrimSpace(args[1]))
		inv, err := s.st.CancelInvite(ctx, code)
		if errors.Is(err, store.ErrNotFound) {
			return refusal("invite_not_outstanding", "code", code)
		}
		if err != nil {
			return err
		}
		res.Code = code
		return s.audit(ctx, in, "uninvite", "", code+" "+string(inv.Role))
	case "list":
		if in.Role != concern.RoleAdmin {
			return refusal("admins_only")
		}
		list, err := s.st.Invites(ctx, s.now())
		if err != nil {
			return err
		}
		for _, o := range list {
			res.Invites = append(res.Invites, flows.InviteInfo{Code: o.Code, Role: o.Invite.Role, Community: o.Invite.Community,
				Grid: o.Invite.Grid, By: o.Invite.By, Expires: o.Expires})
		}
		return nil
	case "staff":
		// staff create staff only through an admin: otherwise one leaked account makes many
		if in.Role != concern.RoleAdmin {
			return refusal("invite_staff_admin_only")
		}
	}
	inv := store.Invite{Role: concern.RoleStaff, By: in.UserID, Created: s.now()}
	detail := "staff"
	if args[0] == "grid" {
		inv.Role = concern.RoleGrid
		inv.Community, inv.Grid, _ = strings.Cut(args[1], "/")
		detail = "grid " + args[1]
	}
	var err error
	for range 3 { // a clash of random codes is unlikely; try again if it happens
		res.Code = newCode()
		if err = s.st.CreateInvite(ctx, res.Code, inv, s.cfg.InviteTTL); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	res.Expires = s.now().Add(s.cfg.InviteTTL)
	return s.audit(ctx, in, "invite", "", detail)
}

func (s *Service) join(ctx context.Context, in flows.Input, code string, res *flows.EffectResult) error {
	n, err := s.st.CountAttempt(ctx, "join:"+strconv.FormatInt(in.UserID, 10), time.Hour)
	if err != nil {
		return err
	}
	if n > 10 {
		return refusal("too_many_attempts")
	}
	inv, err := s.st.RedeemInvite(ctx, strings.ToUpper(strings.TrimSpace(code)))
	if errors.Is(err, store.ErrNotFound) {
		return refusal("invite_invalid")
	}
	if err != nil {
		return err
	}
	if ok, err := s.mayInvite(ctx, inv.By, inv.Role); err != nil {
		return err
	} else if !ok {
		// the maker's role was taken away (or narrowed) since: the code died with it
		s.log.Info("invite of a maker no longer allowed to invite refused", "by", inv.By, "role", inv.Role)
		return refusal("invite_invalid")
	}
	m := concern.Member{UserID: in.UserID, Role: inv.Role, Community: inv.Community, Grid: inv.Grid, Since: s.now(), By: inv.By}
	if err := s.st.SetMember(ctx, m); err != nil {
		return err
	}
	res.Member = &m
	in.Role = m.Role
	s.setMenu(in.UserID, m.Role)
	return s.audit(ctx, in, "join", "", string(m.Role)+" "+m.Community+"/"+m.Grid)
}

// mayInvite reports whether user may still make an invite of role: staff invites
// are admins', grid invites staff's and admins'.
func (s *Service) mayInvite(ctx context.Context, user int64, role concern.Role) (bool, error) {
	if s.IsAdmin(user) {
		return true, nil
	}
	m, ok, err := s.st.Member(ctx, user)
	if err != nil || !ok {
		return false, err
	}
	switch role {
	case concern.RoleGrid:
		return m.Role == concern.RoleStaff || m.Role == concern.RoleAdmin, nil
	}
	return m.Role == concern.RoleAdmin, nil
}

func (s *Service) revoke(ctx context.Context, in flows.Input, user string, res *flows.EffectResult) error {
	id, _ := strconv.ParseInt(user, 10, 64)
	m, ok, err := s.st.Member(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return refusal("not_member")
	}
	if _, err := s.st.RemoveMember(ctx, id); err != nil {
		return err
	}
	// their outstanding codes go with them (join checks the maker too)
	if n, err := s.st.CancelInvitesBy(ctx, id, s.now()); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("a revoked member's invite codes cancelled", "user", id, "codes", n)
	}
	res.Member = &m
	s.setMenu(id, concern.RoleResident)
	if err := s.audit(ctx, in, "revoke", "", user+" "+string(m.Role)); err != nil {
		return err
	}
	_, err = s.notify.Ingest(ctx, s.eventInput(id, "role:"+in.ID, &flows.Event{Type: flows.EventRole, Member: concern.Member{Role: concern.RoleResident}}))
	return err
}

// setMenu gives a user their role's menu, in the background: Telegram being slow
// must not hold up the chat the command came from.
func (s *Service) setMenu(userID int64, role concern.Role) {
	if s.menus == nil || s.tasks == nil {
		return
	}
	if !s.tasks.Go(30*time.Second, func(ctx context.Context) {
		if err := s.menus(ctx, userID, role); err != nil {
			s.log.Warn("command menu not set", "user", userID, "role", role, "err", err)
		}
	}) {
		s.log.Warn("command menu not set: stopping", "user", userID, "role", role)
	}
}

// forget erases the user's name, phone and Telegram identity from the concerns they
// reported; the text and tags stay, anonymous, for statistics.
func (s *Service) forget(ctx context.Context, in flows.Input, res *flows.EffectResult) error {
	ids, err := s.st.MineIDs(ctx, in.UserID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
			if r.ReplyChat != in.ChatID && r.ReporterID != in.UserID {
				return nil
			}
			r.ReporterID, r.ReporterName, r.Phone, r.ReplyChat = 0, "", "", 0
			r.Forgotten = true
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // still in the queue; see below
		}
		if err != nil {
			return err
		}
		if err := s.audit(ctx, in, "forget", id, ""); err != nil {
			return err
		}
		res.Count++
	}
	return s.st.DropMine(ctx, in.UserID)
}

// rate records the reporter's verdict on a closed concern; 不满意 reopens it.
func (s *Service) rate(ctx context.Context, in flows.Input, id string, rating concern.Rating, res *flows.EffectResult) error {
	now := s.now()
	r, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
		if r.ReplyChat != in.ChatID {
			return refusal("not_yours")
		}
		if r.Rating != "" {
			if r.Changed(in.ID) {
				return nil
			}
			return refusal("already_rated")
		}
		if r.Status != concern.StatusClosed {
			return refusal("not_closed")
		}
		r.Rating = rating
		if rating == concern.Unsatisfied {
			r.Status = concern.StatusInProgress
			r.History = append(r.History, concern.StatusChange{At: now, Status: concern.StatusInProgress, By: concern.ByRating, Code: concern.HistReopened, Input: in.ID})
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.Report = r
	if err := s.audit(ctx, in, "rate", id, string(rating)); err != nil {
		return err
	}
	if rating == concern.Unsatisfied {
		return s.audit(ctx, in, "reopen", id, "")
	}
	return nil
}
