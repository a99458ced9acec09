package export

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
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

// The columns keep the headings people know, and the workbook is a table: the
// heading row frozen and filtered, widths set, times as dates in the office's
// time zone, numbers as numbers.
func TestXLSXIsATable(t *testing.T) {
	var heads []string
	for _, c := range Columns(Options{Unmasked: true}) {
		heads = append(heads, c.Head("zh"))
		if c.Head("en") == "" || c.Head("en") == c.Head("zh") && c.Key != "reporter_id" {
			t.Errorf("column %s has no English heading", c.Key)
		}
	}
	want := "编号|收到时间|渠道|外部编号|渠道受理时间|网格员代为反映|社区|网格|领域|类别|子类|紧急|敏感|时限等级|办理时限|状态|承办单位|满意度|内容|其他信息|办理经过|反映人|反映人 Telegram ID|联系电话|居民姓名（代为反映）|居民电话（代为反映）|地址|位置"
	if got := strings.Join(heads, "|"); got != want {
		t.Errorf("headings\n%s\nwant\n%s", got, want)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	rs := sample()
	rs[0].ReporterID = 4242
	var b bytes.Buffer
	if err := Write(&b, "xlsx", rs, Options{Unmasked: true, Location: sh}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	if panes, _ := f.GetPanes(sheet); !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v", panes)
	}
	filtered := false
	for _, n := range f.GetDefinedName() {
		filtered = filtered || n.Name == "_xlnm._FilterDatabase" && n.Scope == sheet
	}
	z, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	part, _ := z.Open("xl/worksheets/sheet1.xml")
	x, _ := io.ReadAll(part)
	if !filtered || !bytes.Contains(x, []byte("<autoFilter ref=")) {
		t.Error("no autofilter") // the defined name alone shows no filter buttons
	}
	if w, _ := f.GetColWidth(sheet, "S"); w < 40 {
		t.Errorf("the text column is %.0f wide", w)
	}
	raw, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue(sheet, "B2")
	if _, err := strconv.ParseFloat(raw, 64); err != nil || shown != "2026-11-26 17:00" {
		t.Errorf("received at: raw %q, shown %q (want a date, 17:00 in Shanghai)", raw, shown)
	}
	if typ, _ := f.GetCellType(sheet, "W2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Error("the Telegram id is text")
	}
	// CSV keeps times as text in the same form
	b.Reset()
	Write(&b, "csv", rs, Options{Location: sh})
	if !strings.Contains(b.String(), "2026-11-26 17:00") {
		t.Errorf("csv times:\n%s", b.String())
	}
}
