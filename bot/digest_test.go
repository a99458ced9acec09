package bot

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Staff ask for today's digest: it comes as Telegram HTML, then the printable
// brief and the workbook as documents; nothing in any of them shows the
// resident's phone number.
func TestDigestCommand(t *testing.T) {
	h := newHarness(t, false)
	h.enrol(staffer, "staff")
	id := h.reportAs(resident, "小区东门的路灯坏了一个多月，晚上很黑，我的电话13812345678。", true)
	calls := h.as(staffer, "/digest today")

	var texts []apiCall
	docs := map[string]upload{}
	for _, c := range calls {
		if c.Params["chat_id"] != "3001" {
			t.Fatalf("digest went to chat %s:\n%s", c.Params["chat_id"], transcript(calls))
		}
		switch c.Method {
		case "sendMessage":
			texts = append(texts, c)
		case "sendDocument":
			f := c.Files["document"]
			docs[f.Name[strings.LastIndexByte(f.Name, '.'):]] = f
			if c.Params["caption"] == "" {
				t.Errorf("document %s has no caption", f.Name)
			}
		}
	}
	if len(texts) == 0 || len(docs) != 2 {
		t.Fatalf("want digest text and two documents:\n%s", transcript(calls))
	}
	for _, c := range texts {
		text := c.Params["text"]
		if c.Params["parse_mode"] != "HTML" {
			t.Errorf("digest text sent with parse_mode %q", c.Params["parse_mode"])
		}
		if utf8.RuneCountInString(text) > MaxText {
			t.Errorf("digest message of %d characters", utf8.RuneCountInString(text))
		}
		if strings.Contains(text, "13812345678") {
			t.Errorf("digest shows the phone number:\n%s", text)
		}
	}
	first := texts[0].Params["text"]
	if !strings.Contains(first, "民意日报") || !strings.Contains(first, "2026-11-26") {
		t.Errorf("first message:\n%s", first)
	}
	all := strings.Join(func() []string {
		var s []string
		for _, c := range texts {
			s = append(s, c.Params["text"])
		}
		return s
	}(), "\n")
	if !strings.Contains(all, "对账：期间受理 1 件 = 本报统计 1 件") {
		t.Errorf("no reconciliation line:\n%s", all)
	}

	html := docs[".html"]
	if !strings.HasPrefix(html.Name, "minyi-2026-11-26") || !bytes.Contains(html.Data, []byte("<svg")) || bytes.Contains(html.Data, []byte("13812345678")) {
		t.Errorf("brief %s (%d bytes): charts or masking wrong", html.Name, len(html.Data))
	}
	book, err := excelize.OpenReader(bytes.NewReader(docs[".xlsx"].Data))
	if err != nil {
		t.Fatalf("workbook: %v", err)
	}
	defer book.Close()
	rows, err := book.GetRows(book.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != id {
		t.Fatalf("workbook rows: %q", rows)
	}
	text := ""
	for i, head := range rows[0] {
		if head == "内容" && i < len(rows[1]) {
			text = rows[1][i]
		}
	}
	if strings.Contains(text, "13812345678") || !strings.Contains(text, "路灯") {
		t.Errorf("workbook text %q", text)
	}
}
