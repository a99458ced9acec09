package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
)

// chatAPI is a fake Bot API that records each message sent, by chat.
type chatAPI struct {
	mu   sync.Mutex
	sent []sentMessage
}

type sentMessage struct{ Chat, Text string }

func (b *chatAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/file/bot"+token+"/photos/P1.png" {
		w.Write(photoPNG())
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/bot"+token+"/")
	r.ParseMultipartForm(1 << 20)
	switch method {
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"民意","username":"minyi_bot"}}`)
	case "sendMessage":
		b.mu.Lock()
		b.sent = append(b.sent, sentMessage{Chat: r.FormValue("chat_id"), Text: r.FormValue("text")})
		b.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":%s,"type":"private"}}}`, r.FormValue("chat_id"))
	case "getFile":
		fmt.Fprint(w, `{"ok":true,"result":{"file_id":"P1","file_unique_id":"uP1","file_path":"photos/P1.png"}}`)
	case "getUpdates":
		time.Sleep(50 * time.Millisecond)
		fmt.Fprint(w, `{"ok":true,"result":[]}`)
	default:
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	}
}

// photoPNG is a resident's photo: a street lamp's grey post on green.
func photoPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			c := color.RGBA{60, 140, 70, 255}
			if x > 75 && x < 85 || y < 20 && x > 60 && x < 100 {
				c = color.RGBA{90, 90, 90, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// waitSent waits for a message to chat that holds want, and returns its text.
func (b *chatAPI) waitSent(t *testing.T, chat, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for _, m := range b.sent {
			if m.Chat == chat && strings.Contains(m.Text, want) {
				b.mu.Unlock()
				return m.Text
			}
		}
		b.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t.Fatalf("no message to %s holds %q; sent: %q", chat, want, b.sent)
	return ""
}

// chromium is Debian's browser, for the browser tests; "" when it is not installed.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// A secretary's first session in the workbench, in a real browser: the admin
// asks the bot for a link (/web), opens it, signs in, filters and searches the
// list, opens a concern, refers it to a unit, closes it with the result and
// drafts a 信息 from it; the reporter's chat (the fake Bot API) gets the
// notice. Screenshots are kept in a temporary folder, named in the log.
func TestWorkbenchInABrowser(t *testing.T) {
	chrome := chromium()
	if chrome == "" {
		t.Skip("chromium is not installed (apt-get install chromium): the browser test is skipped")
	}
	useWebhook(t)
	addr := os.Getenv("MINYI_HTTP_ADDR")
	base := "http://127.0.0.1:" + strings.Split(addr, ":")[1]
	t.Setenv("MINYI_PUBLIC_URL", base)
	t.Setenv("MINYI_ADMINS", "9001")
	t.Setenv("MINYI_UNITS", "区住建局,区水务局")
	t.Setenv("MINYI_COMMUNITIES", "阳光社区,和平社区")
	srv.Flush(t)
	api := &chatAPI{}
	fake := httptest.NewServer(api)
	t.Cleanup(fake.Close)
	t.Setenv("MINYI_TELEGRAM_TOKEN", token)
	t.Setenv("MINYI_TELEGRAM_API_URL", fake.URL)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_LOG_LEVEL", "warn")

	// two residents' concerns, recorded as the intake worker would
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Hour)
	var lamp string
	for i, r := range []*concern.Report{
		{Text: "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。", Community: "阳光社区", ReplyChat: 1001, ReporterID: 1001, ReporterName: "张三",
			Photos: []string{"P1"}, Location: &concern.Location{Lat: 31.2304, Lon: 121.4737}},
		{Text: "和平社区的垃圾站好几天没人清运，气味很大。", Community: "和平社区", ReplyChat: 1002},
	} {
		r.DraftID, r.ReceivedAt, r.Channel, r.Status = fmt.Sprint("d", i), at, "telegram", concern.StatusReceived
		r.Sector, r.Topic, r.Level, r.Deadline = "社会建设", "城乡建设", concern.LevelGeneral, at.Add(7*24*time.Hour)
		r.History = []concern.StatusChange{{At: at, Status: concern.StatusReceived}}
		id, err := st.Submit(t.Context(), r.DraftID, r, 0)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		if err := st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			lamp = id
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- serve(ctx, nil, &stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr.String())
		}
	}()

	// the admin asks the bot for a link
	update := `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":9001,"type":"private"},"from":{"id":9001,"is_bot":false,"first_name":"李书记"},"text":"/web"}}`
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodPost, base+"/tg/hook", strings.NewReader(update))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "the-secret")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	link := regexp.MustCompile(`http://\S+/staff/signin\?code=\S+`).FindString(api.waitSent(t, "9001", "/staff/signin?code="))
	if link == "" {
		t.Fatal("no sign-in link in the bot's answer")
	}

	shots, err := os.MkdirTemp("", "minyi-workbench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	browser, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
	defer cancelTimeout()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, steps...); err != nil {
			t.Fatalf("in the browser, %s: %v\n%s", what, err, stderr.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		// read from the live document: a node chromedp cached from the page before a navigation reads as "" (seen once in CI, on a loaded machine)
		var s string
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			s, err = chromedp.Run(browser, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).innerText || ""`))
			if err != nil || s != "" {
				break
			}
			if time.Now().After(deadline) {
				err = fmt.Errorf("%s is empty or missing", sel)
				break
			}
		}
		if err != nil {
			t.Fatalf("in the browser, reading %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	assign := `form[action="/staff/concerns/` + lamp + `/assign"]`
	status := `form[action="/staff/concerns/` + lamp + `/status"]`

	step("opening the link", chromedp.Navigate(link), chromedp.WaitVisible(css(`form[action="/staff/signin"] button`)))
	shot("1-signin")
	step("signing in", chromedp.Click(css(`form[action="/staff/signin"] button`)), chromedp.WaitVisible(css(`ul.tiles`)))
	dashboard := text("main")
	shot("2-dashboard")
	step("filtering the list", chromedp.Click(css(`header a[href="/staff/concerns"]`)), chromedp.WaitVisible(css(`form.filters`)),
		chromedp.SetValue(css(`form.filters input[name=community]`), "阳光社区"),
		chromedp.SetValue(css(`form.filters input[name=q]`), "路灯"),
		chromedp.Click(css(`form.filters button`)),
		chromedp.WaitVisible(css(`a[href="/staff/concerns/`+lamp+`"]`)))
	list := text("main")
	shot("3-list")
	step("opening the concern", chromedp.Click(css(`a[href="/staff/concerns/`+lamp+`"]`)), chromedp.WaitVisible(css(assign+` input[name=text]`)),
		chromedp.WaitVisible(css(`dd.photos img`)))
	// the resident's photo, fetched through the workbench from the Bot API
	width, err := chromedp.Run(browser, chromedp.Evaluate[int](`new Promise(ok => { const i = document.querySelector("dd.photos img"); `+
		`i.complete ? ok(i.naturalWidth) : i.onload = () => ok(i.naturalWidth) })`, chromedp.EvalAwaitPromise))
	if err != nil || width != 160 {
		t.Fatalf("the photo on the page: %d wide, %v", width, err)
	}
	shot("4-concern")
	step("referring it", chromedp.SendKeys(css(assign+` input[name=text]`), "区住建局"), chromedp.Click(css(assign+` button`)),
		chromedp.WaitVisible(css(`p.note`)))
	step("closing it", chromedp.SetValue(css(status+` select`), "closed"),
		chromedp.SendKeys(css(status+` textarea`), "路灯已更换，请您查看"),
		chromedp.Click(css(status+` button`)),
		chromedp.WaitNotPresent(css(status)))
	page := text("main")
	shot("5-closed")
	// a 信息 drafted from it, for the committee above
	step("drafting a 信息", chromedp.Click(css(`form[action="/staff/info/new"] button`)), chromedp.WaitVisible(css(`section.info-body`)))
	item := text("main")
	shot("5b-info")
	// the other one referred from the list, ticked
	other := `input[type=checkbox][name=id]:not([value="` + lamp + `"])`
	step("ticking on the list", chromedp.Navigate(base+"/staff/concerns"), chromedp.WaitVisible(css(other)),
		chromedp.Click(css(other)), chromedp.SendKeys(css(`fieldset.bulk input[name=text]`), "区水务局"))
	shot("6-bulk")
	step("referring the ticked", chromedp.Click(css(`fieldset.bulk button`)), chromedp.WaitVisible(css(`p.note`)))
	bulk := text("main")
	step("the digest", chromedp.Navigate(base+"/staff/digest?period=today"), chromedp.WaitVisible(css(`div.digest`)))
	digest := text("div.digest")
	shot("7-digest")
	step("the export page", chromedp.Navigate(base+"/staff/export"), chromedp.WaitVisible(css(`form.filters`)))
	shot("8-export")
	step("in English", chromedp.Navigate(base+"/staff/"), chromedp.Click(css(`button[name=lang]`)), chromedp.WaitVisible(css(`html[lang=en] ul.tiles`)))
	english := text("main")
	shot("9-english")
	// a grid worker on foot: the same pages on a phone's screen
	step("on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/staff/concerns?status=all"),
		chromedp.WaitVisible(css(`form.filters`)))
	shot("10-phone-list")
	step("the 信息 on a phone", chromedp.Navigate(base+"/staff/info"), chromedp.WaitVisible(css(`table.infos`)))
	shot("11-phone-info")
	if !strings.Contains(bulk, "已办理 1 件") || !strings.Contains(digest, "民意") || !strings.Contains(english, "Waiting to be accepted") {
		t.Fatalf("bulk:\n%s\ndigest:\n%s\nEnglish:\n%s", bulk, digest, english)
	}
	api.waitSent(t, "1002", "区水务局")
	if !strings.Contains(dashboard, "待受理") || !strings.Contains(list, lamp) || strings.Contains(list, "垃圾站") {
		t.Fatalf("dashboard:\n%s\nlist:\n%s", dashboard, list)
	}
	if !strings.Contains(item, "一、基本情况") || !strings.Contains(item, lamp) || !strings.Contains(item, "提交审核") {
		t.Fatalf("the 信息 drafted:\n%s", item)
	}
	if !strings.Contains(page, "已办结") || !strings.Contains(page, "区住建局") || !strings.Contains(page, "路灯已更换") {
		t.Fatalf("the concern's page after closing:\n%s", page)
	}
	// the reporter hears of both, in their chat
	api.waitSent(t, "1001", "区住建局")
	api.waitSent(t, "1001", "路灯已更换，请您查看")
	r, err := st.Report(t.Context(), lamp)
	if err != nil || r.Status != concern.StatusClosed || r.Unit != "区住建局" {
		t.Fatalf("the concern: %+v, %v", r, err)
	}
}
