package flows

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// The ids of the built-in flows: a resident's report, and a grid worker's filing
// for a resident. How a flow starts and what it fills is its definition's (Start,
// Concern), not the engine's.
const (
	ReportFlow = "report"
	FileFlow   = "file"
)

// Menu actions, reachable by command or by the main menu's buttons. A flow's
// Start.Menu is an action too; "f:ID" starts flow ID once a draft in progress
// is abandoned.
const (
	actionStart   = "start"
	actionMine    = "mine"
	actionPrivacy = "privacy"
)

// MineShown is how many of a resident's concerns /status lists.
const MineShown = 10

// Machine runs flows for one chat at a time. It is pure: Step does no I/O and
// keeps no state between calls, so it is safe for concurrent use.
type Machine struct {
	flows       map[string]*Definition
	cat         locale.Catalog
	communities []string
	grids       []string // "社区/网格"
	expiry      time.Duration
	org         locale.Text
	loc         *time.Location
	retention   int // days personal data is kept after a concern is finished
	// numbers are the emergency services' numbers said in advice, by service
	// (EmergencyServices); duty is the office's own duty phone, when it has one.
	numbers map[string]string
	duty    string
	// commands are the typed commands beyond the conversation (nil: none).
	commands Commands
	order    []*Definition // the flows by id
}

// Commands is the registry of typed commands (package commands): the engine
// asks it which commands exist and for whom, and hands it, as an effect, the
// ones it has. It is pure, as the engine is.
type Commands interface {
	// Allows reports whether role may type /name (group: in the staff group chat).
	Allows(name string, role concern.Role, group bool) bool
	// Button names the command a button of kind runs (the data up to its first ':').
	Button(kind string) (name string, ok bool)
	// Section lists, in order, the help lines and menu entries of role's own
	// commands (not those of the roles below it).
	Section(role concern.Role) []Entry
}

// Entry is one command's line in help and in the command menu, by catalog key
// (empty: not shown there).
type Entry struct {
	Name       string
	Help, Menu locale.Key
}

// WithCommands gives the engine the registry of typed commands.
func WithCommands(c Commands) Option { return func(m *Machine) { m.commands = c } }

// EmergencyServices are the services whose numbers advice names: fire, medical
// (ambulance), police, traffic police, the gas company's emergency line, the power
// company's, and a psychological crisis line.
func EmergencyServices() []string {
	return []string{"fire", "medical", "police", "traffic", "gas", "power", "crisis"}
}

// DefaultEmergencyNumbers are China's national numbers. Gas has no national line
// (each city's gas company has its own, printed on the meter and the bill), so
// advice without one configured says where to find it.
func DefaultEmergencyNumbers() map[string]string {
	return map[string]string{"fire": "119", "medical": "120", "police": "110", "traffic": "122", "gas": "", "power": "95598", "crisis": "12356"}
}

// optionalNumbers may be empty: advice then says where to find the number.
func optionalNumber(service string) bool { return service == "gas" || service == "crisis" }

// WithEmergencyNumbers replaces some of the emergency numbers advice names
// (service → number, services of EmergencyServices); the rest keep their defaults.
func WithEmergencyNumbers(numbers map[string]string) Option {
	return func(m *Machine) {
		for k, v := range numbers {
			m.numbers[k] = strings.TrimSpace(v)
		}
	}
}

// WithDutyPhone gives the office's duty phone, said in the advice of an urgent receipt.
func WithDutyPhone(phone string) Option {
	return func(m *Machine) { m.duty = strings.TrimSpace(phone) }
}

// Option configures a Machine.
type Option func(*Machine)

// WithCommunities sets the communities (社区) offered at location steps.
func WithCommunities(names ...string) Option {
	return func(m *Machine) { m.communities = append([]string(nil), names...) }
}

// WithGrids sets the grids ("社区/网格") a grid worker can file for.
func WithGrids(paths ...string) Option {
	return func(m *Machine) { m.grids = append([]string(nil), paths...) }
}

// WithExpiry sets how long a flow may sit idle before it is discarded.
func WithExpiry(d time.Duration) Option { return func(m *Machine) { m.expiry = d } }

// WithOrgName sets the office's name used in the greeting.
func WithOrgName(zh, en string) Option {
	return func(m *Machine) { m.org = locale.Text{"zh": zh, "en": en} }
}

// WithRetentionDays says, in the privacy notice, how long personal data is kept.
func WithRetentionDays(n int) Option { return func(m *Machine) { m.retention = n } }

// WithLocation sets the time zone dates are shown in.
func WithLocation(loc *time.Location) Option { return func(m *Machine) { m.loc = loc } }

// NewMachine makes a Machine over the given flow definitions and catalog.
func NewMachine(defs []*Definition, cat locale.Catalog, opts ...Option) (*Machine, error) {
	m := &Machine{flows: map[string]*Definition{}, cat: cat, expiry: 30 * time.Minute, loc: time.UTC, retention: 1095,
		numbers: DefaultEmergencyNumbers()}
	for _, d := range defs {
		if _, dup := m.flows[d.ID]; dup {
			return nil, fmt.Errorf("flow %q is defined twice", d.ID)
		}
		m.flows[d.ID] = d
	}
	for _, o := range opts {
		o(m)
	}
	for _, d := range m.flows {
		m.order = append(m.order, d)
	}
	slices.SortFunc(m.order, func(a, b *Definition) int { return strings.Compare(a.ID, b.ID) })
	var missing []error
	starts, fromText := map[string]string{}, 0
	for _, c := range append(slices.Clone(ownCommands), "m:"+actionStart, "m:"+actionMine, "m:"+actionPrivacy) {
		starts[c] = "the engine"
	}
	for _, d := range defs {
		for _, c := range append([]string{d.Start.Command, "m:" + d.Start.Menu}, d.Start.Aliases...) {
			if c == "" || c == "m:" {
				continue
			}
			if by, dup := starts[c]; dup {
				missing = append(missing, fmt.Errorf("flow %q: start %q is %s's already", d.ID, c, by))
			}
			if m.commands != nil && m.commands.Allows(c, concern.RoleAdmin, false) {
				missing = append(missing, fmt.Errorf("flow %q: start %q is a typed command's name too", d.ID, c))
			}
			starts[c] = "flow " + d.ID
		}
		if d.Start.FromText {
			fromText++
		}
	}
	for _, kind := range []string{"m", "l", "a", "f"} { // the engine's own buttons
		if name, ok := m.buttonCommand(kind); ok {
			missing = append(missing, fmt.Errorf("command %q: button kind %q is the engine's", name, kind))
		}
	}
	if fromText > 1 {
		missing = append(missing, fmt.Errorf("%d flows start from text; at most one may", fromText))
	}
	for _, key := range catalogKeys {
		if _, ok := cat[key]; !ok {
			missing = append(missing, fmt.Errorf("catalog has no %q message", key))
		}
	}
	if m.expiry < time.Minute {
		missing = append(missing, fmt.Errorf("flow expiry %v is under a minute", m.expiry))
	}
	// a community or grid travels in a button's data (c:NAME, the grid's path as
	// it is), which Telegram keeps to 64 bytes; the data is read up to its first ':'
	for _, c := range m.communities {
		if len("c:"+c) > maxButtonData {
			missing = append(missing, fmt.Errorf("community %q: %d bytes, more than a button's data holds (%d)", c, len(c), maxButtonData-len("c:")))
		}
	}
	for _, g := range m.grids {
		if len(g) > maxButtonData || strings.Contains(g, ":") {
			missing = append(missing, fmt.Errorf("grid %q: a button's data holds at most %d bytes and no ':'", g, maxButtonData))
		}
	}
	for k, v := range m.numbers {
		switch {
		case !slices.Contains(EmergencyServices(), k):
			missing = append(missing, fmt.Errorf("emergency number for %q: not a service (%s)", k, strings.Join(EmergencyServices(), ", ")))
		case v == "" && !optionalNumber(k):
			missing = append(missing, fmt.Errorf("emergency number for %q is empty", k))
		}
	}
	sortErrors(missing)
	return m, errors.Join(missing...)
}

// maxButtonData is how many bytes Telegram keeps of an inline button's data.
const maxButtonData = 64

// NewDefault makes a Machine over the embedded flows and catalog.
func NewDefault(opts ...Option) (*Machine, error) {
	defs, cat, err := Builtin()
	if err != nil {
		return nil, err
	}
	return NewMachine(defs, cat, opts...)
}

// Location is the time zone dates are shown in.
func (m *Machine) Location() *time.Location { return m.loc }

// Grids are the configured grids ("社区/网格").
func (m *Machine) Grids() []string { return slices.Clone(m.grids) }

// Expiry is how long a draft may sit idle before it is discarded.
func (m *Machine) Expiry() time.Duration { return m.expiry }

// Text renders one catalog message, for transports that speak outside a flow.
func (m *Machine) Text(lang string, key locale.Key, args ...string) string {
	return m.cat.Render(lang, key, args...)
}

// StepID names step i of a flow (its id in the definition), for metrics and logs.
func (m *Machine) StepID(flow string, i int) string {
	if d := m.flows[flow]; d != nil && i >= 0 && i < len(d.Steps) {
		return d.Steps[i].ID
	}
	return strconv.Itoa(i)
}

// Lang is the language the bot speaks in this session with this input.
func (m *Machine) Lang(s Session, in Input) string {
	if s.Lang != "" {
		return s.Lang
	}
	return LangOf(in.LangCode)
}

// LangOf maps a client's language code to a language the bot speaks.
func LangOf(code string) string {
	if strings.HasPrefix(strings.ToLower(code), "en") {
		return "en"
	}
	return locale.Languages[0]
}

// Step feeds one input to a session and returns the new session, the messages to
// send and, at most, one effect to carry out.
func (m *Machine) Step(s Session, in Input) Result {
	s = s.clone()
	// whatever the transport, control characters never reach a draft or a record
	in.Text, in.UserName = concern.CleanText(in.Text), concern.CleanText(in.UserName)
	r := &run{m: m, s: &s, in: in, lang: m.Lang(s, in)}
	r.dispatch()
	if !(in.Kind == InputEvent && in.Event != nil && in.Event.Type == EventExpire) {
		s.LastActive = in.Time // the sweep's look at a draft is not activity
	}
	return Result{Session: s, Messages: r.out, Effect: r.effect}
}

// run is the work of one Step.
type run struct {
	m      *Machine
	s      *Session
	in     Input
	lang   string
	out    []Message
	effect *Effect
}

func (r *run) t(key locale.Key, args ...string) string { return r.m.cat.Render(r.lang, key, args...) }

func (r *run) say(text string, inline ...[]Button) {
	r.out = append(r.out, Message{Text: text, Inline: inline})
}

func (r *run) dispatch() {
	if r.in.Throttled {
		r.say(r.t("limit_messages")) // and nothing else: the input is not acted on
		return
	}
	switch {
	case r.in.Kind == InputResult:
		r.result()
		return
	case r.in.Kind == InputEvent:
		if r.in.Event != nil {
			r.event(r.in.Event)
		}
		return
	case r.in.Group:
		r.group()
		return
	}
	if r.s.Expired || r.idle() {
		r.s.Flow, r.s.Pending, r.s.Expired = nil, "", false
		r.say(r.t("flow_expired", "minutes", strconv.Itoa(int(r.m.expiry.Minutes()))))
	}
	awaited, until := r.s.Await, r.s.AwaitUntil
	r.s.Await, r.s.AwaitUntil = "", time.Time{} // what the chat does next ends the wait
	if cmd, args, ok := parseCommand(r.in); ok {
		r.command(cmd, args)
		return
	}
	if r.in.Kind == InputButton {
		r.button()
		return
	}
	if awaited != "" && r.s.Flow == nil && r.in.Kind == InputText && r.in.Time.Before(until) {
		name, prefix, _ := strings.Cut(awaited, " ")
		r.effect = &Effect{Kind: EffectCommand, Command: name, Line: prefix + strings.TrimSpace(r.in.Text)}
		return
	}
	r.s.Pending = "" // carrying on with the draft answers the abandon question
	if r.s.Flow != nil {
		r.flowInput()
		return
	}
	if r.describedFirst() {
		return
	}
	if role(r.in) != concern.RoleResident {
		r.menu(r.t("idle_hint_member")) // staff's texts do not start reports
		return
	}
	r.menu(r.t("idle_hint"))
}

// describedFirst starts a report with a resident's first message when it reads
// as a description (long enough to be one): a message the fewer for them to
// wait for, and a step the fewer to take. They are told, and can change it at
// the summary or /cancel.
func (r *run) describedFirst() bool {
	d := r.m.fromText()
	if d == nil || r.in.Kind != InputText || role(r.in) != concern.RoleResident || !d.Start.Allows(concern.RoleResident) || len(d.Steps) == 0 {
		return false
	}
	st := &d.Steps[0]
	if st.Type != StepText || concern.VisibleLen(strings.TrimSpace(r.in.Text)) < st.MinLen {
		return false
	}
	r.beginFlow(d.ID)
	first := len(r.out)
	r.onText(st)
	if r.s.Flow.Step > 0 && first < len(r.out) {
		r.out[first].Text = r.t("described_first") + "\n\n" + r.out[first].Text
	}
	return true
}

// idle reports whether the session's draft has sat past the flow expiry.
func (r *run) idle() bool {
	return r.s.Flow != nil && !r.s.LastActive.IsZero() && r.in.Time.Sub(r.s.LastActive) > r.m.expiry
}

// group handles a message in the staff chat: staff commands and alert buttons
// only; the rest of the chat's talk is not the bot's business.
func (r *run) group() {
	if cmd, args, ok := parseCommand(r.in); ok {
		// /status alone is a resident's own list, which has no place in the group
		if r.m.commands != nil && !(cmd == "status" && args == "") && r.m.commands.Allows(cmd, role(r.in), true) {
			r.effect = &Effect{Kind: EffectCommand, Command: cmd, Line: args}
		}
		return
	}
	if r.in.Kind == InputButton {
		kind, rest, _ := strings.Cut(r.in.Data, ":")
		if name, ok := r.buttonCommand(kind); ok && (name == "ack" || r.m.commands.Allows(name, role(r.in), true)) {
			// an alert's button is answered whoever presses it (a notice on the button for
			// those it is not for); the others are staff's
			r.effect = &Effect{Kind: EffectCommand, Command: name, Line: rest}
		}
	}
}

// ownCommands are the conversation's own commands, which no flow or typed command may take.
var ownCommands = []string{"start", "menu", "privacy", "cancel", "help", "lang", "status", "mine"}

func parseCommand(in Input) (cmd, args string, ok bool) {
	if in.Kind != InputText || !strings.HasPrefix(in.Text, "/") {
		return "", "", false
	}
	head, rest, _ := strings.Cut(strings.TrimSpace(in.Text), " ")
	head, _, _ = strings.Cut(head[1:], "@") // "/start@minyi_bot"
	return strings.ToLower(head), strings.TrimSpace(rest), true
}

func (r *run) command(cmd, args string) {
	if d := r.m.flowStartedBy(cmd); d != nil {
		if !d.Start.Allows(role(r.in)) {
			r.unknownCommand(cmd)
			return
		}
		r.start(d)
		return
	}
	// a typed command of the sender's role; /status alone (and /mine, for those
	// who have no command of that name) is the sender's own list
	if r.m.commands != nil && !(cmd == "status" && args == "") && r.m.commands.Allows(cmd, role(r.in), false) {
		r.effect = &Effect{Kind: EffectCommand, Command: cmd, Line: args}
		return
	}
	switch cmd {
	case "start", "menu":
		r.menuAction(actionStart)
	case "status", "mine":
		if args != "" && cmd == "status" {
			r.unknownCommand(cmd)
			return
		}
		r.menuAction(actionMine)
	case "privacy":
		r.menuAction(actionPrivacy)
	case "cancel":
		r.s.Pending = ""
		if r.s.Flow == nil {
			r.menu(r.t("nothing_to_cancel"))
			return
		}
		r.s.Flow = nil
		r.menu(r.t("cancelled"))
	case "help":
		text := r.t("help")
		if role(r.in) != concern.RoleResident {
			text += "\n\n" + r.roleHelp()
		}
		r.say(text)
		r.reprompt()
	case "lang":
		r.setLang(args)
	default:
		r.unknownCommand(cmd)
	}
}

// flowStartedBy is the flow a command starts, if any.
func (m *Machine) flowStartedBy(cmd string) *Definition {
	if cmd == "" {
		return nil
	}
	for _, d := range m.sorted() {
		if d.Start.Command == cmd || slices.Contains(d.Start.Aliases, cmd) {
			return d
		}
	}
	return nil
}

// flowOfMenu is the flow a main-menu action starts, if any.
func (m *Machine) flowOfMenu(action string) *Definition {
	if id, ok := strings.CutPrefix(action, "f:"); ok {
		return m.flows[id]
	}
	for _, d := range m.sorted() {
		if d.Start.Menu == action {
			return d
		}
	}
	return nil
}

// fromText is the flow a message written outside any flow starts, if any.
func (m *Machine) fromText() *Definition {
	for _, d := range m.sorted() {
		if d.Start.FromText {
			return d
		}
	}
	return nil
}

// sorted are the flows by id, so that every lookup goes the same way.
func (m *Machine) sorted() []*Definition { return m.order }

// start starts flow d as its definition says: asking first whether to abandon a
// draft in progress, or dropping it, saying so.
func (r *run) start(d *Definition) {
	if d.Start.OnDraft == "drop" {
		if r.s.Flow != nil {
			r.s.Pending = ""
			r.s.Flow = nil
			r.say(r.t("abandoned"))
		}
		r.startFlow(d.ID)
		return
	}
	action := d.Start.Menu
	if action == "" {
		action = "f:" + d.ID
	}
	r.menuAction(action)
}

// menuAction runs a main-menu action, first asking to abandon a draft in progress.
func (r *run) menuAction(action string) {
	if r.s.Flow != nil {
		r.s.Pending = action
		r.say(r.t("abandon_ask"), []Button{
			{Label: r.t("abandon_yes"), Data: "a:yes"},
			{Label: r.t("abandon_no"), Data: "a:no"},
		})
		return
	}
	switch action {
	case actionStart:
		text := r.t("greeting", "org", r.org())
		if role(r.in) != concern.RoleResident {
			text += "\n\n" + r.roleHelp()
		}
		r.menu(text)
		// residents are asked once here whether they agree to be consulted (征求意见)
		if role(r.in) == concern.RoleResident && r.m.commands != nil && r.m.commands.Allows("subscribe", concern.RoleResident, false) {
			r.say(r.t("consult_offer"), []Button{{Label: r.t("consult_offer_yes"), Data: "b:?"}})
		}
	case actionMine:
		r.effect = &Effect{Kind: EffectListMine}
	case actionPrivacy:
		r.menu(r.t("privacy", "days", strconv.Itoa(r.m.retention)))
	default:
		if d := r.m.flowOfMenu(action); d != nil && d.Start.Allows(role(r.in)) {
			r.startFlow(d.ID)
		}
	}
}

func (r *run) org() string {
	if v := r.m.org.In(r.lang); v != "" {
		return v
	}
	return r.t("org_default")
}

// menu says text with the main menu under it: a button for each flow the
// sender's role starts from the menu (its Start.Button), then their concerns
// and the privacy notice.
func (r *run) menu(text string) {
	var flows []Button
	for _, d := range r.m.sorted() {
		if d.Start.Menu != "" && d.Start.Allows(role(r.in)) {
			flows = append(flows, Button{Label: d.Start.Button.In(r.lang), Data: "m:" + d.Start.Menu})
		}
	}
	r.say(text,
		flows,
		[]Button{{Label: r.t("menu_mine"), Data: "m:" + actionMine}, {Label: r.t("menu_privacy"), Data: "m:" + actionPrivacy}},
	)
}

func (r *run) setLang(arg string) {
	switch strings.ToLower(arg) {
	case "":
		r.say(r.t("lang_choose"), []Button{{Label: "中文", Data: "l:zh"}, {Label: "English", Data: "l:en"}})
		return
	case "zh", "cn", "zh-cn", "中文":
		r.s.Lang = "zh"
	case "en", "english":
		r.s.Lang = "en"
	default:
		r.say(r.t("lang_unknown"))
		return
	}
	r.lang = r.s.Lang
	r.say(r.t("lang_set"))
	r.reprompt()
}

// reprompt shows again what the resident is in the middle of, or the menu.
func (r *run) reprompt() {
	if r.s.Flow != nil {
		if _, ok := r.def(); ok {
			r.prompt()
			return
		}
	}
	r.menu(r.t("menu_hint"))
}

func (r *run) button() {
	kind, rest, _ := strings.Cut(r.in.Data, ":")
	switch kind {
	case "m":
		if rest == actionStart || rest == actionMine || rest == actionPrivacy || r.m.flowOfMenu(rest) != nil && !strings.HasPrefix(rest, "f:") {
			r.s.Pending = ""
			r.menuAction(rest)
			return
		}
	case "l":
		r.setLang(rest)
		return
	case "a":
		action := r.s.Pending
		r.s.Pending = ""
		if action == "" || r.s.Flow == nil {
			break
		}
		if rest == "yes" {
			r.s.Flow = nil
			r.say(r.t("abandoned"))
			r.menuAction(action)
		} else {
			r.prompt()
		}
		return
	case "f":
		r.s.Pending = ""
		if r.s.Flow != nil {
			r.flowInput()
			return
		}
	default:
		if name, ok := r.buttonCommand(kind); ok {
			r.effect = &Effect{Kind: EffectCommand, Command: name, Line: rest}
			return
		}
	}
	r.stale()
}

// stale says, on the pressed button itself, that it is no longer valid: the
// message with the valid ones is the latest in the chat, and a message more
// would be one more to wait for when many write at once.
func (r *run) stale() {
	r.out = append(r.out, Message{Text: r.t("button_stale"), Toast: true})
}

func (r *run) startFlow(id string) {
	r.beginFlow(id)
	r.prompt()
}

// beginFlow starts an empty draft of flow id at its first step.
func (r *run) beginFlow(id string) {
	d := r.m.flows[id]
	draft := fmt.Sprintf("%d-%s", r.in.ChatID, r.in.ID)
	h := fnv.New32a()
	h.Write([]byte(draft))
	r.s.Flow = &FlowState{
		Flow:    id,
		Version: d.Version,
		DraftID: draft,
		Token:   strconv.FormatUint(uint64(h.Sum32()), 36),
		Answers: map[string]Answer{},
		Started: r.in.Time,
	}
}

func (r *run) def() (*Definition, bool) {
	d := r.m.flows[r.s.Flow.Flow]
	if d == nil || d.Version != r.s.Flow.Version || r.s.Flow.Step >= len(d.Steps) {
		return nil, false
	}
	return d, true
}

// upgrade carries a draft begun on an older version of its flow over to the
// one now in force: the answers to steps that are still there, and still
// answered the same way, are kept; it goes on at the first step unanswered
// (the summary when none is), saying so. What was sent with it is not taken
// as an answer: it was meant for the old step.
func (r *run) upgrade() bool {
	f := r.s.Flow
	d := r.m.flows[f.Flow]
	if d == nil || d.Version == f.Version {
		return false
	}
	kept := map[string]Answer{}
	next := -1
	for i := range d.Steps {
		st := &d.Steps[i]
		if st.Type == StepConfirm {
			continue
		}
		if a, ok := f.Answers[st.ID]; ok && fits(st, a, r.m) {
			kept[st.ID] = a
		} else if next < 0 {
			next = i
		}
	}
	if next < 0 {
		next = len(d.Steps) - 1
	}
	f.Version, f.Answers, f.Step, f.Editing = d.Version, kept, next, false
	r.say(r.t("flow_upgraded", "kept", strconv.Itoa(len(kept))))
	if d.Steps[next].Type == StepConfirm {
		r.summary()
	} else {
		r.prompt()
	}
	return true
}

// fits says whether an answer given to a step of an older version answers this step.
func fits(st *StepDef, a Answer, m *Machine) bool {
	switch st.Type {
	case StepText:
		n := len([]rune(a.Text))
		return (a.Skipped && st.Skippable) || (!a.Skipped && a.Text != "" && a.Choice == "" && n >= st.MinLen && n <= st.MaxLen &&
			(st.Pattern != "phone" || looksLikePhone(a.Text)))
	case StepChoice:
		if st.OptionsFrom == "grids" {
			return slices.Contains(m.grids, a.Choice) // a grid still configured
		}
		return slices.ContainsFunc(st.Options, func(o ChoiceOption) bool { return o.Value == a.Choice && o.Stop == nil })
	case StepPhotos:
		return len(a.Photos) <= st.MaxPhotos && (len(a.Photos) > 0 || a.Skipped)
	case StepLocation:
		return a.Location != nil || (a.Text != "" && len([]rune(a.Text)) <= st.AddressMax) ||
			(a.Choice != "" && slices.Contains(m.communities, a.Choice)) || (a.Skipped && st.Skippable)
	case StepContact:
		return a.Contact != nil || (a.Choice == "anonymous" && st.Anonymous) || (a.Skipped && st.Skippable)
	}
	return false
}

func (r *run) step() *StepDef {
	d, _ := r.def()
	return &d.Steps[r.s.Flow.Step]
}

func (r *run) flowInput() {
	if _, ok := r.def(); !ok {
		if r.upgrade() {
			return
		}
		r.s.Flow = nil
		r.menu(r.t("flow_outdated"))
		return
	}
	st := r.step()
	switch r.in.Kind {
	case InputButton:
		parts := strings.SplitN(r.in.Data, ":", 4)
		if len(parts) != 4 || parts[1] != r.s.Flow.Token || parts[2] != st.ID || !r.press(st, parts[3]) {
			r.stale()
		}
		return
	case InputText:
		if value, ok := r.typedButton(st, r.in.Text); ok && r.press(st, value) {
			return
		}
	}
	switch st.Type {
	case StepText:
		r.onText(st)
	case StepPhotos:
		r.onPhoto(st)
	case StepLocation:
		r.onLocation(st)
	case StepContact:
		r.onContact(st)
	case StepChoice:
		r.unexpected(st, r.t("choice_hint"))
	case StepConfirm:
		r.unexpected(st, r.t("confirm_hint"))
	}
}

// choices are the answers a step offers as buttons, by value.
func (r *run) choices(st *StepDef) []Button {
	var b []Button
	switch st.Type {
	case StepChoice:
		for _, o := range st.Options {
			b = append(b, Button{Label: o.Label.In(r.lang), Data: o.Value})
		}
		if st.OptionsFrom == "grids" {
			b = append(b, r.gridChoices()...)
		}
	case StepPhotos:
		if len(r.s.Flow.Answers[st.ID].Photos) > 0 {
			b = append(b, Button{Label: r.t("btn_done"), Data: "done"})
		} else {
			b = append(b, Button{Label: r.t("btn_skip"), Data: "skip"})
		}
	case StepLocation:
		if st.OptionsFrom == "communities" && len(r.m.communities) > 0 {
			for _, c := range r.m.communities {
				b = append(b, Button{Label: c, Data: "c:" + c})
			}
			// the location keyboard is asked for: it needs a message of its own
			b = append(b, Button{Label: r.t("btn_location"), Data: "loc"})
		}
	case StepContact:
		if st.Anonymous {
			b = append(b, Button{Label: r.t("btn_anonymous"), Data: "anon"})
		}
	case StepConfirm:
		b = append(b,
			Button{Label: r.t("btn_submit"), Data: "submit"},
			Button{Label: r.t("btn_edit"), Data: "edit"},
			Button{Label: r.t("btn_cancel"), Data: "cancel"})
	}
	if st.Skippable && st.Type != StepPhotos {
		b = append(b, Button{Label: r.skipLabel(st), Data: "skip"})
	}
	return b
}

func (r *run) skipLabel(st *StepDef) string {
	if st.SkipLabel != nil {
		return st.SkipLabel.In(r.lang)
	}
	return r.t("btn_skip")
}

// gridChoices offers every configured grid, the sender's own first.
func (r *run) gridChoices() []Button {
	own := r.in.Community + "/" + r.in.Grid
	var b []Button
	for _, g := range r.m.grids {
		if g == own {
			b = append([]Button{{Label: g + r.t("own_grid"), Data: g}}, b...)
		} else {
			b = append(b, Button{Label: g, Data: g})
		}
	}
	return b
}

// typedButton lets a resident type a button's label instead of pressing it.
func (r *run) typedButton(st *StepDef, text string) (string, bool) {
	want := normalizeLabel(text)
	if want == "" {
		return "", false
	}
	saved := r.lang
	defer func() { r.lang = saved }()
	for _, lang := range locale.Languages {
		r.lang = lang
		for _, b := range r.choices(st) {
			if normalizeLabel(b.Label) == want {
				return b.Data, true
			}
		}
	}
	return "", false
}

// SameLabel reports whether typed text names a button's label, ignoring emoji,
// punctuation, spaces and case, so "提交" names "✅ 提交".
func SameLabel(typed, label string) bool {
	t := normalizeLabel(typed)
	return t != "" && t == normalizeLabel(label)
}

func normalizeLabel(s string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			return unicode.ToLower(c)
		}
		return -1
	}, s)
}

// inline lays buttons out two to a row, prefixing their data with this step's address.
func (r *run) inline(st *StepDef, buttons []Button) [][]Button {
	var rows [][]Button
	for i, b := range buttons {
		b.Data = "f:" + r.s.Flow.Token + ":" + st.ID + ":" + b.Data
		if i%2 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], b)
	}
	return rows
}

// prompt asks for the current step.
func (r *run) prompt() {
	st := r.step()
	text := st.Prompt.In(r.lang)
	switch st.Type {
	case StepLocation:
		reply := [][]Button{{{Label: r.t("btn_share_location"), Request: "location"}}}
		if st.Skippable {
			reply = append(reply, []Button{{Label: r.t("btn_skip")}})
		}
		var communities, rest []Button
		for _, b := range r.choices(st) {
			if strings.HasPrefix(b.Data, "c:") {
				communities = append(communities, b)
			} else {
				rest = append(rest, b)
			}
		}
		if len(communities) > 0 {
			// one message: the communities, then the location and skip on a row of their own
			r.out = append(r.out, Message{Text: text + "\n" + r.t("location_choose"),
				Inline: append(r.inline(st, communities), r.inline(st, rest)...), Prompt: true})
		} else {
			r.out = append(r.out, Message{Text: text + "\n" + r.t("location_free"), Reply: reply, Prompt: true})
		}
	case StepContact:
		reply := [][]Button{{{Label: r.t("btn_share_contact"), Request: "contact"}}}
		if st.Anonymous {
			reply = append(reply, []Button{{Label: r.t("btn_anonymous")}})
		}
		r.out = append(r.out, Message{Text: text, Reply: reply, Prompt: true})
	case StepConfirm:
		r.summary()
	default:
		r.out = append(r.out, Message{Text: text, Inline: r.inline(st, r.choices(st)), Prompt: true})
	}
}

// locationKeyboard offers the button that shares a location, which only a
// keyboard of the chat's own can carry.
func (r *run) locationKeyboard(st *StepDef) {
	reply := [][]Button{{{Label: r.t("btn_share_location"), Request: "location"}}}
	if st.Skippable {
		reply = append(reply, []Button{{Label: r.t("btn_skip")}})
	}
	r.out = append(r.out, Message{Text: r.t("location_keyboard"), Reply: reply, Prompt: true})
}

func (r *run) unexpected(st *StepDef, extra string) {
	kind := locale.Key("kind_" + string(r.in.Kind))
	switch r.in.Kind {
	case InputOther:
		kind = locale.Key("kind_" + r.in.Other)
		if _, ok := r.m.cat[kind]; !ok {
			kind = "kind_other"
		}
	}
	text := extra
	if st.Type != StepConfirm && st.Type != StepChoice {
		text = r.t("unexpected", "kind", r.t(kind), "want", st.Want.In(r.lang))
	}
	var inline [][]Button
	if st.Type == StepChoice || st.Type == StepConfirm || st.Type == StepPhotos {
		inline = r.inline(st, r.choices(st))
	}
	r.out = append(r.out, Message{Text: text, Inline: inline, Prompt: true})
}

// ask says something about the step being answered (an answer it cannot take);
// like the step's prompt, a newer answer makes it moot.
func (r *run) ask(text string) {
	r.out = append(r.out, Message{Text: text, Prompt: true})
}

func (r *run) onText(st *StepDef) {
	if r.in.Kind != InputText {
		r.unexpected(st, "")
		return
	}
	text := strings.TrimSpace(r.in.Text)
	// the shortest length counts what shows (a text of zero-width spaces is empty);
	// the longest counts every character, which is what is stored
	n, visible := len([]rune(text)), concern.VisibleLen(text)
	switch {
	case st.Pattern == "phone" && !looksLikePhone(text):
		r.ask(r.t("bad_phone"))
	case visible < st.MinLen:
		r.ask(r.t("too_short", "n", strconv.Itoa(visible), "min", strconv.Itoa(st.MinLen)))
	case n > st.MaxLen:
		r.ask(r.t("too_long", "n", strconv.Itoa(n), "max", strconv.Itoa(st.MaxLen)))
	default:
		r.answer(st, Answer{Text: text})
	}
}

func (r *run) onPhoto(st *StepDef) {
	if r.in.Kind != InputPhoto {
		r.unexpected(st, "")
		return
	}
	a := r.s.Flow.Answers[st.ID]
	max := strconv.Itoa(st.MaxPhotos)
	key := locale.Key("photo_over")
	if len(a.Photos) < st.MaxPhotos {
		a.Photos = append(a.Photos, r.in.Photo)
		r.s.Flow.Answers[st.ID] = a
		key = "photo_added"
		if len(a.Photos) == st.MaxPhotos {
			key = "photo_full"
		}
	}
	r.out = append(r.out, Message{
		Text:   r.t(key, "n", strconv.Itoa(len(a.Photos)), "max", max),
		Inline: r.inline(st, r.choices(st)),
		Prompt: true,
	})
}

func (r *run) onLocation(st *StepDef) {
	switch r.in.Kind {
	case InputLocation:
		if r.in.Location != nil {
			r.answer(st, Answer{Location: r.in.Location})
			return
		}
	case InputText:
		addr := strings.TrimSpace(r.in.Text)
		switch n := len([]rune(addr)); {
		case concern.VisibleLen(addr) < st.AddressMin:
			r.ask(r.t("address_short", "min", strconv.Itoa(st.AddressMin)))
		case n > st.AddressMax:
			r.ask(r.t("address_long", "max", strconv.Itoa(st.AddressMax)))
		default:
			r.answer(st, Answer{Text: addr})
		}
		return
	}
	r.unexpected(st, "")
}

func (r *run) onContact(st *StepDef) {
	switch r.in.Kind {
	case InputContact:
		c := r.in.Contact
		if c == nil || c.UserID == 0 || c.UserID != r.in.UserID || strings.TrimSpace(c.Phone) == "" {
			r.ask(r.t("contact_not_own"))
			return
		}
		r.answer(st, Answer{Contact: c})
		return
	case InputText:
		if looksLikePhone(r.in.Text) {
			r.ask(r.t("contact_typed"))
			return
		}
	}
	r.unexpected(st, "")
}

func looksLikePhone(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-' || c == '+' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 7
}

// press acts on a button of the current step; it reports false for a value the step does not offer.
func (r *run) press(st *StepDef, value string) bool {
	f := r.s.Flow
	if st.Type == StepConfirm {
		return r.confirm(value)
	}
	offered := false
	for _, b := range r.choices(st) {
		offered = offered || b.Data == value
	}
	if !offered {
		return false
	}
	if st.Type == StepChoice {
		for _, o := range st.Options {
			if o.Value == value && o.Stop != nil {
				r.s.Flow = nil
				r.menu(o.Stop.In(r.lang))
				return true
			}
		}
	}
	switch {
	case value == "loc" && st.Type == StepLocation:
		r.locationKeyboard(st)
	case value == "skip":
		r.answer(st, Answer{Skipped: true})
	case value == "done":
		r.answer(st, f.Answers[st.ID])
	case value == "anon":
		r.answer(st, Answer{Choice: "anonymous"})
	case strings.HasPrefix(value, "c:") && st.Type == StepLocation:
		r.answer(st, Answer{Choice: strings.TrimPrefix(value, "c:")})
	default:
		r.answer(st, Answer{Choice: value})
	}
	return true
}

// answer records a step's answer and moves on.
func (r *run) answer(st *StepDef, a Answer) {
	f := r.s.Flow
	f.Answers[st.ID] = a
	recorded := ""
	if st.Type == StepLocation || st.Type == StepContact {
		// these steps showed a reply keyboard; say what was kept, at the head of what comes next
		recorded = r.t("recorded", "label", st.Label.In(r.lang), "value", r.describe(st, a))
	}
	d, _ := r.def()
	switch {
	case f.Editing:
		// back to the summary, whose buttons are inline: the keyboard needs taking away
		if recorded != "" {
			r.out = append(r.out, Message{Text: recorded, RemoveReply: true})
			recorded = ""
		}
		f.Editing = false
		f.Step = len(d.Steps) - 1
	case f.Step+1 == len(d.Steps):
		if recorded != "" {
			r.out = append(r.out, Message{Text: recorded, RemoveReply: true})
		}
		r.submit() // a flow without a confirm step is sent when its last step is answered
		return
	default:
		f.Step++
	}
	first := len(r.out)
	r.prompt()
	if recorded != "" && first < len(r.out) {
		// one message rather than two; the next step's own keyboard, or the
		// one-time keyboard having hidden itself, leaves none behind
		r.out[first].Text = recorded + "\n\n" + r.out[first].Text
	}
}

// describe renders an answer for the summary.
func (r *run) describe(st *StepDef, a Answer) string {
	switch {
	case a.Skipped && st.SkipLabel != nil:
		return st.SkipLabel.In(r.lang)
	case a.Skipped:
		return r.t("not_given")
	case a.Contact != nil:
		return r.t("contact_phone", "phone", concern.MaskPhone(a.Contact.Phone))
	case a.Location != nil:
		return r.t("place_location", "loc", a.Location.String())
	}
	switch st.Type {
	case StepText:
		return a.Text
	case StepPhotos:
		if len(a.Photos) == 0 {
			return r.t("not_given")
		}
		return r.t("photos_count", "n", strconv.Itoa(len(a.Photos)))
	case StepLocation:
		if a.Choice != "" {
			return r.t("place_community", "name", a.Choice)
		}
		if a.Text != "" {
			return r.t("place_address", "addr", a.Text)
		}
	case StepContact:
		if a.Choice == "anonymous" {
			return r.t("contact_anonymous")
		}
	case StepChoice:
		for _, b := range r.choices(st) {
			if b.Data == a.Choice {
				return b.Label
			}
		}
	}
	return r.t("not_given")
}

func (r *run) summary() {
	d, _ := r.def()
	st := r.step()
	lines := []string{st.Prompt.In(r.lang)}
	for i := range d.Steps {
		s := &d.Steps[i]
		if s.Type == StepConfirm {
			continue
		}
		lines = append(lines, "【"+s.Label.In(r.lang)+"】"+r.describe(s, r.s.Flow.Answers[s.ID]))
	}
	lines = append(lines, r.t("summary_foot"))
	r.out = append(r.out, Message{Text: strings.Join(lines, "\n"), Inline: r.inline(st, r.choices(st)), Prompt: true})
}

func (r *run) confirm(value string) bool {
	d, _ := r.def()
	st := r.step()
	switch value {
	case "submit":
		r.submit()
	case "cancel":
		r.s.Flow = nil
		r.menu(r.t("cancelled"))
	case "back":
		r.summary()
	case "edit":
		var b []Button
		for _, s := range d.Steps {
			if s.Type != StepConfirm {
				b = append(b, Button{Label: s.Label.In(r.lang), Data: "e:" + s.ID})
			}
		}
		b = append(b, Button{Label: r.t("btn_back"), Data: "back"})
		r.out = append(r.out, Message{Text: r.t("edit_which"), Inline: r.inline(st, b), Prompt: true})
	default:
		target, ok := strings.CutPrefix(value, "e:")
		if !ok {
			return false
		}
		for i, s := range d.Steps {
			if s.ID == target && s.Type != StepConfirm {
				r.s.Flow.Step, r.s.Flow.Editing = i, true
				delete(r.s.Flow.Answers, s.ID) // a step is answered afresh, photos included
				r.prompt()
				return true
			}
		}
		return false
	}
	return true
}

// submit asks the runner to queue the draft; the outcome comes back through result.
func (r *run) submit() {
	d, _ := r.def()
	f := r.s.Flow
	fields := map[string]Answer{}
	for _, s := range d.Steps {
		if s.Type != StepConfirm {
			fields[s.Field] = f.Answers[s.ID]
		}
	}
	var custom []concern.CustomField
	for _, name := range d.Concern.Custom {
		for i := range d.Steps {
			if s := &d.Steps[i]; s.Field == name {
				a := f.Answers[s.ID]
				value := a.Text
				if a.Choice != "" {
					value = r.describe(s, a) // the option's label, as the resident chose it
				}
				if a.Skipped {
					value = ""
				}
				custom = append(custom, concern.CustomField{Name: name, Label: s.Label, Value: value})
			}
		}
	}
	r.effect = &Effect{Kind: EffectSubmit, Draft: &Draft{
		ID: f.DraftID, Flow: f.Flow, Version: f.Version, Started: f.Started, Fields: fields,
		Map: d.Concern, Roles: d.Start.Roles, Custom: custom,
	}}
}

func (r *run) result() {
	res := r.in.Result
	switch res.Kind {
	case EffectSubmit:
		if r.s.Flow == nil {
			return
		}
		if res.Failed {
			r.say(r.t("submit_failed"))
			r.prompt()
			return
		}
		if res.Refused == "file_not_allowed" { // the sender's role may no longer use the flow
			r.s.Flow = nil
			r.menu(r.t("file_not_allowed"))
			return
		}
		if res.Refused == "limit_concerns" {
			// kept at the summary, so that nothing typed is lost
			r.say(r.t("limit_concerns", "n", strconv.Itoa(res.Count)))
			r.prompt()
			return
		}
		key := locale.Key("receipt")
		if d, ok := r.def(); ok && d.Concern.OnBehalf {
			key = "receipt_file"
		}
		r.s.Flow = nil
		text := r.t(key, "id", res.ConcernID)
		if res.Urgent {
			// what to do now comes before anything else the receipt says
			text = r.advice(res.Hazard) + "\n\n" + text
		}
		r.menu(text)
		// the receipt takes the summary's place: a receipt sent again cannot show twice
		r.out[len(r.out)-1].Edit = true
	case EffectCommand:
		r.commandResult(res)
	case EffectListMine:
		if res.Failed {
			r.menu(r.t("mine_failed"))
			return
		}
		r.listConcerns(res, "mine_none", "mine_head")
	}
}

// advice is what to do now in an emergency of hazard, with the numbers to call,
// then the office's duty phone (when it has one) and that staff are alerted.
func (r *run) advice(hazard string) string {
	key := locale.Key("advice_" + hazard)
	if !r.m.hasAdvice(hazard) {
		key = "urgent_general"
	}
	args := make([]string, 0, 2*len(r.m.numbers)+4)
	for _, k := range EmergencyServices() {
		args = append(args, k, r.m.numbers[k])
	}
	gas, crisis := r.t("urgent_gas_line", "gas", r.m.numbers["gas"]), r.t("urgent_crisis_line", "crisis", r.m.numbers["crisis"])
	if r.m.numbers["gas"] == "" {
		gas = r.t("urgent_gas_line_none")
	}
	if r.m.numbers["crisis"] == "" {
		crisis = r.t("urgent_crisis_line_none")
	}
	args = append(args, "gas_line", gas, "crisis_line", crisis)
	lines := []string{r.t(key, args...)}
	if r.m.duty != "" {
		lines = append(lines, r.t("urgent_duty", "phone", r.m.duty))
	}
	lines = append(lines, r.t("urgent_alerted"))
	return strings.Join(lines, "\n")
}

// hasAdvice reports whether a hazard has advice of its own (catalog advice_HAZARD).
// Collective action has none: it is no danger to the resident, and they are not
// told it was flagged.
func (m *Machine) hasAdvice(hazard string) bool {
	_, ok := m.cat[locale.Key("advice_"+hazard)]
	return ok && hazard != ""
}

// catalogKeys are the messages the engine needs; NewMachine refuses a catalog without them.
var catalogKeys = []locale.Key{
	"greeting", "org_default", "menu_mine", "menu_privacy", "menu_hint", "privacy", "help",
	"unknown_command", "idle_hint", "idle_hint_member", "abandon_ask", "abandon_yes", "abandon_no", "abandoned", "cancelled",
	"nothing_to_cancel", "flow_expired", "flow_outdated", "flow_upgraded", "consult_invite", "consult_invite_foot", "consult_leave",
	"consult_q_single", "consult_q_multi", "consult_q_rating", "consult_q_text", "consult_write", "consult_outcome_event", "consult_offer", "consult_offer_yes", "button_stale", "lang_choose", "lang_set",
	"lang_unknown", "too_short", "too_long", "unexpected", "kind_text", "kind_photo",
	"kind_location", "kind_contact", "kind_other", "btn_skip", "btn_done", "photo_added", "photo_full",
	"photo_over", "location_choose", "location_free", "location_keyboard", "btn_share_location", "btn_location", "described_first", "address_short", "address_long",
	"place_community", "place_location", "place_address", "not_given", "recorded", "btn_share_contact",
	"btn_anonymous", "contact_anonymous", "contact_phone", "contact_not_own", "contact_typed",
	"photos_count", "summary_foot", "btn_submit", "btn_edit", "btn_cancel", "btn_back", "edit_which",
	"confirm_hint", "choice_hint", "submit_failed", "receipt", "mine_none", "mine_head", "mine_line",
	"mine_failed", "mine_topic", "mine_untagged", "busy", "private_only", "bad_phone", "command_failed",
	"help_head_grid", "help_head_staff", "help_head_admin", "menu_cmd_status", "menu_cmd_privacy", "menu_cmd_cancel",
	"menu_cmd_start", "menu_cmd_lang", "menu_cmd_help", "event_status", "event_status_filed", "event_unit",
	"event_dup", "event_note", "event_reply", "event_reply_filed", "rate_ask", "alert", "alert_again", "alert_ack", "alert_storm",
	"event_role", "event_role_revoked", "own_grid", "receipt_file", "file_not_allowed", "limit_concerns", "limit_messages",
	"dead_letter", "urgent_general", "advice_gas", "advice_fire", "advice_electric", "advice_collapse", "advice_trapped", "advice_flood",
	"advice_violence", "advice_selfharm", "advice_missing", "advice_medical", "advice_toxic", "advice_crowd",
	"advice_suspicious", "advice_traffic", "urgent_gas_line", "urgent_gas_line_none", "urgent_crisis_line",
	"urgent_crisis_line_none", "urgent_duty", "urgent_alerted", "urgent_later", "urgent_later_filed",
	"alert_model", "alert_admins", "alert_escalated", "dur_seconds", "dur_minutes", "dur_hours",
}

// Run steps a session with one input and carries out the effects the engine asks
// for through do, feeding each outcome back, until no effect is left. The I/O is
// do's; Run itself only sequences pure steps.
func (m *Machine) Run(s Session, in Input, do func(Effect) EffectResult) Result {
	res := m.Step(s, in)
	msgs := res.Messages
	for res.Effect != nil {
		out := do(*res.Effect)
		out.Kind = res.Effect.Kind
		feed := Input{ID: in.ID, Time: in.Time, Channel: in.Channel, ChatID: in.ChatID, UserID: in.UserID,
			UserName: in.UserName, LangCode: in.LangCode, Kind: InputResult, Result: &out}
		res = m.Step(res.Session, feed)
		msgs = append(msgs, res.Messages...)
	}
	res.Messages = msgs
	return res
}
