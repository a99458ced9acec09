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

	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/telemetry"
)

// MaxText is Telegram's limit on a message's length, in UTF-16 code units.
const MaxText = 4096

// Deliver sends the replies to one input, in order. It gives up on a chat that
// blocked the bot (returning inbox.ErrUnreachable), skips a message Telegram
// refuses as malformed, and otherwise retries until its attempts run out.
func (t *Transport) Deliver(ctx context.Context, d inbox.Delivery) error {
	ctx = telemetry.WithUpdate(ctx, d.InputID)
	if d.CallbackID != "" {
		toast := ""
		for _, m := range d.Messages {
			if m.Toast {
				toast = m.Text
			}
		}
		t.answerCallback(ctx, d.CallbackID, toast, false)
	}
	for _, m := range d.Messages {
		if m.Toast && d.CallbackID != "" {
			continue // said on the button
		}
		if m.Document != nil {
			err := t.call(ctx, func(ctx context.Context) error {
				_, err := t.tg.SendDocument(ctx, &tgbot.SendDocumentParams{
					ChatID:   d.ChatID,
					Document: &models.InputFileUpload{Filename: m.Document.Name, Data: bytes.NewReader(m.Document.Data)},
					Caption:  m.Text,
				})
				return err
			})
			if errors.Is(err, tgbot.ErrorForbidden) {
				return fmt.Errorf("chat %d: %w: %v", d.ChatID, inbox.ErrUnreachable, err)
			}
			if err != nil {
				t.log.Error("telegram refused a document; skipped", "chat", d.ChatID, "input", d.InputID, "file", m.Document.Name, "err", err)
			}
			continue
		}
		if m.Edit && d.MessageID != 0 && editable(m) {
			done, err := t.edit(ctx, d, m)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		for _, params := range split(d.ChatID, m) {
			err := t.call(ctx, func(ctx context.Context) error {
				_, err := t.tg.SendMessage(ctx, params)
				return err
			})
			switch {
			case err == nil:
			case errors.Is(err, tgbot.ErrorForbidden):
				return fmt.Errorf("chat %d: %w: %v", d.ChatID, inbox.ErrUnreachable, err)
			case errors.Is(err, tgbot.ErrorBadRequest):
				t.log.Error("telegram refused a message; skipped", "chat", d.ChatID, "input", d.InputID, "err", err)
			default:
				return fmt.Errorf("chat %d: %w", d.ChatID, err)
			}
		}
	}
	return nil
}

// edit puts m in place of the message whose button was pressed. It reports false
// when that cannot be done (the message is gone), for m to be sent as a new one.
// Telegram's "not modified" means an earlier attempt did it: the edit is done.
func (t *Transport) edit(ctx context.Context, d inbox.Delivery, m flows.Message) (bool, error) {
	p := render(d.ChatID, m)
	params := &tgbot.EditMessageTextParams{ChatID: d.ChatID, MessageID: d.MessageID, Text: p.Text, ParseMode: p.ParseMode}
	if kb, ok := p.ReplyMarkup.(*inlineKeyboard); ok {
		params.ReplyMarkup = kb
	}
	err := t.call(ctx, func(ctx context.Context) error {
		_, err := t.tg.EditMessageText(ctx, params)
		return err
	})
	switch {
	case err == nil, errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified"):
		return true, nil
	case errors.Is(err, tgbot.ErrorForbidden):
		return false, fmt.Errorf("chat %d: %w: %v", d.ChatID, inbox.ErrUnreachable, err)
	case errors.Is(err, tgbot.ErrorBadRequest):
		t.log.Info("message to edit unavailable; sending a new one", "chat", d.ChatID, "input", d.InputID, "err", err)
		return false, nil
	}
	return false, fmt.Errorf("chat %d: %w", d.ChatID, err)
}

// editable reports whether m can replace a message: edits carry only inline
// buttons and must fit in one message.
func editable(m flows.Message) bool {
	_, rest := cut(m.Text, MaxText)
	return rest == "" && len(m.Reply) == 0 && !m.RemoveReply && m.Document == nil
}

// answerCallback stops the spinner on a pressed button. A query too old to answer
// is no reason to hold the replies back, so failures are only logged.
func (t *Transport) answerCallback(ctx context.Context, id, text string, alert bool) {
	err := t.call(ctx, func(ctx context.Context) error {
		_, err := t.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: alert})
		return err
	})
	if err != nil {
		t.log.DebugContext(ctx, "answerCallbackQuery", "err", err)
	}
}

// call makes one Bot API call under the rate limit, retrying what is worth retrying.
func (t *Transport) call(ctx context.Context, fn func(context.Context) error) error {
	backoff := 500 * time.Millisecond
	var err error
	for attempt := 1; attempt <= t.attempts; attempt++ {
		if werr := t.limit.Wait(ctx); werr != nil {
			return werr
		}
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
			t.log.WarnContext(ctx, "telegram unavailable; retrying", "err", redactToken(err, t.token), "attempt", attempt, "wait", backoff)
			t.pause(ctx, backoff)
			backoff *= 2
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
	)
	switch {
	case errors.As(err, &tooMany):
		return http.StatusTooManyRequests
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

// split renders a message, cutting text over Telegram's limit into several
// messages; the keyboard goes with the last.
func split(chatID int64, m flows.Message) []*tgbot.SendMessageParams {
	var out []*tgbot.SendMessageParams
	text := m.Text
	for {
		head, rest := cut(text, MaxText)
		if rest == "" {
			out = append(out, render(chatID, flows.Message{Text: head, Inline: m.Inline, Reply: m.Reply, RemoveReply: m.RemoveReply, HTML: m.HTML}))
			return out
		}
		out = append(out, render(chatID, flows.Message{Text: head, HTML: m.HTML}))
		text = rest
	}
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
