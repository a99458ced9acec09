package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/minyi-project/minyi/flows"
)

// MaxWebhookBody is the largest webhook request accepted; real updates are far smaller.
const MaxWebhookBody = 1 << 20

// ErrTokenRejected means Telegram does not know the bot's token.
var ErrTokenRejected = errors.New("telegram rejected the bot token (check MINYI_TELEGRAM_TOKEN)")

// Poll receives updates by long polling until ctx ends. An update's offset is
// confirmed to Telegram only after the inbox took it, so a crash loses nothing:
// Telegram hands unconfirmed updates out again and the inbox drops repeats.
func (t *Transport) Poll(ctx context.Context) error {
	var offset int64
	wait, ingestWait := time.Duration(0), time.Duration(0)
	for ctx.Err() == nil {
		updates, err := t.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrTokenRejected) {
				return err
			}
			wait = min(max(2*wait, 500*time.Millisecond), 30*time.Second)
			t.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			t.pause(ctx, wait)
			continue
		}
		wait = 0
		if len(updates) == 0 {
			continue
		}
		var inputs []flows.Input
		for _, u := range updates {
			if in, ok := toInput(u, t.now(), t.staffChat); ok {
				inputs = append(inputs, in)
			} else {
				t.log.Debug("update ignored", "update", u.ID)
			}
		}
		// the offset moves only once the inbox has the batch; until then the batch is
		// fetched again, with whatever came since, so that those writers are told too
		if len(inputs) > 0 {
			if err := t.ingest(ctx, inputs); err != nil {
				ingestWait = min(max(2*ingestWait, 250*time.Millisecond), 5*time.Second)
				t.pause(ctx, ingestWait)
				continue
			}
		}
		ingestWait = 0
		offset = updates[len(updates)-1].ID + 1
	}
	return nil
}

// ingest persists inputs; when the store is down it tells each chat once a minute
// that the service is busy, and the caller keeps the updates to try again.
func (t *Transport) ingest(ctx context.Context, inputs []flows.Input) error {
	_, err := t.ing.Ingest(ctx, inputs...)
	if err == nil {
		return nil
	}
	t.log.Warn("inbox unavailable; updates held for retry", "err", err, "updates", len(inputs))
	t.tellBusy(inputs)
	return err
}

func (t *Transport) tellBusy(inputs []flows.Input) {
	now := time.Now()
	t.mu.Lock()
	var tell []flows.Input
	for _, in := range inputs {
		if last, ok := t.told[in.ChatID]; ok && now.Sub(last) < time.Minute {
			continue
		}
		t.told[in.ChatID] = now
		tell = append(tell, in)
	}
	for chat, at := range t.told {
		if now.Sub(at) > time.Minute {
			delete(t.told, chat)
		}
	}
	t.mu.Unlock()
	for _, in := range tell {
		// straight to Telegram: the outbox lives in the store that is down
		t.tasks.Go(10*time.Second, func(ctx context.Context) {
			text := t.texts.Text(flows.LangOf(in.LangCode), "busy")
			if in.CallbackID != "" {
				t.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: in.CallbackID, Text: text, ShowAlert: true})
			}
			for {
				wait, err := t.budget.Take(ctx)
				if err != nil {
					return
				}
				if wait == 0 {
					break
				}
				t.pause(ctx, wait)
			}
			if _, err := t.tg.SendMessage(ctx, render(in.ChatID, flows.Message{Text: text})); err != nil {
				t.log.Warn("telling a chat the service is busy failed", "chat", in.ChatID, "err", err)
			}
		})
	}
}

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates is done here rather than through the library, whose loop confirms
// updates before they are handled.
func (t *Transport) getUpdates(ctx context.Context, offset int64) ([]*models.Update, error) {
	body, _ := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         int(t.poll / time.Second),
		"allowed_updates": allowedUpdates,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.apiURL+"/bot"+t.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", redactToken(err, t.token))
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d: %w", resp.StatusCode, err)
	}
	if !r.OK {
		switch r.ErrorCode {
		case http.StatusUnauthorized, http.StatusNotFound:
			return nil, ErrTokenRejected
		case http.StatusConflict:
			return nil, fmt.Errorf("getUpdates: another poller is running or a webhook is set: %s", r.Description)
		case http.StatusTooManyRequests:
			t.pause(ctx, time.Duration(r.Parameters.RetryAfter)*time.Second)
		}
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	var updates []*models.Update
	if err := json.Unmarshal(r.Result, &updates); err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	return updates, nil
}

// redactToken keeps the token, which is in every request URL, out of errors and
// logs, while errors.Is and errors.As still see the error underneath.
func redactToken(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), token, "***"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// WebhookHandler receives updates posted by Telegram. A request without the right
// secret token gets 401, a body over MaxWebhookBody 413, a malformed update 400;
// none of these reaches a flow. An update is answered 200 only once the inbox has
// it, and 503 when the store is down, so that Telegram delivers it again.
func (t *Transport) WebhookHandler(secret string) (http.Handler, error) {
	if secret == "" {
		return nil, errors.New("webhook needs a secret token")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			t.wrongSecret.note(t.log, r.RemoteAddr)
			http.Error(w, "wrong secret token", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		var u models.Update
		if err := json.Unmarshal(body, &u); err != nil || u.ID <= 0 {
			t.log.Warn("malformed webhook update", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		in, ok := toInput(&u, t.now(), t.staffChat)
		if !ok {
			t.log.Debug("update ignored", "update", u.ID)
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := t.ingest(r.Context(), []flows.Input{in}); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), nil
}

// tally logs something that may come in floods (requests with a wrong secret)
// at most once a minute: the first at once, then one line counting those since.
type tally struct {
	now    func() time.Time // time.Now unless a test sets it
	mu     sync.Mutex
	last   time.Time // when a line was last written
	count  int       // since then
	remote string    // the latest
}

func (c *tally) note(log *slog.Logger, remote string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	c.count++
	c.remote = remote
	if !c.last.IsZero() && now.Sub(c.last) < time.Minute {
		return
	}
	log.Warn("webhook requests with a wrong secret token", "count", c.count, "since", c.last, "latest_remote", c.remote)
	c.last, c.count = now, 0
}

// SetWebhook tells Telegram to post updates to url with the secret token.
func (t *Transport) SetWebhook(ctx context.Context, url, secret string) error {
	_, err := t.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: allowedUpdates})
	if err != nil {
		return fmt.Errorf("setWebhook: %w", err)
	}
	return nil
}

// DeleteWebhook stops webhook delivery so that polling can run; pending updates stay.
func (t *Transport) DeleteWebhook(ctx context.Context) error {
	if _, err := t.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{DropPendingUpdates: false}); err != nil {
		return fmt.Errorf("deleteWebhook: %w", err)
	}
	return nil
}
