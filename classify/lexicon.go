package classify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

//go:embed lexicon.yaml
var defaultLexicon []byte

// Lexicon tags concerns by hand-written weighted words; it needs no data and no
// network, and its reason lists the words it found.
type Lexicon struct {
	tax      *Taxonomy
	fallback string
	m        *matcher
	entries  [][]entry // per word: where it counts
	// the screening's words for utilities and sensitivity (the Screener reads them)
	utility, alone, official, conduct []string
}

type entry struct {
	topic, subtopic int // index into the taxonomy; subtopic -1 for the topic as a whole
	weight          float64
}

type lexiconFile struct {
	Version int                                    `yaml:"version"`
	Topics  map[string]map[string]map[int][]string `yaml:"topics"`
	Utility struct {
		Words []string `yaml:"words"`
	} `yaml:"utility"`
	Sensitive struct {
		Alone     []string `yaml:"alone"`
		Officials []string `yaml:"officials"`
		Conduct   []string `yaml:"conduct"`
	} `yaml:"sensitive"`
}

// NewLexicon builds the built-in lexicon over the taxonomy tax. When nothing
// matches, it answers fallback with zero confidence, so a concern is never untagged.
func NewLexicon(tax *Taxonomy, fallback string) (*Lexicon, error) {
	return ParseLexicon(defaultLexicon, "lexicon.yaml", tax, fallback)
}

// ParseLexicon builds a lexicon from a file like the built-in one.
func ParseLexicon(raw []byte, name string, tax *Taxonomy, fallback string) (*Lexicon, error) {
	var f lexiconFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, ok := tax.Topic(fallback); !ok {
		return nil, fmt.Errorf("lexicon fallback topic %q is not in the taxonomy", fallback)
	}
	l := &Lexicon{tax: tax, fallback: fallback}
	var (
		errs  []error
		words []string
		index = map[string]int{}
		seen  = map[string]string{} // "topic\x00word" → subtopic, to refuse a word twice in a topic
	)
	topics := make([]string, 0, len(f.Topics))
	for t := range f.Topics {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		ti := topicIndex(tax, topic)
		if ti < 0 {
			errs = append(errs, fmt.Errorf("%s: topic %q is not in the taxonomy", name, topic))
			continue
		}
		for sub, byWeight := range f.Topics[topic] {
			si := -1
			if sub != "_" {
				si = subtopicIndex(&tax.Topics[ti], sub)
				if si < 0 {
					errs = append(errs, fmt.Errorf("%s: %s has no subtopic %q", name, topic, sub))
					continue
				}
			}
			for weight, list := range byWeight {
				if weight < 1 || weight > 5 {
					errs = append(errs, fmt.Errorf("%s: %s/%s: weight %d is not 1..5", name, topic, sub, weight))
				}
				for _, w := range list {
					w = normalize(w)
					if w == "" {
						continue
					}
					key := topic + "\x00" + w
					if prev, dup := seen[key]; dup {
						errs = append(errs, fmt.Errorf("%s: %q is listed twice under %s (%s and %s)", name, w, topic, prev, sub))
						continue
					}
					seen[key] = sub
					i, ok := index[w]
					if !ok {
						i = len(words)
						index[w] = i
						words = append(words, w)
						l.entries = append(l.entries, nil)
					}
					l.entries[i] = append(l.entries[i], entry{topic: ti, subtopic: si, weight: float64(weight)})
				}
			}
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("%s: no words", name)
	}
	l.m = newMatcher(words)
	l.utility = normalizeAll(f.Utility.Words)
	l.alone = normalizeAll(f.Sensitive.Alone)
	l.official = normalizeAll(f.Sensitive.Officials)
	l.conduct = normalizeAll(f.Sensitive.Conduct)
	return l, nil
}

func sortErrors(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

func topicIndex(tax *Taxonomy, name string) int {
	for i, t := range tax.Topics {
		if t.Name == name {
			return i
		}
	}
	return -1
}

func subtopicIndex(t *Topic, name string) int {
	for i, s := range t.Subtopics {
		if s == name {
			return i
		}
	}
	return -1
}

func normalizeAll(ws []string) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if w = normalize(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// normalize folds full-width forms and case, so that ＡＰＰ, App and app match alike.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if r == '\u3000' {
			r = ' '
		}
		return unicode.ToLower(r)
	}, strings.TrimSpace(s))
}

// Name is "lexicon".
func (l *Lexicon) Name() string { return "lexicon" }

// Classify tags text by the words it contains.
func (l *Lexicon) Classify(_ context.Context, text string) (Result, error) {
	return l.classify(text), nil
}

type found struct {
	word  string
	count int
	score float64
}

func (l *Lexicon) classify(text string) Result {
	norm := []rune(normalize(text))
	titleEnd := len(norm)
	for i, r := range norm {
		if r == '\n' {
			titleEnd = i
			break
		}
	}
	nt := len(l.tax.Topics)
	scores := make([]float64, nt)
	subs := map[[2]int]float64{}
	perTopic := make([]map[int]*found, nt)
	for _, h := range l.m.find(norm) {
		if inLongerNumber(norm, h) || beforeNumber(norm, h) {
			continue // 12345 inside a card number is not the hotline; 身份证43010… is who writes, not what about
		}
		mult := 1.0
		if h.start < titleEnd {
			mult = 2 // the title says what the concern is about
		}
		for _, e := range l.entries[h.word] {
			s := e.weight * mult
			scores[e.topic] += s
			if e.subtopic >= 0 {
				subs[[2]int{e.topic, e.subtopic}] += s
			}
			if perTopic[e.topic] == nil {
				perTopic[e.topic] = map[int]*found{}
			}
			f := perTopic[e.topic][h.word]
			if f == nil {
				f = &found{word: l.m.words[h.word]}
				perTopic[e.topic][h.word] = f
			}
			f.count++
			f.score += s
		}
	}
	ranking := make([]Scored, 0, nt)
	var total float64
	for i, s := range scores {
		if s > 0 {
			ranking = append(ranking, Scored{Topic: l.tax.Topics[i].Name, Score: s})
			total += s
		}
	}
	sort.SliceStable(ranking, func(a, b int) bool { return ranking[a].Score > ranking[b].Score })
	if len(ranking) == 0 {
		return Result{
			Topic: l.fallback, Sector: l.tax.SectorOf(l.fallback, ""), Classifier: l.Name(),
			Reason: "未找到可归类的关键词，暂按“" + l.fallback + "”登记，待人工核定",
		}
	}
	best := topicIndex(l.tax, ranking[0].Topic)
	sub, subScore := "", 0.0
	for k, s := range subs {
		if k[0] == best && (s > subScore || (s == subScore && l.tax.Topics[best].Subtopics[k[1]] < sub)) {
			sub, subScore = l.tax.Topics[best].Subtopics[k[1]], s
		}
	}
	top := ranking[0].Score
	// share of all evidence, damped while the evidence is thin
	conf := top / total * (1 - math.Exp(-top/4))
	return Result{
		Topic: ranking[0].Topic, Subtopic: sub, Sector: l.tax.SectorOf(ranking[0].Topic, sub),
		Confidence: math.Round(conf*100) / 100, Classifier: l.Name(),
		Reason: "关键词：" + listFound(perTopic[best]), Ranking: ranking,
	}
}

// inLongerNumber reports whether a hit that starts or ends with a digit sits
// inside a longer run of digits.
func inLongerNumber(text []rune, h hit) bool {
	digit := func(i int) bool { return i >= 0 && i < len(text) && text[i] >= '0' && text[i] <= '9' }
	return digit(h.start) && digit(h.start-1) || digit(h.end-1) && digit(h.end)
}

// beforeNumber reports whether a hit is followed by a number of six digits or
// more (a colon or spaces between): 身份证430102…, 电话 138…, the writer's details.
func beforeNumber(text []rune, h hit) bool {
	i := h.end
	for i < len(text) && (text[i] == ':' || text[i] == '：' || text[i] == ' ' || text[i] == '号' || text[i] == '是') {
		i++
	}
	n := 0
	for ; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
		n++
	}
	return n >= 6
}

func listFound(fs map[int]*found) string {
	list := make([]*found, 0, len(fs))
	for _, f := range fs {
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].word < list[j].word
	})
	var parts []string
	for i, f := range list {
		if i == 6 {
			parts = append(parts, "等")
			break
		}
		p := f.word
		if f.count > 1 {
			p += "×" + strconv.Itoa(f.count)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "、")
}
