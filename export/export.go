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
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// Formats lists the formats Write knows.
var Formats = []string{"csv", "xlsx", "jsonl"}

// Options says how to write.
type Options struct {
	// Unmasked keeps names, phones, chats and addresses as recorded.
	Unmasked bool
	// Location is the time zone of the times written.
	Location *time.Location
	// Lang is the language of the headings and labels (zh unless told).
	Lang string
}

// withDefaults fills what the caller left out: UTC and Chinese.
func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Lang == "" {
		o.Lang = "zh"
	}
	return o
}

// restricted stands for a sensitive concern's text in a masked export, and
// restrictedNote for its staff notes.
const (
	restricted     = "（敏感事项，内容限制查阅）"
	restrictedNote = "（说明限制查阅）"
)

// Column is one field of an exported concern: its key (in JSON lines), its
// heading and how to read it. The digest's workbook writes the same columns, so
// that a concern reads the same in both.
type Column struct {
	Key   string
	head  locale.Key
	width float64
	value func(r *concern.Report, o Options) any
	// Personal columns are only in unmasked exports.
	Personal bool
}

// Head is the column's heading in lang.
func (c Column) Head(lang string) string { return locale.Default().Render(lang, c.head) }

// Width is the column's width in a workbook, in characters.
func (c Column) Width() float64 { return c.width }

// Value is the cell: a string, a time.Time in o's time zone (a string "" when
// unset) or an int64.
func (c Column) Value(r *concern.Report, o Options) any { return c.value(r, o.withDefaults()) }

// Text is the cell as CSV and JSON lines write it.
func (c Column) Text(r *concern.Report, o Options) string {
	o = o.withDefaults()
	switch v := c.value(r, o).(type) {
	case time.Time:
		return v.In(o.Location).Format("2006-01-02 15:04")
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return ""
}

// ChannelLabel names where a concern came in, as a reader would.
func ChannelLabel(ch, lang string) string {
	if ch == concern.ChannelTelegram {
		return "Telegram"
	}
	return locale.Default().Label(lang, locale.Key("channel_"+ch), ch)
}

// Columns are the columns an export with o writes, in order.
func Columns(o Options) []Column {
	var out []Column
	for _, c := range columns() {
		if !c.Personal || o.Unmasked {
			out = append(out, c)
		}
	}
	return out
}

func columns() []Column {
	at := func(t time.Time, o Options) any {
		if t.IsZero() {
			return ""
		}
		return t.In(o.Location)
	}
	yes := func(b bool, o Options) any {
		if b {
			return locale.Default().Render(o.Lang, "export_yes")
		}
		return ""
	}
	str := func(f func(r *concern.Report) string) func(*concern.Report, Options) any {
		return func(r *concern.Report, _ Options) any { return f(r) }
	}
	return []Column{
		{"id", locale.Key("export_id"), 16, str(func(r *concern.Report) string { return r.ID }), false},
		{"received_at", locale.Key("export_received_at"), 17, func(r *concern.Report, o Options) any { return at(r.ReceivedAt, o) }, false},
		{"channel", locale.Key("export_channel"), 10, func(r *concern.Report, o Options) any { return ChannelLabel(r.Channel, o.Lang) }, false},
		{"external_id", locale.Key("export_external_id"), 14, str(func(r *concern.Report) string { return r.ExternalID }), false},
		{"reported_at", locale.Key("export_reported_at"), 17, func(r *concern.Report, o Options) any { return at(r.ReportedAt, o) }, false},
		{"filed_by_grid_worker", locale.Key("export_filed_by_grid_worker"), 10, func(r *concern.Report, o Options) any { return yes(r.FiledBy != 0, o) }, false},
		{"community", locale.Key("export_community"), 12, str(func(r *concern.Report) string { return r.Community }), false},
		{"grid", locale.Key("export_grid"), 10, str(func(r *concern.Report) string { return r.Grid }), false},
		{"sector", locale.Key("export_sector"), 12, str(func(r *concern.Report) string { return r.Sector }), false},
		{"topic", locale.Key("export_topic"), 14, str(func(r *concern.Report) string { return r.Topic }), false},
		{"subtopic", locale.Key("export_subtopic"), 18, str(func(r *concern.Report) string { return r.Subtopic }), false},
		{"urgent", locale.Key("export_urgent"), 6, func(r *concern.Report, o Options) any { return yes(r.Urgent, o) }, false},
		{"sensitive", locale.Key("export_sensitive"), 6, func(r *concern.Report, o Options) any { return yes(r.Sensitive, o) }, false},
		{"level", locale.Key("export_level"), 10, func(r *concern.Report, o Options) any { return r.Level.Label(o.Lang) }, false},
		{"deadline", locale.Key("export_deadline"), 17, func(r *concern.Report, o Options) any { return at(r.Deadline, o) }, false},
		{"status", locale.Key("export_status"), 10, func(r *concern.Report, o Options) any { return r.Status.Label(o.Lang) }, false},
		{"unit", locale.Key("export_unit"), 16, str(func(r *concern.Report) string { return r.Unit }), false},
		{"rating", locale.Key("export_rating"), 10, func(r *concern.Report, o Options) any { return r.Rating.Label(o.Lang) }, false},
		{"text", locale.Key("export_text"), 60, func(r *concern.Report, o Options) any { return text(r, o) }, false},
		// the answers to the office's own questions (楼栋号…), masked as the text is
		{"custom", locale.Key("export_custom"), 30, func(r *concern.Report, o Options) any {
			c := r.CustomText(o.Lang)
			switch {
			case o.Unmasked || c == "":
				return c
			case r.Sensitive:
				return restricted
			}
			return r.MaskedNote(c)
		}, false},
		{"history", locale.Key("export_history"), 50, func(r *concern.Report, o Options) any { return history(r, o) }, false},
		{"reporter_name", locale.Key("export_reporter_name"), 10, str(func(r *concern.Report) string { return r.ReporterName }), true},
		{"reporter_id", locale.Key("export_reporter_id"), 14, func(r *concern.Report, _ Options) any {
			if r.ReporterID == 0 {
				return ""
			}
			return r.ReporterID
		}, true},
		{"phone", locale.Key("export_phone"), 14, str(func(r *concern.Report) string { return r.Phone }), true},
		{"resident_name", locale.Key("export_resident_name"), 12, str(func(r *concern.Report) string { return r.ResidentName }), true},
		{"resident_phone", locale.Key("export_resident_phone"), 14, str(func(r *concern.Report) string { return r.ResidentPhone }), true},
		{"address", locale.Key("export_address"), 30, str(func(r *concern.Report) string { return r.Address }), true},
		{"location", locale.Key("export_location"), 20, str(func(r *concern.Report) string {
			if r.Location == nil {
				return ""
			}
			return r.Location.String()
		}), true},
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
		line := h.At.In(o.Location).Format("2006-01-02 15:04") + " " + h.Status.Label(o.Lang)
		if h.By != "" {
			line += "（" + h.ByLabel(o.Lang) + "）"
		}
		if text := h.Text(o.Lang); text != "" {
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

// Write writes the reports to w in format (csv, xlsx or jsonl).
func Write(w io.Writer, format string, reports []*concern.Report, o Options) error {
	o = o.withDefaults()
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
	cols := Columns(o)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.Head(o.Lang)
	}
	cw.Write(row)
	for _, r := range reports {
		for i, c := range cols {
			row[i] = defuse(c.Text(r, o))
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeXLSX(w io.Writer, reports []*concern.Report, o Options) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := locale.Default().Render(o.Lang, "export_sheet")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := Sheet(f, sheet, len(reports), func(i int) *concern.Report { return reports[i] }, o); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// Sheet writes n concerns (report(i) the i-th) on sheet of f, which must exist
// and be empty, as the export's columns: widths set, the heading row frozen and
// filtered, times as dates and numbers as numbers.
func Sheet(f *excelize.File, sheet string, n int, report func(i int) *concern.Report, o Options) error {
	o = o.withDefaults()
	cols := Columns(o)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
	}
	styles, err := NewStyles(f)
	if err != nil {
		return err
	}
	// the last first: the stream writer puts each width before those set already,
	// and Excel wants them in order
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
		}
	}
	if err := sw.SetPanes(FrozenHeader()); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: styles.Head, Value: c.Head(o.Lang)}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
	}
	row := make([]any, len(cols))
	for k := range n {
		r := report(k)
		for i, c := range cols {
			row[i] = styles.Cell(c.value(r, o))
		}
		cell, _ := excelize.CoordinatesToCellName(1, k+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
		}
	}
	// before the flush, which writes the filter the sheet holds; after it, the
	// sheet is no longer there to change
	if err := Filter(f, sheet, len(cols), n+1); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheet, err)
	}
	return nil
}

// Styles are a workbook's cell styles for tables: the heading row, and times.
type Styles struct{ Head, Time int }

// NewStyles adds the table styles to f.
func NewStyles(f *excelize.File) (Styles, error) {
	var s Styles
	var err error
	if s.Head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEEEEE"}}}); err != nil {
		return s, fmt.Errorf("xlsx style: %w", err)
	}
	format := "yyyy-mm-dd hh:mm"
	if s.Time, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
		return s, fmt.Errorf("xlsx style: %w", err)
	}
	return s, nil
}

// Cell is v as a stream writer's cell: a time becomes an Excel date of its own
// wall clock (Excel has no time zones, so the office's time is what it shows),
// in the time style.
func (s Styles) Cell(v any) any {
	if t, ok := v.(time.Time); ok {
		wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		return excelize.Cell{StyleID: s.Time, Value: wall}
	}
	return v
}

// FrozenHeader keeps a table's first row in view as it scrolls.
func FrozenHeader() *excelize.Panes {
	return &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}
}

// Filter puts an autofilter on a table of cols columns and rows rows (heading included).
func Filter(f *excelize.File, sheet string, cols, rows int) error {
	last, err := excelize.CoordinatesToCellName(cols, max(rows, 1))
	if err != nil {
		return fmt.Errorf("xlsx filter: %w", err)
	}
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("xlsx filter on %s: %w", sheet, err)
	}
	return nil
}

func writeJSONL(w io.Writer, reports []*concern.Report, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	cols := Columns(o)
	for _, r := range reports {
		line := map[string]any{}
		for _, c := range cols {
			if c.Key == "history" {
				continue
			}
			if v := c.Text(r, o); v != "" {
				line[c.Key] = v
			}
		}
		var hist []map[string]any
		for _, h := range r.History {
			if h.Internal() && !o.Unmasked {
				continue
			}
			e := map[string]any{"at": h.At.In(o.Location).Format(time.RFC3339), "status": string(h.Status), "label": h.Status.Label(o.Lang)}
			if h.By != "" {
				e["by"] = h.ByLabel(o.Lang)
			}
			if text := h.Text(o.Lang); text != "" {
				e["note"] = note(r, text, o)
			}
			hist = append(hist, e)
		}
		line["history"] = hist
		line["status_code"] = string(r.Status)
		line["channel_code"] = r.Channel // the label above is for people
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("jsonl: %w", err)
		}
	}
	return nil
}
