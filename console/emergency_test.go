package console

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/store"
)

// syncBuffer is the console's output, read by the test while the console writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// manualClock stands still until the test moves it.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	gasReport = "燃气管道有泄漏的味道，在和平社区5号楼一单元，非常浓！"
	duty      = int64(-100500) // the staff group
	admin1    = int64(9001)
	admin2    = int64(9002)
)

// Issue 14's acceptance: a resident reports a gas leak in the console → the
// receipt starts with the gas advice and says staff are alerted (decided at
// submission: the queue worker has not even started) → the staff chat gets the
// alert with its reason → after the escalation delay each admin is alerted
// privately → 已知悉 stops it → the audit shows who acknowledged and how long after.
func TestGasLeakEscalatesUntilAcknowledged(t *testing.T) {
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clock := &manualClock{t: time.Date(2026, 11, 26, 21, 0, 0, 0, sh)}
	out := &syncBuffer{}
	con := New(out, WithUser(10001, "居民", "zh"), WithReplyTimeout(10*time.Second), WithClock(clock.now))
	// the real screening: the acceptance is what it decides for this report, and all that follows
	lex := lexicon(t)
	screen, err := classify.NewScreener(lex)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(st, inbox.NewWriter(st), cases.Config{StaffChat: duty, Admins: []int64{admin1, admin2},
		AlertEvery: 15 * time.Minute, Escalate: 10 * time.Minute, Location: sh},
		cases.WithLogger(quiet), cases.WithClock(clock.now), cases.WithScreener(screen))
	m, reg, err := commands.NewEngine(svc, []flows.Option{flows.WithCommunities("阳光社区", "和平社区"), flows.WithLocation(sh),
		flows.WithDutyPhone("0731-88886666")}, commands.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	proc := inbox.New(st, m, svc, con, inbox.WithCommands(reg), inbox.WithLogger(quiet), inbox.WithAdmins(admin1, admin2), inbox.WithClock(clock.now))
	worker := intake.New(st, lex, intake.WithLogger(quiet), intake.WithScreener(screen),
		intake.WithDeadlines(svc.Deadline), intake.WithUrgent(svc.RaiseAlert))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { proc.Run(ctx) })
	say := func(script string) {
		t.Helper()
		if err := con.Run(ctx, strings.NewReader(script), inbox.NewWriter(st)); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the console never showed %q:\n%s", want, out.String())
			}
		}
	}
	tick := func(d time.Duration) {
		t.Helper()
		clock.advance(d)
		if err := svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { t.Logf("the console transcript:\n%s", out.String()) }()

	// the resident reports; only the conversation runs, not the queue
	say("/start\n反映诉求\n" + gasReport + "\n跳过\n2\n匿名\n提交\n")
	id := regexp.MustCompile(`编号 (\d{8}-\d{4})`).FindStringSubmatch(out.String())
	if id == nil {
		t.Fatalf("no receipt:\n%s", out.String())
	}
	receipt := out.String()[strings.LastIndex(out.String(), "> 提交"):]
	for _, want := range []string{
		"🤖 🚨 疑似燃气泄漏：请立即离开，不要开关任何电器、电灯和开关，不要使用明火，不要在现场打电话；到室外安全处再拨打燃气公司的抢修电话（印在燃气表或燃气缴费单上）。",
		"   街道值班电话：0731-88886666\n   已通知值班工作人员。",
		"✅ 您的诉求已收到，编号 " + id[1],
	} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, receipt)
		}
	}
	if strings.Index(receipt, "疑似燃气泄漏") > strings.Index(receipt, "✅ 您的诉求已收到") {
		t.Errorf("the receipt does not start with the advice:\n%s", receipt)
	}
	if strings.Contains(out.String(), "[→") {
		t.Fatalf("someone was alerted before the queue ran:\n%s", out.String())
	}

	// the queue worker records it and alerts the staff chat, with the reason
	wg.Go(func() { worker.Run(ctx) })
	wait("🤖 [→ -100500] 🚨 紧急诉求 " + id[1])
	// the real screening's reason: the hazard, what showed it, what showed it is now
	wait("紧急情形（燃气泄漏）：泄漏的味道、燃气管…浓；正在发生：非常；地点：和平社区")

	// nine minutes on, nobody has acknowledged: still only the staff chat knows
	say(":as 9001 管理员\n")
	tick(9 * time.Minute)
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(out.String(), "升级提醒") {
		t.Fatalf("escalated before 10 minutes:\n%s", out.String())
	}
	// ten: each admin privately
	tick(time.Minute)
	wait("🤖 ⏫ 升级提醒：以下紧急诉求已 10分钟 无人确认，现同时提醒各位管理员。\n   🚨 紧急诉求 " + id[1]) // to 9001, the console's user
	wait("🤖 [→ 9002] ⏫ 升级提醒")
	if n := strings.Count(out.String(), "[→ -100500] ⏫"); n != 0 {
		t.Fatalf("the escalation went to the staff group too")
	}

	// a minute later the admin presses 已知悉 on it: no more alerts, to anyone
	clock.advance(time.Minute)
	say("已知悉\n")
	wait("已确认紧急诉求 " + id[1] + "，不再重复提醒。")
	alerts := strings.Count(out.String(), "紧急诉求 "+id[1]+"\n") + strings.Count(out.String(), "紧急诉求 "+id[1]+"（")
	for range 4 {
		tick(15 * time.Minute)
	}
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(out.String(), "紧急诉求 "+id[1]+"\n") + strings.Count(out.String(), "紧急诉求 "+id[1]+"（"); n != alerts {
		t.Fatalf("%d alerts after the acknowledgement, %d before:\n%s", n, alerts, out.String())
	}
	if due, _ := st.ClaimDueAlerts(ctx, clock.now().Add(24*time.Hour), time.Minute); len(due) != 0 {
		t.Fatalf("still scheduled: %+v", due)
	}

	// the audit: the escalation, then who acknowledged and how long after the alert
	say("/audit " + id[1] + "\n/show " + id[1] + "\n")
	wait(id[1] + " 的操作记录：")
	for _, want := range []string{
		"2026-11-26 21:10 · 系统 · 升级提醒管理员 10m",
		"2026-11-26 21:11 · 管理员 9001 · 确认紧急提醒 11m",
		"✅ 已知悉：用户 9001，2026-11-26 21:11（提醒后 11分钟）",
	} {
		wait(want)
	}
}
