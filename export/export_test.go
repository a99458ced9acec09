package export

import (
	"bytes"
	"encoding/csv"

	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
)

var at = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func sample() []*concern.Report {
	return []*concern.Report{
		{ID: "20261126-0001", ReceivedAt: at, Channel: "telegram", ReporterName: "王强", Text: "我是王强，东门路灯坏了一个多月。",
			Status: concern.StatusTransferred, History: []concern.StatusChange{
				{At: at, Status: concern.StatusReceived},
				{At: at, Status: concern.StatusTransferred, By: "工作人员 李四", Note: "已联系王强，电话13800138000"},
				{At: at, Status: concern.StatusTransferred, By: "staff 李四", Code: concern.HistNote, Note: "内部备注：此人多次重复投诉"},
			}},
		{ID: "20261126-0002", ReceivedAt: at, Channel: "telegram", Sensitive: true, Text: "张建国书记收受红包",
			Status: concern.StatusTransferred, Unit: "区纪委", History: []concern.StatusChange{
				{At: at, Status: concern.StatusReceived},
				{At: at, Status: concern.StatusTransferred, Note: "举报人王强已联系，张建国收红包一事已立案"},
			}},
	}
}

// Issue 13 item 1: a sensitive concern's notes are withheld like its text; an
// ordinary concern's notes are masked like its text, names included.
func TestMaskedExportWithholdsAndMasksNotes(t *testing.T) {
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Write(&b, format, sample(), Options{}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if format == "xlsx" {
			out = xlsxText(t, b.Bytes())
		}
		for _, leak := range []string{"张建国", "红包", "立案", "王强", "13800138000", "多次重复投诉"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s export shows %q:\n%s", format, leak, out)
			}
		}
		if !strings.Contains(out, "已转办") {
			t.Errorf("%s export lost the history's steps", format)
		}
	}
	var b bytes.Buffer
	Write(&b, "csv", sample(), Options{Unmasked: true})
	if !strings.Contains(b.String(), "张建国收红包一事已立案") || !strings.Contains(b.String(), "13800138000") || !strings.Contains(b.String(), "多次重复投诉") {
		t.Error("an unmasked export must keep the notes as recorded")
	}
}

// Issue 13 item 6: cells that a spreadsheet would read as a formula are defused.
func TestCSVFormulaInjection(t *testing.T) {
	for _, lead := range []string{"=", "+", "-", "@", "\t", "\r"} {
		text := lead + `HYPERLINK("http://evil.example/x","详情")小区路灯坏了`
		r := &concern.Report{ID: "20261126-0003", ReceivedAt: at, Channel: "api", Text: text, Unit: lead + "1+1", Status: concern.StatusReceived}
		var b bytes.Buffer
		if err := Write(&b, "csv", []*concern.Report{r}, Options{Unmasked: true}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, cell := range rows[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("lead %q: column %s starts with %q: %q", lead, rows[0][i], cell[:1], cell)
			}
		}
		for i, head := range rows[0] {
			if (head == "内容" || head == "承办单位") && !strings.HasPrefix(rows[1][i], "'") {
				t.Errorf("lead %q: %s is %q, not prefixed with '", lead, head, rows[1][i])
			}
		}
	}
}

func xlsxText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, r := range rows {
		s += strings.Join(r, "|") + "\n"
	}
	return s
}
