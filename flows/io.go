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
	InputEvent    InputKind = "event"    // something happened elsewhere that this chat is told of
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

	Event *Event `json:"event,omitempty"`

	// CallbackID is the transport's handle of a pressed button, to be answered.
	CallbackID string `json:"callback_id,omitempty"`
	// MessageID is the transport's handle of the message whose button was pressed.
	MessageID int `json:"message_id,omitempty"`

	// The sender's role, and a grid worker's community and grid, as the runner found them.
	Role      concern.Role `json:"role,omitempty"`
	Community string       `json:"community,omitempty"`
	Grid      string       `json:"grid,omitempty"`
	// Group is set for a message in a group chat (the staff chat), not a private one.
	Group bool `json:"group,omitempty"`
	// Throttled is set by the runner when the sender is over their message limit:
	// the engine says so and does nothing else.
	Throttled bool `json:"throttled,omitempty"`
}

// EventType names what an event tells.
type EventType string

// The events a chat can be told of.
const (
	EventStatus     EventType = "status"      // a concern the chat reported or filed changed
	EventAlert      EventType = "alert"       // an urgent concern, for the staff chat
	EventRole       EventType = "role"        // the user's role was given or taken away
	EventDigest     EventType = "digest"      // the scheduled digest is due in this chat
	EventDeadLetter EventType = "dead_letter" // a queued concern failed too often, for staff
	EventExpire     EventType = "expire"      // the chat's draft may have sat idle past its expiry
	EventAdvice     EventType = "advice"      // a concern the chat reported was judged urgent after its receipt
	EventReply      EventType = "reply"       // staff answered a concern the chat reported or filed (Note)
	EventReported   EventType = "reported"    // a concern the chat reported or filed went into a 信息 to the committee above (Info: what became of it)
	EventConsult    EventType = "consult"     // the committee asks the chat's views (Consult); sent at the lowest priority
	EventOutcome    EventType = "outcome"     // what came of a consultation the chat answered (Consult.Outcome)
)

// Consult is a consultation as an invitation shows it.
type Consult struct {
	ID      int64             `json:"id"`
	Title   string            `json:"title"`
	Intro   string            `json:"intro,omitempty"`
	Closes  time.Time         `json:"closes"`
	Ask     []ConsultQuestion `json:"ask,omitempty"`
	Outcome string            `json:"outcome,omitempty"`
}

// ConsultQuestion is one question: its kind (single, multi, rating, text), words and options.
type ConsultQuestion struct {
	Kind    string   `json:"kind"`
	Text    string   `json:"text"`
	Options []string `json:"options,omitempty"`
}

// Event is news for a chat from outside its own conversation.
type Event struct {
	Type    EventType      `json:"type"`
	Concern string         `json:"concern,omitempty"`
	Status  concern.Status `json:"status,omitempty"`
	Note    string         `json:"note,omitempty"`
	Unit    string         `json:"unit,omitempty"`
	Other   string         `json:"other,omitempty"`
	Excerpt string         `json:"excerpt,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Place   string         `json:"place,omitempty"`
	// Filed is set when the recipient filed the concern on a resident's behalf.
	Filed bool `json:"filed,omitempty"`
	// Rate asks the recipient to rate the concern's handling.
	Rate bool `json:"rate,omitempty"`
	// Count numbers an alert's repetitions.
	Count int `json:"count,omitempty"`
	// Hazard is an urgent concern's kind of danger (an alert's, or the advice's).
	Hazard string `json:"hazard,omitempty"`
	// ByModel marks an alert the LLM judged urgent, not the rules: staff are asked to confirm.
	ByModel bool `json:"by_model,omitempty"`
	// AdminsOnly marks an alert for admins privately (collective action).
	AdminsOnly bool `json:"admins_only,omitempty"`
	// Escalated marks an alert gone to an admin because nobody acknowledged it
	// since Raised.
	Escalated bool      `json:"escalated,omitempty"`
	Raised    time.Time `json:"raised,omitzero"`
	// Channel and Members are set on an alert that gathers a storm: the urgent
	// concerns of one channel past its limit in a minute.
	Channel string         `json:"channel,omitempty"`
	Members []string       `json:"members,omitempty"`
	Member  concern.Member `json:"member,omitzero"`
	// From, To and Late describe a scheduled digest.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Late bool   `json:"late,omitempty"`
	// Info is what became of the 信息 a concern went into (sent, adopted, instructed…).
	Info string `json:"info,omitempty"`
	// Consult is the consultation of an invitation or its outcome.
	Consult *Consult `json:"consult,omitempty"`
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
	// HTML marks Text as Telegram HTML (digests); otherwise it is plain.
	HTML bool `json:"html,omitempty"`
	// Document, when set, is a file sent with Text as its caption.
	Document *Document `json:"document,omitempty"`
	// Edit replaces the message whose button led here, when there is one, rather
	// than sending a new one: sent twice (after a crash), it still shows once.
	Edit bool `json:"edit,omitempty"`
	// Toast answers the pressed button with Text in a small notice instead of a
	// message (nothing is posted into a group); without a button it is sent as a message.
	Toast bool `json:"toast,omitempty"`
	// Prompt marks a message that asks for a step of a flow: when a newer answer
	// to the chat is ready before it is sent, it no longer asks for anything
	// and is not sent.
	Prompt bool `json:"prompt,omitempty"`
}

// Document is a file to send.
type Document struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// EffectKind names work the engine asks the runner to do.
type EffectKind string

// Effects the engine may ask for.
const (
	EffectSubmit   EffectKind = "submit"    // write the draft to the intake queue
	EffectListMine EffectKind = "list_mine" // fetch the user's own concerns
	EffectCommand  EffectKind = "command"   // a staff, grid or account command
)

// Effect is I/O the pure engine cannot do; its outcome comes back as an InputResult.
type Effect struct {
	Kind  EffectKind `json:"kind"`
	Draft *Draft     `json:"draft,omitempty"`
	// Command, for EffectCommand, names a command of the registry (Commands) and
	// Line is what followed it, as typed; for a button, the button's data after
	// its kind; for an event, empty (the command reads the event).
	Command string `json:"command,omitempty"`
	Line    string `json:"line,omitempty"`
}

// EffectResult is the outcome of an Effect.
type EffectResult struct {
	Kind EffectKind `json:"kind"`
	// Failed is set when the effect could not be done (e.g. the store was unreachable).
	Failed    bool   `json:"failed,omitempty"`
	ConcernID string `json:"concern_id,omitempty"`
	// Urgent is set when a submitted concern was screened as an emergency: the
	// receipt starts with what to do now for Hazard (one of the screening's
	// hazards; empty for a danger of no known kind) and says staff are alerted.
	Urgent   bool              `json:"urgent,omitempty"`
	Hazard   string            `json:"hazard,omitempty"`
	Concerns []concern.Summary `json:"concerns,omitempty"`
	// Total counts all of the user's concerns when Concerns holds only the latest.
	Total int `json:"total,omitempty"`
	// Refused names why a submission was not taken (the catalog key).
	Refused string `json:"refused,omitempty"`
	Count   int    `json:"count,omitempty"`

	// Messages are a command's answer, sent as they are.
	Messages []Message `json:"messages,omitempty"`
	// Menu puts the main menu under the last of Messages.
	Menu bool `json:"menu,omitempty"`
	// Help follows the last of Messages with the help of this role.
	Help concern.Role `json:"help,omitempty"`
	// Reprompt follows Messages with what the chat was asked last (an unknown
	// command, a command refused to the sender's role).
	Reprompt bool `json:"reprompt,omitempty"`
	// Await sends the chat's next text, outside a flow, to a command: "NAME PREFIX"
	// (a free-text answer to a consultation's question).
	Await string `json:"await,omitempty"`
}

// Draft is a finished flow's answers, ready to be submitted.
type Draft struct {
	ID      string    `json:"id"`
	Flow    string    `json:"flow"`
	Version int       `json:"version"`
	Started time.Time `json:"started"`
	// Fields holds the answers by the field they fill (text, photos, place, contact…).
	Fields map[string]Answer `json:"fields"`
	// Map is how the fields become a concern, and Roles who may submit it, as the flow declares.
	Map   ConcernMap     `json:"map"`
	Roles []concern.Role `json:"roles,omitempty"`
	// Custom are the answers to the office's own questions, as the concern keeps them.
	Custom []concern.CustomField `json:"custom,omitempty"`
}

// Value is the answer that fills a concern's attribute (Attr…).
func (d *Draft) Value(attr string) Answer { return d.Fields[d.Map.Fields[attr]] }

// Result is what one Step produced.
type Result struct {
	Session  Session
	Messages []Message
	// Effect, when set, must be carried out and its outcome fed back with Step.
	Effect *Effect
}
