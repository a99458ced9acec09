package bot

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// Issue 13 item 9: only admins create staff; codes die with their maker's role;
// admins list and cancel outstanding codes.
func TestStaffInvitesAreAdminsOnly(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	mustContain(t, h.as(staffer, "/invite staff"), "只有管理员可以邀请工作人员")
	// grid invites stay open to staff, and die when their maker is revoked
	calls := h.as(staffer, "/invite grid 阳光社区/第一网格")
	m := codePattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])
	if m == nil {
		t.Fatalf("staff cannot invite a grid worker:\n%s", transcript(calls))
	}
	listed := h.as(admin, "/invites")
	mustContain(t, listed, m[1])
	mustContain(t, listed, "3001")
	h.as(admin, "/revoke "+strconv.FormatInt(staffer, 10))
	mustContain(t, h.as(stranger, "/join "+m[1]), "邀请码无效")
	mustContain(t, h.as(stranger, "/whoami"), "您的身份：居民")
	// an admin cancels a code
	code := h.invite("grid 和平社区/第一网格")
	mustContain(t, h.as(admin, "/invite cancel "+code), "已作废邀请码 "+code)
	mustContain(t, h.as(gridWorker, "/join "+code), "邀请码无效")
	if strings.Contains(h.as(admin, "/invites")[0].Params["text"], code) {
		t.Fatal("a cancelled code is still listed")
	}
	mustContain(t, h.as(admin, "/invite cancel ABCDEFGH"), "没有待使用的邀请码 ABCDEFGH")
}

// Issue 13 item 10: a grid worker revoked in the middle of /file cannot submit it.
func TestRevokedMidFiling(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(gridWorker, "grid 阳光社区/第一网格")
	h.as(gridWorker, "/file")
	h.pressAs(gridWorker, "居民同意代为反映")
	h.pressAs(gridWorker, "匿名")
	h.pressAs(gridWorker, "不提供")
	h.fileToSummary(gridWorker, "阳光社区/第一网格（本网格）", "居民说小区垃圾站好几天没人清运，气味很大。", "居民原话", "今天")
	h.as(admin, "/revoke "+strconv.FormatInt(gridWorker, 10))
	calls := h.pressAs(gridWorker, "提交")
	mustContain(t, calls, "您已不是网格员，这份代为反映的草稿已作废")
	if ids, _ := h.st.ReceivedIDs(t.Context(), []string{"20261126", time.Now().In(shanghai).Format("20060102")}); len(ids) != 0 {
		t.Fatalf("filed by a revoked worker: %v", ids)
	}
}

// Issue 13 item 12: only allowed transitions; closing and rejecting need a note.
func TestStatusTransitions(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	mustContain(t, h.as(admin, "/status "+id+" 已办结"), "已办结必须写明办理结果")
	mustContain(t, h.as(admin, "/status "+id+" 办理中 已派人查看"), "已通知反映人")
	calls := h.as(admin, "/status "+id+" 已受理")
	mustContain(t, calls, "不能从“办理中”改为“已受理”")
	mustContain(t, calls, "已办结")
	if r, _ := h.st.Report(t.Context(), id); r.Status != concern.StatusInProgress {
		t.Fatalf("status %s after a refused change", r.Status)
	}
}

// Issue 13 item 13: /dup with an id that does not exist answers clearly.
func TestDupOfNothing(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑。", false)
	mustContain(t, h.as(admin, "/dup "+id+" 20261126-0999"), "没有编号为 20261126-0999 的诉求")
}

// Issue 13 item 14: /help shows a member their role's commands.
func TestHelpByRole(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	mustContain(t, h.as(staffer, "/help"), "/assign")
	calls := h.as(admin, "/help")
	mustContain(t, calls, "/assign")
	mustContain(t, calls, "/revoke")
	h.enrol(gridWorker, "grid 阳光社区/第一网格")
	mustContain(t, h.as(gridWorker, "/help"), "/file")
	if strings.Contains(h.as(resident, "/help")[0].Params["text"], "/assign") {
		t.Fatal("a resident's help lists staff commands")
	}
}

// Issue 13 item 17: a resident pressing 已知悉 in the staff group gets a toast,
// and nothing is posted into the group.
func TestResidentAckInGroupIsAToast(t *testing.T) {
	h := newHarness(t, false)
	id := h.reportAs(resident, "三单元楼道里闻到很重的煤气味，好像燃气泄漏了，请马上来人！", false)
	h.waitText(staffChat, "🚨 紧急诉求 "+id)
	h.fresh()
	calls := h.send(h.buttonIn(staffChat, stranger, "已知悉"))
	if len(calls) != 1 || calls[0].Method != "answerCallbackQuery" || !strings.Contains(calls[0].Params["text"], "仅供工作人员") ||
		calls[0].Params["show_alert"] == "true" {
		t.Fatalf("a resident's press in the group:\n%s", transcript(calls))
	}
}

// Issue 13 item 7: control characters never reach the record; a text of
// invisible characters is too short.
func TestControlAndInvisibleCharacters(t *testing.T) {
	h := newHarness(t, false)
	h.say("/report")
	mustContain(t, h.say(strings.Repeat("\u200b", 12)+"\u202e\u0301"), "描述太短了（0字）")
	id := h.reportAs(resident, "小区东门的路灯\x00坏了一个多月\x1b[2J，晚上很黑\a。", false)
	if r, _ := h.st.Report(t.Context(), id); r.Text != "小区东门的路灯坏了一个多月[2J，晚上很黑。" {
		t.Fatalf("stored %q", r.Text)
	}
}

// lines lists the logged lines that hold substr.
func (b *lockedBuffer) lines(substr string) []string {
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// Issue 13 item 16: requests with a wrong secret are logged once a minute with
// a count, not a line each.
func TestWrongSecretsAreLoggedInAggregate(t *testing.T) {
	logs := &lockedBuffer{}
	h := newHarness(t, true, func(c *harnessConfig) { c.logs = logs })
	handler, err := h.tr.WebhookHandler(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := updateJSON(t, 500, textUpdate(resident, "/start"))
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	h.tr.wrongSecret.now = func() time.Time { return clock }
	for range 200 {
		post(t, handler, "guess", body)
	}
	if got := logs.lines("wrong secret"); len(got) != 1 {
		t.Fatalf("%d log lines for 200 bad requests in a moment, want 1:\n%s", len(got), strings.Join(got, "\n"))
	}
	clock = clock.Add(61 * time.Second)
	post(t, handler, "guess", body)
	got := logs.lines("wrong secret")
	if len(got) != 2 || !strings.Contains(got[1], `"count":200`) {
		t.Fatalf("after a minute, want one more line counting the 200 since the first:\n%s", strings.Join(got, "\n"))
	}
}

// Issue 13 item 17: a draft left idle past the flow's expiry loses its contents
// at expiry, not 30 days later with the session; the resident hears it expired
// when they write again.
func TestExpiredDraftIsDropped(t *testing.T) {
	h := newHarness(t, false)
	h.say("/report")
	h.say("我家楼下的垃圾站三天没人清运了，臭得没法开窗。")
	key := fmt.Sprintf("minyi:{s%02d}:session:%d", h.st.ShardOf(resident), resident)
	if !strings.Contains(srv.Do(t, "GET", key), "垃圾站") {
		t.Fatal("the draft is not in the session")
	}
	h.clock.advance(31 * time.Minute)
	waitFor(t, func() bool { return !strings.Contains(srv.Do(t, "GET", key), "垃圾站") })
	if calls := h.api.snapshot(); strings.Contains(calls[len(calls)-1].Params["text"], "作废") {
		t.Fatal("the resident is messaged at expiry; they should hear it when they come back")
	}
	mustContain(t, h.say("路灯也坏了"), "已超过30分钟没有操作，已自动作废")
}
