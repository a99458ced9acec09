package bot

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Neither the bot token nor a resident's personal data reaches the logs, on the
// happy path or on the error paths (Telegram failing, refusing, throttling), at
// debug level.
func TestLogsHoldNoTokenNorPersonalData(t *testing.T) {
	logs := &lockedBuffer{}
	h := newHarness(t, false, func(c *harnessConfig) { c.logs = logs })
	h.enrol(gridWorker, "grid 和平社区/第一网格")
	h.enrol(staffer, "staff")

	// a resident types an address, shares their phone, and writes both an ID and a phone number
	h.say("/report")
	h.say("我叫赵秀英，身份证号110101199003074578，电话13912345678，楼上漏水泡坏了我家天花板。")
	h.press("跳过")
	h.say("幸福路12号3单元")
	h.press("分享我的手机号")
	calls := h.press("提交")
	m := idPattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])
	if m == nil {
		t.Fatalf("no receipt:\n%s", transcript(calls))
	}
	id := m[1]
	waitReport(t, h.st, id)

	// a grid worker files for a named resident
	h.as(gridWorker, "/file")
	h.pressAs(gridWorker, "居民同意代为反映")
	h.as(gridWorker, "钱德福")
	h.as(gridWorker, "13700002222")
	h.fileRest(gridWorker, "和平社区/第一网格（本网格）", "钱德福说小区门口的路灯坏了两周了，老人上下楼很危险。", "居民原话", "昨天")

	// staff work on it while Telegram fails in every way it can
	h.api.fail("sendMessage", serverError, tooMany(1), badRequest)
	h.api.fail("getUpdates", badGateway)
	h.as(staffer, "/show "+id)
	h.as(staffer, "/status "+id+" 已受理")
	h.api.block(resident, true)
	h.as(staffer, "/status "+id+" 办理中 已派人")
	waitFor(t, func() bool { s, _ := h.st.Stopped(t.Context(), resident); return s[resident] })

	got := logs.String()
	for _, sane := range []string{"concern recorded", "chat blocked the bot", "/bot***/sendMessage"} {
		if !strings.Contains(got, sane) {
			t.Fatalf("the logs lack %q, so this test would prove nothing:\n%s", sane, got)
		}
	}
	for _, secret := range []string{
		testToken, strings.SplitN(testToken, ":", 2)[1], // the token, and its secret half
		"110101199003074578", "13912345678", "13800001234", "13700002222", // ID and phones (typed, shared, filed)
		"赵秀英", "钱德福", "张 三", "张三", // names: in the text, filed, the Telegram profile
		"幸福路12号", "天花板", "路灯坏了两周", // the address and the concerns' words
	} {
		if strings.Contains(got, secret) {
			i := strings.Index(got, secret)
			t.Errorf("the logs show %q: …%s…", secret, got[max(0, i-200):min(len(got), i+100)])
		}
	}
}
