package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/telemetry"
)

// MaxText is Telegram's limit on a message's length, in UTF-16 code units.
const MaxText = 4096

// Send sends one message: a document, an edit of the message whose button was
// pressed (a new message when that one is gone), or a new message. Its errors
// say what the scheduler should do: dispatch.ErrUnreachable (403: the chat
// blocked the bot), *dispatch.RetryAfterError (429), a passing failure (5xx, no
// answer) to try again, or dispatch.ErrRefused (400, and anything else).
func (t *Transport) Send(ctx context.Context, o dispatch.Out) error {
	ctx = telemetry.WithUpdate(ctx, o.InputID)
	m := o.Message
	var err error
	switch {
	case m.Document != nil:
		_, err = t.tg.SendDocument(ctx, &tgbot.SendDocumentParams{
			ChatID:   o.ChatID,
			Document: &models.InputFileUpload{Filename: m.Document.Name, Data: bytes.NewReader(m.Document.Data)},
			Caption:  m.Text,
		})
	case o.EditID != 0 && m.Edit && editable(m):
		var done bool
		if done, err = t.edit(ctx, o); err == nil && !done {
			_, err = t.tg.SendMessage(ctx, render(o.ChatID, m))
		}
	default:
		_, err = t.tg.SendMessage(ctx, render(o.ChatID, m))
	}
	return t.outcome(err)
}

// Answer stops the spinner on a pressed button, showing text on it when there is some.
func (t *Transport) Answer(ctx context.Context, _ int64, callbackID, text string) error {
	_, err := t.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: callbackID, Text: text})
	return t.outcome(err)
}

// outcome maps a Bot API call's error to what the scheduler does with it, and counts it.
func (t *Transport) outcome(err error) error {
	if err == nil {
		return nil
	}
	t.metrics.TelegramError(errorCode(err))
	var (
		tooMany *tgbot.TooManyRequestsError
		migrate *tgbot.MigrateError
	)
	switch {
	case errors.As(err, &migrate):
		// the group became a supergroup under a new id: nothing sent to the old one
		// arrives, and dropping it would lose alerts; kept and tried again until
		// the setting is changed
		return fmt.Errorf("the group is now a supergroup with id %d: set MINYI_STAFF_CHAT (or the digest chat) to it; kept to try again: %v", migrate.MigrateToChatID, redactToken(err, t.token))
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		// the token was revoked or is wrong: every message would be refused alike,
		// so none is skipped; they wait for a good token
		return fmt.Errorf("telegram refuses the bot's token: check MINYI_TELEGRAM_TOKEN; kept to try again: %v", redactToken(err, t.token))
	case errors.As(err, &tooMany):
		return &dispatch.RetryAfterError{After: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, Err: err}
	case errors.Is(err, tgbot.ErrorForbidden):
		return fmt.Errorf("%w: %v", dispatch.ErrUnreachable, err)
	case errors.Is(err, tgbot.ErrorBadRequest):
		return fmt.Errorf("%w: %v", dispatch.ErrRefused, err)
	}
	var (
		server *ServerError
		netErr net.Error
	)
	if errors.As(err, &server) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return redactToken(err, t.token) // passing: tried again
	}
	// anything else (409, an answer that cannot be read) will not change by
	// trying again, and may have been sent: skipped
	return fmt.Errorf("%w: %v", dispatch.ErrRefused, redactToken(err, t.token))
}

// edit puts the message in place of the one whose button was pressed. It
// reports false when that cannot be done (the message is gone), for it to be
// sent as a new one. Telegram's "not modified" means an earlier try did it.
func (t *Transport) edit(ctx context.Context, o dispatch.Out) (bool, error) {
	p := render(o.ChatID, o.Message)
	params := &tgbot.EditMessageTextParams{ChatID: o.ChatID, MessageID: o.EditID, Text: p.Text, ParseMode: p.ParseMode}
	if kb, ok := p.ReplyMarkup.(*inlineKeyboard); ok {
		params.ReplyMarkup = kb
	}
	_, err := t.tg.EditMessageText(ctx, params)
	switch {
	case err == nil, errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified"):
		return true, nil
	case errors.Is(err, tgbot.ErrorBadRequest) && !errors.Is(err, tgbot.ErrorForbidden):
		t.log.Info("message to edit unavailable; sending a new one", "chat", o.ChatID, "input", o.InputID, "err", err)
		return false, nil
	}
	return false, err
}

// editable reports whether m can replace a message: edits carry only inline
// buttons and must fit in one message.
func editable(m flows.Message) bool {
	_, rest := cut(m.Text, MaxText)
	return rest == "" && len(m.Reply) == 0 && !m.RemoveReply && m.Document == nil
}

// Split cuts a message over Telegram's limit into several, each counted and sent
// on its own; the keyboard goes with the last, and a message cut in parts is
// sent anew rather than put in place of another.
func (t *Transport) Split(m flows.Message) []flows.Message {
	if m.Document != nil {
		return []flows.Message{m}
	}
	var out []flows.Message
	text := m.Text
	for {
		head, rest := cut(text, MaxText)
		if rest == "" {
			last := m
			last.Text = head
			if len(out) > 0 {
				last.Edit = false
			}
			return append(out, last)
		}
		out = append(out, flows.Message{Text: head, HTML: m.HTML, Prompt: m.Prompt})
		text = rest
	}
}

// call makes one Bot API call that is not a message (the bot's menus and
// profile), retrying what is worth retrying.
func (t *Transport) call(ctx context.Context, fn func(context.Context) error) error {
	wait := backoff.Backoff{Min: 500 * time.Millisecond, Max: 8 * time.Second}
	var err error
	for attempt := 1; attempt <= t.attempts; attempt++ {
		err = fn(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t.metrics.TelegramError(errorCode(err))
		var (
			tooMany *tgbot.TooManyRequestsError
			server  *ServerError
			netErr  net.Error
		)
		switch {
		case errors.As(err, &tooMany):
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			t.log.WarnContext(ctx, "telegram asks to slow down", "retry_after", wait)
			t.pause(ctx, wait)
		case errors.As(err, &server), errors.As(err, &netErr):
			d := wait.Next()
			t.log.WarnContext(ctx, "telegram unavailable; retrying", "err", redactToken(err, t.token), "attempt", attempt, "wait", d)
			t.pause(ctx, d)
		default:
			return redactToken(err, t.token) // refused: retrying will not help
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", t.attempts, redactToken(err, t.token))
}

// errorCode is the Bot API's error code of a failed call, 0 when no answer came.
func errorCode(err error) int {
	var (
		tooMany *tgbot.TooManyRequestsError
		server  *ServerError
		migrate *tgbot.MigrateError
	)
	switch {
	case errors.As(err, &tooMany):
		return http.StatusTooManyRequests
	case errors.As(err, &migrate):
		return http.StatusBadRequest
	case errors.As(err, &server):
		return server.Status
	case errors.Is(err, tgbot.ErrorForbidden):
		return http.StatusForbidden
	case errors.Is(err, tgbot.ErrorBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, tgbot.ErrorNotFound):
		return http.StatusNotFound
	case errors.Is(err, tgbot.ErrorConflict):
		return http.StatusConflict
	}
	return 0
}

// cut splits s after at most n UTF-16 code units, at a line break when there is one.
func cut(s string, n int) (string, string) {
	units, lastBreak := 0, -1
	for i, r := range s {
		units += len(utf16.Encode([]rune{r}))
		if units > n {
			if lastBreak > 0 {
				return s[:lastBreak], s[lastBreak:]
			}
			return s[:i], s[i:]
		}
		if r == '\n' {
			lastBreak = i + 1
		}
	}
	return s, ""
}

// render turns a message into sendMessage parameters. Text goes out plain, never
// as Markdown, so nothing a resident typed can change its formatting; digests go
// out as HTML, built with every piece of text escaped.
func render(chatID int64, m flows.Message) *tgbot.SendMessageParams {
	p := &tgbot.SendMessageParams{ChatID: chatID, Text: m.Text}
	if m.HTML {
		p.ParseMode = models.ParseModeHTML // digests only: their text is escaped as it is built
	}
	switch {
	case len(m.Inline) > 0:
		kb := &inlineKeyboard{}
		for _, row := range m.Inline {
			var r []callbackButton
			for _, b := range row {
				r = append(r, callbackButton{Text: b.Label, CallbackData: b.Data})
			}
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
		p.ReplyMarkup = kb
	case len(m.Reply) > 0:
		// one-time: the keyboard hides once used, so that no message is needed to take it away
		kb := &models.ReplyKeyboardMarkup{ResizeKeyboard: true, OneTimeKeyboard: true}
		for _, row := range m.Reply {
			var r []models.KeyboardButton
			for _, b := range row {
				r = append(r, models.KeyboardButton{Text: b.Label, RequestContact: b.Request == "contact", RequestLocation: b.Request == "location"})
			}
			kb.Keyboard = append(kb.Keyboard, r)
		}
		p.ReplyMarkup = kb
	case m.RemoveReply:
		p.ReplyMarkup = &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	return p
}

// inlineKeyboard is Telegram's InlineKeyboardMarkup with only what minyi uses: the
// library's button type always sends an empty copy_text, which the Bot API can
// refuse (BUTTON_COPY_TEXT_INVALID, go-telegram/bot#167).
type inlineKeyboard struct {
	InlineKeyboard [][]callbackButton `json:"inline_keyboard"`
}

type callbackButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}
