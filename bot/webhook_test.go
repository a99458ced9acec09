package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/telemetry"
)

const secret = "s3cret_token-for-tests"

func post(t *testing.T, h http.Handler, token string, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/telegram", bytes.NewReader(body))
	if token != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func updateJSON(t *testing.T, id int64, u map[string]any) []byte {
	u["update_id"] = id
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad requests are refused before anything reaches the inbox or a flow.
func TestWebhookRefusesBadRequests(t *testing.T) {
	h := newHarness(t, true)
	handler, err := h.tr.WebhookHandler(secret)
	if err != nil {
		t.Fatal(err)
	}
	good := updateJSON(t, 500, textUpdate(resident, "/start"))
	cases := []struct {
		name   string
		token  string
		body   []byte
		status int
	}{
		{"no secret", "", good, 401},
		{"wrong secret", "guess", good, 401},
		{"secret differing in the last character", secret[:len(secret)-1] + "X", good, 401},
		{"body over 1 MiB", secret, append([]byte(`{"update_id":501,"message":{"text":"`), bytes.Repeat([]byte("x"), MaxWebhookBody)...), 413},
		{"malformed JSON", secret, []byte(`{"update_id":502,"message":`), 400},
		{"not an object", secret, []byte(`[1,2,3]`), 400},
		{"no update id", secret, []byte(`{"message":{"text":"hi"}}`), 400},
	}
	for _, c := range cases {
		if got := post(t, handler, c.token, c.body); got != c.status {
			t.Errorf("%s: status %d, want %d", c.name, got, c.status)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/telegram", nil)
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", rec.Code)
	}
	for shard := range h.st.Shards() {
		if n, _ := h.st.InboxLen(t.Context(), shard); n != 0 {
			t.Fatalf("a refused request reached inbox shard %d", shard)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if calls := h.api.snapshot(); len(calls) != 0 {
		t.Fatalf("a refused request got a reply:\n%s", transcript(calls))
	}
	if _, err := h.tr.WebhookHandler(""); err == nil {
		t.Fatal("a webhook without a secret was allowed")
	}

	// a good update is taken, and a repeat of it (Telegram retrying) is not processed twice
	if got := post(t, handler, secret, good); got != 200 {
		t.Fatalf("good update: status %d", got)
	}
	if got := post(t, handler, secret, good); got != 200 {
		t.Fatalf("repeated update: status %d", got)
	}
	h.waitDelivered(500)
	time.Sleep(300 * time.Millisecond)
	// the greeting and, under it, the offer to be consulted (征求意见): once each
	if calls := h.fresh(); len(calls) != 2 || !strings.Contains(calls[0].Params["text"], "欢迎") || !strings.Contains(calls[1].Params["text"], "征求意见") {
		t.Fatalf("want one greeting:\n%s", transcript(calls))
	}
	// group messages and edits are acknowledged and ignored
	group := textUpdate(resident, "/start")
	group["message"].(map[string]any)["chat"] = map[string]any{"id": -100123, "type": "supergroup"}
	if got := post(t, handler, secret, updateJSON(t, 503, group)); got != 200 {
		t.Fatalf("group message: status %d", got)
	}
	if got := post(t, handler, secret, updateJSON(t, 504, map[string]any{"edited_message": textUpdate(resident, "x")["message"]})); got != 200 {
		t.Fatalf("edit: status %d", got)
	}
}

// Updates of one chat posted at once over the webhook are processed one at a time:
// each input's replies come out together, and none is lost.
func TestWebhookConcurrentPostsOfOneChat(t *testing.T) {
	h := newHarness(t, true)
	handler, _ := h.tr.WebhookHandler(secret)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := updateJSON(t, int64(600+i), textUpdate(resident, fmt.Sprintf("/nosuch%d", i)))
			if got := post(t, handler, secret, body); got != 200 {
				t.Errorf("post %d: %d", i, got)
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		h.waitDelivered(int64(600 + i))
	}
	calls := h.fresh()
	if len(calls) != 16 {
		t.Fatalf("want 16 replies (2 per input), got %d:\n%s", len(calls), transcript(calls))
	}
	for i := 0; i < 16; i += 2 {
		if !strings.HasPrefix(calls[i].Params["text"], "没有 /nosuch") || !strings.HasPrefix(calls[i+1].Params["text"], "请选择") {
			t.Fatalf("replies of two inputs interleaved at %d:\n%s", i, transcript(calls))
		}
	}
}

// Redis down: the webhook answers 503 so that Telegram delivers the update again,
// and the resident is told once.
func TestWebhookStoreDown(t *testing.T) {
	h := newHarness(t, true)
	handler, _ := h.tr.WebhookHandler(secret)
	srv.Down()
	body := updateJSON(t, 700, textUpdate(resident, "/start"))
	if got := post(t, handler, secret, body); got != http.StatusServiceUnavailable {
		t.Fatalf("status %d with Redis down, want 503", got)
	}
	post(t, handler, secret, body)
	calls := h.api.waitCalls(t, 1, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if calls = h.api.snapshot(); len(calls) != 1 || !strings.Contains(calls[0].Params["text"], "系统暂时繁忙") {
		t.Fatalf("want one busy notice:\n%s", transcript(calls))
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for post(t, handler, secret, body) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("webhook did not recover after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.waitDelivered(700)
}

// Send maps Telegram's answers to what the scheduler does, as courier does:
// 429 is a pause of retry_after, 403 a chat given up, 400 a message skipped,
// 5xx (JSON or not) and no answer a passing failure tried again.
func TestSendErrorMapping(t *testing.T) {
	cases := []struct {
		name    string
		failure *failure
		want    string // nil, retry-after 3s, unreachable, refused, passing
		// wantErrors is the minyi_telegram_errors_total series that moved, by code
		wantErrors string
	}{
		{"ok", nil, "nil", ""},
		{"429", &[]failure{tooMany(3)}[0], "retry-after 3s", "429:1"},
		{"500", &serverError, "passing", "500:1"},
		{"502 html", &badGateway, "passing", "502:1"},
		{"403 blocked", &blocked, "unreachable", "403:1"},
		{"400", &badRequest, "refused", "400:1"},
		// nothing is skipped for what would refuse every message alike
		{"400 migrated to a supergroup", &migrated, "passing", "400:1"},
		{"401 token revoked", &badToken, "passing", "401:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t)
			metrics := telemetry.New()
			tr, err := New(testToken, nil, nil, WithServerURL(api.srv.URL), WithLogger(testLogger()), WithMetrics(metrics))
			if err != nil {
				t.Fatal(err)
			}
			if c.failure != nil {
				api.fail("sendMessage", *c.failure)
			}
			err = tr.Send(t.Context(), dispatch.Out{ChatID: 42, InputID: "tg:1", Message: flows.Message{Text: "一"}})
			var tooMany *dispatch.RetryAfterError
			got := "passing"
			switch {
			case err == nil:
				got = "nil"
			case errors.As(err, &tooMany):
				got = fmt.Sprintf("retry-after %v", tooMany.After)
			case errors.Is(err, dispatch.ErrUnreachable):
				got = "unreachable"
			case errors.Is(err, dispatch.ErrRefused):
				got = "refused"
			}
			if got != c.want {
				t.Fatalf("Send: %v (%s), want %s", err, got, c.want)
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Fatalf("error shows the token: %v", err)
			}
			calls := api.snapshot()
			if len(calls) != 1 || calls[0].Method != "sendMessage" || calls[0].Params["chat_id"] != "42" || calls[0].Params["text"] != "一" {
				t.Fatalf("calls: %+v", calls)
			}
			if got := telegramErrors(t, metrics); got != c.wantErrors {
				t.Fatalf("minyi_telegram_errors_total: %q, want %q", got, c.wantErrors)
			}
		})
	}
}

// telegramErrors scrapes m for minyi_telegram_errors_total, as "code:count ...".
func telegramErrors(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var out []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, `minyi_telegram_errors_total{code="`); ok {
			code, count, _ := strings.Cut(rest, `"} `)
			out = append(out, code+":"+count)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// A receipt replaces the summary whose 提交 was pressed. Delivered again (the
// process died before recording it sent), the resident still sees one receipt;
// if the summary is gone, the receipt comes as a new message.
func TestReceiptEditIsIdempotent(t *testing.T) {
	api := newFakeAPI(t)
	tr, err := New(testToken, nil, nil, WithServerURL(api.srv.URL), WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	summary := dispatch.Out{ChatID: 42, InputID: "tg:1", Message: flows.Message{Text: "请核对", Inline: [][]flows.Button{{{Label: "提交", Data: "f:x:confirm:submit"}}}}}
	if err := tr.Send(t.Context(), summary); err != nil {
		t.Fatal(err)
	}
	id := api.snapshot()[0].MessageID
	receipt := dispatch.Out{ChatID: 42, InputID: "tg:2", EditID: id,
		Message: flows.Message{Text: "✅ 您的诉求已收到，编号 20261126-0001。", Edit: true, Inline: [][]flows.Button{{{Label: "反映诉求", Data: "m:report"}}}}}
	for range 2 {
		if err := tr.Send(t.Context(), receipt); err != nil {
			t.Fatal(err)
		}
	}
	receipt.EditID = 999 // deleted by the resident
	if err := tr.Send(t.Context(), receipt); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range api.snapshot() {
		if c.Method != "answerCallbackQuery" {
			got = append(got, fmt.Sprintf("%s %d %d", c.Method, c.MessageID, c.Status))
		}
	}
	want := fmt.Sprintf("[sendMessage %d 200 editMessageText %d 200 editMessageText %d 400 editMessageText 999 400 sendMessage %d 200]", id, id, id, id+1)
	if fmt.Sprint(got) != want {
		t.Fatalf("calls %v\nwant %s", got, want)
	}
}

func TestCheckToken(t *testing.T) {
	api := newFakeAPI(t)
	tr, _ := New(testToken, nil, nil, WithServerURL(api.srv.URL))
	if name, err := tr.Check(t.Context()); err != nil || name != "minyi_test_bot" {
		t.Fatalf("Check = %q, %v", name, err)
	}
	wrong, _ := New("1:wrong-token-wrong-token-wrong", nil, nil, WithServerURL(api.srv.URL))
	if _, err := wrong.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "MINYI_TELEGRAM_TOKEN") {
		t.Fatalf("Check with a wrong token: %v", err)
	}
	if err := wrong.Poll(t.Context()); !errors.Is(err, ErrTokenRejected) {
		t.Fatalf("Poll with a wrong token: %v", err)
	}
}

func TestSplitLongText(t *testing.T) {
	line := strings.Repeat("字", 99) + "\n"
	text := strings.Repeat(line, 100) // 10,000 characters
	tr, _ := New(testToken, nil, nil)
	parts := tr.Split(flows.Message{Text: text, Inline: [][]flows.Button{{{Label: "ok", Data: "x"}}}, Edit: true})
	var joined string
	for i, p := range parts {
		if n := len([]rune(p.Text)); n > MaxText {
			t.Fatalf("part %d has %d characters", i, n)
		}
		if !strings.HasSuffix(p.Text, "\n") && i < len(parts)-1 {
			t.Errorf("part %d not cut at a line break", i)
		}
		if (p.Inline != nil) != (i == len(parts)-1) || p.Edit {
			t.Errorf("part %d: keyboard on the wrong part, or an edit", i)
		}
		joined += p.Text
	}
	if joined != text || len(parts) != 3 {
		t.Fatalf("split into %d parts that do not rejoin", len(parts))
	}
	// an emoji is two UTF-16 units: 4,096 units hold 2,048 of them
	parts = tr.Split(flows.Message{Text: strings.Repeat("😀", 3000)})
	if len(parts) != 2 || len([]rune(parts[0].Text)) != 2048 {
		t.Fatalf("emoji split: %d parts, first %d runes", len(parts), len([]rune(parts[0].Text)))
	}
}

func TestToInput(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	decode := func(u map[string]any) (flows.Input, bool) {
		b, _ := json.Marshal(u)
		var upd models.Update
		if err := json.Unmarshal(b, &upd); err != nil {
			t.Fatal(err)
		}
		return toInput(&upd, at, 0)
	}
	venue := message(5, "en", map[string]any{"venue": map[string]any{"location": map[string]any{"latitude": 1.5, "longitude": 2.5}, "title": "x", "address": "y"}})
	botMsg := textUpdate(5, "hi")
	botMsg["message"].(map[string]any)["from"].(map[string]any)["is_bot"] = true
	inChat := func(kind string, id int64) map[string]any {
		u := textUpdate(5, "大家好")
		u["message"].(map[string]any)["chat"] = map[string]any{"id": id, "type": kind}
		return u
	}
	forwarded := textUpdate(5, "转发：楼下垃圾站三天没清运")
	forwarded["message"].(map[string]any)["forward_origin"] = map[string]any{"type": "hidden_user", "date": 1764118800, "sender_user_name": "邻居"}
	edited := map[string]any{"edited_message": textUpdate(5, "改过的话")["message"]}
	channel := map[string]any{"channel_post": inChat("channel", -1002)["message"]}
	groupButton := callbackUpdate(5, "m:report")
	groupButton["callback_query"].(map[string]any)["message"].(map[string]any)["chat"] = map[string]any{"id": -1003, "type": "group"}
	cases := []struct {
		name string
		u    map[string]any
		ok   bool
		kind flows.InputKind
		want string
	}{
		{"text", textUpdate(5, "你好"), true, flows.InputText, "你好"},
		{"venue is a location", venue, true, flows.InputLocation, "1.50000, 2.50000"},
		{"video", message(5, "zh", map[string]any{"video": map[string]any{"file_id": "v", "file_unique_id": "v", "width": 1, "height": 1, "duration": 1}}), true, flows.InputOther, "video"},
		{"poll", message(5, "zh", map[string]any{"poll": map[string]any{"id": "p", "question": "q"}}), true, flows.InputOther, "other"},
		{"from a bot", botMsg, false, "", ""},
		{"callback", callbackUpdate(5, "m:report"), true, flows.InputButton, "m:report"},
		{"forwarded text is the resident's text", forwarded, true, flows.InputText, "转发：楼下垃圾站三天没清运"},
		{"special characters as typed", textUpdate(5, "<b>路灯</b> & *坏了* _两周_ </i> [x](y) `z`"), true, flows.InputText, "<b>路灯</b> & *坏了* _两周_ </i> [x](y) `z`"},
		{"emoji and rare characters", textUpdate(5, "𠀀𪚥𰻞 👨‍👩‍👧 ⚠️"), true, flows.InputText, "𠀀𪚥𰻞 👨‍👩‍👧 ⚠️"},
		{"edited message", edited, false, "", ""},
		{"channel post", channel, false, "", ""},
		{"other group", inChat("group", -1003), false, "", ""},
		{"other supergroup", inChat("supergroup", -1004), false, "", ""},
		{"button in another group", groupButton, false, "", ""},
		{"member update", map[string]any{"my_chat_member": map[string]any{"chat": map[string]any{"id": 5, "type": "private"}, "from": user(5, "zh"), "date": 1}}, false, "", ""},
		{"reaction", map[string]any{"message_reaction": map[string]any{"chat": map[string]any{"id": 5, "type": "private"}, "message_id": 1, "date": 1}}, false, "", ""},
		{"empty update", map[string]any{}, false, "", ""},
	}
	for _, c := range cases {
		in, ok := decode(c.u)
		if ok != c.ok {
			t.Errorf("%s: ok = %v", c.name, ok)
			continue
		}
		if !ok {
			continue
		}
		got := in.Text + in.Data + in.Other
		if in.Location != nil {
			got = in.Location.String()
		}
		if in.Kind != c.kind || got != c.want || in.ChatID != 5 || in.UserName != "张 三" {
			t.Errorf("%s: %+v", c.name, in)
		}
	}
}
