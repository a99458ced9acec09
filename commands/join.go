package commands

import (
	"context"

	"github.com/minyi-project/minyi/locale"
)

// /join 邀请码: take the role an invite code gives.
var join = Command{
	Name: "join",
	Keys: []locale.Key{"usage_join", "joined"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		if len(args) != 1 {
			c.usage()
			return nil
		}
		m, err := c.reg.svc.Join(ctx, c.Actor, args[0])
		if err != nil {
			return err
		}
		c.menu(c.t("joined", "role", m.Role.Label(c.Lang)))
		c.withHelp(m.Role)
		return nil
	},
}
