package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/period"
)

// maxDocument is the largest file sent to a chat; larger ones are left to the command line.
const maxDocument = 40 << 20

// /digest [today|2026-11-25|7d|2026-11-01..2026-11-15]: the digest of a period
// (yesterday by default), and the scheduled one, due in a chat.
var digestCmd = Command{
	Name:  "digest",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_digest"}},
	Menu:  "menu_cmd_digest",
	Keys: []locale.Key{"usage_digest", "bad_period", "period_bad_date", "period_bad_days", "period_reversed", "period_too_long",
		"period_future", "digest_brief", "digest_workbook", "digest_workbook_too_big"},
	Run: func(ctx context.Context, c *Call) error {
		var req cases.DigestRequest
		var err error
		if e := c.In.Event; c.In.Kind == flows.InputEvent && e != nil {
			if req.Period, err = period.Parse(e.From+".."+e.To, c.In.Time, c.reg.loc); err != nil {
				return &cases.Refusal{Reason: cases.DigestUnavailable}
			}
			req.Late = e.Late
		} else {
			args := c.args()
			if len(args) > 1 {
				c.usage()
				return nil
			}
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			if req.Period, err = period.Parse(arg, c.In.Time, c.reg.loc); err != nil {
				c.say(c.t("bad_period", "why", c.periodProblem(err), "usage", c.t("usage_digest")))
				return nil
			}
		}
		d, err := c.reg.svc.Digest(ctx, c.Actor, req)
		if err != nil {
			return err
		}
		for _, chunk := range d.Telegram(c.Lang, c.reg.loc) {
			c.result.Messages = append(c.result.Messages, flows.Message{Text: chunk, HTML: true})
		}
		name := "minyi-" + req.Period.String()
		c.result.Messages = append(c.result.Messages, flows.Message{Text: c.t("digest_brief"),
			Document: &flows.Document{Name: name + ".html", Data: d.HTML(c.Lang, c.reg.loc)}})
		book, err := d.XLSX(c.Lang, c.reg.loc)
		if err != nil {
			return fmt.Errorf("digest workbook: %w", err)
		}
		if len(book) > maxDocument {
			c.say(c.t("digest_workbook_too_big", "mb", strconv.Itoa(len(book)>>20), "from", d.From, "to", d.To))
			return nil
		}
		c.result.Messages = append(c.result.Messages, flows.Message{Text: c.t("digest_workbook"),
			Document: &flows.Document{Name: name + ".xlsx", Data: book}})
		return nil
	},
}

// periodProblem words what period.Parse refused.
func (c *Call) periodProblem(err error) string {
	var perr *period.Error
	if !errors.As(err, &perr) {
		return err.Error()
	}
	return c.t(locale.Key("period_"+string(perr.Problem)), "input", perr.Input, "max", strconv.Itoa(period.MaxDays))
}
