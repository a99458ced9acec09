package commands

import (
	"context"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /dup 编号 重复于的编号: mark a concern as a repeat of another.
var dup = Command{
	Name:  "dup",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_dup"}},
	Menu:  "menu_cmd_dup",
	Keys:  []locale.Key{"usage_dup", "changed_notified", "changed_unnotified", "changed_notified_filed"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		if len(args) != 2 {
			c.usage()
			return nil
		}
		if c.ID = args[0]; !c.concernID(c.ID) || !c.concernID(args[1]) {
			return nil
		}
		if err := cases.CheckDuplicate(c.ID, args[1]); err != nil {
			return err
		}
		ch, err := c.reg.svc.LinkDuplicate(ctx, c.Actor, c.ID, args[1])
		if err != nil {
			return err
		}
		c.changed(ch)
		return nil
	},
}
