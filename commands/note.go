package commands

import (
	"context"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /note 编号 内容: an internal note on a concern's history, for staff only.
var note = Command{
	Name:  "note",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_note"}},
	Menu:  "menu_cmd_note",
	Keys:  []locale.Key{"usage_note", "noted"},
	Run: func(ctx context.Context, c *Call) error {
		text, ok := c.idAndText()
		if !ok {
			return nil
		}
		if _, err := c.reg.svc.AddNote(ctx, c.Actor, c.ID, text); err != nil {
			return err
		}
		c.say(c.t("noted", "id", c.ID))
		return nil
	},
}
