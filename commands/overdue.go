package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// overdueShown is how many overdue concerns /overdue lists.
const overdueShown = 20

// /overdue: the running concerns past their deadline, soonest first.
var overdue = Command{
	Name:  "overdue",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_overdue"}},
	Menu:  "menu_cmd_overdue",
	Keys:  []locale.Key{"usage_overdue", "overdue_none", "overdue_head", "overdue_line"},
	Run: func(ctx context.Context, c *Call) error {
		if len(c.args()) != 0 {
			c.usage()
			return nil
		}
		page, err := c.reg.svc.Overdue(ctx, c.Actor, overdueShown)
		if err != nil {
			return err
		}
		if len(page.Reports) == 0 {
			c.say(c.t("overdue_none"))
			return nil
		}
		lines := []string{c.t("overdue_head", "n", strconv.Itoa(len(page.Reports)), "total", strconv.Itoa(page.Total))}
		for _, r := range page.Reports {
			lines = append(lines, c.t("overdue_line", "id", r.ID, "deadline", c.when(r.Deadline),
				"status", r.Status.Label(c.Lang), "unit", orDash(r.Unit), "excerpt", concern.Excerpt(r.MaskedText(), 20)))
		}
		c.say(strings.Join(lines, "\n"))
		return nil
	},
}
