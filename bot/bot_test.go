package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/internal/golden"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) {
	// outage tests make the driver log every failed dial; keep the output readable
	store.RouteDriverLogs(testLogger())
	os.Exit(storetest.Main(m, &srv))
}

func testLogger() *slog.Logger {
	if os.Getenv("MINYI_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// clock is a seeded clock: each reading is one second after the last.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Add(int64(time.Second))) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// recorder is the transport, told which input's replies are done with.
type recorder struct {
	*Transport
	t    *testing.T
	mu   sync.Mutex
	done map[string]chan struct{}
}

func (r *recorder) Delivered(d dispatch.Delivery, err error) {
	ch := r.wait(d.InputID)
	select {
	case <-ch:
		r.t.Errorf("replies to %s delivered twice", d.InputID)
	default:
		close(ch)
	}
}

func (r *recorder) wait(id string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.done[id]
	if !ok {
		ch = make(chan struct{})
		r.done[id] = ch
	}
	return ch
}

// flakyIntake fails the next n submissions, as a store that is briefly unreachable.
type flakyIntake struct {
	cases.Intake
	fails atomic.Int32
}

func (f *flakyIntake) Submit(ctx context.Context, draft string, r *concern.Report, perDay int) (string, error) {
	if f.fails.Add(-1) >= 0 {
		return "", fmt.Errorf("redis: connection refused")
	}
	return f.Intake.Submit(ctx, draft, r, perDay)
}

// harness runs the real pipeline (transport, inbox, intake) against the fake Bot API.
type harness struct {
	t      *testing.T
	api    *fakeAPI
	st     *store.Store
	tr     *Transport
	clock  *clock
	rec    *recorder
	intake *flakyIntake
	cases  *cases.Service
	seen   int // calls already shown
	log    strings.Builder
}

// harnessConfig is the policy a harness runs with: the case handling's, and the
// processor's limit of messages a minute.
type harnessConfig struct {
	cases.Config
	perMinute int
	// logs, when set, receives every log line of the harness at debug level.
	logs io.Writer
	// screen, when set, replaces the lexicon's screening, at submission and in the queue.
	screen intake.Screener
	// sending configures the send scheduler (default: nothing held back)
	sending []dispatch.Option
}

func newHarness(t *testing.T, webhook bool, tweaks ...func(*harnessConfig)) *harness {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL(), store.WithShards(4), store.WithLocation(shanghai))
	if err != nil {
		t.Fatal(err)
	}
	cc := harnessConfig{Config: cases.Config{Admins: []int64{admin}, StaffChat: staffChat}}
	for _, tw := range tweaks {
		tw(&cc)
	}
	logger := testLogger()
	if cc.logs != nil {
		logger = slog.New(slog.NewJSONHandler(cc.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := &harness{t: t, api: newFakeAPI(t), st: st, clock: newClock()}
	h.intake = &flakyIntake{Intake: st}
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	lex := lexicon(t)
	screen := cc.screen
	if screen == nil {
		if screen, err = classify.NewScreener(lex); err != nil {
			t.Fatal(err)
		}
	}
	svc := cases.New(st, inbox.NewWriter(st), cc.Config,
		cases.WithIntake(h.intake), cases.WithLogger(logger), cases.WithClock(h.clock.now), cases.WithScreener(screen),
		cases.WithDigests(digest.NewBuilder(st, tax.Sectors, shanghai, digest.WithClock(h.clock.now))), cases.WithIndex(index.New(st)))
	h.cases = svc
	m, reg, err := commands.NewEngine(svc, []flows.Option{flows.WithCommunities("阳光社区", "和平社区"), flows.WithOrgName("幸福街道", "Xingfu"),
		flows.WithLocation(shanghai), flows.WithGrids("阳光社区/第一网格", "和平社区/第一网格")}, commands.WithLogger(logger),
		commands.WithUnits("区住建局", "区水务局"))
	if err != nil {
		t.Fatal(err)
	}
	h.tr, err = New(testToken, inbox.NewWriter(st), m, WithServerURL(h.api.srv.URL), WithClock(h.clock.now),
		WithPollTimeout(time.Second), WithLogger(logger), WithStaffChat(staffChat))
	if err != nil {
		t.Fatal(err)
	}
	h.rec = &recorder{Transport: h.tr, t: t, done: map[string]chan struct{}{}}
	proc := inbox.New(st, m, svc, h.rec, inbox.WithCommands(reg), inbox.WithLogger(logger), inbox.WithLeaseTTL(3*time.Second), inbox.WithAdmins(cc.Admins...),
		inbox.WithMessageLimit(cc.perMinute), inbox.WithClock(h.clock.now), inbox.WithDraftSweep(50*time.Millisecond),
		inbox.WithSending(cc.sending...))
	worker := intake.New(st, lex, intake.WithLogger(logger), intake.WithScreener(screen),
		intake.WithDeadlines(svc.Deadline), intake.WithUrgent(svc.RaiseAlert))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { proc.Run(ctx) })
	wg.Go(func() { worker.Run(ctx) })
	if !webhook {
		wg.Go(func() { h.tr.Poll(ctx) })
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	return h
}

// The people of the tests: a resident, an admin by configuration, and the staff group chat.
const (
	resident  = int64(1001)
	admin     = int64(9001)
	staffChat = int64(-100500)
)

// send pushes updates in one batch and waits until the bot has answered them all.
func (h *harness) send(updates ...map[string]any) []apiCall {
	h.t.Helper()
	for _, u := range updates {
		h.note(u)
	}
	ids := h.api.push(updates...)
	for _, id := range ids {
		h.waitDelivered(id)
	}
	return h.fresh()
}

func (h *harness) waitDelivered(id int64) {
	h.t.Helper()
	select {
	case <-h.rec.wait(fmt.Sprintf("tg:%d", id)):
	case <-time.After(20 * time.Second):
		h.t.Fatalf("update %d not answered within 20s; calls so far:\n%s", id, transcript(h.api.snapshot()))
	}
}

// fresh returns the calls made since the last look, and logs them for the golden file.
func (h *harness) fresh() []apiCall {
	all := h.api.snapshot()
	out := all[h.seen:]
	h.seen = len(all)
	h.log.WriteString(transcript(out))
	return out
}

func (h *harness) note(u map[string]any) {
	switch {
	case u["callback_query"] != nil:
		fmt.Fprintf(&h.log, "\n## press %s\n", u["callback_query"].(map[string]any)["data"])
	default:
		m := u["message"].(map[string]any)
		delete(m, "message_id")
		b, _ := json.Marshal(m)
		if text, ok := m["text"].(string); ok {
			fmt.Fprintf(&h.log, "\n## type %s\n", concern.Excerpt(text, 40))
		} else {
			fmt.Fprintf(&h.log, "\n## send %s\n", b)
		}
	}
}

// button finds the button labelled label on the resident's latest messages and
// makes the update that pressing it sends.
func (h *harness) button(label string) map[string]any {
	h.t.Helper()
	return h.buttonIn(resident, resident, label)
}

// buttonIn finds label on the latest messages to chat and makes user's press of it.
func (h *harness) buttonIn(chat, user int64, label string) map[string]any {
	h.t.Helper()
	calls := h.api.snapshot()
	seen := 0
	for i := len(calls) - 1; i >= 0 && seen < 6; i-- {
		if calls[i].Params["chat_id"] != strconv.FormatInt(chat, 10) {
			continue
		}
		seen++
		var markup struct {
			Inline [][]struct {
				Text string `json:"text"`
				Data string `json:"callback_data"`
			} `json:"inline_keyboard"`
			Keyboard [][]struct {
				Text     string `json:"text"`
				Contact  bool   `json:"request_contact"`
				Location bool   `json:"request_location"`
			} `json:"keyboard"`
		}
		json.Unmarshal([]byte(calls[i].Params["reply_markup"]), &markup)
		for _, row := range markup.Inline {
			for _, b := range row {
				if flows.SameLabel(label, b.Text) {
					u := callbackUpdate(user, b.Data)
					cq := u["callback_query"].(map[string]any)
					cq["message"].(map[string]any)["message_id"] = calls[i].MessageID
					if chat != user {
						cq["message"].(map[string]any)["chat"] = map[string]any{"id": chat, "type": "supergroup"}
					}
					return u
				}
			}
		}
		for _, row := range markup.Keyboard {
			for _, b := range row {
				if !flows.SameLabel(label, b.Text) {
					continue
				}
				switch {
				case b.Contact:
					return message(user, "zh-hans", map[string]any{"contact": map[string]any{"phone_number": "+8613800001234", "first_name": "张", "user_id": user}})
				case b.Location:
					return message(user, "zh-hans", map[string]any{"location": map[string]any{"latitude": 31.2304, "longitude": 121.4737}})
				}
				return textUpdate(user, b.Text)
			}
		}
	}
	h.t.Fatalf("no button %q on the latest messages to %d:\n%s", label, chat, transcript(calls[max(0, len(calls)-8):]))
	return nil
}

// waitText waits for a message to chat that says want, and returns it.
func (h *harness) waitText(chat int64, want string) apiCall {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range h.api.snapshot() {
			if c.Method == "sendMessage" && c.Params["chat_id"] == strconv.FormatInt(chat, 10) && strings.Contains(c.Params["text"], want) {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("no message to %d says %q; calls:\n%s", chat, want, transcript(h.api.snapshot()))
	return apiCall{}
}

func (h *harness) press(label string) []apiCall {
	h.t.Helper()
	return h.send(h.button(label))
}

func (h *harness) say(text string) []apiCall {
	h.t.Helper()
	return h.send(textUpdate(resident, text))
}

// golden compares the whole conversation's Bot API calls with testdata/NAME.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	h.fresh()
	golden.Check(h.t, "testdata/"+name+".golden", h.log.String())
}

func mustContain(t *testing.T, calls []apiCall, want string) {
	t.Helper()
	for _, c := range calls {
		if strings.Contains(c.Params["text"], want) {
			return
		}
	}
	t.Fatalf("no message says %q:\n%s", want, transcript(calls))
}

// A whole report, with every kind of bad input, through polling; the exact Bot API
// calls are checked against a golden transcript.
func TestReportConversation(t *testing.T) {
	h := newHarness(t, false)
	h.say("/start")
	h.press("反映诉求")
	h.send(message(resident, "zh-hans", map[string]any{"sticker": map[string]any{"file_id": "S1", "file_unique_id": "s1", "type": "regular", "width": 1, "height": 1, "is_animated": false, "is_video": false}}))
	h.say("路灯坏了")
	h.say(strings.Repeat("长", 2001))
	h.say("小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。")
	h.send(message(resident, "zh-hans", map[string]any{"voice": map[string]any{"file_id": "V1", "file_unique_id": "v1", "duration": 3}}))
	for i := 1; i <= 4; i++ {
		h.send(message(resident, "zh-hans", map[string]any{"photo": []map[string]any{
			{"file_id": fmt.Sprintf("small-%d", i), "file_unique_id": "s", "width": 90, "height": 90},
			{"file_id": fmt.Sprintf("large-%d", i), "file_unique_id": "l", "width": 1280, "height": 960},
		}}))
	}
	h.press("完成")
	h.send(message(resident, "zh-hans", map[string]any{"document": map[string]any{"file_id": "D1", "file_unique_id": "d1"}}))
	h.press("阳光社区")
	h.say("13800001234")
	h.send(message(resident, "zh-hans", map[string]any{"contact": map[string]any{"phone_number": "13900009999", "first_name": "李四", "user_id": 2002}}))
	h.press("分享我的手机号")
	h.press("修改")
	h.press("位置")
	h.press("发送定位")
	h.press("发送我的位置")
	calls := h.press("提交")
	mustContain(t, calls, "您的诉求已收到，编号 20261126-0001")
	// the queue consumer wrote the record, tagged, with what the resident gave
	r := waitReport(t, h.st, "20261126-0001")
	if r.Phone != "+8613800001234" || r.ReporterID != resident || len(r.Photos) != 3 || r.Photos[0] != "large-1" || r.Location == nil || r.Community != "" {
		t.Fatalf("stored report: %+v", r)
	}
	if r.Topic != "城乡建设" || r.Sector != "社会建设" || r.Classifier != "lexicon" || !strings.Contains(r.Reason, "路灯") {
		t.Fatalf("stored tags: %q %q %q %q", r.Topic, r.Sector, r.Classifier, r.Reason)
	}
	calls = h.say("/status")
	mustContain(t, calls, "20261126-0001 · 2026-11-26 · 小区东门的路灯坏了一个多月，晚上很黑，老… · 城乡建设（社会建设） · 待受理")
	h.golden("report")
}

func waitReport(t *testing.T, st *store.Store, id string) *concern.Report {
	t.Helper()
	var r *concern.Report
	waitFor(t, func() bool {
		var err error
		r, err = st.Report(t.Context(), id)
		return err == nil
	})
	return r
}

// toSummary walks a resident to the summary of an anonymous report.
func (h *harness) toSummary(text string) {
	h.t.Helper()
	h.say("/report")
	h.say(text)
	h.press("跳过")
	h.press("和平社区")
	h.press("匿名")
}

func TestCancelAndExpiry(t *testing.T) {
	h := newHarness(t, false)
	h.say("/cancel")
	h.say("/report")
	calls := h.say("/cancel")
	mustContain(t, calls, "已取消")
	h.toSummary("垃圾站旁边的垃圾好几天没有清运了，气味很大。")
	h.press("取消")
	h.say("/report")
	h.say("公园里的健身器材坏了，存在安全隐患。")
	h.clock.advance(31 * time.Minute)
	calls = h.say("/status")
	mustContain(t, calls, "超过30分钟没有操作，已自动作废")
	mustContain(t, calls, "您还没有反映过诉求")
	h.golden("cancel_expiry")
}

func TestEditFromSummary(t *testing.T) {
	h := newHarness(t, false)
	h.toSummary("菜市场门口占道经营，早高峰车辆无法通行。")
	h.press("修改")
	h.press("问题描述")
	h.say("菜市场门口占道经营，早晚高峰车辆和行人都无法通行。")
	h.press("修改")
	h.press("联系方式")
	calls := h.press("分享我的手机号")
	mustContain(t, calls, "【问题描述】菜市场门口占道经营，早晚高峰车辆和行人都无法通行。")
	mustContain(t, calls, "【联系方式】手机 138****1234")
	h.press("提交")
	h.golden("edit")
}

// Two messages of one chat arriving at once are processed one after the other.
func TestTwoMessagesAtOnce(t *testing.T) {
	h := newHarness(t, false)
	h.say("/report")
	calls := h.send(textUpdate(resident, "楼道里的灯坏了两周了，请尽快维修。"), textUpdate(resident, "跳过"))
	var texts []string
	for _, c := range calls {
		texts = append(texts, c.Params["text"])
	}
	// the first answer's prompt may not be sent at all: the second, ready
	// before it went, made it obsolete
	got := strings.Join(texts, "\n")
	if len(calls) == 0 || len(calls) > 2 || !strings.HasPrefix(texts[len(texts)-1], "第3步") || len(calls) == 2 && !strings.HasPrefix(texts[0], "第2步") {
		t.Fatalf("replies out of order or lost:\n%s", got)
	}
}

// Redis stops just as the resident submits: they are told, nothing is lost, and
// the held update goes through once Redis is back.
func TestRedisDownAtSubmit(t *testing.T) {
	h := newHarness(t, false)
	h.toSummary("自来水发黄，已经三天了，无法饮用。")
	h.fresh()
	srv.Down()
	press := h.button("提交")
	ids := h.api.push(press)
	calls := h.api.waitCalls(t, h.seen+2, 15*time.Second)[h.seen:]
	mustContain(t, calls, "系统暂时繁忙，请一分钟后再试")
	var alerted bool
	for _, c := range calls {
		alerted = alerted || (c.Method == "answerCallbackQuery" && c.Params["show_alert"] == "true")
	}
	if !alerted {
		t.Fatalf("the pressed button was not answered with the alert:\n%s", transcript(calls))
	}
	time.Sleep(500 * time.Millisecond)
	for _, off := range h.api.offsetsSince(0) {
		if off > ids[0] {
			t.Fatalf("offset moved to %d past update %d before Redis had it", off, ids[0])
		}
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	h.waitDelivered(ids[0])
	calls = h.fresh()
	mustContain(t, calls, "您的诉求已收到，编号 20261126-0001")
	calls = h.say("/status")
	mustContain(t, calls, "20261126-0001")
	// pressing the old button again does not file a second concern
	calls = h.send(press)
	mustContain(t, calls, "这个按钮已失效")
	if ids, _ := h.st.ReceivedIDs(t.Context(), []string{"20261126"}); len(ids) != 1 {
		t.Fatalf("%d concerns accepted, want 1: %v", len(ids), ids)
	}
}

// The store takes the session but not the submission: the resident is asked to
// retry, the answers are kept, and the retry files the concern once.
func TestSubmitFailsThenRetrySucceeds(t *testing.T) {
	h := newHarness(t, false)
	h.toSummary("噪音扰民，夜里施工到凌晨两点。")
	h.intake.fails.Store(1)
	calls := h.press("提交")
	mustContain(t, calls, "这次没有提交成功。您填写的内容已保留")
	mustContain(t, calls, "【问题描述】噪音扰民，夜里施工到凌晨两点。")
	calls = h.press("提交")
	mustContain(t, calls, "编号 20261126-0001")
	h.golden("submit_retry")
}

func (f *fakeAPI) offsetsSince(i int) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.offsets[i:]...)
}

func TestEnglishResident(t *testing.T) {
	h := newHarness(t, false)
	calls := h.send(message(resident, "en-GB", map[string]any{"text": "/start"}))
	mustContain(t, calls, "welcome to the Xingfu public-opinion line")
	if !strings.Contains(calls[0].Params["reply_markup"], "Report a concern") {
		t.Fatalf("menu not in English:\n%s", transcript(calls))
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
