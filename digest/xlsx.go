package digest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/export"
	"github.com/minyi-project/minyi/locale"
)

// XLSX renders the digest as a workbook: every concern of the period, every
// concern overdue now (both in the columns of `minyi export`, so that a concern
// reads the same in both), the breakdowns as one table, and a summary sheet.
func (d *Digest) XLSX(lang string, loc *time.Location) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	cat := locale.Default()
	rowsSheet, overdueSheet := cat.Render(lang, "xlsx_rows"), cat.Render(lang, "xlsx_overdue")
	countSheet, sumSheet := cat.Render(lang, "xlsx_counts"), cat.Render(lang, "xlsx_summary")
	if err := f.SetSheetName("Sheet1", rowsSheet); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	for _, s := range []string{overdueSheet, countSheet, sumSheet} {
		if _, err := f.NewSheet(s); err != nil {
			return nil, fmt.Errorf("digest workbook: %w", err)
		}
	}
	o := export.Options{Location: loc, Lang: lang} // masked, as the digest is
	if err := export.Sheet(f, rowsSheet, len(d.Rows), func(i int) *concern.Report { return d.Rows[i].report() }, o); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	if err := export.Sheet(f, overdueSheet, len(d.OverdueRows), func(i int) *concern.Report { return d.OverdueRows[i].report() }, o); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	styles, err := export.NewStyles(f)
	if err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	if err := d.countSheet(f, countSheet, lang, styles); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	if err := d.summarySheet(f, sumSheet, lang, loc, styles); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// countSheet is the breakdowns as one table (what, name, count, the daily
// average before, the change), so that it can be filtered and sorted.
func (d *Digest) countSheet(f *excelize.File, sheet, lang string, styles export.Styles) error {
	percent := "+0%;-0%;0%"
	pctStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &percent})
	if err != nil {
		return err
	}
	avg := "0.0"
	avgStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &avg})
	if err != nil {
		return err
	}
	head := []any{bw(lang, "breakdown"), bw(lang, "name"), bw(lang, "count"), bw(lang, "before"), bw(lang, "change")}
	for i, h := range head {
		head[i] = excelize.Cell{StyleID: styles.Head, Value: h}
	}
	rows := [][]any{head}
	for _, part := range []struct {
		title string
		cs    []Count
	}{{bw(lang, "sectors"), d.BySector}, {bw(lang, "topics"), d.ByTopic}, {bw(lang, "communities"), d.ByCommunity}, {bw(lang, "grids"), d.ByGrid}} {
		for _, c := range part.cs {
			var ch any = change(c, lang) // new, or nothing either side: no number to give
			if c.Change != nil {
				ch = excelize.Cell{StyleID: pctStyle, Value: *c.Change}
			}
			rows = append(rows, []any{part.title, orNone(c.Name, lang), c.N, excelize.Cell{StyleID: avgStyle, Value: c.Before}, ch})
		}
	}
	for i, w := range []float64{12, 24, 8, 14, 10} {
		if err := f.SetColWidth(sheet, colName(i+1), colName(i+1), w); err != nil {
			return err
		}
	}
	for i, r := range rows {
		if err := setRow(f, sheet, i+1, r); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, export.FrozenHeader()); err != nil {
		return err
	}
	return export.Filter(f, sheet, len(head), len(rows))
}

// summarySheet is the brief's first page in cells: who issues it, the period,
// the headline, the rates, what is overdue and what rises fastest.
func (d *Digest) summarySheet(f *excelize.File, sheet, lang string, loc *time.Location, styles export.Styles) error {
	var rows [][]any
	put := func(vals ...any) { rows = append(rows, vals) }
	if d.Org != "" {
		put(d.Org)
	}
	put(noEmoji(d.title(lang)))
	if d.Number > 0 {
		put(d.number(lang))
	}
	put(w(lang, "overview", d.Received, d.Direct, d.Filed, d.Closed, d.Rejected, d.Duplicate, d.Open, d.Overdue))
	put(w(lang, "rates", pct(d.ResponseRate), pct(d.ResolutionRate), pct(d.SatisfactionRate)))
	if len(d.Rising) > 0 {
		put(w(lang, "rising", d.risingList(lang)))
	}
	put(w(lang, "s_overdue", d.OverdueNowTotal))
	if d.OverdueNowTotal > 0 || d.Overdue > 0 {
		put(w(lang, "overdue_note", d.Overdue, d.OverdueNowTotal))
	}
	if d.OverdueNowTotal > len(d.OverdueRows) {
		put(w(lang, "overdue_capped", len(d.OverdueRows)))
	}
	if d.Reconciled {
		put(noEmoji(w(lang, "reconciled", d.Accepted, d.Counted)))
	} else {
		put(w(lang, "unreconciled", d.Accepted, d.Counted))
	}
	put(bw(lang, "generated"), styles.Cell(d.Generated.In(loc)))
	put(bw(lang, "xlsx_masked_note"))
	if err := f.SetColWidth(sheet, "A", "A", 100); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "B", 18); err != nil {
		return err
	}
	for i, r := range rows {
		if err := setRow(f, sheet, i+1, r); err != nil {
			return err
		}
	}
	return nil
}

func setRow(f *excelize.File, sheet string, row int, vals []any) error {
	for i, v := range vals {
		cell, err := excelize.CoordinatesToCellName(i+1, row)
		if err != nil {
			return err
		}
		if c, ok := v.(excelize.Cell); ok {
			if err := f.SetCellValue(sheet, cell, c.Value); err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, cell, cell, c.StyleID); err != nil {
				return err
			}
			continue
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
	}
	return nil
}

func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}
