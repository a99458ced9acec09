package bot

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// People besides the resident and the admin.
const (
	gridWorker = int64(2001)
	staffer    = int64(3001)
	stranger   = int64(4001)
)

func (h *harness) as(user int64, text string) []apiCall {
	h.t.Helper()
	return h.send(textUpdate(user, text))
}

func (h *harness) pressAs(user int64, label string) []apiCall {
	h.t.Helper()
	return h.send(h.buttonIn(user, user, label))
}

// fileRest finishes a filing from the grid step on: grid, text, capacity, no photos, when heard; then submits.
func (h *harness) fileRest(worker int64, grid, text, capacity, heard string) []apiCall {
	h.t.Helper()
	h.fileToSummary(worker, grid, text, capacity, heard)
	return h.pressAs(worker, "提交")
}

// fileToSummary answers a filing's steps from the grid on, up to its summary.
func (h *harness) fileToSummary(worker int64, grid, text, capacity, heard string) {
	h.t.Helper()
	h.pressAs(worker, grid)
	h.as(worker, text)
	h.pressAs(worker, capacity)
	h.pressAs(worker, "跳过")
	h.pressAs(worker, heard)
}

var codePattern = regexp.MustCompile(`/join ([A-Z0-9]{8})`)

// invite has the admin make an invite code and returns it.
func (h *harness) invite(args string) string {
	h.t.Helper()
	calls := h.as(admin, "/invite "+args)
	m := codePattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])
	if m == nil {
		h.t.Fatalf("no invite code in:\n%s", transcript(calls))
	}
	return m[1]
}

// enrol gives user a role through an invite.
func (h *harness) enrol(user int64, args string) {
	h.t.Helper()
	mustContain(h.t, h.as(user, "/join "+h.invite(args)), "欢迎")
}

var idPattern = regexp.MustCompile(`编号 (\d{8}-\d{4})`)

// reportAs walks user through a report and returns the concern's id.
func (h *harness) reportAs(user int64, text string, phone bool) string {
	h.t.Helper()
	h.as(user, "/report")
	h.as(user, text)
	h.pressAs(user, "跳过")
	h.pressAs(user, "阳光社区")
	if phone {
		h.pressAs(user, "分享我的手机号")
	} else {
		h.pressAs(user, "匿名")
	}
	calls := h.pressAs(user, "提交")
	m := idPattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])
	if m == nil {
		h.t.Fatalf("no receipt:\n%s", transcript(calls))
	}
	waitReport(h.t, h.st, m[1])
	return m[1]
}

func TestInviteJoinRevoke(t *testing.T) {
	h := newHarness(t, false)
	code := h.invite("grid 阳光社区/第一网格")
	calls := h.as(gridWorker, "/join "+code)
	mustContain(t, calls, "欢迎！您的身份已设为：网格员")
	mustContain(t, calls, "/file 代为居民反映诉求")
	mustContain(t, h.as(gridWorker, "/whoami"), "您的身份：网格员（阳光社区/第一网格）")

	// a code works once
	mustContain(t, h.as(stranger, "/join "+code), "邀请码无效、已过期或已被使用")
	mustContain(t, h.as(stranger, "/whoami"), "您的身份：居民")
	// a made-up code, and guessing on and on
	mustContain(t, h.as(stranger, "/join ABCDEFGH"), "邀请码无效")
	for range 9 {
		h.as(stranger, "/join ZZZZZZZZ")
	}
	mustContain(t, h.as(stranger, "/join "+h.invite("staff")), "尝试次数过多")
	mustContain(t, h.as(stranger, "/whoami"), "您的身份：居民")

	// staff can invite too; an invite of a grid that does not exist is refused
	h.enrol(staffer, "staff")
	mustContain(t, h.as(staffer, "/invite grid 火星社区/第一网格"), "没有“火星社区/第一网格”这个网格")

	// revocation holds at once, and the person is told
	mustContain(t, h.as(admin, "/revoke "+strconv.FormatInt(gridWorker, 10)), "已撤销用户 2001 的网格员身份")
	h.waitText(gridWorker, "您的工作身份已被撤销")
	mustContain(t, h.as(gridWorker, "/file"), "没有 /file 这个命令")
	mustContain(t, h.as(staffer, "/revoke "+strconv.FormatInt(gridWorker, 10)), "没有 /revoke 这个命令")
	mustContain(t, h.as(admin, "/revoke 2001"), "用户 2001 没有工作身份")

	if n, _ := h.st.AuditLen(t.Context()); n < 6 {
		t.Fatalf("audit stream has %d entries; invites, joins and the revocation should all be there", n)
	}
}

func TestExpiredInvite(t *testing.T) {
	h := newHarness(t, false, func(c *harnessConfig) { c.InviteTTL = time.Second })
	code := h.invite("staff")
	time.Sleep(1200 * time.Millisecond)
	mustContain(t, h.as(stranger, "/join "+code), "邀请码无效、已过期或已被使用")
}

// A resident trying staff and grid commands gets the unknown-command answer and changes nothing.
func TestResidentRefusedStaffCommands(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	before, _ := h.st.Report(t.Context(), id)
	auditBefore, _ := h.st.AuditLen(t.Context())
	for _, cmd := range []string{
		"/show " + id, "/assign " + id + " 区住建局", "/status " + id + " 已办结 好了", "/dup " + id + " 20261126-0009",
		"/level " + id + " complex", "/overdue", "/audit " + id, "/invite staff", "/invite grid 阳光社区/第一网格",
		"/revoke 9001", "/file", "/digest", "/digest 7d",
	} {
		name := strings.Fields(cmd)[0]
		calls := h.as(resident, cmd)
		if len(calls) == 0 || calls[0].Params["text"] != "没有 "+name+" 这个命令。发送 /help 查看可用命令。" {
			t.Errorf("%s: answered\n%s", cmd, transcript(calls))
		}
	}
	mustContain(t, h.send(callbackUpdate(resident, "k:"+id)), "这个按钮仅供工作人员使用")
	after, _ := h.st.Report(t.Context(), id)
	auditAfter, _ := h.st.AuditLen(t.Context())
	if after.Status != before.Status || after.Unit != "" || len(after.History) != len(before.History) || auditAfter != auditBefore {
		t.Fatalf("a resident's command changed something: %+v, audit %d → %d", after, auditBefore, auditAfter)
	}
}

func TestGridFilingNeedsConsent(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(gridWorker, "grid 和平社区/第一网格")
	h.as(gridWorker, "/file")
	mustContain(t, h.pressAs(gridWorker, "居民不同意"), "未经居民同意，不能代为反映")
	if stats, _ := h.st.QueueStatus(t.Context(), time.Now(), 0); stats.Length != 0 {
		t.Fatalf("%d concerns queued without consent", stats.Length)
	}
	h.as(gridWorker, "/file")
	h.pressAs(gridWorker, "居民同意代为反映")
	h.as(gridWorker, "王大爷")
	h.as(gridWorker, "13900001111")
	calls := h.api.snapshot()
	if last := calls[len(calls)-1].Params["reply_markup"]; !strings.Contains(last, `"和平社区/第一网格（本网格）"`) || strings.Index(last, "和平社区") > strings.Index(last, "阳光社区") {
		t.Fatalf("the worker's own grid is not offered first: %s", last)
	}
	calls = h.fileRest(gridWorker, "和平社区/第一网格（本网格）", "王大爷说楼道里的灯坏了两周了，老人上下楼很危险。", "居民原话", "昨天")
	m := idPattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])
	if m == nil || !strings.Contains(calls[len(calls)-1].Params["text"], "已代为反映") {
		t.Fatalf("no receipt:\n%s", transcript(calls))
	}
	r := waitReport(t, h.st, m[1])
	if r.FiledBy != gridWorker || r.Capacity != concern.Verbatim || !r.Consent || r.ResidentName != "王大爷" ||
		r.ResidentPhone != "13900001111" || r.Community != "和平社区" || r.Grid != "第一网格" || r.HeardWhen != "yesterday" || r.ReplyChat != 0 {
		t.Fatalf("filing recorded as %+v", r)
	}
	mustContain(t, h.as(gridWorker, "/mine"), m[1]+" · ")
	trail, _ := h.st.AuditTrail(t.Context(), m[1])
	if len(trail) != 1 || trail[0].Action != "file" || trail[0].By != gridWorker {
		t.Fatalf("audit trail of the filing: %+v", trail)
	}
}

// Every state change tells the reporter (or the filing worker) in their language;
// the reporter rates the closed concern, and 不满意 reopens it.
func TestStatusChangesTellTheReporter(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", true)
	mustContain(t, h.as(admin, "/assign "+id+" 区住建局 照明所"), "已通知反映人")
	h.waitText(resident, "有新进展：已转办，承办单位：区住建局 照明所")
	h.as(admin, "/status "+id+" 办理中 已派人查看")
	h.waitText(resident, "有新进展：办理中。说明：已派人查看")
	mustContain(t, h.as(admin, "/status "+id+" 办理中"), "已经是这个状态了")
	h.as(admin, "/status "+id+" 已办结 路灯已更换")
	h.waitText(resident, "有新进展：已办结。说明：路灯已更换")
	h.waitText(resident, "请您对办理结果进行评价")
	mustContain(t, h.pressAs(resident, "不满意"), "已重新交由工作人员办理")
	r, _ := h.st.Report(t.Context(), id)
	if r.Status != concern.StatusInProgress || r.Rating != concern.Unsatisfied {
		t.Fatalf("after 不满意: status %s rating %s", r.Status, r.Rating)
	}
	mustContain(t, h.send(callbackUpdate(resident, "r:"+id+":satisfied")), "已经评价过了")
	mustContain(t, h.send(callbackUpdate(stranger, "r:"+id+":satisfied")), "不是您反映的")
	card := h.as(admin, "/show "+id)
	mustContain(t, card, "评价：不满意")
	mustContain(t, card, "居民评价 · 群众不满意，重新办理")

	// an English reporter hears in English; a rejection carries its reason
	en := int64(1500)
	h.as(en, "/lang en")
	h.as(en, "/report")
	h.as(en, "The street light at the east gate has been broken for a month.")
	h.pressAs(en, "Skip")
	h.pressAs(en, "阳光社区")
	h.pressAs(en, "Anonymous")
	calls := h.pressAs(en, "Submit")
	id2 := regexp.MustCompile(`number is (\d{8}-\d{4})`).FindStringSubmatch(calls[len(calls)-1].Params["text"])[1]
	waitReport(t, h.st, id2)
	mustContain(t, h.as(admin, "/status "+id2+" 不予受理"), "不予受理必须写明理由")
	h.as(admin, "/status "+id2+" 不予受理 不属于本街道管辖")
	h.waitText(en, "has news: not accepted. Note: 不属于本街道管辖")

	// a duplicate is linked and the reporter told
	id3 := h.reportAs(resident, "东门路灯又坏了，晚上很黑，请尽快修理。", false)
	h.as(admin, "/dup "+id3+" "+id)
	h.waitText(resident, "与诉求 "+id+" 合并办理")

	// a filed concern's news goes to the worker who filed it
	h.enrol(gridWorker, "grid 阳光社区/第一网格")
	h.as(gridWorker, "/file")
	h.pressAs(gridWorker, "居民同意代为反映")
	h.pressAs(gridWorker, "匿名")
	h.pressAs(gridWorker, "不提供")
	calls = h.fileRest(gridWorker, "阳光社区/第一网格（本网格）", "居民说小区垃圾站好几天没人清运，气味很大。", "网格员转述", "今天")
	filed := idPattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])[1]
	waitReport(t, h.st, filed)
	h.as(admin, "/status "+filed+" 已办结 已清运")
	h.waitText(gridWorker, "您代为反映的诉求 "+filed)
}

// A resident may send so many concerns a day and messages a minute: past the
// first limit the draft stays at the summary; past the second they are told
// once and then ignored until the minute is over. Staff are not limited.
func TestPerUserLimits(t *testing.T) {
	h := newHarness(t, false, func(c *harnessConfig) { c.ConcernsPerDay, c.perMinute = 1, 20 })
	h.enrol(staffer, "staff")
	h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	h.toSummary("三单元门口的垃圾一个星期没人清运了，味道很大。")
	calls := h.press("提交")
	mustContain(t, calls, "您今天已反映 1 件诉求，达到每日上限")
	mustContain(t, calls, "请核对您要提交的诉求") // the draft is kept
	if ids, _ := h.st.ReceivedIDs(t.Context(), []string{"20261126"}); len(ids) != 1 {
		t.Fatalf("%d concerns accepted, want 1", len(ids))
	}
	h.as(resident, "/cancel")
	srv.Do(t, "DEL", "minyi:rate:1001") // a new minute
	for i := 1; i <= 20; i++ {
		mustContain(t, h.as(resident, "/status"), "您的诉求（共1件")
	}
	mustContain(t, h.as(resident, "/status"), "您发送得太快了，请稍等一分钟再继续。")
	if calls := h.as(resident, "/status"); len(calls) != 0 {
		t.Fatalf("answered past the limit:\n%s", transcript(calls))
	}
	if calls := h.pressAs(resident, "反映诉求"); len(calls) != 1 || calls[0].Method != "answerCallbackQuery" {
		t.Fatalf("a button past the limit: only its spinner is stopped:\n%s", transcript(calls))
	}
	srv.Do(t, "PEXPIRE", "minyi:rate:1001", "1") // the minute is over
	time.Sleep(10 * time.Millisecond)
	mustContain(t, h.as(resident, "/status"), "您的诉求（共1件")
	for i := 0; i < 25; i++ {
		if calls := h.as(staffer, "/overdue"); len(calls) == 0 || strings.Contains(calls[0].Params["text"], "太快") {
			t.Fatalf("staff limited at message %d", i+1)
		}
	}
}

// A resident who blocked the bot is marked stopped: news of their concern is not
// sent (staff are told it could not be), until they write again.
func TestBlockedResidentIsStopped(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	h.api.block(resident, true)
	mustContain(t, h.as(admin, "/assign "+id+" 区住建局"), "已通知反映人")
	waitFor(t, func() bool { s, _ := h.st.Stopped(t.Context(), resident); return s[resident] })
	tries := h.sendsTo(resident)
	mustContain(t, h.as(admin, "/status "+id+" 办理中 已派人查看"), "无法通知反映人")
	time.Sleep(300 * time.Millisecond)
	if n := h.sendsTo(resident); n != tries {
		t.Fatalf("%d more sends to a chat that blocked the bot", n-tries)
	}
	h.api.block(resident, false)
	mustContain(t, h.as(resident, "/status"), id)
	if s, _ := h.st.Stopped(t.Context(), resident); s[resident] {
		t.Fatal("still stopped after writing again")
	}
	mustContain(t, h.as(admin, "/status "+id+" 已办结 路灯已更换"), "已通知反映人")
	h.waitText(resident, "有新进展：已办结")
}

// sendsTo counts the messages the bot tried to send to chat.
func (h *harness) sendsTo(chat int64) int {
	n := 0
	for _, c := range h.api.snapshot() {
		if c.Params["chat_id"] == strconv.FormatInt(chat, 10) && c.Method != "answerCallbackQuery" {
			n++
		}
	}
	return n
}

// waitFor waits up to 10 s for ok to hold.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("waited 10 s in vain")
}

func TestForget(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", true)
	if r, _ := h.st.Report(t.Context(), id); r.Phone == "" || r.ReporterID != resident {
		t.Fatalf("before: %+v", r)
	}
	h.as(resident, "/forget")
	mustContain(t, h.pressAs(resident, "不删除"), "没有删除任何信息")
	h.as(resident, "/forget")
	mustContain(t, h.pressAs(resident, "确定删除"), "已从您的 1 件诉求中删除")
	r, _ := h.st.Report(t.Context(), id)
	if r.Phone != "" || r.ReporterID != 0 || r.ReporterName != "" || r.ReplyChat != 0 || !r.Forgotten || r.Text == "" || r.Topic == "" {
		t.Fatalf("after /forget: %+v", r)
	}
	mustContain(t, h.as(resident, "/status"), "您还没有反映过诉求")
	mustContain(t, h.as(admin, "/show "+id), "已按本人要求删除身份信息")
	mustContain(t, h.as(admin, "/status "+id+" 已受理"), "无法通知")
	trail, _ := h.st.AuditTrail(t.Context(), id)
	if len(trail) == 0 || trail[0].Action != "forget" || trail[0].By != resident {
		t.Fatalf("trail: %+v", trail)
	}
}

func TestAuditTrail(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	h.as(staffer, "/show "+id)
	h.as(staffer, "/assign "+id+" 区住建局")
	h.as(staffer, "/level "+id+" complex")
	h.as(admin, "/status "+id+" 已办结 路灯已更换")
	h.waitText(resident, "请您对办理结果进行评价")
	h.pressAs(resident, "满意")
	calls := h.as(staffer, "/audit "+id)
	text := calls[len(calls)-1].Params["text"]
	var got []string
	for _, line := range strings.Split(text, "\n")[1:] {
		got = append(got, strings.Fields(strings.SplitN(line, "·", 3)[2])[0])
	}
	want := "[查看 转交 调整时限 更新状态 评价]"
	if strings.Join(got, " ") != strings.Trim(want, "[]") {
		t.Fatalf("trail actions %v, want %s:\n%s", got, want, text)
	}
	if !strings.Contains(text, "工作人员 3001") || !strings.Contains(text, "管理员 9001") || !strings.Contains(text, "居民 1001") {
		t.Fatalf("trail does not say who:\n%s", text)
	}
}

// An urgent concern alerts the staff chat within seconds, with a button; it is
// repeated every 15 minutes until someone acknowledges it.
func TestUrgentAlert(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	id := h.reportAs(resident, "三单元楼道里闻到很重的煤气味，好像燃气泄漏了，请马上来人！", false)
	alert := h.waitText(staffChat, "🚨 紧急诉求 "+id)
	if !strings.Contains(alert.Params["text"], "燃气泄漏") || !strings.Contains(alert.Params["reply_markup"], "k:"+id) {
		t.Fatalf("alert: %+v", alert.Params)
	}
	r, _ := h.st.Report(t.Context(), id)
	if r.Level != concern.LevelUrgent || !r.Deadline.Equal(r.ReceivedAt.Add(2*time.Hour)) {
		t.Fatalf("urgent concern's level %s, deadline %v", r.Level, r.Deadline)
	}
	h.clock.advance(16 * time.Minute)
	if err := h.cases.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitText(staffChat, "（第2次提醒）")
	// a resident in the staff chat cannot acknowledge; staff can
	h.send(h.buttonIn(staffChat, stranger, "已知悉"))
	calls := h.send(h.buttonIn(staffChat, staffer, "已知悉"))
	mustContain(t, calls, "已确认紧急诉求 "+id)
	h.clock.advance(16 * time.Minute)
	h.cases.Tick(t.Context())
	time.Sleep(300 * time.Millisecond)
	n := 0
	for _, c := range h.api.snapshot() {
		if strings.Contains(c.Params["text"], "🚨 紧急诉求 "+id) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d alerts after the acknowledgement, want the 2 before it", n)
	}
	trail, _ := h.st.AuditTrail(t.Context(), id)
	if len(trail) != 1 || trail[0].Action != "ack" || trail[0].By != staffer {
		t.Fatalf("trail: %+v", trail)
	}
}

// An English-speaking admin reads a concern's card and audit trail in English:
// steps written before history had codes (Chinese sentences, Chinese role
// names) as well as new ones. Only what staff wrote stays as written.
func TestEnglishAdminReadsHistoryInEnglish(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", true)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if _, err := h.st.UpdateReport(t.Context(), id, func(r *concern.Report) error {
		r.History = append(r.History,
			concern.StatusChange{At: at, Status: concern.StatusTransferred, By: "工作人员 张三", Note: "转交 区住建局"},
			concern.StatusChange{At: at, Status: concern.StatusTransferred, By: "管理员 9001", Note: "时限调整为复杂"},
			concern.StatusChange{At: at, Status: concern.StatusInProgress, By: "居民评价", Note: "群众不满意，重新办理"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.st.Audit(t.Context(), "old/setstat/"+id, concern.AuditEntry{At: at, By: 9001, Role: concern.RoleAdmin, Action: "status", Concern: id, Detail: "办理中 已派人查看"}); err != nil {
		t.Fatal(err)
	}
	h.as(admin, "/lang en")
	h.as(admin, "/level "+id+" urgent")
	h.as(admin, "/status "+id+" 已办结 路灯已更换")
	card := texts(h.as(admin, "/show "+id), admin)
	trail := texts(h.as(admin, "/audit "+id), admin)
	for _, want := range []string{"transferred to 区住建局", "staff 张三", "time limit set to complex", "the reporter's rating · the reporter was not satisfied: handled again",
		"time limit set to urgent", "admin 9001", "路灯已更换"} {
		if !strings.Contains(card, want) {
			t.Errorf("/show lacks %q:\n%s", want, card)
		}
	}
	for _, unwanted := range []string{"转交", "工作人员", "管理员", "时限调整", "群众不满意", "居民评价", "已办结", "办理中"} {
		if strings.Contains(card, unwanted) || strings.Contains(trail, unwanted) {
			t.Errorf("Chinese wording %q in an English admin's reading:\n%s\n%s", unwanted, card, trail)
		}
	}
	if !strings.Contains(trail, "status in progress 已派人查看") || !strings.Contains(trail, "status closed 路灯已更换") || !strings.Contains(trail, "level urgent") {
		t.Errorf("/audit's status changes not worded in English:\n%s", trail)
	}
}

// texts joins the texts of the messages among calls sent to chat.
func texts(calls []apiCall, chat int64) string {
	var out []string
	for _, c := range calls {
		if c.Params["text"] != "" && c.Params["chat_id"] == strconv.FormatInt(chat, 10) {
			out = append(out, c.Params["text"])
		}
	}
	return strings.Join(out, "\n")
}

// /dup with an original that does not exist says so, in the reader's language,
// and changes nothing.
func TestDuplicateOfNothing(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	mustContain(t, h.as(admin, "/dup "+id+" 20261126-9999"), "没有编号为 20261126-9999 的诉求，"+id+" 没有改动。")
	h.as(admin, "/lang en")
	mustContain(t, h.as(admin, "/dup "+id+" 20261126-9999"), "There is no concern 20261126-9999; "+id+" is unchanged.")
	if r, _ := h.st.Report(t.Context(), id); r.Status != concern.StatusReceived || r.DuplicateOf != "" || len(r.History) != 1 {
		t.Fatalf("changed: %+v", r)
	}
}

// An internal note stays on the history and tells nobody; a reply reaches the
// reporter in their chat and is kept on the history too; both are audited.
func TestNoteAndReply(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	before := h.sendsTo(resident)
	mustContain(t, h.as(admin, "/note "+id+" 已电话联系物业经理"), "已在 "+id+" 记下内部备注")
	mustContain(t, h.as(admin, "/reply "+id+" 明天上午派电工查看"), "已把答复发给 "+id+" 的反映人")
	h.waitText(resident, "明天上午派电工查看")
	for _, c := range h.api.snapshot() {
		if c.Params["chat_id"] == strconv.FormatInt(resident, 10) && strings.Contains(c.Params["text"], "物业经理") {
			t.Fatalf("the internal note reached the reporter: %s", c.Params["text"])
		}
	}
	if n := h.sendsTo(resident) - before; n != 1 {
		t.Fatalf("the reporter got %d messages, want the one reply", n)
	}
	card := texts(h.as(admin, "/show "+id), admin)
	for _, want := range []string{"内部备注；已电话联系物业经理", "答复反映人；明天上午派电工查看"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	trail, _ := h.st.AuditTrail(t.Context(), id)
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "note") || !strings.Contains(got, "reply") {
		t.Fatalf("audit: %s", got)
	}
	mustContain(t, h.as(admin, "/reply "+id), "用法：/reply 编号 内容")
	mustContain(t, h.as(resident, "/note "+id+" 我自己写的"), "没有 /note 这个命令")
}

// The chat side of the workbench on the real service: /list and /search find
// what residents reported; a card's 受理 and 转办 buttons change the concern,
// are audited, and tell the reporter.
func TestWorkListSearchAndCardButtons(t *testing.T) {
	h := newHarness(t, false)
	lamp := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	h.reportAs(stranger, "和平社区的垃圾站好几天没人清运，气味很大。", false)
	list := texts(h.as(admin, "/list"), admin)
	if !strings.Contains(list, "共 2 件") || !strings.Contains(list, lamp) {
		t.Fatalf("/list:\n%s", list)
	}
	found := texts(h.as(admin, "/search 路灯"), admin)
	if !strings.Contains(found, "共 1 件") || !strings.Contains(found, lamp) || strings.Contains(found, "垃圾") {
		t.Fatalf("/search 路灯:\n%s", found)
	}
	h.as(admin, "/show "+lamp)
	mustContain(t, h.pressAs(admin, "受理"), lamp+" 已更新：已受理。已通知反映人。")
	h.as(admin, "/show "+lamp)
	mustContain(t, h.pressAs(admin, "转办：区水务局"), lamp+" 已更新：已转办。已通知反映人。")
	h.waitText(resident, "区水务局")
	r, _ := h.st.Report(t.Context(), lamp)
	if r.Status != concern.StatusTransferred || r.Unit != "区水务局" {
		t.Fatalf("after the buttons: %s, unit %q", r.Status, r.Unit)
	}
	trail, _ := h.st.AuditTrail(t.Context(), lamp)
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action+" "+e.Detail)
	}
	if got := strings.Join(actions, " | "); !strings.Contains(got, "status accepted") || !strings.Contains(got, "assign 区水务局") {
		t.Fatalf("audit: %s", got)
	}
	mustContain(t, h.as(resident, "/search 路灯"), "没有 /search 这个命令")
}
