// Package info holds the 社情民意信息 an office reports upward: one matter each
// (一事一议), with the situation told in figures computed from its concerns
// (有情况), the causes (有分析) and what should be done (有建议). It is pure: it
// knows the item, its states and its wording; the case service stores it and
// decides who may move it.
package info

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// State is where an item stands.
type State string

// The states, in order: drafted, submitted for review, signed by an admin, sent
// upward, and what the committee above made of it.
const (
	Draft      State = "draft"       // 草稿
	Review     State = "review"      // 待审核
	Signed     State = "signed"      // 已签发
	Sent       State = "sent"        // 已报送
	Adopted    State = "adopted"     // 已采用
	Instructed State = "instructed"  // 领导批示
	Referred   State = "referred"    // 转办
	NotAdopted State = "not_adopted" // 未采用
)

// States are every state, in order.
var States = []State{Draft, Review, Signed, Sent, Adopted, Instructed, Referred, NotAdopted}

// Outcomes are the feedback an item sent upward may get.
var Outcomes = []State{Adopted, Instructed, Referred, NotAdopted}

// Label is the state's name in lang.
func (s State) Label(lang string) string {
	return locale.Default().Label(lang, locale.Key("info_state_"+string(s)), string(s))
}

// ParseOutcome reads feedback as typed (采用, 批示, adopted…).
func ParseOutcome(word string) (State, bool) {
	w := strings.TrimSpace(word)
	for _, s := range Outcomes {
		if w == string(s) || w == s.Label("zh") || strings.EqualFold(w, s.Label("en")) {
			return s, true
		}
	}
	switch w {
	case "采用":
		return Adopted, true
	case "批示":
		return Instructed, true
	}
	return "", false
}

// MaxLength is the most characters a good 信息 runs to.
const MaxLength = 1500

// Quote is one resident's words, masked, and the concern they come from.
type Quote struct {
	Concern string `json:"concern"`
	Text    string `json:"text"`
}

// Facts are the figures of 基本情况, computed from the linked concerns.
type Facts struct {
	Concerns    int       `json:"concerns"`
	Residents   int       `json:"residents"` // distinct reporters; anonymous ones count one each
	Communities []string  `json:"communities,omitempty"`
	Grids       int       `json:"grids"`
	Topics      []string  `json:"topics,omitempty"`
	Sectors     []string  `json:"sectors,omitempty"`
	Urgent      int       `json:"urgent"`
	Closed      int       `json:"closed"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
}

// FactsOf counts the concerns' figures.
func FactsOf(rs []*concern.Report) Facts {
	var f Facts
	people := map[string]bool{}
	grids := map[string]bool{}
	for _, r := range rs {
		f.Concerns++
		who := "c:" + r.ID // anonymous: each concern is its own resident
		switch {
		case r.ReporterID != 0:
			who = "u:" + strconv.FormatInt(r.ReporterID, 10)
		case r.ResidentPhone != "":
			who = "p:" + r.ResidentPhone
		}
		people[who] = true
		if r.Community != "" && !slices.Contains(f.Communities, r.Community) {
			f.Communities = append(f.Communities, r.Community)
		}
		if r.Grid != "" {
			grids[r.Community+"/"+r.Grid] = true
		}
		if r.Topic != "" && !slices.Contains(f.Topics, r.Topic) {
			f.Topics = append(f.Topics, r.Topic)
		}
		if r.Sector != "" && !slices.Contains(f.Sectors, r.Sector) {
			f.Sectors = append(f.Sectors, r.Sector)
		}
		if r.Urgent {
			f.Urgent++
		}
		if r.Status == concern.StatusClosed {
			f.Closed++
		}
		if f.First.IsZero() || r.ReceivedAt.Before(f.First) {
			f.First = r.ReceivedAt
		}
		if r.ReceivedAt.After(f.Last) {
			f.Last = r.ReceivedAt
		}
	}
	f.Residents, f.Grids = len(people), len(grids)
	// the communities most concerned first
	n := map[string]int{}
	for _, r := range rs {
		n[r.Community]++
	}
	sort.SliceStable(f.Communities, func(i, j int) bool {
		a, b := f.Communities[i], f.Communities[j]
		return n[a] > n[b] || n[a] == n[b] && a < b
	})
	sort.Strings(f.Topics)
	sort.Strings(f.Sectors)
	return f
}

// Feedback is what the committee above made of an item.
type Feedback struct {
	Outcome State     `json:"outcome"`
	Text    string    `json:"text,omitempty"` // a leader's instruction (批示), or a note
	By      string    `json:"by,omitempty"`   // who gave it, as staff typed it
	At      time.Time `json:"at"`
}

// Step is one move of an item, for its history.
type Step struct {
	At    time.Time `json:"at"`
	By    int64     `json:"by"`
	State State     `json:"state"`
	Note  string    `json:"note,omitempty"`
}

// Item is one 社情民意信息.
type Item struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Facts Facts  `json:"facts"`
	// Quotes are 群众反映: residents' words, masked.
	Quotes []Quote `json:"quotes,omitempty"`
	// Evidence are consultations' results (征求意见), each as one masked line, shown under 群众反映.
	Evidence    []string `json:"evidence,omitempty"`
	Analysis    string   `json:"analysis"`    // 原因分析
	Suggestions string   `json:"suggestions"` // 意见建议
	// ByModel marks 原因分析 and 意见建议 as the LLM's draft, to be checked.
	ByModel bool   `json:"by_model,omitempty"`
	Org     string `json:"org"` // 报送单位
	// Concerns are the linked concerns; Group the 共性问题 group it came from
	// (DAY#N: the Nth group of that day's digest).
	Concerns []string `json:"concerns"`
	Group    string   `json:"group,omitempty"`
	Sector   string   `json:"sector,omitempty"`
	Topic    string   `json:"topic,omitempty"`
	Urgent   bool     `json:"urgent,omitempty"` // 急报
	// AdminsOnly is set when a linked concern is sensitive: only admins see it.
	AdminsOnly bool  `json:"admins_only,omitempty"`
	State      State `json:"state"`
	// Year and Number are its issue (〔Year〕第Number期), given when signed.
	Year      int       `json:"year,omitempty"`
	Number    int       `json:"number,omitempty"`
	SentTo    string    `json:"sent_to,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Feedback  *Feedback `json:"feedback,omitempty"`
	Told      int       `json:"told,omitempty"` // reporters told of the feedback
	Created   time.Time `json:"created"`
	CreatedBy int64     `json:"created_by"`
	History   []Step    `json:"history"`
}

// Issue is the item's issue number, as 〔2026〕第3期; empty until signed.
func (it *Item) Issue(lang string) string {
	if it.Number == 0 {
		return ""
	}
	return locale.Default().Render(lang, "info_issue", "year", strconv.Itoa(it.Year), "n", strconv.Itoa(it.Number))
}

// Situation is 基本情况 in lang, told from the figures.
func (it *Item) Situation(lang string, loc *time.Location) string {
	f, cat := it.Facts, locale.Default()
	where := strings.Join(f.Communities, "、")
	if where == "" {
		where = cat.Render(lang, "info_where_unknown")
	}
	first, last := f.First.In(loc), f.Last.In(loc)
	when := cat.Render(lang, "info_when_day", "day", Day(lang, first))
	if first.YearDay() != last.YearDay() || first.Year() != last.Year() {
		when = cat.Render(lang, "info_when_span", "from", Day(lang, first), "to", Day(lang, last))
	}
	topics := strings.Join(f.Topics, "、")
	if topics == "" {
		topics = cat.Render(lang, "info_topics_unknown") // no concern tagged yet
	}
	s := cat.Render(lang, "info_situation", "when", when,
		"concerns", strconv.Itoa(f.Concerns), "residents", strconv.Itoa(f.Residents), "where", where,
		"communities", strconv.Itoa(len(f.Communities)), "topics", topics,
		"closed", strconv.Itoa(f.Closed), "open", strconv.Itoa(f.Concerns-f.Closed))
	if f.Urgent > 0 {
		s += cat.Render(lang, "info_situation_urgent", "n", strconv.Itoa(f.Urgent))
	}
	return s
}

// Length is how many characters the item's text runs to.
func (it *Item) Length() int {
	n := utf8.RuneCountInString(it.Title) + utf8.RuneCountInString(it.Situation("zh", time.UTC)) +
		utf8.RuneCountInString(it.Analysis) + utf8.RuneCountInString(it.Suggestions)
	for _, q := range it.Quotes {
		n += utf8.RuneCountInString(q.Text)
	}
	for _, e := range it.Evidence {
		n += utf8.RuneCountInString(e)
	}
	return n
}

// Warning is what makes an item a poorer 信息, said before it is signed.
type Warning string

// The warnings.
const (
	WarnTopics Warning = "info_warn_topics" // the concerns span several topics: not 一事一议
	WarnLength Warning = "info_warn_length" // past MaxLength characters
)

// Warnings says what is wrong with the item as it stands.
func (it *Item) Warnings() []Warning {
	var w []Warning
	if len(it.Facts.Topics) > 1 {
		w = append(w, WarnTopics)
	}
	if it.Length() > MaxLength {
		w = append(w, WarnLength)
	}
	return w
}

// Warn words a warning in lang.
func (it *Item) Warn(lang string, w Warning) string {
	return locale.Default().Render(lang, locale.Key(w), "topics", strings.Join(it.Facts.Topics, "、"),
		"n", strconv.Itoa(it.Length()), "max", strconv.Itoa(MaxLength))
}

// Editable reports whether the item's words may still change: until it is signed.
func (it *Item) Editable() bool { return it.State == Draft || it.State == Review }

// Lag is the time from its first concern to 报送 (0 until sent).
func (it *Item) Lag() time.Duration {
	if it.SentAt.IsZero() || it.Facts.First.IsZero() {
		return 0
	}
	return it.SentAt.Sub(it.Facts.First)
}

// MoveError is a move the states do not allow.
type MoveError struct {
	From, To State
	// Admin is set when the move is an admin's to make.
	Admin bool
}

func (e *MoveError) Error() string {
	if e.Admin {
		return fmt.Sprintf("info: only an admin may move %s to %s", e.From, e.To)
	}
	return fmt.Sprintf("info: %s cannot become %s", e.From, e.To)
}

// CanMove says whether an item in from may move to to, by an admin or not:
// 草稿 → 待审核 → 已签发 (admins only; they may sign a draft at once) → 已报送
// → one outcome; a reviewer may send a submitted item back to 草稿.
func CanMove(from, to State, admin bool) error {
	ok := false
	switch to {
	case Review:
		ok = from == Draft
	case Draft:
		ok = from == Review
	case Signed:
		if (from == Draft || from == Review) && !admin {
			return &MoveError{From: from, To: to, Admin: true}
		}
		ok = from == Draft || from == Review
	case Sent:
		ok = from == Signed
	case Adopted, Instructed, Referred, NotAdopted:
		ok = from == Sent
	}
	if !ok {
		return &MoveError{From: from, To: to}
	}
	return nil
}

// Move moves the item, keeping the step in its history.
func (it *Item) Move(to State, by int64, at time.Time, note string, admin bool) error {
	if err := CanMove(it.State, to, admin); err != nil {
		return err
	}
	it.State = to
	it.History = append(it.History, Step{At: at, By: by, State: to, Note: note})
	return nil
}

// QuoteOf is a concern's words as a quote: masked, on one line, at most 120 characters.
func QuoteOf(r *concern.Report) Quote {
	return Quote{Concern: r.ID, Text: concern.Excerpt(r.MaskedText(), 120)}
}
