// Package locale is minyi's one wording catalog: every sentence users read, in
// zh and en, by key — the engine's and the commands' (messages.yaml), the labels
// that travel with a concern (labels.yaml), the digest's (digest.yaml) and the
// export's columns (export.yaml). It is checked when loaded: each key in every
// language, with the same placeholders in each.
package locale

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var files embed.FS

// Languages the bot speaks; the first is the default.
var Languages = []string{"zh", "en"}

// Key names one message of the catalog.
type Key string

// Text is one piece of wording in several languages, keyed by language code.
type Text map[string]string

// In returns the wording in lang, falling back to Chinese.
func (t Text) In(lang string) string {
	if v := t[lang]; v != "" {
		return v
	}
	return t[Languages[0]]
}

// Catalog holds the wording by key. {name} marks a placeholder filled by
// Render; the digest's messages use fmt's verbs, filled by Printf.
type Catalog map[Key]Text

// Render returns the wording of key in lang with placeholders filled from name/value pairs.
func (c Catalog) Render(lang string, key Key, args ...string) string {
	s := c[key].In(lang)
	if len(args) == 0 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// Printf returns the wording of key in lang with fmt's verbs filled from args.
func (c Catalog) Printf(lang string, key Key, args ...any) string {
	s := c[key].In(lang)
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Label is the wording of key in lang, or fallback when the catalog has none.
func (c Catalog) Label(lang string, key Key, fallback string) string {
	if t, ok := c[key]; ok {
		return t.In(lang)
	}
	return fallback
}

// Has reports whether the catalog words key.
func (c Catalog) Has(key Key) bool {
	_, ok := c[key]
	return ok
}

// Clone copies the catalog (to change it in a test).
func (c Catalog) Clone() Catalog {
	out := make(Catalog, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

var builtin = sync.OnceValues(func() (Catalog, error) { return Load(files, ".") })

// Builtin is a copy of the embedded catalog, the caller's own.
func Builtin() (Catalog, error) {
	c, err := builtin()
	return c.Clone(), err
}

// Default is the embedded catalog, read only, for the labels that need no
// error handling (a status's name): empty if the catalog does not load, which
// its test and every program's start-up (Builtin) refuse.
func Default() Catalog {
	c, _ := builtin()
	return c
}

// Load reads and checks every *.yaml in dir of fsys as one catalog.
func Load(fsys fs.FS, dir string) (Catalog, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no catalog files", dir)
	}
	sort.Strings(names)
	cat := Catalog{}
	var errs []error
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part Catalog
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := cat[k]; dup {
				errs = append(errs, fmt.Errorf("%s: message %q is defined twice", name, k))
			}
			cat[k] = v
		}
	}
	errs = append(errs, cat.check()...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return cat, errors.Join(errs...)
}

var (
	placeholder = regexp.MustCompile(`\{[a-z_]+\}`)
	// a verb may name its value ([2]), so that a language can take them in its own order
	verb = regexp.MustCompile(`%[-+# 0]*(\[[0-9]+\])?[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
)

// check refuses a message missing a language, or whose languages do not fill
// the same placeholders (or the same number of fmt's verbs).
func (c Catalog) check() []error {
	var errs []error
	for key, t := range c {
		for _, l := range Languages {
			if strings.TrimSpace(t[l]) == "" {
				errs = append(errs, fmt.Errorf("message %q has no %s wording", key, l))
			}
		}
		for lang := range t {
			if !slices.Contains(Languages, lang) {
				errs = append(errs, fmt.Errorf("message %q: %q is not a language the bot speaks", key, lang))
			}
		}
		first := t[Languages[0]]
		for _, l := range Languages[1:] {
			if !sameSet(placeholder.FindAllString(first, -1), placeholder.FindAllString(t[l], -1)) {
				errs = append(errs, fmt.Errorf("message %q: %s and %s fill different placeholders", key, Languages[0], l))
			}
			if len(verb.FindAllString(first, -1)) != len(verb.FindAllString(t[l], -1)) {
				errs = append(errs, fmt.Errorf("message %q: %s and %s take a different number of values", key, Languages[0], l))
			}
		}
	}
	return errs
}

func sameSet(a, b []string) bool {
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
