// Package consult holds the committee's consultations (征求意见, 民意调查): the
// questions it asks residents who agreed to be asked, who is asked, when it
// opens and closes, and what the answers add up to. It is pure: the store
// keeps consultations and answers, the case service sends and records them.
package consult

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/minhash"
)

// Kind is the kind of a question.
type Kind string

// The kinds of question.
const (
	Single Kind = "single" // one of the options
	Multi  Kind = "multi"  // any of the options
	Rating Kind = "rating" // 1 to 5
	Text   Kind = "text"   // in the resident's words
)

// Audience is who is asked.
type Audience string

// The audiences.
const (
	Subscribers Audience = "subscribers" // residents who agreed to be asked (one community, or all)
	GridWorkers Audience = "grid_workers"
)

// Question is one question of a consultation.
type Question struct {
	Kind    Kind     `yaml:"kind" json:"kind"`
	Text    string   `yaml:"text" json:"text"`
	Options []string `yaml:"options,omitempty" json:"options,omitempty"`
}

// State is where a consultation stands.
type State string

// The states.
const (
	Draft  State = "draft"  // made, not sent
	Open   State = "open"   // sent; answers taken until it closes
	Closed State = "closed" // no more answers
)

// Consultation is one 征求意见.
type Consultation struct {
	ID       int64    `yaml:"-" json:"id"`
	Title    string   `yaml:"title" json:"title"`
	Intro    string   `yaml:"intro" json:"intro"`
	Audience Audience `yaml:"audience" json:"audience"`
	// Community narrows the subscribers to one community (empty: all).
	Community string     `yaml:"community" json:"community,omitempty"`
	Questions []Question `yaml:"questions" json:"questions"`
	Opens     time.Time  `yaml:"-" json:"opens"` // read by Parse in the office's zone
	Closes    time.Time  `yaml:"-" json:"closes"`

	State     State     `yaml:"-" json:"state"`
	CreatedBy int64     `yaml:"-" json:"created_by"`
	Created   time.Time `yaml:"-" json:"created"`
	// Invited counts the chats the invitation went to; Outcome is what came of
	// it, as sent to the participants (反馈结果), when it was.
	Invited  int       `yaml:"-" json:"invited"`
	Outcome  string    `yaml:"-" json:"outcome,omitempty"`
	Reported time.Time `yaml:"-" json:"reported,omitzero"`
	// Infos are the 信息 it is evidence for.
	Infos []int64 `yaml:"-" json:"infos,omitempty"`
}

// Limits of a consultation, so that its buttons fit Telegram's 64 bytes and a
// phone's screen.
const (
	MaxQuestions = 10
	MaxOptions   = 8
	MaxText      = 500 // a free-text answer, in characters
)

// Problem is a mistake in a consultation as staff wrote it.
type Problem struct {
	Line int
	Msg  string
}

func (p *Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// Parse reads a consultation from YAML (minyi consult create --file), in loc
// for its times (2026-12-05 09:00), checked.
func Parse(raw []byte, loc *time.Location) (*Consultation, error) {
	var doc struct {
		Consultation `yaml:",inline"`
		Opens        string `yaml:"opens"`
		Closes       string `yaml:"closes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, &Problem{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c := doc.Consultation
	var errs []error
	for _, t := range []struct {
		name, v string
		to      *time.Time
	}{{"opens", doc.Opens, &c.Opens}, {"closes", doc.Closes, &c.Closes}} {
		at, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(t.v), loc)
		if err != nil {
			errs = append(errs, &Problem{Msg: fmt.Sprintf("%s: %q is not a time like 2026-12-05 09:00", t.name, t.v)})
		}
		*t.to = at
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// Validate checks what staff wrote.
func (c *Consultation) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, &Problem{Msg: fmt.Sprintf(format, args...)}) }
	if strings.TrimSpace(c.Title) == "" || utf8.RuneCountInString(c.Title) > 60 {
		bad("title: write one of 1 to 60 characters")
	}
	if utf8.RuneCountInString(c.Intro) > 1000 {
		bad("intro: at most 1000 characters")
	}
	switch c.Audience {
	case Subscribers, GridWorkers:
	default:
		bad("audience: %q is not %q or %q", c.Audience, Subscribers, GridWorkers)
	}
	if len(c.Questions) == 0 || len(c.Questions) > MaxQuestions {
		bad("questions: give 1 to %d", MaxQuestions)
	}
	for i, q := range c.Questions {
		where := fmt.Sprintf("question %d", i+1)
		if strings.TrimSpace(q.Text) == "" || utf8.RuneCountInString(q.Text) > 200 {
			bad("%s: its text must be 1 to 200 characters", where)
		}
		switch q.Kind {
		case Single, Multi:
			if len(q.Options) < 2 || len(q.Options) > MaxOptions {
				bad("%s: a %s question needs 2 to %d options", where, q.Kind, MaxOptions)
			}
			for j, o := range q.Options {
				if strings.TrimSpace(o) == "" || utf8.RuneCountInString(o) > 30 || slices.Contains(q.Options[:j], o) {
					bad("%s: option %d must be 1 to 30 characters and unlike the others", where, j+1)
				}
			}
		case Rating, Text:
			if len(q.Options) > 0 {
				bad("%s: a %s question has no options", where, q.Kind)
			}
		default:
			bad("%s: kind %q is not single, multi, rating or text", where, q.Kind)
		}
	}
	if !c.Closes.After(c.Opens) {
		bad("closes must be after opens")
	}
	return errors.Join(errs...)
}

// Answer is one participant's answers, question by question (by index):
// an option's index for single, several for multi, 1–5 for rating, words for text.
type Answer struct {
	Chat    int64          `json:"chat"`
	At      time.Time      `json:"at"`
	Choices map[int][]int  `json:"choices,omitempty"`
	Texts   map[int]string `json:"texts,omitempty"`
}

// ErrBadAnswer is an answer the question does not take.
var ErrBadAnswer = errors.New("consult: not an answer to that question")

// Set gives question q the value pressed or written (an option's index, a
// rating, words), replacing what was given before; for a multi question a
// press adds the option, or takes it away again.
func (c *Consultation) Set(a *Answer, q int, value string) error {
	if q < 0 || q >= len(c.Questions) {
		return ErrBadAnswer
	}
	if a.Choices == nil {
		a.Choices = map[int][]int{}
	}
	if a.Texts == nil {
		a.Texts = map[int]string{}
	}
	qu := c.Questions[q]
	if qu.Kind == Text {
		v := strings.TrimSpace(value)
		if v == "" || utf8.RuneCountInString(v) > MaxText {
			return ErrBadAnswer
		}
		// kept masked: a name or phone number typed in a view is not the
		// office's to keep, and the results show it masked anyway
		a.Texts[q] = concern.Mask(v)
		return nil
	}
	n, err := strconv.Atoi(value)
	limit := len(qu.Options)
	if qu.Kind == Rating {
		n, limit = n-1, 5 // ratings are 1–5, kept as 0–4
	}
	if err != nil || n < 0 || n >= limit {
		return ErrBadAnswer
	}
	if qu.Kind == Multi {
		if i := slices.Index(a.Choices[q], n); i >= 0 {
			a.Choices[q] = slices.Delete(a.Choices[q], i, i+1)
		} else {
			a.Choices[q] = append(a.Choices[q], n)
			slices.Sort(a.Choices[q])
		}
		return nil
	}
	a.Choices[q] = []int{n}
	return nil
}

// Tally is one question's results.
type Tally struct {
	Question Question `json:"question"`
	// Answered counts the participants who answered it.
	Answered int `json:"answered"`
	// Counts are by option (by rating 1–5 for a rating), Shares the same over Answered.
	Counts []int     `json:"counts,omitempty"`
	Shares []float64 `json:"shares,omitempty"`
	// Mean is a rating's mean.
	Mean *float64 `json:"mean,omitempty"`
	// Groups are the free-text answers, masked, similar ones together, largest first.
	Groups []TextGroup `json:"groups,omitempty"`
}

// TextGroup is free-text answers that say much the same.
type TextGroup struct {
	N       int      `json:"n"`
	Answers []string `json:"answers"` // masked
}

// Results adds up the answers: each participant once, as they last answered.
func (c *Consultation) Results(answers []Answer) []Tally {
	out := make([]Tally, len(c.Questions))
	for i, q := range c.Questions {
		t := Tally{Question: q}
		var texts []string
		switch q.Kind {
		case Single, Multi:
			t.Counts = make([]int, len(q.Options))
		case Rating:
			t.Counts = make([]int, 5)
		}
		sum := 0
		for _, a := range answers {
			if q.Kind == Text {
				if s := a.Texts[i]; s != "" {
					t.Answered++
					texts = append(texts, concern.Mask(s))
				}
				continue
			}
			picks := a.Choices[i]
			if len(picks) == 0 {
				continue
			}
			t.Answered++
			for _, p := range picks {
				if p >= 0 && p < len(t.Counts) {
					t.Counts[p]++
					sum += p + 1
				}
			}
		}
		if t.Counts != nil && t.Answered > 0 {
			t.Shares = make([]float64, len(t.Counts))
			for j, n := range t.Counts {
				t.Shares[j] = float64(n) / float64(t.Answered)
			}
			if q.Kind == Rating {
				m := float64(sum) / float64(t.Answered)
				t.Mean = &m
			}
		}
		t.Groups = groupTexts(texts)
		out[i] = t
	}
	return out
}

// similar is the estimated similarity above which two answers say the same.
const similar = 0.5

// groupTexts puts similar answers together (MinHash, as the digest's 共性问题),
// largest group first. A consultation's answers are hundreds, so each is
// compared with the first of each group.
func groupTexts(texts []string) []TextGroup {
	type g struct {
		sig     minhash.Signature
		answers []string
	}
	var gs []*g
	for _, s := range texts {
		sig := minhash.Sign(s)
		placed := false
		for _, x := range gs {
			if x.sig.Similarity(sig) >= similar {
				x.answers = append(x.answers, s)
				placed = true
				break
			}
		}
		if !placed {
			gs = append(gs, &g{sig: sig, answers: []string{s}})
		}
	}
	out := make([]TextGroup, len(gs))
	for i, x := range gs {
		out[i] = TextGroup{N: len(x.answers), Answers: x.answers}
	}
	slices.SortStableFunc(out, func(a, b TextGroup) int { return b.N - a.N })
	return out
}

// Taking says whether answers are taken at t.
func (c *Consultation) Taking(t time.Time) bool {
	return c.State == Open && !t.Before(c.Opens) && t.Before(c.Closes)
}
