package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// botAPI is a small fake Bot API: one /start update for polling, every call recorded.
type botAPI struct {
	mu     sync.Mutex
	calls  []string
	served bool
}

func (b *botAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/bot"+token+"/")
	r.ParseMultipartForm(1 << 20)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch method {
	case "getUpdates":
		if b.served {
			b.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			b.mu.Lock()
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		}
		b.served = true
		fmt.Fprint(w, `{"ok":true,"result":[{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"张"},"text":"/start"}}]}`)
		return
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"民意","username":"minyi_bot"}}`)
	case "sendMessage":
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"}}}`)
	default:
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	}
	b.calls = append(b.calls, method+" "+r.FormValue("url")+" "+r.FormValue("secret_token")+" "+r.FormValue("text"))
}

func (b *botAPI) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for _, c := range b.calls {
			if strings.HasPrefix(c, prefix) {
				b.mu.Unlock()
				return c
			}
		}
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q call; calls: %q", prefix, b.calls)
	return ""
}

func startServe(t *testing.T) (*botAPI, func()) {
	t.Helper()
	srv.Flush(t)
	api := &botAPI{}
	fake := httptest.NewServer(api)
	t.Cleanup(fake.Close)
	t.Setenv("MINYI_TELEGRAM_TOKEN", token)
	t.Setenv("MINYI_TELEGRAM_API_URL", fake.URL)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_LOG_LEVEL", "warn")
	if os.Getenv("MINYI_HTTP_ADDR") == "" {
		t.Setenv("MINYI_HTTP_ADDR", "127.0.0.1:0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- serve(ctx, nil, &stderr) }()
	return api, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15s of being asked")
		}
	}
}

func TestServePolling(t *testing.T) {
	api, stop := startServe(t)
	api.waitFor(t, "deleteWebhook")
	if c := api.waitFor(t, "sendMessage"); !strings.Contains(c, "欢迎") {
		t.Fatalf("reply to /start: %q", c)
	}
	stop()
}

func TestServeWebhook(t *testing.T) {
	useWebhook(t)
	api, stop := startServe(t)
	if c := api.waitFor(t, "setWebhook"); !strings.Contains(c, "/tg/hook the-secret") {
		t.Fatalf("setWebhook call: %q", c)
	}
	if got := postUpdate(t, ""); got != 401 {
		t.Fatalf("without secret: %d", got)
	}
	if got := postUpdate(t, "the-secret"); got != 200 {
		t.Fatalf("with secret: %d", got)
	}
	if c := api.waitFor(t, "sendMessage"); !strings.Contains(c, "欢迎") {
		t.Fatalf("reply to /start: %q", c)
	}
	stop()
}

// useWebhook sets serve up for webhook mode on a free local port.
func useWebhook(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("MINYI_WEBHOOK_URL", "http://localhost:"+strings.Split(addr, ":")[1]+"/tg/hook")
	t.Setenv("MINYI_WEBHOOK_SECRET", "the-secret")
	t.Setenv("MINYI_HTTP_ADDR", addr)
}

// postUpdate posts a /start to the webhook with secret (none: without the header),
// once serve answers there.
func postUpdate(t *testing.T, secret string) int {
	t.Helper()
	body := `{"update_id":9,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"张"},"text":"/start"}}`
	addr := os.Getenv("MINYI_HTTP_ADDR")
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/tg/hook", strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}

// postStart posts the /start the fake Bot API would have served by polling.
func postStart(t *testing.T) {
	t.Helper()
	if got := postUpdate(t, "the-secret"); got != 200 {
		t.Fatalf("webhook post: %d", got)
	}
}

func TestStartupErrorsNameTheSetting(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"frobnicate"}, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut.String())
	}
	errOut.Reset()
	t.Setenv("MINYI_FLOW_EXPIRY", "forever")
	if code := run([]string{"console"}, strings.NewReader(""), &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "MINYI_FLOW_EXPIRY") {
		t.Fatalf("bad config: %d %q", code, errOut.String())
	}
	errOut.Reset()
	t.Setenv("MINYI_FLOW_EXPIRY", "")
	t.Setenv("MINYI_TELEGRAM_TOKEN", "")
	if code := run([]string{"serve"}, strings.NewReader(""), &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "@BotFather") {
		t.Fatalf("serve without a token: %d %q", code, errOut.String())
	}
}

// minyi queue status shows waiting entries and dead letters; retry puts them back.
func TestQueueCommands(t *testing.T) {
	srv.Flush(t)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_LOG_LEVEL", "error")
	srv.Do(t, "XGROUP", "CREATE", "minyi:{intake}", "classify", "0", "MKSTREAM")
	srv.Do(t, "XADD", "minyi:{intake}", "*", "id", "20261126-0001", "draft", "d1", "body", "{}")
	srv.Do(t, "XADD", "minyi:{intake}:dead", "*", "id", "20261126-0002", "draft", "d2", "body", "{}",
		"stream_id", "1-1", "error", "writing the record: connection refused", "attempts", "5", "at", "2026-11-26T01:00:00Z")
	cmd := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, out := cmd("queue", "status")
	for _, want := range []string{"intake queue: 1 waiting (1 unread", "dead letters: 1", "20261126-0002  5 attempts", "connection refused", "minyi queue retry"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("status (%d) lacks %q:\n%s", code, want, out)
		}
	}
	if code, out := cmd("queue", "retry"); code != 1 || !strings.Contains(out, "name one concern id, or --all") {
		t.Fatalf("retry without an id: %d %s", code, out)
	}
	if code, out := cmd("queue", "retry", "20261126-0009"); code != 1 || !strings.Contains(out, "not found") {
		t.Fatalf("retry of an unknown id: %d %s", code, out)
	}
	if code, out := cmd("queue", "retry", "--all"); code != 0 || !strings.Contains(out, "put 1 dead letter(s) back") {
		t.Fatalf("retry --all: %d %s", code, out)
	}
	if code, out := cmd("queue", "status", "--json"); code != 0 || !strings.Contains(out, `"Dead": 0`) || !strings.Contains(out, `"Length": 2`) {
		t.Fatalf("status --json: %d %s", code, out)
	}
}
