package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/locale"
)

// consultRows are a consultation's results as rows: each option's count and
// share, a rating's mean, each group of free-text answers (masked) with its size.
func consultRows(tallies []consult.Tally, lang string) [][]any {
	cat := locale.Default()
	rows := [][]any{{cat.Render(lang, "export_consult_q"), cat.Render(lang, "export_consult_answer"), cat.Render(lang, "export_consult_n"), cat.Render(lang, "export_consult_share")}}
	for i, t := range tallies {
		q := strconv.Itoa(i+1) + ". " + t.Question.Text
		labels := t.Question.Options
		if t.Question.Kind == consult.Rating {
			labels = []string{"1", "2", "3", "4", "5"}
		}
		for j, n := range t.Counts {
			var share any = ""
			if t.Shares != nil {
				share = t.Shares[j]
			}
			rows = append(rows, []any{q, labels[j], n, share})
		}
		if t.Mean != nil {
			rows = append(rows, []any{q, cat.Render(lang, "export_consult_mean"), *t.Mean, ""})
		}
		for _, g := range t.Groups {
			for _, a := range g.Answers {
				rows = append(rows, []any{q, a, g.N, ""})
			}
		}
	}
	return rows
}

// WriteConsult writes a consultation's results as csv or xlsx: the same rows,
// free text masked (as the results hold it).
func WriteConsult(w io.Writer, format string, tallies []consult.Tally, lang string) error {
	rows := consultRows(tallies, lang)
	switch format {
	case "csv":
		var b bytes.Buffer
		b.WriteString("\uFEFF")
		cw := csv.NewWriter(&b)
		cw.UseCRLF = true
		for _, r := range rows {
			line := make([]string, len(r))
			for i, v := range r {
				switch v := v.(type) {
				case float64:
					line[i] = strconv.FormatFloat(v, 'f', 4, 64)
				default:
					line[i] = defuse(fmt.Sprint(v))
				}
			}
			cw.Write(line)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
		_, err := w.Write(b.Bytes())
		return err
	case "xlsx":
		f := excelize.NewFile()
		defer f.Close()
		sheet := locale.Default().Render(lang, "export_consult_sheet")
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		for y, r := range rows {
			for x, v := range r {
				cell, _ := excelize.CoordinatesToCellName(x+1, y+1)
				if s, ok := v.(string); ok {
					v = defuse(s)
				}
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					return fmt.Errorf("xlsx: %w", err)
				}
				if x == 3 && y > 0 && v != "" {
					if err := f.SetCellStyle(sheet, cell, cell, pct); err != nil {
						return fmt.Errorf("xlsx: %w", err)
					}
				}
			}
		}
		for col, w := range map[string]float64{"A": 40, "B": 50, "C": 8, "D": 10} {
			if err := f.SetColWidth(sheet, col, col, w); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		end, _ := excelize.CoordinatesToCellName(4, len(rows))
		if err := f.AutoFilter(sheet, "A1:"+end, nil); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if err := f.Write(w); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		return nil
	}
	return fmt.Errorf("unknown format %q: choose csv or xlsx", format)
}
