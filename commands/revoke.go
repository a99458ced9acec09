package commands

import (
	"context"
	"strconv"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /revoke 用户编号: take a member's role away, and their invite codes (admins).
var revoke = Command{
	Name:  "revoke",
	Roles: []concern.Role{concern.RoleAdmin},
	Help:  []Line{{concern.RoleAdmin, "help_revoke"}},
	Menu:  "menu_cmd_revoke",
	Keys:  []locale.Key{"usage_revoke", "bad_user", "revoked"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		if len(args) != 1 {
			c.usage()
			return nil
		}
		c.ID = args[0]
		user, err := strconv.ParseInt(c.ID, 10, 64)
		if err != nil || user <= 0 {
			c.say(c.t("bad_user", "user", c.ID))
			return nil
		}
		m, err := c.reg.svc.Revoke(ctx, c.Actor, user)
		if err != nil {
			return err
		}
		c.say(c.t("revoked", "user", c.ID, "role", m.Role.Label(c.Lang)))
		return nil
	},
}
