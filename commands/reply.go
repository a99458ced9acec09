package commands

import (
	"context"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /reply 编号 内容: answer whoever reported a concern, in their chat.
var reply = Command{
	Name:  "reply",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_reply"}},
	Menu:  "menu_cmd_reply",
	Keys:  []locale.Key{"usage_reply", "replied", "replied_nobody"},
	Run: func(ctx context.Context, c *Call) error {
		text, ok := c.idAndText()
		if !ok {
			return nil
		}
		ch, err := c.reg.svc.ReplyToReporter(ctx, c.Actor, c.ID, text)
		if err != nil {
			return err
		}
		if !ch.Notified {
			c.say(c.t("replied_nobody", "id", c.ID))
			return nil
		}
		c.say(c.t("replied", "id", c.ID))
		return nil
	},
}
