package commands

import (
	"context"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /assign 编号 承办单位: refer a concern to the unit that handles it.
var assign = Command{
	Name:  "assign",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_assign"}},
	Menu:  "menu_cmd_assign",
	Keys:  []locale.Key{"usage_assign", "changed_notified", "changed_unnotified", "changed_notified_filed"},
	Run: func(ctx context.Context, c *Call) error {
		text, ok := c.idAndText()
		if !ok {
			return nil
		}
		ch, err := c.reg.svc.Assign(ctx, c.Actor, c.ID, text)
		if err != nil {
			return err
		}
		c.changed(ch)
		return nil
	},
}
