// Package export writes concerns, with their history, as CSV (UTF-8 with a BOM, so
// that Excel reads Chinese right), an XLSX workbook or JSON lines. Personal data is
// masked unless the caller asks for it unmasked.
package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
)

// Formats lists the formats Write knows.
var Formats = []string{"csv", "xlsx", "jsonl"}

// Options says how to write.
type Options struct {
	// Unmasked keeps names, phones, chats and addresses as recorded.
	Unmasked bool
	// Location is the time zone of the times written.
	Location *time.Location
}

// restricted stands for a sensitive concern's text in a masked export, and
// restrictedNote for its staff notes.
const (
	restricted     = "（敏感事项，内容限制查阅）"
	restrictedNote = "（说明限制查阅）"
)

// column is one field of a row: its heading and how to read it.
type column struct {
	head, key string
	value     func(r *concern.Report, o Options) string
	personal  bool // only in unmasked exports
}

func columns() []column {
	at := func(t time.Time, o Options) string {
		if t.IsZero() {
			return ""
		}
		return t.In(o.Location).Format("2006-01-02 15:04")
	}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return ""
	}
	return []column{
		{"编号", "id", func(r *concern.Report, _ Options) string { return r.ID }, false},
		{"收到时间", "received_at", func(r *concern.Report, o Options) string { return at(r.ReceivedAt, o) }, false},
		{"渠道", "channel", func(r *concern.Report, _ Options) string { return r.Channel }, false},
		{"外部编号", "external_id", func(r *concern.Report, _ Options) string { return r.ExternalID }, false},
		{"渠道受理时间", "reported_at", func(r *concern.Report, o Options) string { return at(r.ReportedAt, o) }, false},
		{"网格员代为反映", "filed_by_grid_worker", func(r *concern.Report, _ Options) string { return yes(r.FiledBy != 0) }, false},
		{"社区", "community", func(r *concern.Report, _ Options) string { return r.Community }, false},
		{"网格", "grid", func(r *concern.Report, _ Options) string { return r.Grid }, false},
		{"领域", "sector", func(r *concern.Report, _ Options) string { return r.Sector }, false},
		{"类别", "topic", func(r *concern.Report, _ Options) string { return r.Topic }, false},
		{"子类", "subtopic", func(r *concern.Report, _ Options) string { return r.Subtopic }, false},
		{"紧急", "urgent", func(r *concern.Report, _ Options) string { return yes(r.Urgent) }, false},
		{"敏感", "sensitive", func(r *concern.Report, _ Options) string { return yes(r.Sensitive) }, false},
		{"时限等级", "level", func(r *concern.Report, _ Options) string { return r.Level.Label("zh") }, false},
		{"办理时限", "deadline", func(r *concern.Report, o Options) string { return at(r.Deadline, o) }, false},
		{"状态", "status", func(r *concern.Report, _ Options) string { return r.Status.Label("zh") }, false},
		{"承办单位", "unit", func(r *concern.Report, _ Options) string { return r.Unit }, false},
		{"满意度", "rating", func(r *concern.Report, _ Options) string { return r.Rating.Label("zh") }, false},
		{"内容", "text", text, false},
		{"办理经过", "history", history, false},
		{"反映人", "reporter_name", func(r *concern.Report, _ Options) string { return r.ReporterName }, true},
		{"反映人 Telegram ID", "reporter_id", func(r *concern.Report, _ Options) string {
			if r.ReporterID == 0 {
				return ""
			}
			return fmt.Sprint(r.ReporterID)
		}, true},
		{"联系电话", "phone", func(r *concern.Report, _ Options) string { return r.Phone }, true},
		{"居民姓名（代为反映）", "resident_name", func(r *concern.Report, _ Options) string { return r.ResidentName }, true},
		{"居民电话（代为反映）", "resident_phone", func(r *concern.Report, _ Options) string { return r.ResidentPhone }, true},
		{"地址", "address", func(r *concern.Report, _ Options) string { return r.Address }, true},
		{"位置", "location", func(r *concern.Report, _ Options) string {
			if r.Location == nil {
				return ""
			}
			return r.Location.String()
		}, true},
	}
}

func text(r *concern.Report, o Options) string {
	switch {
	case o.Unmasked:
		return r.Text
	case r.Sensitive:
		return restricted
	}
	return r.MaskedText()
}

// history is a concern's changes, one a line: when, to what, by whom, and the note.
func history(r *concern.Report, o Options) string {
	var lines []string
	for _, h := range r.History {
		if h.Internal() && !o.Unmasked {
			continue // the office's own notes: in its unmasked exports only
		}
		line := h.At.In(o.Location).Format("2006-01-02 15:04") + " " + h.Status.Label("zh")
		if h.By != "" {
			line += "（" + h.ByLabel("zh") + "）"
		}
		if text := h.Text("zh"); text != "" {
			line += "：" + note(r, text, o)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// note is a staff note as the export shows it: withheld like the text of a
// sensitive concern, masked like the text of any other.
func note(r *concern.Report, n string, o Options) string {
	switch {
	case o.Unmasked:
		return n
	case r.Sensitive:
		return restrictedNote
	}
	return r.MaskedNote(n)
}

// defuse keeps a spreadsheet from reading a cell as a formula (CSV injection):
// a cell starting with = + - @, a tab or a carriage return gets a leading ',
// as OWASP advises.
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func (o Options) columns() []column {
	var out []column
	for _, c := range columns() {
		if !c.personal || o.Unmasked {
			out = append(out, c)
		}
	}
	return out
}

// Write writes the reports to w in format (csv, xlsx or jsonl).
func Write(w io.Writer, format string, reports []*concern.Report, o Options) error {
	if o.Location == nil {
		o.Location = time.UTC
	}
	switch format {
	case "csv":
		return writeCSV(w, reports, o)
	case "xlsx":
		return writeXLSX(w, reports, o)
	case "jsonl":
		return writeJSONL(w, reports, o)
	}
	return fmt.Errorf("unknown format %q: choose %s", format, strings.Join(Formats, ", "))
}

func writeCSV(w io.Writer, reports []*concern.Report, o Options) error {
	var b bytes.Buffer
	b.WriteString("\uFEFF") // Excel takes the file for UTF-8 only with this mark
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true
	cols := o.columns()
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.head
	}
	cw.Write(row)
	for _, r := range reports {
		for i, c := range cols {
			row[i] = defuse(c.value(r, o))
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeXLSX(w io.Writer, reports []*concern.Report, o Options) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "诉求"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	cols := o.columns()
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = c.head
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for n, r := range reports {
		row := make([]any, len(cols))
		for i, c := range cols {
			row[i] = c.value(r, o)
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

func writeJSONL(w io.Writer, reports []*concern.Report, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reports {
		line := map[string]any{}
		for _, c := range o.columns() {
			if c.key == "history" {
				continue
			}
			if v := c.value(r, o); v != "" {
				line[c.key] = v
			}
		}
		var hist []map[string]any
		for _, h := range r.History {
			if h.Internal() && !o.Unmasked {
				continue
			}
			e := map[string]any{"at": h.At.In(o.Location).Format(time.RFC3339), "status": string(h.Status), "label": h.Status.Label("zh")}
			if h.By != "" {
				e["by"] = h.ByLabel("zh")
			}
			if text := h.Text("zh"); text != "" {
				e["note"] = note(r, text, o)
			}
			hist = append(hist, e)
		}
		line["history"] = hist
		line["status_code"] = string(r.Status)
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}
