package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// fleetAPI is a Bot API for many residents at once (the crash, scale-out and
// cluster tests): it serves their updates to
// getUpdates until confirmed, keeps every chat's messages (edits included), and
// answers as Telegram would.
type fleetAPI struct {
	mu       sync.Mutex
	cond     *sync.Cond
	updates  []json.RawMessage // not yet confirmed, in order
	ids      []int64
	nextID   int64
	nextMsg  int
	messages map[int64][]*chatMessage // by chat, in order sent
	calls    int
	nServed  int
	// others are the calls other than sending and editing messages, in order
	others []otherCall
}

// otherCall is a Bot API call that is not a message: its method and parameters.
type otherCall struct {
	method string
	params map[string]string
}

type chatMessage struct {
	id     int
	text   string
	markup string
	at     time.Time // when it was sent (for the sending limits)
}

func newFleetAPI() *fleetAPI {
	a := &fleetAPI{messages: map[int64][]*chatMessage{}}
	a.cond = sync.NewCond(&a.mu)
	return a
}

func (a *fleetAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/bot"+token+"/")
	if method == "getUpdates" {
		a.getUpdates(w, r)
		return
	}
	params := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(1 << 20); err == nil {
			for k, v := range r.MultipartForm.Value {
				params[k] = v[0]
			}
		}
	} else {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		for k, v := range body {
			if s, ok := v.(string); ok {
				params[k] = s
			} else {
				b, _ := json.Marshal(v)
				params[k] = string(b)
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	chat, _ := strconv.ParseInt(params["chat_id"], 10, 64)
	switch method {
	case "sendMessage":
		a.nextMsg++
		a.messages[chat] = append(a.messages[chat], &chatMessage{id: a.nextMsg, text: params["text"], markup: params["reply_markup"], at: time.Now()})
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"}}}`, a.nextMsg, chat)
	case "editMessageText":
		id, _ := strconv.Atoi(params["message_id"])
		for _, m := range a.messages[chat] {
			if m.id != id {
				continue
			}
			if m.text == params["text"] && m.markup == params["reply_markup"] {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`)
				return
			}
			m.text, m.markup = params["text"], params["reply_markup"]
			fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"}}}`, id, chat)
			a.cond.Broadcast()
			return
		}
		w.WriteHeader(400)
		fmt.Fprint(w, `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`)
		return
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"民意","username":"minyi_bot"}}`)
	default:
		a.others = append(a.others, otherCall{method, params})
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	}
	a.cond.Broadcast()
}

func (a *fleetAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Offset int64 `json:"offset"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	deadline := time.Now().Add(time.Second)
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for len(a.ids) > 0 && req.Offset > 0 && a.ids[0] < req.Offset {
			a.ids, a.updates = a.ids[1:], a.updates[1:] // confirmed
		}
		if n := min(len(a.updates), 100); n > 0 {
			b, _ := json.Marshal(a.updates[:n])
			a.nServed += n
			fmt.Fprintf(w, `{"ok":true,"result":%s}`, b)
			return
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		}
		a.waitLocked(50 * time.Millisecond)
	}
}

// deliver posts queued updates to a webhook as Telegram does: in order, each
// again until it is answered 200. It returns a function that stops it.
func (a *fleetAPI) deliver(url, secret string) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			a.mu.Lock()
			for len(a.updates) == 0 && ctx.Err() == nil {
				a.waitLocked(50 * time.Millisecond)
			}
			if ctx.Err() != nil {
				a.mu.Unlock()
				return
			}
			body := a.updates[0]
			a.mu.Unlock()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			a.mu.Lock()
			a.nServed++
			if err == nil && resp.StatusCode == http.StatusOK {
				a.updates, a.ids = a.updates[1:], a.ids[1:]
				a.mu.Unlock()
				continue
			}
			a.mu.Unlock()
			time.Sleep(100 * time.Millisecond) // down, or busy: Telegram tries again later
		}
	}()
	return func() { cancel(); <-done }
}

// waitLocked waits for a change, or d at most, with a.mu held.
func (a *fleetAPI) waitLocked(d time.Duration) {
	t := time.AfterFunc(d, a.cond.Broadcast)
	a.cond.Wait()
	t.Stop()
}

// push queues an update from a resident.
func (a *fleetAPI) push(u map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	u["update_id"] = a.nextID
	b, _ := json.Marshal(u)
	a.updates, a.ids = append(a.updates, b), append(a.ids, a.nextID)
	a.cond.Broadcast()
}

// walk is one resident reporting a concern: the menu, the text, no photos, a
// community, anonymous, submit; each step waits for the bot's answer.
func (a *fleetAPI) walk(chat int64, pause time.Duration, text string) error {
	from := map[string]any{"id": chat, "is_bot": false, "first_name": "居民", "language_code": "zh-hans"}
	typed := func(s string) map[string]any {
		return map[string]any{"message": map[string]any{"message_id": 1, "date": time.Now().Unix(), "text": s,
			"chat": map[string]any{"id": chat, "type": "private"}, "from": from}}
	}
	last := 0
	step := func(send func() error, want string) error {
		time.Sleep(pause) // reading, typing
		if err := send(); err != nil {
			return err
		}
		m, err := a.waitFor(chat, last, want)
		if err != nil {
			return err
		}
		last = max(last, m.id)
		return nil
	}
	press := func(label string) func() error {
		return func() error {
			u, err := a.pressIn(chat, label, from)
			if err != nil {
				return err
			}
			a.push(u)
			return nil
		}
	}
	say := func(s string) func() error { return func() error { a.push(typed(s)); return nil } }
	steps := []struct {
		send func() error
		want string // in the answer: a button's label, or words
	}{
		{say("/report"), "第1步"},
		{say(text), "跳过"},
		{press("跳过"), "阳光社区"},
		{press("阳光社区"), "匿名"},
		{press("匿名"), "提交"},
	}
	for i, s := range steps {
		if err := step(s.send, s.want); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	// the receipt takes the summary's place
	if err := press("提交")(); err != nil {
		return err
	}
	_, err := a.waitFor(chat, 0, "您的诉求已收到")
	return err
}

// waitFor waits up to 90 s for a message in chat, newer than after (or any, for
// edits), whose text or buttons hold want.
func (a *fleetAPI) waitFor(chat int64, after int, want string) (*chatMessage, error) {
	deadline := time.Now().Add(90 * time.Second)
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for _, m := range a.messages[chat] {
			if m.id > after && (strings.Contains(m.text, want) || strings.Contains(m.markup, want)) {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, m := range a.messages[chat] {
				seen = append(seen, fmt.Sprintf("#%d %.40s", m.id, m.text))
			}
			return nil, fmt.Errorf("no %q after message %d; saw %q", want, after, seen)
		}
		a.waitLocked(200 * time.Millisecond)
	}
}

var dataOf = regexp.MustCompile(`"text":"([^"]*)","callback_data":"([^"]*)"`)

// pressIn finds the newest button labelled label in chat: an inline one is pressed
// (a callback), a keyboard one typed.
func (a *fleetAPI) pressIn(chat int64, label string, from map[string]any) (map[string]any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	msgs := a.messages[chat]
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		for _, b := range dataOf.FindAllStringSubmatch(m.markup, -1) {
			if strings.HasSuffix(b[1], label) {
				return map[string]any{"callback_query": map[string]any{"id": fmt.Sprintf("cb%d-%d", chat, m.id), "from": from, "data": b[2], "chat_instance": "c",
					"message": map[string]any{"message_id": m.id, "date": 1, "chat": map[string]any{"id": chat, "type": "private"}}}}, nil
			}
		}
		if strings.Contains(m.markup, `"keyboard"`) && strings.Contains(m.markup, label) {
			var kb struct {
				Keyboard [][]struct {
					Text string `json:"text"`
				} `json:"keyboard"`
			}
			json.Unmarshal([]byte(m.markup), &kb)
			for _, row := range kb.Keyboard {
				for _, b := range row {
					if strings.HasSuffix(b.Text, label) {
						return map[string]any{"message": map[string]any{"message_id": 1, "date": time.Now().Unix(), "text": b.Text,
							"chat": map[string]any{"id": chat, "type": "private"}, "from": from}}, nil
					}
				}
			}
		}
	}
	return nil, fmt.Errorf("no %q button", label)
}

type receipt struct {
	chat    int64
	msg     int
	concern string
}

var receiptID = regexp.MustCompile(`您的诉求已收到，编号 (\d{8}-\d{4})`)

// receipts lists the messages that show a receipt, as residents see them now.
func (a *fleetAPI) receipts() []receipt {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []receipt
	for chat, msgs := range a.messages {
		for _, m := range msgs {
			if r := receiptID.FindStringSubmatch(m.text); r != nil {
				out = append(out, receipt{chat, m.id, r[1]})
			}
		}
	}
	return out
}

// repeats counts messages that came again right after themselves: replies sent
// once more after a crash, which a resident sees twice (receipts cannot be: they
// replace the summary).
func (a *fleetAPI) repeats() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, msgs := range a.messages {
		for i := 1; i < len(msgs); i++ {
			if msgs[i].text == msgs[i-1].text && msgs[i].markup == msgs[i-1].markup {
				n++
			}
		}
	}
	return n
}

func (a *fleetAPI) served() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nServed
}

func (a *fleetAPI) pushed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int(a.nextID)
}

func (a *fleetAPI) callCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// outcome is what a run left: concerns stored and classified, receipts seen, and
// what must never happen (a concern stored twice, two receipts for one concern).
type outcome struct {
	stored, classified, receipts, twice, twoReceipts int
}

// tally waits for the intake queue to drain, then checks every receipt the
// residents saw against the concerns stored: each names exactly one stored,
// classified concern; none is stored twice; no resident has two receipts for one
// concern, or receipts for two.
func tally(t *testing.T, st *store.Store, api *fleetAPI) outcome {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		q, err := st.QueueStatus(ctx, time.Now(), 0)
		if err == nil && q.Length == 0 && q.Dead == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %+v %v", q, err)
		}
	}
	var days []string
	for d := time.Now().AddDate(0, 0, -1); !d.After(time.Now().AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("20060102"))
	}
	ids, err := st.ReceivedIDs(ctx, days)
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	stored := map[string]bool{}
	byText := map[string]int{}
	for _, id := range ids {
		r, err := st.Report(ctx, id)
		if err != nil {
			t.Errorf("accepted %s has no record: %v", id, err)
			continue
		}
		stored[id] = true
		byText[r.Text]++
		if r.Topic != "" && r.Sector != "" && r.Classifier != "" {
			o.classified++
		}
	}
	o.stored = len(stored)
	perChat := map[int64]map[string]int{} // chat → concern → messages showing its receipt
	for _, rc := range api.receipts() {
		o.receipts++
		if perChat[rc.chat] == nil {
			perChat[rc.chat] = map[string]int{}
		}
		perChat[rc.chat][rc.concern]++
		if !stored[rc.concern] {
			t.Errorf("resident %d got a receipt for %s, which is not stored", rc.chat, rc.concern)
		}
	}
	for chat, cs := range perChat {
		for id, n := range cs {
			if n > 1 {
				o.twoReceipts++
				t.Errorf("resident %d got %d receipts for %s", chat, n, id)
			}
		}
		if len(cs) > 1 {
			t.Errorf("resident %d got receipts for %d concerns", chat, len(cs))
		}
	}
	for text, n := range byText {
		if n > 1 {
			o.twice++
			t.Errorf("stored %d times: %s", n, text)
		}
	}
	return o
}

// waitOther waits up to 10 s for a call of method whose parameter key holds want.
func (a *fleetAPI) waitOther(method, key, want string) (otherCall, error) {
	deadline := time.Now().Add(10 * time.Second)
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for _, c := range a.others {
			if c.method == method && strings.Contains(c.params[key], want) {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return otherCall{}, fmt.Errorf("no %s call with %s holding %q", method, key, want)
		}
		a.waitLocked(100 * time.Millisecond)
	}
}

// number gives an update the next update_id, for posting it to a webhook directly.
func (a *fleetAPI) number(u map[string]any) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	u["update_id"] = a.nextID
	b, _ := json.Marshal(u)
	return b
}

// transcript is a chat's messages as the resident sees them now, one line each,
// with the resident's own words, the concern's id and the flow run's id (in
// callback data) put as placeholders.
func (a *fleetAPI) transcript(chat int64, words string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, m := range a.messages[chat] {
		s := strings.ReplaceAll(m.text+" | "+m.markup, words, "<words>")
		s = concernIDs.ReplaceAllString(s, "<id>")
		out = append(out, flowRuns.ReplaceAllString(s, `"f:<run>:`))
	}
	return out
}

var (
	concernIDs = regexp.MustCompile(`\d{8}-\d{4}`)
	flowRuns   = regexp.MustCompile(`"f:[0-9a-z]+:`)
)
