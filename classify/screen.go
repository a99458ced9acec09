package classify

import (
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

//go:embed screen.yaml
var defaultScreen []byte

// Screener decides whether a concern is an emergency happening now, and whether
// it is sensitive, each with its reason. It reads a situation rather than a word:
// a hazard's event (着火了, 漏气, 困在电梯里), or a sign of one with something that
// shows it is now or serious, in a sentence that neither makes it past, resolved,
// hypothetical or a request for prevention, nor says it in a figure of speech.
// The rules are data (screen.yaml); sensitivity and utilities come from the lexicon.
type Screener struct {
	lex     *Lexicon
	m       *matcher
	info    []phrase // by matcher word
	hazards []hazardDef
	coll    screenText // the collective-action label
	// contexts holds the bit of each list under context; symptoms is its bit
	contexts         map[string]uint8
	symptoms, person uint8
	// pairPhrase stands for any pair of each hazard: its sign, or its event
	pairPhrase []*phrase
}

type hazardDef struct {
	code  Hazard
	label screenText
	// needs holds the contexts (bits), one of which its signs need in the
	// message: a person, someone hurt, symptoms
	needs uint8
	// pairEvent: a thing with its state is the event itself (孩子…不见了), not a sign
	pairEvent bool
	// over are the hazards this one is chosen before when both are found (a
	// crash with someone bleeding is a road accident; fumes making one faint, toxic)
	over []Hazard
}

// role is what a phrase stands for; one phrase may stand for several.
type role struct {
	kind   roleKind
	hazard int    // for events, signs, things, states, unless and a hazard's resolutions
	cat    string // for discounts (past, hypothetical, prevention, question, hearsay, habitual, resolved)
	bit    uint8  // for context: which list (person, injury, symptoms…)
}

type roleKind uint8

const (
	roleEvent roleKind = iota
	roleSign
	roleNowStrong
	roleNowWeak
	roleContext
	roleThing   // with a state of its hazard nearby, a sign
	roleState   //
	roleRisk    // people at risk: a mark of now beside a sign
	rolePresent // a time that is now, after a mark of the past
	roleUnless
	roleUtility  // water, power, gas, heating: a shorter deadline
	roleAlone    // sensitive on its own (corruption, collective action)
	roleOfficial // sensitive with conduct: an official's title
	roleConduct  // and a complaint about conduct
	roleDiscount
	roleIdiom
	roleJoke
	roleAction
	roleWhen
	roleFuture
	rolePlan
)

type phrase struct {
	text    string
	roles   []role
	latin   bool // matched at word boundaries
	prefix  bool // any ending (leak* = leaking)
	hasKind [rolePlan + 1]bool
}

type screenFile struct {
	Version int `yaml:"version"`
	Hazards map[string]struct {
		Label    screenText `yaml:"label"`
		Events   []string   `yaml:"events"`
		Signs    []string   `yaml:"signs"`
		Needs    string     `yaml:"needs"`
		Pairs    string     `yaml:"pairs"`
		Unless   []string   `yaml:"unless"`
		Things   []string   `yaml:"things"`
		States   []string   `yaml:"states"`
		Resolved []string   `yaml:"resolved"`
		Over     []string   `yaml:"over"`
	} `yaml:"hazards"`
	Now struct {
		Strong []string `yaml:"strong"`
		Weak   []string `yaml:"weak"`
	} `yaml:"now"`
	Discount   map[string][]string `yaml:"discount"`
	Risk       []string            `yaml:"risk"`
	Present    []string            `yaml:"present"`
	Context    map[string][]string `yaml:"context"`
	Jokes      []string            `yaml:"jokes"`
	Idioms     []string            `yaml:"idioms"`
	Collective struct {
		Label   screenText `yaml:"label"`
		Actions []string   `yaml:"actions"`
		When    []string   `yaml:"when"`
		Future  []string   `yaml:"future"`
		Plan    []string   `yaml:"plan"`
	} `yaml:"collective"`
}

// Text is wording in Chinese and English.
type screenText struct {
	ZH string `yaml:"zh"`
	EN string `yaml:"en"`
}

// NewScreener makes the built-in screening; sensitivity and utilities are the lexicon's.
func NewScreener(lex *Lexicon) (*Screener, error) {
	return ParseScreener(defaultScreen, "screen.yaml", lex)
}

// ParseScreener makes a screening from rules like screen.yaml.
func ParseScreener(raw []byte, name string, lex *Lexicon) (*Screener, error) {
	var f screenFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Screener{lex: lex, coll: f.Collective.Label}
	index := map[string]int{}
	var errs []error
	add := func(list []string, r role) {
		for _, w := range list {
			stemmed, _ := stemLatin([]rune(normalize(w)))
			w = string(stemmed)
			prefix := strings.HasSuffix(w, "*")
			w = strings.TrimSuffix(w, "*")
			if w == "" {
				continue
			}
			if strings.Contains(w, "*") {
				errs = append(errs, fmt.Errorf("%s: %q: * may only end a phrase", name, w))
				continue
			}
			i, ok := index[w]
			if !ok {
				i = len(s.info)
				index[w] = i
				s.info = append(s.info, phrase{text: w, latin: isLatin(w)})
			}
			p := &s.info[i]
			p.prefix = p.prefix || prefix
			p.roles = append(p.roles, r)
			p.hasKind[r.kind] = true
		}
	}
	s.contexts = map[string]uint8{}
	names := make([]string, 0, len(f.Context))
	for c := range f.Context {
		names = append(names, c)
	}
	sort.Strings(names)
	if len(names) > 8 {
		errs = append(errs, fmt.Errorf("%s: at most 8 lists under context", name))
	}
	for i, c := range names {
		s.contexts[c] = 1 << (i % 8)
	}
	s.symptoms, s.person = s.contexts["symptoms"], s.contexts["person"]
	known := map[Hazard]bool{}
	for _, h := range Hazards {
		known[h] = true
	}
	codes := make([]string, 0, len(f.Hazards))
	for c := range f.Hazards {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return hazardOrder(Hazard(codes[i])) < hazardOrder(Hazard(codes[j])) })
	for _, c := range codes {
		h := f.Hazards[c]
		if !known[Hazard(c)] || Hazard(c) == HazardCollective {
			errs = append(errs, fmt.Errorf("%s: %q is not a hazard (see classify.Hazards)", name, c))
			continue
		}
		if h.Label.ZH == "" || h.Label.EN == "" || len(h.Events) == 0 {
			errs = append(errs, fmt.Errorf("%s: hazard %s needs a label in zh and en, and events", name, c))
		}
		var needs uint8
		if h.Needs != "" {
			for _, n := range strings.Split(h.Needs, "|") {
				bit, ok := s.contexts[n]
				if !ok {
					errs = append(errs, fmt.Errorf("%s: hazard %s needs %q, which is not a list under context", name, c, n))
				}
				needs |= bit
			}
		}
		if h.Pairs != "" && h.Pairs != "event" {
			errs = append(errs, fmt.Errorf("%s: hazard %s: pairs must be event (or left out: a sign)", name, c))
		}
		i := len(s.hazards)
		if i == maxHazards {
			errs = append(errs, fmt.Errorf("%s: at most %d hazards", name, maxHazards))
			break
		}
		var over []Hazard
		for _, o := range h.Over {
			if !known[Hazard(o)] {
				errs = append(errs, fmt.Errorf("%s: hazard %s: over %q is not a hazard", name, c, o))
			}
			over = append(over, Hazard(o))
		}
		s.hazards = append(s.hazards, hazardDef{code: Hazard(c), label: h.Label, needs: needs, pairEvent: h.Pairs == "event", over: over})
		add(h.Events, role{kind: roleEvent, hazard: i})
		add(h.Signs, role{kind: roleSign, hazard: i})
		add(h.Unless, role{kind: roleUnless, hazard: i})
		add(h.Things, role{kind: roleThing, hazard: i})
		add(h.States, role{kind: roleState, hazard: i})
		add(h.Resolved, role{kind: roleDiscount, hazard: i, cat: "resolved"})
		if (len(h.Things) == 0) != (len(h.States) == 0) {
			errs = append(errs, fmt.Errorf("%s: hazard %s needs both things and states, or neither", name, c))
		}
	}
	add(f.Now.Strong, role{kind: roleNowStrong})
	add(f.Now.Weak, role{kind: roleNowWeak})
	for cat, list := range f.Discount {
		switch cat {
		case "past", "hypothetical", "prevention", "question", "hearsay", "habitual", "resolved":
		default:
			errs = append(errs, fmt.Errorf("%s: discount %q is not past, hypothetical, prevention, question, hearsay, habitual or resolved", name, cat))
		}
		add(list, role{kind: roleDiscount, hazard: -1, cat: cat})
	}
	add(lex.utility, role{kind: roleUtility})
	add(lex.alone, role{kind: roleAlone})
	add(lex.official, role{kind: roleOfficial})
	add(lex.conduct, role{kind: roleConduct})
	add(f.Risk, role{kind: roleRisk})
	add(f.Present, role{kind: rolePresent})
	for cat, list := range f.Context {
		add(list, role{kind: roleContext, bit: s.contexts[cat]})
	}
	add(f.Jokes, role{kind: roleJoke})
	add(f.Idioms, role{kind: roleIdiom})
	add(f.Collective.Actions, role{kind: roleAction})
	add(f.Collective.When, role{kind: roleWhen})
	add(f.Collective.Future, role{kind: roleFuture})
	add(f.Collective.Plan, role{kind: rolePlan})
	if s.coll.ZH == "" || s.coll.EN == "" || len(f.Collective.Actions) == 0 {
		errs = append(errs, fmt.Errorf("%s: collective needs a label in zh and en, and actions", name))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.inherit()
	for i, h := range s.hazards {
		kind := roleSign
		if h.pairEvent {
			kind = roleEvent
		}
		p := &phrase{text: "pair", roles: []role{{kind: kind, hazard: i}}}
		p.hasKind[kind] = true
		s.pairPhrase = append(s.pairPhrase, p)
	}
	words := make([]string, len(s.info))
	for i, p := range s.info {
		words[i] = p.text
	}
	s.m = newMatcher(words)
	return s, nil
}

// inherit gives a phrase the marks of now and the context of the phrases inside
// it: the matcher keeps the longest phrase found (喊救命, not also 救命), which must
// not lose what the shorter one says. Discounts, figures of speech and jokes take
// nothing: 还没找到 is no resolution for holding 找到.
func (s *Screener) inherit() {
	for i := range s.info {
		p := &s.info[i]
		if p.hasKind[roleDiscount] || p.hasKind[roleIdiom] || p.hasKind[roleJoke] {
			continue
		}
		for j := range s.info {
			q := &s.info[j]
			if i == j || len(q.text) >= len(p.text) || !strings.Contains(p.text, q.text) || p.latin && !wordIn(p.text, q.text) {
				continue
			}
			for _, r := range q.roles {
				if r.kind == roleNowStrong || r.kind == roleNowWeak || r.kind == roleContext || r.kind == roleRisk ||
					r.kind == rolePresent || r.kind == roleThing || r.kind == roleState || r.kind >= roleUtility && r.kind <= roleConduct ||
					r.kind >= roleAction && r.kind <= rolePlan {
					if !p.hasRole(r) {
						p.roles = append(p.roles, r)
						p.hasKind[r.kind] = true
					}
				}
			}
		}
	}
}

func (p *phrase) hasRole(r role) bool {
	for _, x := range p.roles {
		if x == r {
			return true
		}
	}
	return false
}

// wordIn reports whether w stands in s as whole words.
func wordIn(s, w string) bool {
	for i := strings.Index(s, w); i >= 0; {
		end := i + len(w)
		if (i == 0 || !isWordRune(rune(s[i-1]))) && (end == len(s) || !isWordRune(rune(s[end]))) {
			return true
		}
		k := strings.Index(s[i+1:], w)
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

func hazardOrder(h Hazard) int {
	for i, x := range Hazards {
		if x == h {
			return i
		}
	}
	return len(Hazards)
}

func isLatin(w string) bool {
	for _, r := range w {
		if r >= 0x80 {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\''
}

// sentenceEnd marks where one sentence ends: a discount in one sentence does not
// reach the next.
func sentenceEnd(r rune) bool {
	switch r {
	case '。', '！', '？', '!', '?', '；', ';', '\n', '…':
		return true
	}
	return false
}

// match is one phrase found in the text, in a sentence.
type match struct {
	p          *phrase
	start, end int
	sentence   int
	aspect     aspect
	// a pair's first part, where a thing and a state of a hazard make a sign
	pairFrom, pairTo int
}

// text is what was found, as the resident wrote it (not stemmed), for the reason.
func (m match) text(src source) string {
	if m.pairTo > 0 {
		return src.at(m.pairFrom, m.pairTo) + "…" + src.at(m.start, m.end)
	}
	return src.at(m.start, m.end)
}

// source is the folded text and, when English words were stemmed, where each
// rune of the stemmed text came from.
type source struct {
	folded []rune
	pos    []int // nil: the same text
}

func (s source) at(from, to int) string {
	if s.pos == nil {
		return string(s.folded[from:to])
	}
	return string(s.folded[s.pos[from]:s.pos[to]])
}

// aspect is what a Chinese verb's neighbours say of its time: 在晃, 还在漏, 又摔
// (progressive: now), 吊着, 冒着 (durative).
type aspect uint8

const (
	aspectNone aspect = iota
	aspectProgressive
	aspectDurative
)

// Screen reads text for danger now, sensitivity and utilities.
func (s *Screener) Screen(text string) Flags {
	folded := []rune(normalize(text))
	norm, pos := stemLatin(folded)
	src := source{folded: folded, pos: pos}
	hits := s.find(norm) // in order of start
	f := s.sensitive(hits, src)

	joke := false
	var idioms [][2]int
	for _, h := range hits {
		if h.p.hasKind[roleIdiom] {
			idioms = append(idioms, [2]int{h.start, h.end})
		}
		joke = joke || h.p.hasKind[roleJoke]
	}
	// sentences: '.' ends one only before a space (not 3.5 or a.m.); what
	// touches a figure of speech is dropped
	n, at := 0, 0
	kept := hits[:0]
	for _, h := range hits {
		touches := false
		for _, sp := range idioms {
			touches = touches || h.start < sp[1] && h.end > sp[0]
		}
		if touches && !h.p.hasKind[roleIdiom] {
			continue
		}
		for ; at < h.start; at++ {
			if r := norm[at]; sentenceEnd(r) || r == '.' && at+1 < len(norm) && norm[at+1] == ' ' {
				n++
			}
		}
		h.sentence = n
		kept = append(kept, h)
	}
	hits = kept

	// what each sentence holds (its hits are a run of hits, pairs after them),
	// and what the whole message holds as context
	type sentence struct {
		hits                         []match
		strong, weak, symptoms, risk int
		context                      uint8
	}
	ss := make([]sentence, n+1)
	var context uint8
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].sentence == hits[i].sentence {
			j++
		}
		x := &ss[hits[i].sentence]
		x.hits = hits[i:j:j] // a pair appended below makes its own copy
		for _, h := range x.hits {
			if h.p.hasKind[roleNowStrong] || h.aspect == aspectProgressive {
				x.strong++
			}
			if h.p.hasKind[roleNowWeak] || h.aspect == aspectDurative {
				x.weak++
			}
			if h.p.hasKind[roleRisk] {
				x.risk++
			}
			for _, r := range h.p.roles {
				if r.kind == roleContext {
					x.context |= r.bit
					if r.bit == s.symptoms {
						x.symptoms++
					}
				}
			}
		}
		context |= x.context
		if pairs := s.pairs(x.hits, norm); len(pairs) > 0 {
			x.hits = append(x.hits, pairs...)
		}
		i = j
	}

	var score [maxHazards]int
	var evidence [maxHazards][]match
	var set []string
	for si := range ss {
		x := &ss[si]
		for _, h := range x.hits {
			for _, r := range h.p.roles {
				if r.kind != roleEvent && r.kind != roleSign {
					continue
				}
				def := s.hazards[r.hazard]
				// a person in the sentence means the unless words (钥匙, 手机) are not what is missing
				if why, off := s.setAside(x.hits, h, r.hazard, norm, joke, x.context&(def.needs|s.person) != 0); off {
					set = appendNew(set, why...)
					continue
				}
				if r.kind == roleSign {
					// a sign needs what its hazard needs beside it in the message, and in
					// its sentence a mark of now or that (a child not home; fumes, coughing)
					marks := x.strong + x.weak + x.symptoms + x.risk
					if si+1 < len(ss) { // or the next: "gas smell in the lobby. its really strong."
						y := ss[si+1]
						marks += y.strong + y.weak + y.symptoms + y.risk
					}
					if def.needs != 0 && context&def.needs == 0 || marks == 0 && x.context&def.needs == 0 {
						continue
					}
					score[r.hazard]++
				} else {
					score[r.hazard] += 2
				}
				h.sentence = si
				evidence[r.hazard] = append(evidence[r.hazard], h)
			}
		}
	}
	best := -1
	for i, sc := range score[:len(s.hazards)] {
		if sc > 0 && (best < 0 || s.before(i, best) || !s.before(best, i) && sc > score[best]) {
			best = i
		}
	}
	if best >= 0 {
		// the reason: what showed the hazard, and what in those sentences showed it is now
		// what showed it: events and signs, then pairs that add a part not named
		// yet, four at most; then what in those sentences showed it is now
		var what, now []string
		var named [][2]int
		overlaps := func(from, to int) bool {
			for _, n := range named {
				if from < n[1] && to > n[0] {
					return true
				}
			}
			return false
		}
		for _, pairs := range []bool{false, true} {
			for _, h := range evidence[best] {
				if (h.pairTo > 0) != pairs || len(what) == 4 || overlaps(h.start, h.end) || pairs && overlaps(h.pairFrom, h.pairTo) {
					continue
				}
				named = append(named, [2]int{h.start, h.end})
				if pairs {
					named = append(named, [2]int{h.pairFrom, h.pairTo})
				}
				what = appendNew(what, h.text(src))
			}
		}
		for _, h := range evidence[best] {
			for _, o := range ss[h.sentence].hits {
				switch {
				case o.pairTo > 0 || overlaps(o.start, o.end) || !hasLetter(o.p.text):
				case o.aspect == aspectProgressive:
					now = appendNew(now, src.at(o.start-1, o.end))
				case o.p.hasKind[roleNowStrong] || o.p.hasKind[roleNowWeak] || o.p.hasKind[roleRisk] || o.aspect == aspectDurative,
					o.p.hasKind[roleContext] && s.isSymptom(o.p):
					now = appendNew(now, o.text(src))
				}
			}
		}
		def := s.hazards[best]
		f.Urgent, f.Hazard, f.Now, f.Discounted = true, def.code, now, set
		f.UrgentReason = reason(def.label.ZH, what, now, set)
		return f
	}
	if c, ok := s.collective(hits, norm, src, joke); ok {
		f.Urgent, f.Hazard, f.AdminsOnly, f.Now = true, HazardCollective, true, c
		f.UrgentReason = "紧急情形（" + s.coll.ZH + "）：" + strings.Join(c, "、")
		if !f.Sensitive {
			f.Sensitive, f.SensitiveReason = true, "敏感事项："+strings.Join(c, "、")
		}
		return f
	}
	f.Discounted = set
	return f
}

// before reports whether hazard i is chosen before j when both are found.
func (s *Screener) before(i, j int) bool {
	for _, o := range s.hazards[i].over {
		if o == s.hazards[j].code {
			return true
		}
	}
	return false
}

// hasLetter: a mark made of punctuation alone ("!") counts, but is not shown.
func hasLetter(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func (s *Screener) isSymptom(p *phrase) bool {
	for _, r := range p.roles {
		if r.kind == roleContext && r.bit == s.symptoms {
			return true
		}
	}
	return false
}

// ofHazard reports whether m says something of hazard h: its event, sign or state.
func ofHazard(m match, h int) bool {
	for _, r := range m.p.roles {
		if (r.kind == roleEvent || r.kind == roleSign || r.kind == roleState) && r.hazard == h {
			return true
		}
	}
	return false
}

// maxHazards bounds the hazards a screening may have (classify.Hazards has 15).
const maxHazards = 16

// reviveReach is how far before a strong mark of now the hazard may be said
// again for the mark to bring it back (the gas smell is back).
const reviveReach = 12

// setAside reports whether the sentence sets the event or sign h aside, and
// what did: a mark of the past, a hypothesis, a request, a question or hearsay
// before it (in English after it too: "a stroke last month"), its resolution
// after it, with no strong mark of now after that mark; a word of its hazard's
// unless list, when the sentence does not hold what the hazard needs (a cat
// missing, not a child); an experiential 过 (着过火); a joke. Hearsay does not set
// collective action (hazard -1) aside.
func (s *Screener) setAside(sentence []match, h match, hazard int, norm []rune, joke, needed bool) ([]string, bool) {
	collective := hazard < 0
	if joke {
		return []string{"玩笑"}, true
	}
	// 着过火, 摔过: done before (but 晕过去, 翻过来 say where to)
	if h.end < len(norm) && norm[h.end] == '过' && !(h.end+1 < len(norm) && (norm[h.end+1] == '去' || norm[h.end+1] == '来')) {
		return []string{h.p.text + "过"}, true
	}
	// revived: after the mark at from, a strong mark of now followed by the
	// hazard said again (上次报过…今天又有了比上次还浓; 火灭了…还在冒烟), or,
	// before the event, a time that is now (昨天报过的墙缝 今天…墙皮哗哗掉)
	revived := func(from int) bool {
		for _, n := range sentence {
			strong := n.p.hasKind[roleNowStrong] || n.aspect == aspectProgressive
			if n.start > from && n.end <= h.start && n.p.hasKind[rolePresent] {
				return true
			}
			if !strong || n.start <= from {
				continue
			}
			reach := 0
			if n.p.latin {
				reach = reviveReach // the gas smell is back: English says the state after the thing
			}
			for _, m := range sentence {
				if m.start >= n.start-reach && m.start > from && (hazard < 0 || ofHazard(m, hazard)) {
					return true
				}
			}
		}
		return false
	}
	for _, o := range sentence {
		for _, r := range o.p.roles {
			before, after := o.end <= h.start, o.start >= h.end
			switch {
			case r.kind == roleUnless && r.hazard == hazard && !needed:
				return []string{o.p.text}, true
			case r.kind != roleDiscount || o.p.hasKind[roleNowStrong], collective && r.cat == "hearsay",
				r.hazard >= 0 && r.hazard != hazard:
			// a hypothesis says nothing is happening: nothing brings it back
			// a hypothesis says nothing is happening: nothing brings it back; nor
			// when it makes one word with the event (火灾隐患, 溺水风险)
			case r.cat == "hypothetical" && before,
				(r.cat == "prevention" || r.cat == "hypothetical") && after && o.start-h.end <= 1:
				return []string{o.p.text}, true
			case r.cat == "resolved" && after,
				r.cat == "habitual" && (before || o.p.latin && after),
				r.cat != "hypothetical" && (before || o.p.latin && after):
				if !revived(o.start) {
					return []string{o.p.text}, true
				}
			}
		}
	}
	return nil, false
}

// sensitive flags utilities (a shorter deadline) and matters for restricted
// handling: corruption or collective action on their own, or an official's title
// together with a complaint about conduct; with the words that decided them.
func (s *Screener) sensitive(hits []match, src source) Flags {
	var f Flags
	var alone, official, conduct []string
	for _, h := range hits {
		f.Utility = f.Utility || h.p.hasKind[roleUtility]
		if h.p.hasKind[roleAlone] {
			alone = appendNew(alone, h.text(src))
		}
		if h.p.hasKind[roleOfficial] {
			official = appendNew(official, h.text(src))
		}
		if h.p.hasKind[roleConduct] {
			conduct = appendNew(conduct, h.text(src))
		}
	}
	switch {
	case len(alone) > 0:
		f.Sensitive, f.SensitiveReason = true, "敏感事项："+strings.Join(alone, "、")
	case len(official) > 0 && len(conduct) > 0:
		f.Sensitive, f.SensitiveReason = true, "涉及干部作风："+strings.Join(official, "、")+"；"+strings.Join(conduct, "、")
	}
	return f
}

// collective finds collective action announced with a time: sensitive, and
// urgent for admins.
func (s *Screener) collective(hits []match, norm []rune, src source, joke bool) ([]string, bool) {
	acted := false
	for _, h := range hits {
		acted = acted || h.p.hasKind[roleAction]
	}
	if !acted {
		return nil, false
	}
	bySentence := map[int][]match{}
	for _, h := range hits {
		bySentence[h.sentence] = append(bySentence[h.sentence], h)
	}
	var action, when, future, plan []string
	for _, h := range hits {
		if h.p.hasKind[roleAction] {
			if _, off := s.setAside(bySentence[h.sentence], h, -1, norm, joke, false); !off {
				action = appendNew(action, h.text(src))
			}
		}
		if h.p.hasKind[roleWhen] {
			when = appendNew(when, h.text(src))
		}
		if h.p.hasKind[roleFuture] {
			future = appendNew(future, h.text(src))
		}
		if h.p.hasKind[rolePlan] {
			plan = appendNew(plan, h.text(src))
		}
	}
	if clockTime(norm) {
		when = append(when, "时刻")
	}
	// a day to come says it is planned; a time of day needs the plan said
	if len(action) == 0 || len(future) == 0 && (len(when) == 0 || len(plan) == 0) {
		return nil, false
	}
	return append(append(append(action, future...), when...), plan...), true
}

// clockTime reports whether text holds a time of day written with digits (08:30).
func clockTime(text []rune) bool {
	digit := func(i int) bool { return i >= 0 && i < len(text) && text[i] >= '0' && text[i] <= '9' }
	for i, r := range text {
		if (r == ':' || r == '：') && digit(i-1) && digit(i+1) && digit(i+2) {
			return true
		}
	}
	return false
}

// find returns the phrases in norm; a Latin one only at word boundaries.
func (s *Screener) find(norm []rune) []match {
	out := make([]match, 0, len(norm)/4+4)
	for _, h := range s.m.find(norm) {
		p := &s.info[h.word]
		end := h.end
		if p.latin {
			if h.start > 0 && isWordRune(norm[h.start-1]) && isWordRune(norm[h.start]) {
				continue
			}
			if p.prefix {
				for end < len(norm) && isWordRune(norm[end]) {
					end++
				}
			} else if end < len(norm) && isWordRune(norm[end]) && isWordRune(norm[end-1]) {
				continue
			}
		}
		m := match{p: p, start: h.start, end: end}
		if (p.hasKind[roleState] || p.hasKind[roleEvent] || p.hasKind[roleSign]) && !p.latin {
			// 没着火, 不会倒, 没砸到人: what did not happen
			if h.start > 0 && strings.ContainsRune("没不未别", norm[h.start-1]) && !p.hasKind[roleNowStrong] {
				continue
			}
			if h.start > 0 && strings.ContainsRune("在还又正", norm[h.start-1]) && !(h.start > 1 && notProgressive(norm[h.start-2:h.start])) {
				m.aspect = aspectProgressive
			} else if end < len(norm) && norm[end] == '着' {
				m.aspect = aspectDurative
			}
		}
		out = append(out, m)
	}
	return out
}

// notProgressive: 存在火灾隐患, 实在, 所在 hold 在 without saying "now doing".
func notProgressive(two []rune) bool {
	switch string(two) {
	case "存在", "所在", "实在", "自在", "好在", "不在", "还在": // 还在 itself is the strong mark
		return string(two) != "还在"
	}
	return false
}

// pairWindow is how near, in characters, a hazard's thing and state must be to
// say a situation together (广告牌半边吊着在晃; the cable is hanging out).
const pairWindow = 24

// pairs composes signs from a hazard's things and states near each other in one
// sentence: 管子…在漏, 电梯…不动了, 孩子…不见了.
func (s *Screener) pairs(sentence []match, norm []rune) []match {
	var out []match
	for _, t := range sentence {
		for _, tr := range t.p.roles {
			if tr.kind != roleThing {
				continue
			}
			for _, st := range sentence {
				if st.start == t.start && st.end == t.end {
					continue
				}
				gap := max(st.start-t.end, t.start-st.end)
				if gap > pairWindow {
					continue
				}
				for _, sr := range st.p.roles {
					if sr.kind != roleState || sr.hazard != tr.hazard {
						continue
					}
					first, later := t, st
					if t.start > st.start {
						first, later = st, t
					}
					// the pair stands where its later part is, with that part's aspect: a mark
					// between its parts (孩子上周在学校被打了) is before what it says
					out = append(out, match{p: s.pairPhrase[tr.hazard], start: later.start, end: later.end, sentence: t.sentence,
						aspect: later.aspect, pairFrom: first.start, pairTo: first.end})
				}
			}
		}
	}
	return out
}

func appendNew(list []string, ws ...string) []string {
	for _, w := range ws {
		dup := false
		for _, x := range list {
			dup = dup || x == w
		}
		if !dup {
			list = append(list, w)
		}
	}
	return list
}

// reason says why: the hazard, what showed it, what showed it is now, and what was set aside.
func reason(label string, evidence, now, set []string) string {
	r := "紧急情形（" + label + "）：" + strings.Join(evidence, "、")
	if len(now) > 0 {
		r += "；正在发生：" + strings.Join(now, "、")
	}
	if len(set) > 0 {
		r += "；已排除：" + strings.Join(set, "、")
	}
	return r
}

// stemLatin cuts English words to a rough stem in place of the word (leaking →
// leak, kicked → kick, spreading → spread, stairs → stair), so that one entry
// matches the forms residents write. Chinese and other text is left as it is.
func stemLatin(text []rune) ([]rune, []int) {
	latin := false
	for _, r := range text {
		if r >= 'a' && r <= 'z' {
			latin = true
			break
		}
	}
	if !latin {
		return text, nil
	}
	out := make([]rune, 0, len(text))
	pos := make([]int, 0, len(text)+1) // where each rune of out came from
	for i := 0; i < len(text); {
		if !(text[i] >= 'a' && text[i] <= 'z') {
			out = append(out, text[i])
			pos = append(pos, i)
			i++
			continue
		}
		j := i
		for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] == '\'') {
			j++
		}
		before := len(out)
		out = appendStem(out, text[i:j])
		for k := before; k < len(out); k++ {
			pos = append(pos, min(i+k-before, j-1))
		}
		i = j
	}
	pos = append(pos, len(text))
	return out, pos
}

// contractions are words chat writes without their apostrophe.
var contractions = map[string]string{
	"cant": "can't", "wont": "won't", "dont": "don't", "doesnt": "doesn't", "isnt": "isn't", "arent": "aren't",
	"wasnt": "wasn't", "werent": "weren't", "hasnt": "hasn't", "havent": "haven't", "hadnt": "hadn't",
	"didnt": "didn't", "couldnt": "couldn't", "wouldnt": "wouldn't", "shouldnt": "shouldn't", "hes": "he's",
	"shes": "she's", "theres": "there's", "thats": "that's", "whats": "what's", "im": "i'm", "ive": "i've",
	"youre": "you're", "theyre": "they're",
}

// unstemmed are words whose ending is no inflection.
var unstemmed = map[string]bool{"news": true, "gas": true, "bus": true, "glass": true, "lens": true, "always": true,
	"sometimes": true, "series": true, "species": true, "various": true, "perhaps": true, "less": true, "unless": true}

// appendStem appends word w cut to its stem.
func appendStem(out, w []rune) []rune {
	// the word as bytes on the stack: looking it up makes no garbage
	var buf [16]byte
	short := len(w) <= len(buf)
	if short {
		for i, r := range w {
			buf[i] = byte(r)
		}
		if full, ok := contractions[string(buf[:len(w)])]; ok {
			w = []rune(full)
		}
	}
	has := func(suffix string) bool {
		if len(w) < len(suffix) {
			return false
		}
		for k, c := range suffix {
			if w[len(w)-len(suffix)+k] != c {
				return false
			}
		}
		return true
	}
	for _, c := range w {
		if c == '\'' { // can't, won't, he's: kept whole, but for a possessive
			if has("'s") {
				w = w[:len(w)-2]
			}
			return append(out, w...)
		}
	}
	n := len(w)
	y := false
	switch {
	case short && unstemmed[string(buf[:len(w)])]:
	case n > 5 && has("ing"):
		w = undouble(w[:n-3])
	case n > 4 && (has("ied") || has("ies")):
		w, y = w[:n-3], true
	case n > 4 && has("ed"):
		w = undouble(w[:n-2])
	case n > 4 && (has("shes") || has("ches") || has("xes") || has("sses")):
		w = w[:n-2]
	case n > 3 && has("s") && !has("ss") && !has("us") && !has("is"):
		w = w[:n-1]
	}
	// smoke, smoking and smoked all come to smok
	if m := len(w); !y && m > 3 && w[m-1] == 'e' && !isVowel(byte(w[m-2])) {
		w = w[:m-1]
	}
	out = append(out, w...)
	if y {
		out = append(out, 'y')
	}
	return out
}

// undouble: running → run, dropped → drop; fall, hiss and buzz keep their pair.
func undouble(w []rune) []rune {
	if n := len(w); n >= 3 && w[n-1] == w[n-2] && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' && !isVowel(byte(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isVowel(b byte) bool { return strings.IndexByte("aeiou", b) >= 0 }
