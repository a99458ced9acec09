// Package commands is the registry of chat commands beyond the conversation.
// Each command is one file: its name, the roles that may use it, its argument
// parser, the call on the case service and the renderer of what it answers.
// All lists them; help, the per-role menus, /help, the group chat's rules and
// the access test derive from that list. Adding a command is a file, a line in
// All and its sentences in the catalog (locale/messages.yaml).
package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/report"
)

// Command is one chat command.
type Command struct {
	Name string
	// Roles may use it; empty: everyone. The first is the section of help and
	// of the menu it is listed in.
	Roles []concern.Role
	// Button is the kind of button (data KIND:…) that runs it, if any.
	Button string
	// Help are its lines in help, each in the section of a role; Menu is the
	// catalog key of its menu entry (empty: none).
	Help []Line
	Menu locale.Key
	// Keys are the catalog keys it words its answers with, checked at start.
	Keys []locale.Key
	// Run parses c.Line, calls the case service and says what it answered.
	Run func(ctx context.Context, c *Call) error
}

// Line is a command's line in the help of a role.
type Line struct {
	For concern.Role
	Key locale.Key
}

// All are the commands, in the order help lists them.
func All() []Command {
	return []Command{
		show, assign, status, dup, level, overdue, audit, invite, invites, revoke, digestCmd, note, reply, list, search,
		infoCmd, analysisCmd, archiveCmd, consultCmd, subscribeCmd, unsubscribeCmd, answerCmd, mine, grid, web, whoami, join, forget, ack, rate, act,
	}
}

func (c *Command) allows(r concern.Role) bool {
	return len(c.Roles) == 0 || slices.Contains(c.Roles, r)
}

func (c *Command) section() concern.Role {
	if len(c.Roles) == 0 {
		return concern.RoleResident
	}
	return c.Roles[0]
}

// Service is what the commands call: the case service.
type Service interface {
	Show(ctx context.Context, a cases.Actor, id string) (*concern.Report, error)
	List(ctx context.Context, a cases.Actor, q cases.ListQuery) (cases.Reports, error)
	Overdue(ctx context.Context, a cases.Actor, limit int) (cases.Reports, error)
	Audit(ctx context.Context, a cases.Actor, id string) ([]concern.AuditEntry, error)
	Assign(ctx context.Context, a cases.Actor, id, unit string) (cases.Change, error)
	SetStatus(ctx context.Context, a cases.Actor, id string, st concern.Status, note string) (cases.Change, error)
	LinkDuplicate(ctx context.Context, a cases.Actor, id, other string) (cases.Change, error)
	SetLevel(ctx context.Context, a cases.Actor, id string, l concern.Level) (cases.Change, error)
	AddNote(ctx context.Context, a cases.Actor, id, note string) (cases.Change, error)
	ReplyToReporter(ctx context.Context, a cases.Actor, id, text string) (cases.Change, error)
	Invite(ctx context.Context, a cases.Actor, spec cases.InviteSpec) (cases.Invitation, error)
	CancelInvite(ctx context.Context, a cases.Actor, code string) (string, error)
	Invites(ctx context.Context, a cases.Actor) ([]cases.Invitation, error)
	Join(ctx context.Context, a cases.Actor, code string) (concern.Member, error)
	Revoke(ctx context.Context, a cases.Actor, user int64) (concern.Member, error)
	Filed(ctx context.Context, a cases.Actor) (cases.Summaries, error)
	Forget(ctx context.Context, a cases.Actor) (int, error)
	Rate(ctx context.Context, a cases.Actor, id string, r concern.Rating) (*concern.Report, error)
	Ack(ctx context.Context, a cases.Actor, id string) error
	Digest(ctx context.Context, a cases.Actor, req cases.DigestRequest) (*digest.Digest, error)
	SignInLink(ctx context.Context, a cases.Actor) (string, time.Time, error)
	ComposeInfo(ctx context.Context, a cases.Actor, from cases.InfoFrom) (cases.InfoDraft, error)
	Infos(ctx context.Context, a cases.Actor) ([]*info.Item, error)
	Info(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	EditInfo(ctx context.Context, a cases.Actor, id int64, field, value string) (cases.InfoDraft, error)
	SubmitInfo(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	ReturnInfo(ctx context.Context, a cases.Actor, id int64, why string) (*info.Item, error)
	SignInfo(ctx context.Context, a cases.Actor, id int64) (*info.Item, error)
	SendInfo(ctx context.Context, a cases.Actor, id int64, to string) (*info.Item, error)
	InfoFeedback(ctx context.Context, a cases.Actor, id int64, outcome info.State, text, by string) (*info.Item, error)
	TellInfo(ctx context.Context, a cases.Actor, id int64) (int, error)
	ParseSpan(text string) (report.Span, error)
	Report(ctx context.Context, a cases.Actor, sp report.Span, issue bool) (*report.Report, error)
	Archive(ctx context.Context, a cases.Actor, kind string) ([]cases.Issued, error)
	Archived(ctx context.Context, a cases.Actor, id int64, lang string) (cases.Issued, []cases.File, error)
	Subscribe(ctx context.Context, a cases.Actor, community string) error
	Unsubscribe(ctx context.Context, a cases.Actor) (bool, error)
	AnswerConsult(ctx context.Context, a cases.Actor, id int64, q int, value string) (*consult.Consultation, *consult.Answer, error)
	Consults(ctx context.Context, a cases.Actor) ([]*consult.Consultation, error)
	CreateConsult(ctx context.Context, a cases.Actor, c *consult.Consultation) (*consult.Consultation, error)
	SendConsult(ctx context.Context, a cases.Actor, id int64) (int, error)
	CloseConsult(ctx context.Context, a cases.Actor, id int64) (*consult.Consultation, error)
	ConsultOutcome(ctx context.Context, a cases.Actor, id int64, outcome string) (int, error)
	ConsultResults(ctx context.Context, a cases.Actor, id int64) (*consult.Consultation, []consult.Tally, int, error)
	LinkConsult(ctx context.Context, a cases.Actor, id, infoID int64) (*info.Item, error)
}

// Registry runs the commands. It implements flows.Commands for the engine.
type Registry struct {
	cmds      []Command
	svc       Service
	cat       locale.Catalog
	loc       *time.Location
	grids     []string
	units     []string
	publicURL string
	log       *slog.Logger
	byName    map[string]*Command
	byButton  map[string]*Command
	flowDefs  []*flows.Definition
}

// WithFlows runs these flows instead of the built-in ones (flows.Merge of the
// built-in and those of MINYI_FLOWS_DIR).
func WithFlows(defs []*flows.Definition) Option { return func(r *Registry) { r.flowDefs = defs } }

// Option configures a Registry.
type Option func(*Registry)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(r *Registry) { r.log = l } }

// WithPublicURL is the address the workbench is reached at from outside
// (MINYI_PUBLIC_URL), which sign-in links point to; without it /web says the
// workbench is not set up.
func WithPublicURL(u string) Option {
	return func(r *Registry) { r.publicURL = strings.TrimRight(u, "/") }
}

// WithUnits names the units (承办单位) a concern's card offers to refer it to.
func WithUnits(units ...string) Option { return func(r *Registry) { r.units = units } }

// New makes the registry over svc, wording its answers from cat. It refuses
// commands that clash, or that word anything with a key missing from the catalog.
func New(svc Service, cat locale.Catalog, opts ...Option) (*Registry, error) {
	r := &Registry{cmds: All(), svc: svc, cat: cat, loc: time.UTC, log: slog.Default(),
		byName: map[string]*Command{}, byButton: map[string]*Command{}}
	for _, o := range opts {
		o(r)
	}
	var errs []error
	for i := range r.cmds {
		c := &r.cmds[i]
		if _, dup := r.byName[c.Name]; dup || c.Name == "" || c.Run == nil {
			errs = append(errs, fmt.Errorf("command %q: named twice, unnamed or without Run", c.Name))
		}
		r.byName[c.Name] = c
		if c.Button != "" {
			if _, dup := r.byButton[c.Button]; dup {
				errs = append(errs, fmt.Errorf("command %q: button kind %q is taken", c.Name, c.Button))
			}
			r.byButton[c.Button] = c
		}
		keys := slices.Clone(c.Keys)
		for _, l := range c.Help {
			keys = append(keys, l.Key)
		}
		if c.Menu != "" {
			keys = append(keys, c.Menu)
		}
		for _, k := range keys {
			for _, lang := range locale.Languages {
				if cat[k][lang] == "" {
					errs = append(errs, fmt.Errorf("command %q: catalog has no %s wording of %q", c.Name, lang, k))
				}
			}
		}
	}
	for _, k := range commonKeys {
		if !cat.Has(k) {
			errs = append(errs, fmt.Errorf("catalog has no message %q, which every command may say", k))
		}
	}
	for _, reason := range cases.Reasons {
		if !cat.Has(locale.Key(reason)) {
			errs = append(errs, fmt.Errorf("catalog has no message for the refusal %q", reason))
		}
	}
	return r, errors.Join(errs...)
}

// commonKeys are what every command may say (Call).
var commonKeys = []locale.Key{"usage", "bad_id", "command_failed", "button_stale", "staff_only_button", "none", "list_sep"}

// Allows reports whether role may use the command name (typed, or by its
// button); in the staff group chat only staff and admins may, and only the
// commands of staff business, not those open to everyone.
func (r *Registry) Allows(name string, role concern.Role, group bool) bool {
	c, ok := r.byName[name]
	if !ok || group && (role != concern.RoleStaff && role != concern.RoleAdmin || len(c.Roles) == 0) {
		return false
	}
	return c.allows(role)
}

// Button names the command a button of kind runs.
func (r *Registry) Button(kind string) (string, bool) {
	c, ok := r.byButton[kind]
	if !ok {
		return "", false
	}
	return c.Name, true
}

// Section lists the help lines and menu entries of role's own commands.
func (r *Registry) Section(role concern.Role) []flows.Entry {
	var out []flows.Entry
	for _, c := range r.cmds {
		first := true
		for _, l := range c.Help {
			if l.For != role {
				continue
			}
			e := flows.Entry{Name: c.Name, Help: l.Key}
			if first && c.section() == role {
				e.Menu = c.Menu
			}
			first = false
			out = append(out, e)
		}
		if first && c.section() == role && c.Menu != "" {
			out = append(out, flows.Entry{Name: c.Name, Menu: c.Menu})
		}
	}
	return out
}

// Commands are the registry's commands, for tests and documentation.
func (r *Registry) Commands() []Command { return slices.Clone(r.cmds) }

// Run carries out a command the engine handed over (flows.EffectCommand) for the
// input that asked for it, and returns what to show.
func (r *Registry) Run(ctx context.Context, in flows.Input, lang string, e flows.Effect) flows.EffectResult {
	c := &Call{reg: r, In: in, Lang: lang, Line: e.Line, Actor: cases.ActorOf(in, lang)}
	cmd, ok := r.byName[e.Command]
	if !ok {
		r.log.Error("unknown command", "command", e.Command)
		return flows.EffectResult{Failed: true}
	}
	c.cmd = cmd
	switch {
	case in.Kind == flows.InputButton && !cmd.allows(c.Actor.Role):
		// a notice on the button only: nothing is posted (into a group, say)
		c.toast(c.t("staff_only_button"))
		return c.result
	case in.Kind != flows.InputButton && in.Kind != flows.InputEvent && !cmd.allows(c.Actor.Role):
		// the engine asked the registry first; a role changed in between
		c.say(c.t("unknown_command", "cmd", "/"+cmd.Name))
		c.result.Reprompt = true
		return c.result
	}
	err := cmd.Run(ctx, c)
	if ref, ok := cases.AsRefusal(err); ok {
		c.refused(ref)
		return c.result
	}
	if err != nil {
		r.log.Warn("command failed", "command", cmd.Name, "input", in.ID, "err", err)
		return flows.EffectResult{Failed: true}
	}
	return c.result
}

// NewEngine makes what every front end runs: the engine over the built-in flows
// and catalog, with the registry of typed commands on svc. Dates and grids are
// the engine's (flows.WithLocation, flows.WithGrids).
func NewEngine(svc Service, machine []flows.Option, opts ...Option) (*flows.Machine, *Registry, error) {
	defs, cat, err := flows.Builtin()
	if err != nil {
		return nil, nil, err
	}
	reg, err := New(svc, cat, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("commands: %w", err)
	}
	if reg.flowDefs != nil {
		defs = reg.flowDefs
	}
	m, err := flows.NewMachine(defs, cat, append(slices.Clone(machine), flows.WithCommands(reg))...)
	if err != nil {
		return nil, nil, err
	}
	reg.loc, reg.grids = m.Location(), m.Grids()
	return m, reg, nil
}

// communities are the communities of the configured grids, in their order.
func (r *Registry) communities() []string {
	var out []string
	for _, g := range r.grids {
		if c, _, _ := strings.Cut(g, "/"); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
