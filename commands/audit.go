package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /audit 编号: who did what to a concern, and when.
var audit = Command{
	Name:  "audit",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_audit"}},
	Menu:  "menu_cmd_audit",
	Keys:  []locale.Key{"usage_audit", "audit_none", "audit_head", "audit_line", "audit_system"},
	Run: func(ctx context.Context, c *Call) error {
		if !c.oneID() {
			return nil
		}
		trail, err := c.reg.svc.Audit(ctx, c.Actor, c.ID)
		if err != nil {
			return err
		}
		if len(trail) == 0 {
			c.say(c.t("audit_none", "id", c.ID))
			return nil
		}
		lines := []string{c.t("audit_head", "id", c.ID)}
		for _, e := range trail {
			who := e.Role.Label(c.Lang) + " " + strconv.FormatInt(e.By, 10)
			if e.By == 0 && e.Role == "" { // the program's own doing: an escalation, the retention sweep
				who = c.t("audit_system")
			}
			lines = append(lines, strings.TrimSpace(c.t("audit_line", "at", c.when(e.At), "who", who,
				"action", c.action(e.Action), "detail", e.DetailText(c.Lang))))
		}
		c.say(strings.Join(lines, "\n"))
		return nil
	},
}

func (c *Call) action(a string) string { return concern.ActionLabel(c.Lang, a) }
