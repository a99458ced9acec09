package flows

import (
	"time"

	"github.com/minyi-project/minyi/concern"
)

// InputKind says what a resident sent.
type InputKind string

// The kinds of input the engine understands.
const (
	InputText     InputKind = "text"     // a typed message; commands are texts starting with "/"
	InputButton   InputKind = "button"   // an inline button was pressed; Data holds its data
	InputPhoto    InputKind = "photo"    // a photo; Photo holds its file id
	InputLocation InputKind = "location" // a shared location
	InputContact  InputKind = "contact"  // a shared contact
	InputOther    InputKind = "other"    // anything else (sticker, voice, file…); Other names it
	InputResult   InputKind = "result"   // the outcome of an Effect, fed back by the runner
)

// Contact is a phone contact shared in the chat.
type Contact struct {
	Phone  string `json:"phone"`
	Name   string `json:"name,omitempty"`
	UserID int64  `json:"user_id,omitempty"`
}

// Input is one thing that happened in a chat, in transport-neutral form.
type Input struct {
	// ID is unique per input (e.g. "tg:123" for a Telegram update).
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Channel  string    `json:"channel"`
	ChatID   int64     `json:"chat_id"`
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user_name,omitempty"`
	// LangCode is the language the user's client reports (Telegram's language_code).
	LangCode string `json:"lang_code,omitempty"`

	Kind     InputKind         `json:"kind"`
	Text     string            `json:"text,omitempty"`
	Data     string            `json:"data,omitempty"`
	Photo    string            `json:"photo,omitempty"`
	Location *concern.Location `json:"location,omitempty"`
	Contact  *Contact          `json:"contact,omitempty"`
	Other    string            `json:"other,omitempty"`
	Result   *EffectResult     `json:"result,omitempty"`

	// CallbackID is the transport's handle of a pressed button, to be answered.
	CallbackID string `json:"callback_id,omitempty"`
}

// Button is one button of a keyboard.
type Button struct {
	Label string `json:"label"`
	// Data is sent back when an inline button is pressed.
	Data string `json:"data,omitempty"`
	// Request asks the client to share "contact" or "location" (reply keyboards only).
	Request string `json:"request,omitempty"`
}

// Message is one message the bot sends.
type Message struct {
	Text string `json:"text"`
	// Inline buttons sit under the message.
	Inline [][]Button `json:"inline,omitempty"`
	// Reply buttons replace the user's keyboard until removed.
	Reply [][]Button `json:"reply,omitempty"`
	// RemoveReply takes away a reply keyboard shown earlier.
	RemoveReply bool `json:"remove_reply,omitempty"`
}

// EffectKind names work the engine asks the runner to do.
type EffectKind string

// Effects the engine may ask for.
const (
	EffectSubmit   EffectKind = "submit"    // write the draft to the intake queue
	EffectListMine EffectKind = "list_mine" // fetch the user's own concerns
)

// Effect is I/O the pure engine cannot do; its outcome comes back as an InputResult.
type Effect struct {
	Kind  EffectKind `json:"kind"`
	Draft *Draft     `json:"draft,omitempty"`
}

// EffectResult is the outcome of an Effect.
type EffectResult struct {
	Kind EffectKind `json:"kind"`
	// Failed is set when the effect could not be done (e.g. the store was unreachable).
	Failed    bool              `json:"failed,omitempty"`
	ConcernID string            `json:"concern_id,omitempty"`
	Concerns  []concern.Summary `json:"concerns,omitempty"`
	// Total counts all of the user's concerns when Concerns holds only the latest.
	Total int `json:"total,omitempty"`
}

// Draft is a finished flow's answers, ready to be submitted.
type Draft struct {
	ID      string    `json:"id"`
	Flow    string    `json:"flow"`
	Version int       `json:"version"`
	Started time.Time `json:"started"`
	// Fields holds the answers by the field they fill (text, photos, place, contact…).
	Fields map[string]Answer `json:"fields"`
}

// Result is what one Step produced.
type Result struct {
	Session  Session
	Messages []Message
	// Effect, when set, must be carried out and its outcome fed back with Step.
	Effect *Effect
}
