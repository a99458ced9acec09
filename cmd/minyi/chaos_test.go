//go:build chaos

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// The crash test: the real binary, a real redis-server, a fake Bot API and 200
// residents each walking the report flow, while the binary is killed with SIGKILL
// at random moments and started again. Afterwards every receipt matches exactly
// one stored, classified concern; none is stored twice; no resident saw two
// receipts for one concern; and there are as many concerns as residents who
// finished. In polling mode and in webhook mode.
// Run with: go test -tags chaos -run TestCrash ./cmd/minyi
func TestCrash(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) { crash(t, mode) })
	}
}

func crash(t *testing.T, mode string) {
	const residents = 200
	const minKills = 5
	seed := time.Now().UnixNano()
	if s := os.Getenv("MINYI_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d (MINYI_CHAOS_SEED to repeat)", seed)

	dir := t.TempDir()
	bin := filepath.Join(dir, "minyi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv.Flush(t)
	api := newChaosAPI()
	fake := httptest.NewServer(api)
	defer fake.Close()
	hook := ""
	if mode == "webhook" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hook = ln.Addr().String()
		ln.Close()
		stop := api.deliver("http://"+hook+"/tg", "chaos-secret")
		defer stop()
	}

	logs, err := os.Create(filepath.Join(dir, "minyi.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	env := append(os.Environ(),
		"MINYI_TELEGRAM_TOKEN="+token, "MINYI_TELEGRAM_API_URL="+fake.URL, "MINYI_REDIS_URL="+srv.URL(),
		"MINYI_COMMUNITIES=阳光社区,和平社区", "MINYI_LEASE_TTL=2s", "MINYI_INTAKE_RECLAIM=2s", "MINYI_TELEGRAM_RATE=0",
		"MINYI_LOG_LEVEL=info", "MINYI_LOG_FORMAT=json", "MINYI_LLM_BASE_URL=", "MINYI_CLASSIFY_MODEL=")
	if hook != "" {
		env = append(env, "MINYI_WEBHOOK_URL=https://bot.example.org/tg", "MINYI_WEBHOOK_SECRET=chaos-secret", "MINYI_HTTP_ADDR="+hook)
	} else {
		env = append(env, "MINYI_WEBHOOK_URL=")
	}
	var proc *exec.Cmd
	start := func() {
		proc = exec.Command(bin, "serve")
		proc.Env, proc.Stdout, proc.Stderr = env, logs, logs
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
	}
	start()
	defer func() {
		proc.Process.Kill()
		proc.Wait()
	}()

	// the residents
	var wg sync.WaitGroup
	finished := make(chan int64, residents)
	failed := make(chan string, residents)
	for i := range residents {
		chat := int64(500000 + i)
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond) // they come one after another
			if err := api.walk(chat, time.Duration(100+i%7*100)*time.Millisecond, fmt.Sprintf("第%d位居民反映：小区%d号楼门口的路灯坏了一个多月，晚上很黑，老人出门不安全。", i, i)); err != nil {
				failed <- fmt.Sprintf("resident %d: %v", chat, err)
				return
			}
			finished <- chat
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// the killer
	kills := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(time.Duration(300+rng.Intn(1200)) * time.Millisecond):
			if kills >= minKills && len(finished) > residents*9/10 {
				continue // enough: let the last ones finish
			}
			proc.Process.Signal(syscall.SIGKILL)
			proc.Wait()
			kills++
			time.Sleep(time.Duration(rng.Intn(300)) * time.Millisecond)
			start()
		}
	}
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	if kills < minKills {
		t.Errorf("killed only %d times", kills)
	}

	// let the last queued concerns be classified, then look at what was stored
	ctx := context.Background()
	st, err := store.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		q, err := st.QueueStatus(ctx, time.Now(), 0)
		if err == nil && q.Length == 0 && q.Dead == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %+v %v", q, err)
		}
	}
	receipts := api.receipts()
	var days []string
	for d := time.Now().AddDate(0, 0, -1); !d.After(time.Now().AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("20060102"))
	}
	ids, err := st.ReceivedIDs(ctx, days)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{} // concern id → its text
	byText := map[string]int{}
	classified := 0
	for _, id := range ids {
		r, err := st.Report(ctx, id)
		if err != nil {
			t.Errorf("accepted %s has no record: %v", id, err)
			continue
		}
		stored[id] = r.Text
		byText[r.Text]++
		if r.Topic != "" && r.Sector != "" && r.Classifier != "" {
			classified++
		}
	}
	perChat := map[int64]map[string]int{} // chat → concern → messages showing its receipt
	receiptsSeen := 0
	for _, rc := range receipts {
		receiptsSeen++
		if perChat[rc.chat] == nil {
			perChat[rc.chat] = map[string]int{}
		}
		perChat[rc.chat][rc.concern]++
		if _, ok := stored[rc.concern]; !ok {
			t.Errorf("resident %d got a receipt for %s, which is not stored", rc.chat, rc.concern)
		}
	}
	twice := 0
	for chat, cs := range perChat {
		for id, n := range cs {
			if n > 1 {
				twice++
				t.Errorf("resident %d got %d receipts for %s", chat, n, id)
			}
		}
		if len(cs) > 1 {
			t.Errorf("resident %d got receipts for %d concerns", chat, len(cs))
		}
	}
	dupes := 0
	for text, n := range byText {
		if n > 1 {
			dupes++
			t.Errorf("stored %d times: %s", n, text)
		}
	}
	t.Logf("%s: kills %d; residents %d, finished %d; receipts seen %d; concerns stored %d, classified %d, stored twice %d; residents with two receipts for one concern %d; updates served %d (re-served after a crash %d), Bot API calls %d, replies repeated %d",
		mode, kills, residents, len(finished), receiptsSeen, len(stored), classified, dupes, twice, api.served(), api.served()-api.pushed(), api.callCount(), api.repeats())
	if len(stored) != len(finished) || len(finished) != residents || classified != len(stored) || receiptsSeen != len(stored) {
		t.Errorf("concerns %d, finished %d of %d, classified %d, receipts %d", len(stored), len(finished), residents, classified, receiptsSeen)
	}
	if t.Failed() {
		t.Logf("the binary's logs: %s", logs.Name())
		if b, err := os.ReadFile(logs.Name()); err == nil && len(b) > 0 {
			os.WriteFile(filepath.Join(os.TempDir(), "minyi-chaos.log"), b, 0o644)
			t.Logf("copied to %s", filepath.Join(os.TempDir(), "minyi-chaos.log"))
		}
	}
}

// chaosAPI is a Bot API for many residents at once: it serves their updates to
// getUpdates until confirmed, keeps every chat's messages (edits included), and
// answers as Telegram would.
type chaosAPI struct {
	mu       sync.Mutex
	cond     *sync.Cond
	updates  []json.RawMessage // not yet confirmed, in order
	ids      []int64
	nextID   int64
	nextMsg  int
	messages map[int64][]*chatMessage // by chat, in order sent
	calls    int
	nServed  int
}

type chatMessage struct {
	id     int
	text   string
	markup string
}

func newChaosAPI() *chaosAPI {
	a := &chaosAPI{messages: map[int64][]*chatMessage{}}
	a.cond = sync.NewCond(&a.mu)
	return a
}

func (a *chaosAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		a.messages[chat] = append(a.messages[chat], &chatMessage{id: a.nextMsg, text: params["text"], markup: params["reply_markup"]})
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
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	}
	a.cond.Broadcast()
}

func (a *chaosAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
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
func (a *chaosAPI) deliver(url, secret string) func() {
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
func (a *chaosAPI) waitLocked(d time.Duration) {
	t := time.AfterFunc(d, a.cond.Broadcast)
	a.cond.Wait()
	t.Stop()
}

// push queues an update from a resident.
func (a *chaosAPI) push(u map[string]any) {
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
func (a *chaosAPI) walk(chat int64, pause time.Duration, text string) error {
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
func (a *chaosAPI) waitFor(chat int64, after int, want string) (*chatMessage, error) {
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
func (a *chaosAPI) pressIn(chat int64, label string, from map[string]any) (map[string]any, error) {
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
func (a *chaosAPI) receipts() []receipt {
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
func (a *chaosAPI) repeats() int {
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

func (a *chaosAPI) served() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nServed
}

func (a *chaosAPI) pushed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int(a.nextID)
}

func (a *chaosAPI) callCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}
