package flows

import (
	"maps"
	"slices"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// Answer is what a step collected.
type Answer struct {
	Text     string            `json:"text,omitempty"`
	Choice   string            `json:"choice,omitempty"`
	Photos   []string          `json:"photos,omitempty"`
	Location *concern.Location `json:"location,omitempty"`
	Contact  *Contact          `json:"contact,omitempty"`
	Skipped  bool              `json:"skipped,omitempty"`
}

// FlowState is a flow in progress.
type FlowState struct {
	Flow    string `json:"flow"`
	Version int    `json:"version"`
	DraftID string `json:"draft_id"`
	// Token ties buttons to this run of the flow, so old buttons cannot act on a new draft.
	Token   string            `json:"token"`
	Step    int               `json:"step"`
	Answers map[string]Answer `json:"answers,omitempty"`
	// Editing is set when the resident went back from the summary to change one step.
	Editing bool      `json:"editing,omitempty"`
	Started time.Time `json:"started"`
}

// Session is everything the engine remembers about one chat.
type Session struct {
	// Lang is the language chosen with /lang; empty means follow the client.
	Lang string     `json:"lang,omitempty"`
	Flow *FlowState `json:"flow,omitempty"`
	// Pending is a menu action waiting for the resident to confirm abandoning the draft.
	Pending    string    `json:"pending,omitempty"`
	LastActive time.Time `json:"last_active,omitzero"`
	// Expired is set when an idle draft was emptied at its expiry, so that the
	// resident hears of it when they write again.
	Expired bool `json:"expired,omitempty"`
	// Await is where the next text goes, outside a flow ("NAME PREFIX", from a
	// command's EffectResult.Await), until AwaitUntil; any command or button ends it.
	Await      string    `json:"await,omitempty"`
	AwaitUntil time.Time `json:"await_until,omitzero"`
}

// DraftTouched is when the session's draft was last touched, zero without one.
func (s Session) DraftTouched() time.Time {
	if s.Flow == nil {
		return time.Time{}
	}
	return s.LastActive
}

func (s Session) clone() Session {
	if s.Flow == nil {
		return s
	}
	f := *s.Flow
	f.Answers = maps.Clone(f.Answers)
	if f.Answers == nil { // a stored session without answers decodes to nil
		f.Answers = map[string]Answer{}
	}
	for k, a := range f.Answers {
		a.Photos = slices.Clone(a.Photos)
		f.Answers[k] = a
	}
	s.Flow = &f
	return s
}
