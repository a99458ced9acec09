package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
)

// fakeAPI is the Bot API for the harness: it serves the residents' updates to
// getUpdates (or posts them to webhooks), takes every reply, and times each update
// from the moment it is offered to the first reply in its chat.
type fakeAPI struct {
	token string
	base  int64 // the first resident's chat id

	mu      sync.Mutex
	queue   []queued // offered, not yet confirmed by getUpdates' offset
	nextID  int64
	wake    chan struct{}
	chats   []*chatState
	samples []time.Duration

	trace io.Writer // every call's method and parameters, when set (-trace)

	// limits, when set, answers 429 past Telegram's own limits
	limits *telegramLimits
	// staff are the messages sent to the staff chat, for the alerts' latency
	staff    []staffMsg
	pressSeq int64

	msgID    atomic.Int64
	calls    atomic.Int64
	polls    atomic.Int64
	replies  atomic.Int64
	answered atomic.Int64 // updates that got a reply
	// toResidents counts messages sent or edited in residents' chats
	toResidents atomic.Int64
	answers     atomic.Int64 // answerCallbackQuery calls
	tooMany     atomic.Int64 // calls answered 429
	repeats     atomic.Int64 // updates residents sent again
}

type staffMsg struct {
	at   time.Time
	text string
}

type queued struct {
	id   int64
	body []byte
}

// chatState is one resident's chat as the fake sees it.
type chatState struct {
	mu      sync.Mutex
	offered time.Time // when the update now awaited was offered; zero once answered
	want    string    // the words or button label the resident waits for
	got     chan struct{}
	buttons map[string]button // the newest button of each label
	// heard is when the last message came, done when the resident last did something
	heard, done time.Time
	// receipts counts the receipts this resident got, the first at firstReceipt, for concern
	receipts     int
	firstReceipt time.Time
	concern      string
}

// quietSince is when the chat last saw anything: a message to the resident, or their own.
func (c *chatState) quietSince() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heard.After(c.done) {
		return c.heard
	}
	return c.done
}

type button struct {
	data   string // callback data; empty for a keyboard button (typed)
	text   string
	msg    int
	inline bool
}

func newFakeAPI(token string, base int64, residents int) *fakeAPI {
	f := &fakeAPI{token: token, base: base, wake: make(chan struct{}, 1)}
	f.chats = make([]*chatState, residents)
	for i := range f.chats {
		f.chats[i] = &chatState{got: make(chan struct{}, 1), buttons: map[string]button{}}
	}
	return f
}

func (f *fakeAPI) chat(id int64) *chatState {
	i := id - f.base
	if i < 0 || i >= int64(len(f.chats)) {
		return nil
	}
	return f.chats[i]
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	method := strings.TrimPrefix(r.URL.Path, "/bot"+f.token+"/")
	params := readParams(r)
	if f.trace != nil {
		b, _ := json.Marshal(params)
		f.mu.Lock()
		fmt.Fprintf(f.trace, "%s %s\n", method, b)
		f.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "getUpdates":
		f.polls.Add(1)
		f.getUpdates(r.Context(), w, params)
	case "sendMessage", "editMessageText":
		chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
		if f.limits != nil {
			if ok, wait := f.limits.allow(chat, time.Now()); !ok {
				f.tooMany.Add(1)
				after := int(math.Ceil(wait.Seconds()))
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprintf(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, after, after)
				return
			}
		}
		id := f.msgID.Add(1)
		if method == "editMessageText" {
			id, _ = strconv.ParseInt(params["message_id"], 10, 64)
		}
		f.reply(chat, int(id), params["text"], params["reply_markup"])
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"text":""}}`, id, time.Now().Unix(), chat)
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"民意","username":"minyi_bench_bot"}}`)
	case "answerCallbackQuery":
		f.answers.Add(1)
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	default: // setWebhook, deleteWebhook, setMyCommands…
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	}
}

// readParams reads a Bot API call's parameters, sent as JSON, a form or a multipart form.
func readParams(r *http.Request) map[string]string {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			case float64:
				out[k] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
	case "multipart/form-data":
		_, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, ps["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			out[p.FormName()] = string(b)
		}
	default:
		r.ParseForm()
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out
}

func (f *fakeAPI) getUpdates(ctx context.Context, w http.ResponseWriter, params map[string]string) {
	offset, _ := strconv.ParseInt(params["offset"], 10, 64)
	timeout, _ := strconv.Atoi(params["timeout"])
	deadline := time.After(time.Duration(min(max(timeout, 0), 1)) * time.Second)
	for {
		f.mu.Lock()
		if offset > 0 {
			n := 0
			for n < len(f.queue) && f.queue[n].id < offset {
				n++
			}
			f.queue = f.queue[n:]
		}
		if len(f.queue) > 0 {
			var b bytes.Buffer
			b.WriteString(`{"ok":true,"result":[`)
			for i, u := range f.queue[:min(len(f.queue), 100)] {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(u.body)
			}
			b.WriteString(`]}`)
			f.mu.Unlock()
			w.Write(b.Bytes())
			return
		}
		f.mu.Unlock()
		select {
		case <-f.wake:
		case <-deadline:
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		case <-ctx.Done():
			return
		}
	}
}

// reply takes a message sent (or edited) in a chat: the first after an offer times
// the update; one that holds what the resident waits for lets them go on.
func (f *fakeAPI) reply(chatID int64, msg int, text, markup string) {
	f.replies.Add(1)
	now := time.Now()
	c := f.chat(chatID)
	if c == nil {
		if chatID == benchStaffChat {
			f.mu.Lock()
			f.staff = append(f.staff, staffMsg{at: now, text: text})
			f.mu.Unlock()
		}
		return
	}
	f.toResidents.Add(1)
	c.mu.Lock()
	c.heard = now
	if strings.Contains(text, "您的诉求已收到") {
		if c.receipts == 0 {
			c.firstReceipt = now
			if m := concernID.FindStringSubmatch(text); m != nil {
				c.concern = m[1]
			}
		}
		c.receipts++
	}
	if !c.offered.IsZero() {
		lat := now.Sub(c.offered)
		c.offered = time.Time{}
		f.answered.Add(1)
		f.mu.Lock()
		f.samples = append(f.samples, lat)
		f.mu.Unlock()
	}
	readButtons(c.buttons, msg, markup)
	if c.want != "" && (strings.Contains(text, c.want) || hasButton(c.buttons, c.want)) {
		c.want = ""
		select {
		case c.got <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
}

func hasButton(buttons map[string]button, label string) bool {
	_, ok := buttons[label]
	return ok
}

// readButtons notes the buttons of a reply markup by label (without emoji).
func readButtons(into map[string]button, msg int, markup string) {
	if markup == "" {
		return
	}
	var m struct {
		Inline [][]struct {
			Text string `json:"text"`
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
		Keyboard [][]json.RawMessage `json:"keyboard"` // a button object, or its text alone (Telegram takes both)
	}
	if json.Unmarshal([]byte(markup), &m) != nil {
		return
	}
	for _, row := range m.Inline {
		for _, b := range row {
			into[label(b.Text)] = button{data: b.Data, text: b.Text, msg: msg, inline: true}
		}
	}
	for _, row := range m.Keyboard {
		for _, raw := range row {
			var b struct {
				Text string `json:"text"`
			}
			if json.Unmarshal(raw, &b.Text) != nil && json.Unmarshal(raw, &b) != nil {
				continue
			}
			into[label(b.Text)] = button{text: b.Text, msg: msg}
		}
	}
}

// label is a button's words without a leading emoji.
func label(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 && i < 8 {
		return s[i+1:]
	}
	return s
}

// offer queues an update from a resident and starts timing it.
func (f *fakeAPI) offer(chatID int64, u map[string]any, want string) {
	c := f.chat(chatID)
	c.mu.Lock()
	c.want = want
	select {
	case <-c.got: // a stale signal
	default:
	}
	c.mu.Unlock()
	f.mu.Lock()
	f.nextID++
	u["update_id"] = f.nextID
	body, _ := json.Marshal(u)
	c.mu.Lock()
	c.offered = time.Now()
	c.mu.Unlock()
	f.queue = append(f.queue, queued{id: f.nextID, body: body})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// enqueue queues an update for getUpdates without touching what the resident waits for.
func (f *fakeAPI) enqueue(u map[string]any) {
	f.mu.Lock()
	f.nextID++
	u["update_id"] = f.nextID
	body, _ := json.Marshal(u)
	f.queue = append(f.queue, queued{id: f.nextID, body: body})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// postRaw posts an update to a webhook without touching what the resident waits for.
func (f *fakeAPI) postRaw(post func(int, []byte) error, turn int, u map[string]any) error {
	f.mu.Lock()
	f.nextID++
	u["update_id"] = f.nextID
	f.mu.Unlock()
	body, _ := json.Marshal(u)
	return post(turn, body)
}

// take pops the oldest offered update, for posting to a webhook.
func (f *fakeAPI) take() ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return nil, false
	}
	u := f.queue[0]
	f.queue = f.queue[1:]
	return u.body, true
}

// press makes the update of a resident pressing (or typing) the button labelled l.
func (f *fakeAPI) press(chatID int64, l string) (map[string]any, error) {
	c := f.chat(chatID)
	c.mu.Lock()
	b, ok := c.buttons[l]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("chat %d has no %q button", chatID, l)
	}
	if !b.inline {
		return typed(chatID, b.text), nil
	}
	return map[string]any{"callback_query": map[string]any{
		"id": fmt.Sprintf("q%d-%d", chatID, b.msg), "from": from(chatID), "data": b.data, "chat_instance": "i",
		"message": map[string]any{"message_id": b.msg, "date": 1, "chat": map[string]any{"id": chatID, "type": "private"}},
	}}, nil
}

func from(chatID int64) map[string]any {
	return map[string]any{"id": chatID, "is_bot": false, "first_name": "居民", "language_code": "zh-hans"}
}

// typed makes the update of a resident sending text; a command carries its
// bot_command entity, as Telegram sends it (Telegraf matches commands by it).
func typed(chatID int64, text string) map[string]any {
	m := map[string]any{"message_id": 1, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chatID, "type": "private"}, "from": from(chatID)}
	if strings.HasPrefix(text, "/") {
		n := strings.IndexByte(text, ' ')
		if n < 0 {
			n = len(text)
		}
		m["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": len(utf16.Encode([]rune(text[:n])))}}
	}
	return map[string]any{"message": m}
}

// wait waits for what the resident waits for, up to d.
func (f *fakeAPI) wait(chatID int64, d time.Duration) bool {
	c := f.chat(chatID)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.got:
		return true
	case <-t.C:
		return false
	}
}

// latencies returns the samples taken so far, and forgets them.
func (f *fakeAPI) latencies() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.samples
	f.samples = nil
	return s
}
