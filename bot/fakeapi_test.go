package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiCall is one request the bot made to the fake Bot API.
type apiCall struct {
	Method string
	Params map[string]string
	// Files are uploaded documents by form field: their name and content.
	Files map[string]upload
	// Status is what the fake answered (200 unless a failure was queued).
	Status int
	// MessageID is the message sent or edited.
	MessageID int
	// At is when the call came.
	At time.Time
}

// upload is a file sent with a multipart request.
type upload struct {
	Name string
	Data []byte
}

// failure is a queued error answer for one method.
type failure struct {
	status int
	body   string
}

func tooMany(retryAfter int) failure {
	return failure{429, fmt.Sprintf(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, retryAfter, retryAfter)}
}

var (
	serverError = failure{500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`}
	badGateway  = failure{502, `<html>502 Bad Gateway</html>`}
	blocked     = failure{403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`}
	badRequest  = failure{400, `{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`}
	migrated    = failure{400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}`}
	badToken    = failure{401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`}
)

// fakeAPI is a Bot API server for tests: it serves queued updates to getUpdates,
// records every other call and answers as Telegram would.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	calls    []apiCall
	updates  []map[string]any
	nextID   int64
	offsets  []int64
	failures map[string][]failure
	msgID    int
	wake     chan struct{}
	// blocked chats answer every send with 403, as when the user blocked the bot.
	blocked map[string]bool
	// messages are the texts and keyboards of the messages sent, by chat/id, so
	// that edits are answered as Telegram would.
	messages map[string]string
}

// fakeFiles are the files the fake serves by path: a photo, and a page that
// claims to be one.
var fakeFiles = map[string][]byte{
	"photos/P1":   append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...),
	"photos/EVIL": []byte("<html><script>alert(1)</script></html>"),
}

const testToken = "123456789:TEST-token_for_the_fake_bot_api_00"

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, nextID: 100, failures: map[string][]failure{}, wake: make(chan struct{}, 1), messages: map[string]string{}, blocked: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + testToken + "/"
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+testToken+"/"); ok {
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{At: time.Now(), Method: "file", Params: map[string]string{"path": path}, Status: 200})
		f.mu.Unlock()
		if data, ok := fakeFiles[path]; ok {
			w.Write(data)
			return
		}
		http.NotFound(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, prefix) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	if method == "getUpdates" {
		f.getUpdates(w, r)
		return
	}
	params := map[string]string{}
	var files map[string]upload
	if err := r.ParseMultipartForm(1 << 20); err == nil {
		for k, v := range r.MultipartForm.Value {
			params[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				continue
			}
			data, _ := io.ReadAll(f)
			f.Close()
			if files == nil {
				files = map[string]upload{}
			}
			files[k] = upload{Name: fhs[0].Filename, Data: data}
			params[k] = fmt.Sprintf("%s (%d bytes)", fhs[0].Filename, len(data))
		}
	} else if err := r.ParseForm(); err == nil {
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.failures[method]; len(q) > 0 {
		f.failures[method] = q[1:]
		f.calls = append(f.calls, apiCall{At: time.Now(), Method: method, Params: params, Files: files, Status: q[0].status})
		w.WriteHeader(q[0].status)
		fmt.Fprint(w, q[0].body)
		return
	}
	call := apiCall{At: time.Now(), Method: method, Params: params, Files: files, Status: 200}
	if params["parse_mode"] == "HTML" {
		if err := checkTelegramHTML(params["text"]); err != nil {
			call.Status = 400
			f.calls = append(f.calls, call)
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: %s"}`, err)
			return
		}
	}
	if f.blocked[params["chat_id"]] && (strings.HasPrefix(method, "send") || strings.HasPrefix(method, "edit")) {
		call.Status = 403
		f.calls = append(f.calls, call)
		w.WriteHeader(403)
		fmt.Fprint(w, blocked.body)
		return
	}
	result := "true"
	switch method {
	case "sendMessage":
		f.msgID++
		call.MessageID = f.msgID
		f.messages[params["chat_id"]+"/"+strconv.Itoa(f.msgID)] = params["text"] + "\x00" + params["reply_markup"]
		text, _ := json.Marshal(params["text"])
		result = fmt.Sprintf(`{"message_id":%d,"date":%d,"chat":{"id":%s,"type":"private"},"text":%s}`, f.msgID, time.Now().Unix(), params["chat_id"], text)
	case "editMessageText":
		key := params["chat_id"] + "/" + params["message_id"]
		call.MessageID, _ = strconv.Atoi(params["message_id"])
		was, ok := f.messages[key]
		switch {
		case !ok:
			call.Status = 400
			f.calls = append(f.calls, call)
			w.WriteHeader(400)
			fmt.Fprint(w, `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`)
			return
		case was == params["text"]+"\x00"+params["reply_markup"]:
			call.Status = 400
			f.calls = append(f.calls, call)
			w.WriteHeader(400)
			fmt.Fprint(w, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup of the message are exactly the same as a current content and reply markup of the message"}`)
			return
		}
		f.messages[key] = params["text"] + "\x00" + params["reply_markup"]
		text, _ := json.Marshal(params["text"])
		result = fmt.Sprintf(`{"message_id":%d,"date":%d,"chat":{"id":%s,"type":"private"},"text":%s}`, call.MessageID, time.Now().Unix(), params["chat_id"], text)
	case "sendDocument":
		f.msgID++
		result = fmt.Sprintf(`{"message_id":%d,"date":%d,"chat":{"id":%s,"type":"private"}}`, f.msgID, time.Now().Unix(), params["chat_id"])
	case "getFile":
		id := params["file_id"]
		if _, ok := fakeFiles["photos/"+id]; !ok {
			call.Status = 400
			f.calls = append(f.calls, call)
			w.WriteHeader(400)
			fmt.Fprint(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		result = fmt.Sprintf(`{"file_id":%q,"file_unique_id":"u%s","file_size":%d,"file_path":"photos/%s"}`, id, id, len(fakeFiles["photos/"+id]), id)
	case "getMe":
		result = `{"id":123456789,"is_bot":true,"first_name":"民意","username":"minyi_test_bot"}`
	}
	f.calls = append(f.calls, call)
	fmt.Fprintf(w, `{"ok":true,"result":%s}`, result)
}

func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Offset  int64 `json:"offset"`
		Timeout int   `json:"timeout"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	deadline := time.After(200 * time.Millisecond)
	for {
		f.mu.Lock()
		f.offsets = append(f.offsets, req.Offset)
		var out []map[string]any
		kept := f.updates[:0]
		for _, u := range f.updates {
			id := u["update_id"].(int64)
			if req.Offset > 0 && id < req.Offset {
				continue // confirmed: Telegram forgets it
			}
			kept = append(kept, u)
			out = append(out, u)
		}
		f.updates = kept
		f.mu.Unlock()
		if len(out) > 0 {
			b, _ := json.Marshal(out)
			fmt.Fprintf(w, `{"ok":true,"result":%s}`, b)
			return
		}
		select {
		case <-f.wake:
		case <-deadline:
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// push queues updates for getUpdates, all in one batch, and returns their ids.
func (f *fakeAPI) push(updates ...map[string]any) []int64 {
	f.mu.Lock()
	var ids []int64
	for _, u := range updates {
		f.nextID++
		u["update_id"] = f.nextID
		if cb, ok := u["callback_query"].(map[string]any); ok {
			cb["id"] = fmt.Sprintf("cb%d", f.nextID)
		}
		f.updates = append(f.updates, u)
		ids = append(ids, f.nextID)
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return ids
}

// update makes an update (without its id) for push or for a webhook post.
func (f *fakeAPI) newID() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return f.nextID
}

func (f *fakeAPI) fail(method string, fs ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[method] = append(f.failures[method], fs...)
}

// telegramTags are the tags the Bot API's HTML parse mode accepts.
var telegramTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true, "blockquote": true, "span": true}

// checkTelegramHTML refuses text the Bot API would: an unknown or unclosed tag, a
// stray "<", or an "&" that does not begin an entity.
func checkTelegramHTML(text string) error {
	var open []string
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			i += end
			name, closing := strings.Fields(strings.TrimPrefix(tag, "/") + " x")[0], strings.HasPrefix(tag, "/")
			if !telegramTags[name] {
				return fmt.Errorf("unsupported start tag %q", name)
			}
			if !closing {
				open = append(open, name)
				continue
			}
			if len(open) == 0 || open[len(open)-1] != name {
				return fmt.Errorf("unmatched end tag %q", name)
			}
			open = open[:len(open)-1]
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end < 0 || end > 10 {
				return fmt.Errorf("bare & at byte offset %d", i)
			}
			switch e := text[i+1 : i+end]; {
			case e == "lt", e == "gt", e == "amp", e == "quot", strings.HasPrefix(e, "#"):
			default:
				return fmt.Errorf("unknown entity &%s;", e)
			}
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("can't find end tag corresponding to start tag %q", open[len(open)-1])
	}
	return nil
}

// block makes chat answer as a user who blocked the bot (or, with false, unblocked it).
func (f *fakeAPI) block(chat int64, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[strconv.FormatInt(chat, 10)] = on
}

func (f *fakeAPI) snapshot() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// waitCalls waits until the fake has seen at least n calls.
func (f *fakeAPI) waitCalls(t *testing.T, n int, within time.Duration) []apiCall {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c := f.snapshot(); len(c) >= n {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := f.snapshot()
	t.Fatalf("waited %v for %d Bot API calls, saw %d:\n%s", within, n, len(c), transcript(c))
	return nil
}

// transcript renders calls for golden files and failure messages.
func transcript(calls []apiCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "-> %s", c.Method)
		if c.Status != 200 {
			fmt.Fprintf(&b, " (answered %d)", c.Status)
		}
		var keys []string
		for k := range c.Params {
			if k != "text" && k != "reply_markup" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, c.Params[k])
		}
		b.WriteString("\n")
		if text, ok := c.Params["text"]; ok {
			for _, line := range strings.Split(text, "\n") {
				fmt.Fprintf(&b, "   | %s\n", line)
			}
		}
		if m := c.Params["reply_markup"]; m != "" {
			fmt.Fprintf(&b, "   markup %s\n", m)
		}
	}
	return b.String()
}

// Builders of the updates a Telegram client sends.

func user(id int64, lang string) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": "张", "last_name": "三", "language_code": lang}
}

func message(chat int64, lang string, fields map[string]any) map[string]any {
	m := map[string]any{
		"message_id": 1, "date": 1764118800,
		"chat": map[string]any{"id": chat, "type": "private"},
		"from": user(chat, lang),
	}
	for k, v := range fields {
		m[k] = v
	}
	return map[string]any{"message": m}
}

func textUpdate(chat int64, text string) map[string]any {
	return message(chat, "zh-hans", map[string]any{"text": text})
}

func callbackUpdate(chat int64, data string) map[string]any {
	return map[string]any{"callback_query": map[string]any{
		"from": user(chat, "zh-hans"), "data": data, "chat_instance": "ci",
		"message": map[string]any{"message_id": 1, "date": 1764118800, "chat": map[string]any{"id": chat, "type": "private"}},
	}}
}
