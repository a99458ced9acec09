package flows

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
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

// LoadFS loads and validates every flow definition (*.yaml) in dir of fsys.
func LoadFS(fsys fs.FS, dir string) ([]*Definition, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var defs []*Definition
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var d Definition
		if err := decodeStrict(raw, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defs = append(defs, &d)
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("%s: no flow definitions", dir)
	}
	return defs, nil
}

func decodeStrict(raw []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func sortErrors(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

// Validate checks a definition for mistakes a flow author can make.
func (d *Definition) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if d.ID == "" {
		bad("flow has no id")
	}
	if d.Version < 1 {
		bad("flow %q: version must be 1 or more", d.ID)
	}
	if len(d.Steps) == 0 {
		bad("flow %q has no steps", d.ID)
	}
	checkText := func(where string, t locale.Text) {
		for _, l := range locale.Languages {
			if strings.TrimSpace(t[l]) == "" {
				bad("%s has no %s wording", where, l)
			}
		}
	}
	checkText(fmt.Sprintf("flow %q name", d.ID), d.Name)
	if d.Start.Command == "" && d.Start.Menu == "" && !d.Start.FromText {
		bad("flow %q: start needs a command, a menu action or from_text", d.ID)
	}
	for _, c := range append([]string{d.Start.Command}, d.Start.Aliases...) {
		if c != strings.ToLower(c) || strings.ContainsAny(c, " /@") {
			bad("flow %q: start command %q must be lower case, without '/', '@' or spaces", d.ID, c)
		}
	}
	if d.Start.Menu != "" {
		checkText(fmt.Sprintf("flow %q start button", d.ID), d.Start.Button)
		if strings.Contains(d.Start.Menu, ":") {
			bad("flow %q: start menu %q holds a ':'", d.ID, d.Start.Menu)
		}
	}
	if d.Start.OnDraft != "" && d.Start.OnDraft != "ask" && d.Start.OnDraft != "drop" {
		bad("flow %q: start on_draft must be \"ask\" or \"drop\"", d.ID)
	}
	for _, r := range d.Start.Roles {
		if !slices.Contains(concern.Roles, r) {
			bad("flow %q: start role %q is not a role", d.ID, r)
		}
	}
	if d.Concern.Fields[AttrText] == "" {
		bad("flow %q: concern fields must map text", d.ID)
	}
	ids, fields := map[string]bool{}, map[string]bool{}
	for i, s := range d.Steps {
		where := fmt.Sprintf("flow %q step %d (%s)", d.ID, i+1, s.ID)
		if s.ID == "" || strings.ContainsAny(s.ID, ": ") {
			bad("%s: id must be set and hold no ':' or space", where)
		}
		if ids[s.ID] {
			bad("%s: id is used twice", where)
		}
		ids[s.ID] = true
		if s.Type != StepConfirm {
			if s.Field == "" {
				bad("%s: field must be set", where)
			} else if fields[s.Field] {
				bad("%s: field %q is filled twice", where, s.Field)
			}
			fields[s.Field] = true
			checkText(where+" label", s.Label)
			checkText(where+" want", s.Want)
		}
		checkText(where+" prompt", s.Prompt)
		switch s.Type {
		case StepText:
			if s.MinLen < 0 || s.MaxLen < 1 || s.MinLen > s.MaxLen {
				bad("%s: needs 0 <= min_len <= max_len and max_len >= 1", where)
			}
			if s.Pattern != "" && s.Pattern != "phone" {
				bad("%s: pattern must be \"phone\"", where)
			}
		case StepChoice:
			if len(s.Options) == 0 && s.OptionsFrom != "grids" {
				bad("%s: a choice needs options (or options_from: grids)", where)
			}
			if s.OptionsFrom != "" && s.OptionsFrom != "grids" {
				bad("%s: a choice's options_from must be \"grids\"", where)
			}
			seen := map[string]bool{}
			for _, o := range s.Options {
				if o.Value == "" || seen[o.Value] || strings.Contains(o.Value, ":") {
					bad("%s: option values must be set, unique and hold no ':'", where)
				}
				seen[o.Value] = true
				checkText(where+" option "+o.Value, o.Label)
				if o.Stop != nil {
					checkText(where+" option "+o.Value+" stop", o.Stop)
				}
			}
		case StepPhotos:
			if s.MaxPhotos < 1 || s.MaxPhotos > 10 {
				bad("%s: max_photos must be 1..10", where)
			}
		case StepLocation:
			if s.OptionsFrom != "" && s.OptionsFrom != "communities" {
				bad("%s: options_from must be \"communities\"", where)
			}
			if s.AddressMin < 1 || s.AddressMax < s.AddressMin {
				bad("%s: needs 1 <= address_min <= address_max", where)
			}
		case StepContact:
		case StepConfirm:
			if i != len(d.Steps)-1 {
				bad("%s: confirm must be the last step", where)
			}
		default:
			bad("%s: unknown type %q", where, s.Type)
		}
	}
	for attr, field := range d.Concern.Fields {
		if !slices.Contains(attrs, attr) {
			bad("flow %q: concern field %q is not an attribute of a concern (%s)", d.ID, attr, strings.Join(attrs, ", "))
		}
		if !fields[field] {
			bad("flow %q: concern field %q maps %q, which no step fills", d.ID, attr, field)
		}
	}
	sortErrors(errs)
	return errors.Join(errs...)
}
