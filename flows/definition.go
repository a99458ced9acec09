package flows

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

//go:embed defs/*.yaml
var builtin embed.FS

// StepType is the kind of a step: what it asks for and accepts.
type StepType string

// The step types a flow is made of.
const (
	StepText     StepType = "text"
	StepChoice   StepType = "choice"
	StepPhotos   StepType = "photos"
	StepLocation StepType = "location"
	StepContact  StepType = "contact"
	StepConfirm  StepType = "confirm"
)

// ChoiceOption is one answer of a choice step.
type ChoiceOption struct {
	Value string      `yaml:"value"`
	Label locale.Text `yaml:"label"`
	// Stop, when set, ends the flow with this message and submits nothing.
	Stop locale.Text `yaml:"stop"`
}

// StepDef is one step of a flow.
type StepDef struct {
	ID   string   `yaml:"id"`
	Type StepType `yaml:"type"`
	// Field names what the answer fills in the finished draft (text, photos, place, contact…).
	Field string `yaml:"field"`
	// Label names the step in the summary and the edit menu.
	Label  locale.Text `yaml:"label"`
	Prompt locale.Text `yaml:"prompt"`
	// Want says what the step accepts, for answering unexpected input.
	Want locale.Text `yaml:"want"`
	// MinLen and MaxLen bound a text answer, in characters.
	MinLen    int            `yaml:"min_len"`
	MaxLen    int            `yaml:"max_len"`
	MaxPhotos int            `yaml:"max_photos"`
	Options   []ChoiceOption `yaml:"options"`
	// OptionsFrom fills a step's buttons from configuration: "communities" for a
	// location step, "grids" for a choice step (the sender's own grid first).
	OptionsFrom string `yaml:"options_from"`
	// Pattern checks a text answer: "phone".
	Pattern   string `yaml:"pattern"`
	Skippable bool   `yaml:"skippable"`
	// SkipLabel names the skip button and a skipped answer (default 跳过 / 未填写).
	SkipLabel locale.Text `yaml:"skip_label"`
	// Anonymous offers a contact step's "stay anonymous" answer.
	Anonymous bool `yaml:"anonymous"`
	// AddressMin and AddressMax bound a typed address at a location step.
	AddressMin int `yaml:"address_min"`
	AddressMax int `yaml:"address_max"`
}

// Definition is a flow: an ordered list of steps, held as data.
type Definition struct {
	ID      string      `yaml:"id"`
	Version int         `yaml:"version"`
	Name    locale.Text `yaml:"name"`
	// Start says how the flow is started, Concern how its answers become a concern.
	Start   Start      `yaml:"start"`
	Concern ConcernMap `yaml:"concern"`
	Steps   []StepDef  `yaml:"steps"`
	// Hash is the file's content, to tell a changed flow that kept its version;
	// File is where it was read from (empty: built in).
	Hash string `yaml:"-" json:"-"`
	File string `yaml:"-" json:"-"`
}

// Start says how a flow is started and by whom.
type Start struct {
	// Command is the chat command that starts it (without the slash); Aliases start it too.
	Command string   `yaml:"command"`
	Aliases []string `yaml:"aliases"`
	// Menu is the main-menu action (button data m:MENU) that starts it, if
	// any, and Button the label of its button.
	Menu   string      `yaml:"menu"`
	Button locale.Text `yaml:"button"`
	// Roles may start it; empty: everyone. A draft is submitted only while its
	// sender still has one of them.
	Roles []concern.Role `yaml:"roles"`
	// FromText starts it when someone writes outside any flow, taking what they
	// wrote as the first answer (at most one flow may).
	FromText bool `yaml:"from_text"`
	// Help is the flow's line in its roles' help.
	Help locale.Text `yaml:"help"`
	// OnDraft is what starting it does to a draft in progress: "ask" whether to
	// abandon it (the default), or "drop" it, saying so.
	OnDraft string `yaml:"on_draft"`
}

// Allows reports whether role may start the flow.
func (s Start) Allows(role concern.Role) bool {
	return len(s.Roles) == 0 || slices.Contains(s.Roles, role)
}

// ConcernMap maps a finished draft's fields onto a concern.
type ConcernMap struct {
	// Fields gives, for each of a concern's attributes (Attr…), the field that fills it.
	Fields map[string]string `yaml:"fields"`
	// Custom are fields of the office's own (楼栋号…), kept with the concern
	// under the step's label and shown wherever the concern is.
	Custom []string `yaml:"custom"`
	// OnBehalf marks a concern filed by a grid worker for a resident: the worker,
	// not the resident, hears back.
	OnBehalf bool `yaml:"on_behalf"`
}

// The attributes of a concern a flow's fields can fill.
const (
	AttrText          = "text"           // what the concern is (text)
	AttrPhotos        = "photos"         // photos
	AttrPlace         = "place"          // a location step: community, address or a shared point
	AttrContact       = "contact"        // the reporter's own phone, shared
	AttrConsent       = "consent"        // a choice: "yes" when the resident agreed to be filed for
	AttrResidentName  = "resident_name"  // text
	AttrResidentPhone = "resident_phone" // text
	AttrCapacity      = "capacity"       // a choice: verbatim or paraphrase
	AttrHeard         = "heard"          // a choice: when the worker heard it
	AttrGrid          = "grid"           // a choice of COMMUNITY/GRID
)

var attrs = []string{AttrText, AttrPhotos, AttrPlace, AttrContact, AttrConsent, AttrResidentName, AttrResidentPhone,
	AttrCapacity, AttrHeard, AttrGrid}

// Builtin loads the embedded flow definitions and the catalog.
func Builtin() ([]*Definition, locale.Catalog, error) {
	cat, err := locale.Builtin()
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	defs, err := LoadFS(builtin, "defs")
	return defs, cat, err
}

// Problem is a mistake in a flow definition: where it is (the file, the line,
// and the path of keys to it) and what to do.
type Problem struct {
	File string
	Line int
	// Path leads to the mistake: keys and step indexes (from 0), as in the file.
	Path []any
	Msg  string
}

func (p *Problem) Error() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	case p.File != "":
		return p.File + ": " + p.Msg
	}
	return p.Msg
}

// LoadFS loads and validates every flow definition (*.yaml) in dir of fsys.
func LoadFS(fsys fs.FS, dir string) ([]*Definition, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var defs []*Definition
	var errs []error
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		d, err := Parse(name, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs = append(defs, d)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("%s: no flow definitions", dir)
	}
	return defs, nil
}

// yamlLine finds the line of "line N" in a yaml error, for the Problem.
var yamlLine = regexp.MustCompile(`line (\d+): `)

// Parse reads one flow definition from a file's bytes, named file in the
// problems it reports, each at its line.
func Parse(file string, raw []byte) (*Definition, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, yamlProblem(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Problem{File: file, Msg: "the file is empty: a flow needs id, version, name, start, concern and steps"}
	}
	var d Definition
	if err := decodeStrict(raw, &d); err != nil {
		return nil, yamlProblem(file, err)
	}
	d.Hash = d.contentHash()
	err := d.Validate()
	var errs []error
	for _, e := range unjoin(err) {
		var p *Problem
		if errors.As(e, &p) {
			p.File, p.Line = file, lineOf(root.Content[0], p.Path)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &d, nil
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// yamlProblem turns yaml's errors ("yaml: line 7: field prompts not found in
// type flows.StepDef") into problems at their lines, worded for a flow's author.
func yamlProblem(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		line := 0
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			line, _ = strconv.Atoi(sub[1])
			m = yamlLine.ReplaceAllString(m, "")
		}
		m = strings.TrimPrefix(m, "line: ")
		if f, ok := strings.CutPrefix(m, "field "); ok {
			if name, typ, ok := strings.Cut(f, " not found in type flows."); ok {
				m = fmt.Sprintf("%q is not a key of a %s (check its spelling and indentation; see the built-in flows in the README)", name, map[string]string{
					"StepDef": "step", "Definition": "flow", "Start": "flow's start", "ConcernMap": "flow's concern", "ChoiceOption": "choice's option"}[typ])
			}
		}
		errs = append(errs, &Problem{File: file, Line: line, Msg: m})
	}
	return errors.Join(errs...)
}

// lineOf finds the line of the node a path leads to, or of the nearest node
// on the way when the last key is missing (a key not written is a mistake too).
func lineOf(n *yaml.Node, path []any) int {
	line := n.Line
	for _, k := range path {
		var next *yaml.Node
		switch k := k.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						line, next = n.Content[i].Line, n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// contentHash is what the flow says, not how it is written: comments and
// layout do not change it.
func (d *Definition) contentHash() string {
	data, _ := json.Marshal(d) // plain data: it cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

func decodeStrict(raw []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func sortErrors(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

// buttonData is the longest a step's button data gets: f:TOKEN:STEP:VALUE, with
// a token of up to 7 characters (base 36 of 32 bits).
func buttonData(step, value string) int { return len("f:1234567:") + len(step) + 1 + len(value) }

// Validate checks a definition for mistakes a flow author can make; each is a
// *Problem whose Path names where it is.
func (d *Definition) Validate() error {
	var errs []error
	bad := func(path []any, format string, args ...any) {
		errs = append(errs, &Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	at := func(path ...any) []any { return path }
	if d.ID == "" {
		bad(at("id"), "the flow has no id: write id: a short name such as report")
	} else if strings.ContainsAny(d.ID, ": /") {
		bad(at("id"), "flow id %q holds ':', '/' or a space", d.ID)
	}
	if d.Version < 1 {
		bad(at("version"), "flow %q: version must be 1 or more", d.ID)
	}
	if len(d.Steps) == 0 {
		bad(at("steps"), "flow %q has no steps", d.ID)
	}
	checkText := func(path []any, what string, t locale.Text) {
		for _, l := range locale.Languages {
			if strings.TrimSpace(t[l]) == "" {
				bad(path, "%s has no %s wording: write both zh and en", what, l)
			}
		}
	}
	checkText(at("name"), fmt.Sprintf("flow %q name", d.ID), d.Name)
	if d.Start.Command == "" && d.Start.Menu == "" && !d.Start.FromText {
		bad(at("start"), "flow %q: start needs a command, a menu action or from_text", d.ID)
	}
	for _, c := range append([]string{d.Start.Command}, d.Start.Aliases...) {
		if c != strings.ToLower(c) || strings.ContainsAny(c, " /@") {
			bad(at("start", "command"), "flow %q: start command %q must be lower case, without '/', '@' or spaces", d.ID, c)
		}
	}
	if d.Start.Menu != "" {
		checkText(at("start", "button"), fmt.Sprintf("flow %q start button", d.ID), d.Start.Button)
		if strings.Contains(d.Start.Menu, ":") {
			bad(at("start", "menu"), "flow %q: start menu %q holds a ':'", d.ID, d.Start.Menu)
		}
		if len("m:"+d.Start.Menu) > maxButtonData {
			bad(at("start", "menu"), "flow %q: start menu %q makes its button's data %d bytes; Telegram keeps %d", d.ID, d.Start.Menu, len("m:"+d.Start.Menu), maxButtonData)
		}
	}
	if d.Start.OnDraft != "" && d.Start.OnDraft != "ask" && d.Start.OnDraft != "drop" {
		bad(at("start", "on_draft"), "flow %q: start on_draft must be \"ask\" or \"drop\"", d.ID)
	}
	for _, r := range d.Start.Roles {
		if !slices.Contains(concern.Roles, r) {
			bad(at("start", "roles"), "flow %q: start role %q is not a role (%s)", d.ID, r, joinRoles())
		}
	}
	if d.Concern.Fields[AttrText] == "" {
		bad(at("concern", "fields"), "flow %q: concern fields must map text", d.ID)
	}
	ids, fields := map[string]bool{}, map[string]bool{}
	labels := map[string]locale.Text{}
	for i, s := range d.Steps {
		where := fmt.Sprintf("flow %q step %d (%s)", d.ID, i+1, s.ID)
		step := func(key string) []any { return at("steps", i, key) }
		if s.ID == "" || strings.ContainsAny(s.ID, ": ") {
			bad(step("id"), "%s: id must be set and hold no ':' or space", where)
		}
		if ids[s.ID] {
			bad(step("id"), "%s: id is used twice", where)
		}
		ids[s.ID] = true
		if n := len("e:" + s.ID); n > maxButtonData {
			bad(step("id"), "%s: id makes its edit button's data %d bytes; Telegram keeps %d: shorten the id", where, n, maxButtonData)
		}
		if s.Type != StepConfirm {
			if s.Field == "" {
				bad(step("field"), "%s: field must be set", where)
			} else if fields[s.Field] {
				bad(step("field"), "%s: field %q is filled twice", where, s.Field)
			}
			fields[s.Field] = true
			labels[s.Field] = s.Label
			checkText(step("label"), where+" label", s.Label)
			checkText(step("want"), where+" want", s.Want)
		}
		checkText(step("prompt"), where+" prompt", s.Prompt)
		switch s.Type {
		case StepText:
			if s.MinLen < 0 || s.MaxLen < 1 || s.MinLen > s.MaxLen {
				bad(step("max_len"), "%s: needs 0 <= min_len <= max_len and max_len >= 1", where)
			}
			if s.Pattern != "" && s.Pattern != "phone" {
				bad(step("pattern"), "%s: pattern must be \"phone\"", where)
			}
		case StepChoice:
			if len(s.Options) == 0 && s.OptionsFrom != "grids" {
				bad(step("options"), "%s: a choice needs options (or options_from: grids)", where)
			}
			if s.OptionsFrom != "" && s.OptionsFrom != "grids" {
				bad(step("options_from"), "%s: a choice's options_from must be \"grids\"", where)
			}
			seen := map[string]bool{}
			for j, o := range s.Options {
				opt := func(key string) []any { return at("steps", i, "options", j, key) }
				if o.Value == "" || seen[o.Value] || strings.Contains(o.Value, ":") {
					bad(opt("value"), "%s: option values must be set, unique and hold no ':'", where)
				}
				seen[o.Value] = true
				if n := buttonData(s.ID, o.Value); n > maxButtonData {
					bad(opt("value"), "%s: option %q makes its button's data %d bytes; Telegram keeps %d: shorten the step id or the value", where, o.Value, n, maxButtonData)
				}
				checkText(opt("label"), where+" option "+o.Value, o.Label)
				if o.Stop != nil {
					checkText(opt("stop"), where+" option "+o.Value+" stop", o.Stop)
				}
			}
		case StepPhotos:
			if s.MaxPhotos < 1 || s.MaxPhotos > 10 {
				bad(step("max_photos"), "%s: max_photos must be 1..10", where)
			}
		case StepLocation:
			if s.OptionsFrom != "" && s.OptionsFrom != "communities" {
				bad(step("options_from"), "%s: options_from must be \"communities\"", where)
			}
			if s.AddressMin < 1 || s.AddressMax < s.AddressMin {
				bad(step("address_max"), "%s: needs 1 <= address_min <= address_max", where)
			}
		case StepContact:
		case StepConfirm:
			if i != len(d.Steps)-1 {
				bad(step("type"), "%s: confirm must be the last step", where)
			}
		default:
			bad(step("type"), "%s: unknown type %q (one of %s)", where, s.Type, strings.Join(stepTypes(), ", "))
		}
		// the longest fixed button a step has (skip, done, the anonymous answer)
		if n := buttonData(s.ID, "anonymous"); s.Type != StepConfirm && n > maxButtonData {
			bad(step("id"), "%s: id makes its buttons' data %d bytes; Telegram keeps %d: shorten the id", where, n, maxButtonData)
		}
	}
	attrKeys := slices.Sorted(maps.Keys(d.Concern.Fields))
	for _, attr := range attrKeys {
		field := d.Concern.Fields[attr]
		if !slices.Contains(attrs, attr) {
			bad(at("concern", "fields", attr), "flow %q: concern field %q is not an attribute of a concern (%s); an answer of the office's own goes under concern: custom", d.ID, attr, strings.Join(attrs, ", "))
		}
		if !fields[field] {
			bad(at("concern", "fields", attr), "flow %q: concern field %q maps %q, which no step fills", d.ID, attr, field)
		}
	}
	mapped := map[string]bool{}
	for _, f := range d.Concern.Fields {
		mapped[f] = true
	}
	for j, c := range d.Concern.Custom {
		switch {
		case !fields[c]:
			bad(at("concern", "custom", j), "flow %q: custom field %q is filled by no step", d.ID, c)
		case mapped[c]:
			bad(at("concern", "custom", j), "flow %q: field %q is a concern's attribute already; a custom field is one of the office's own", d.ID, c)
		case !customName.MatchString(c):
			bad(at("concern", "custom", j), "flow %q: custom field %q: use lower-case letters, digits and _ (it names a column)", d.ID, c)
		}
	}
	sortErrors(errs)
	return errors.Join(errs...)
}

// customName is the shape of a custom field's name: it names an export's column.
var customName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func stepTypes() []string {
	return []string{string(StepText), string(StepChoice), string(StepPhotos), string(StepLocation), string(StepContact), string(StepConfirm)}
}

func joinRoles() string {
	var out []string
	for _, r := range concern.Roles {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}
