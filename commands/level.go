package commands

import (
	"context"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /level 编号 urgent|utility|general|complex: a concern's service level, and so its deadline.
var level = Command{
	Name:  "level",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_level"}},
	Menu:  "menu_cmd_level",
	Keys:  []locale.Key{"usage_level", "level_changed"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		if len(args) != 2 {
			c.usage()
			return nil
		}
		if c.ID = args[0]; !c.concernID(c.ID) {
			return nil
		}
		if err := cases.CheckLevel(c.ID, concern.Level(args[1])); err != nil {
			return err
		}
		ch, err := c.reg.svc.SetLevel(ctx, c.Actor, c.ID, concern.Level(args[1]))
		if err != nil {
			return err
		}
		r := ch.Report
		c.say(c.t("level_changed", "id", r.ID, "level", r.Level.Label(c.Lang), "deadline", c.when(r.Deadline)))
		return nil
	},
}
