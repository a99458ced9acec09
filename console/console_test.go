package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// session runs one console process's worth of minyi over script and returns what it printed.
func session(t *testing.T, url, script string) string {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	con := New(&out, WithUser(10001, "居民", "zh"), WithReplyTimeout(10*time.Second))
	svc := cases.New(st, inbox.NewWriter(st), cases.Config{}, cases.WithLogger(quiet))
	m, reg, err := commands.NewEngine(svc, []flows.Option{flows.WithCommunities("阳光社区", "和平社区")}, commands.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	proc := inbox.New(st, m, svc, con, inbox.WithCommands(reg), inbox.WithLogger(quiet))
	worker := intake.New(st, lexicon(t), intake.WithLogger(quiet))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { proc.Run(ctx) })
	wg.Go(func() { worker.Run(ctx) })
	err = con.Run(ctx, strings.NewReader(script), inbox.NewWriter(st))
	// let the intake worker record what this session submitted before it ends
	for _, m := range receipt.FindAllStringSubmatch(out.String(), -1) {
		deadline := time.Now().Add(10 * time.Second)
		for _, err := st.Report(t.Context(), m[1]); err != nil && time.Now().Before(deadline); _, err = st.Report(t.Context(), m[1]) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

const report = `# a resident reports a concern
/start
反映诉求
小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。
跳过
2
匿名
提交
/status
`

var receipt = regexp.MustCompile(`编号 (\d{8}-\d{4})`)

func TestPipedConversationAndSecondProcess(t *testing.T) {
	srv.Flush(t)
	out := session(t, srv.URL(), report)
	m := receipt.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no receipt in:\n%s", out)
	}
	id := m[1]
	if !strings.Contains(out, "已记录位置：和平社区") {
		t.Fatalf("button 2 did not choose the second community:\n%s", out)
	}
	if !strings.Contains(out, id+" · ") {
		t.Fatalf("/status does not list %s:\n%s", id, out)
	}
	// a second process on the same Redis, after the first has exited
	out = session(t, srv.URL(), "/status\n")
	if !strings.Contains(out, id+" · ") || !strings.Contains(out, "共1件") {
		t.Fatalf("second process does not see %s:\n%s", id, out)
	}
	// by now the queue has tagged it
	if !strings.Contains(out, " · 城乡建设（社会建设） · 待受理") {
		t.Fatalf("/status does not show the topic and sector:\n%s", out)
	}
}

func TestConsoleCommands(t *testing.T) {
	srv.Flush(t)
	out := session(t, srv.URL(), `/report
:sticker
:photo
:bogus
:location 200 1
:as 0
:as 20002 李四
/status
:quit
/start
`)
	for _, want := range []string{
		"收到了一张贴纸，但这一步需要用文字描述问题",
		"收到了一张照片",
		"unknown console command :bogus",
		"latitude must be -90..90",
		"user id must be a positive number",
		"now speaking as user 20002, 李四",
		"您还没有反映过诉求",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "欢迎") {
		t.Errorf("lines after :quit were read:\n%s", out)
	}
}

func TestNumberedButtons(t *testing.T) {
	var out bytes.Buffer
	c := New(&out)
	d := dispatch.Delivery{ChatID: 1, InputID: "x", Messages: []flows.Message{
		{Text: "选择", Inline: [][]flows.Button{{{Label: "✅ 提交", Data: "f:t:confirm:submit"}}}},
		{Text: "键盘", Reply: [][]flows.Button{{{Label: "📱 分享我的手机号", Request: "contact"}}, {{Label: "🙈 匿名"}}}},
	}}
	for _, m := range d.Messages {
		c.Send(context.Background(), dispatch.Out{ChatID: 1, InputID: "x", Message: m})
	}
	c.Delivered(d, nil)
	if !strings.Contains(out.String(), "[1] ✅ 提交") || !strings.Contains(out.String(), "⌨ [2] 📱 分享我的手机号  [3] 🙈 匿名") {
		t.Fatalf("buttons shown as:\n%s", out.String())
	}
	for line, want := range map[string]string{
		"1":           "button f:t:confirm:submit",
		"提交":          "button f:t:confirm:submit",
		"3":           "text 🙈 匿名",
		"匿名":          "text 匿名",
		"9":           "text 9",
		"13800001234": "text 13800001234",
		"2":           "error",
	} {
		in, _, err := c.parse(line)
		got := "error"
		if err == nil {
			got = string(in.Kind) + " " + in.Data + in.Text
		}
		if got != want {
			t.Errorf("%q → %q, want %q", line, got, want)
		}
	}
}

func lexicon(t testing.TB) *classify.Lexicon {
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	lex, err := classify.NewLexicon(tax, "城乡建设")
	if err != nil {
		t.Fatal(err)
	}
	return lex
}
