// Package dispatch sends the bot's messages within Telegram's limits: a budget
// of messages a second for the whole bot (shared through Redis by every
// instance), about one a second into one chat and twenty a minute into a group.
// What waits is sent by priority class — staff alerts, then answers to what a
// resident just did, then case notices, then digests — with chats taking turns
// within a class; a 429 pauses all sending for as long as Telegram asks.
//
// Each chat's messages go out in order, one at a time. A step's prompt that a
// newer answer to the same chat has made obsolete is dropped before it is sent;
// nothing else is (receipts, alerts and notices always go). A pressed button is
// answered at once, whatever waits behind the budget, so that its spinner stops.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minyi-project/minyi/flows"
)

// Class says how soon a delivery must go when the budget is short.
type Class string

// The classes, most urgent first. The empty class is an answer (as the outbox
// entries of an earlier version are).
const (
	// ClassAlert is staff alerts, and a resident's own safety advice.
	ClassAlert Class = "alert"
	// ClassAnswer is the answer to what a resident just did: the next step, a receipt.
	ClassAnswer Class = "answer"
	// ClassNotice is news of a case: a status changed, a role given.
	ClassNotice Class = "notice"
	// ClassBulk is digests and broadcasts.
	ClassBulk Class = "bulk"
)

// classes in the order they are served.
var classes = [...]Class{ClassAlert, ClassAnswer, ClassNotice, ClassBulk}

// rank is a class's place in the order of service.
func (c Class) rank() int {
	switch c {
	case ClassAlert:
		return 0
	case ClassNotice:
		return 2
	case ClassBulk:
		return 3
	}
	return 1
}

func (c Class) String() string { return string(classes[c.rank()]) }

// Delivery is the replies to one input, to be sent in order.
type Delivery struct {
	ChatID  int64  `json:"chat"`
	InputID string `json:"input"`
	// CallbackID, when set, is a pressed button to be answered.
	CallbackID string `json:"callback,omitempty"`
	// MessageID is the message whose button was pressed, for replies that edit it.
	MessageID int             `json:"message,omitempty"`
	Messages  []flows.Message `json:"messages,omitempty"`
	Class     Class           `json:"class,omitempty"`
}

// Out is one message to send.
type Out struct {
	ChatID  int64
	InputID string
	// EditID is the message this one takes the place of (flows.Message.Edit), or 0.
	EditID  int
	Message flows.Message
}

// Transport sends to one chat service. Its errors tell the scheduler what to do:
// ErrUnreachable (the chat blocked the bot), ErrRefused (this message will never
// be taken), a *RetryAfterError (slow down); anything else is tried again.
type Transport interface {
	Send(ctx context.Context, o Out) error
	// Answer answers a pressed button, with text shown on it when not empty.
	Answer(ctx context.Context, chatID int64, callbackID, text string) error
}

// Splitter is a Transport that cuts a message too long for it into several,
// each of which then counts against the limits.
type Splitter interface {
	Split(m flows.Message) []flows.Message
}

// Observer is a Transport that is told when each delivery is done with: sent,
// dropped, or given up on with err.
type Observer interface {
	Delivered(d Delivery, err error)
}

// ErrUnreachable is a chat that can no longer be reached (the user blocked the bot).
var ErrUnreachable = errors.New("chat unreachable")

// ErrRefused is a message the service will never take (malformed, too long);
// it is skipped.
var ErrRefused = errors.New("message refused")

// RetryAfterError is the service asking for no more messages for After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %v: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }
