package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/minyi-project/minyi/tghtml"
)

// The fake Bot API refuses HTML as Telegram does, so that the tests below mean something.
func TestFakeRefusesBadHTML(t *testing.T) {
	for text, ok := range map[string]bool{
		"<b>粗</b> &amp; &lt;i&gt;": true, "<b><i>x</i></b>": true, `<a href="x">y</a>`: true,
		"<b>x": false, "<b>x</i>": false, "a < b": false, "a & b": false, "<div>x</div>": false, "&nbsp;": false,
	} {
		if err := checkTelegramHTML(text); (err == nil) != ok {
			t.Errorf("%q: %v", text, err)
		}
	}
}

// What a resident types reaches every reader exactly as typed: markup characters,
// emoji and rare characters in the summary, the staff card and the digest (whose
// HTML must still be accepted by Telegram); a message too long is refused politely.
func TestUnusualTextIsShownAsTyped(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	text := "<b>路灯</b> & *坏了* _两周_ </i> [x](y) `z` 𠀀𪚥𰻞 👨‍👩‍👧"

	h.say("/report")
	calls := h.say(text)
	calls = append(calls, h.press("跳过")...)
	calls = append(calls, h.press("阳光社区")...)
	calls = append(calls, h.press("匿名")...)
	summary := calls[len(calls)-1]
	if !strings.Contains(summary.Params["text"], text) || summary.Params["parse_mode"] != "" {
		t.Fatalf("summary (parse_mode %q):\n%s", summary.Params["parse_mode"], summary.Params["text"])
	}
	calls = h.press("提交")
	id := idPattern.FindStringSubmatch(calls[len(calls)-1].Params["text"])[1]
	waitReport(t, h.st, id)
	mustContain(t, h.as(staffer, "/show "+id), text)
	h.reportAs(stranger, text, false) // the same again, so that the digest shows it as a shared problem

	var digestText strings.Builder
	for _, c := range h.as(staffer, "/digest today") {
		if c.Status != 200 {
			t.Fatalf("Telegram refused the digest: %s %v", c.Method, c.Params)
		}
		if c.Method == "sendMessage" {
			digestText.WriteString(tghtml.StripTags(c.Params["text"]))
		}
	}
	if !strings.Contains(digestText.String(), "<b>路灯</b> & *坏了*") {
		t.Fatalf("the digest does not show the text as typed:\n%s", digestText.String())
	}

	long := strings.Repeat("楼道灯坏了。", 700) // 4,200 characters, more than one Telegram message
	h.say("/report")
	calls = h.say(long)
	if len(calls) != 1 || calls[0].Status != 200 || !strings.Contains(calls[0].Params["text"], "2000") {
		t.Fatalf("a long message:\n%s", transcript(calls))
	}
	h.say("/cancel")
	for _, c := range h.api.snapshot() {
		if utf8.RuneCountInString(c.Params["text"]) > MaxText {
			t.Fatalf("sent a message of %d characters", utf8.RuneCountInString(c.Params["text"]))
		}
	}
}
