package digest

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// channelLabel names where a concern came in, as a reader of the workbook would.
func channelLabel(ch, lang string) string {
	if ch == concern.ChannelTelegram {
		return "Telegram"
	}
	return locale.Default().Label(lang, locale.Key("channel_"+ch), ch)
}

// XLSX renders every concern of the period as a workbook row, and the breakdowns on a second sheet.
func (d *Digest) XLSX(lang string, loc *time.Location) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	cat := locale.Default()
	rowsSheet, sumSheet := cat.Render(lang, "xlsx_rows"), cat.Render(lang, "xlsx_summary")
	f.SetSheetName("Sheet1", rowsSheet)
	sw, err := f.NewStreamWriter(rowsSheet)
	if err != nil {
		return nil, err
	}
	var header []any
	for _, col := range strings.Split(cat.Render(lang, "xlsx_columns"), "|") {
		header = append(header, col)
	}
	if err := sw.SetRow("A1", header); err != nil {
		return nil, err
	}
	yes := func(b bool) string {
		if !b {
			return ""
		}
		return cat.Render(lang, "xlsx_yes")
	}
	for i, r := range d.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		err := sw.SetRow(cell, []any{r.ID, r.At.In(loc).Format("2006-01-02 15:04:05"), channelLabel(r.Channel, lang), yes(r.Filed), r.Community, r.Grid,
			r.Sector, r.Topic, r.Subtopic, yes(r.Urgent), yes(r.Sensitive), concern.Level(r.Level).Label(lang), concern.Status(r.Status).Label(lang),
			r.Unit, concern.Rating(r.Rating).Label(lang), r.Text})
		if err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(sumSheet); err != nil {
		return nil, err
	}
	row := 1
	put := func(vals ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		f.SetSheetRow(sumSheet, cell, &vals)
		row++
	}
	put(d.title(lang))
	put(w(lang, "overview", d.Received, d.Direct, d.Filed, d.Closed, d.Rejected, d.Duplicate, d.Open, d.Overdue))
	put(w(lang, "rates", pct(d.ResponseRate), pct(d.ResolutionRate), pct(d.SatisfactionRate)))
	if d.Reconciled {
		put(w(lang, "reconciled", d.Accepted, d.Counted))
	} else {
		put(w(lang, "unreconciled", d.Accepted, d.Counted))
	}
	for _, part := range []struct {
		title string
		cs    []Count
	}{{w(lang, "s_sector"), d.BySector}, {w(lang, "s_topic"), d.ByTopic}, {w(lang, "s_place"), d.ByCommunity}, {"", d.ByGrid}} {
		row++
		put(part.title, bw(lang, "count"), bw(lang, "before"), bw(lang, "change"))
		for _, c := range part.cs {
			put(orNone(c.Name, lang), c.N, fmt.Sprintf("%.1f", c.Before), change(c, lang))
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
