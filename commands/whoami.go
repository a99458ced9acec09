package commands

import (
	"context"
	"strconv"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /whoami: the sender's role and user id, and what they may do.
var whoami = Command{
	Name: "whoami",
	Help: []Line{{concern.RoleGrid, "help_whoami"}},
	Menu: "menu_cmd_whoami",
	Keys: []locale.Key{"usage_whoami", "whoami", "whoami_grid"},
	Run: func(ctx context.Context, c *Call) error {
		if len(c.args()) != 0 {
			c.usage()
			return nil
		}
		where := ""
		switch {
		case c.Actor.Role == concern.RoleGrid && c.Actor.Grid != "":
			where = c.t("whoami_grid", "grid", c.Actor.Community+"/"+c.Actor.Grid)
		case c.Actor.Role == concern.RoleStaff && c.Actor.Community != "":
			where = c.t("whoami_grid", "grid", c.Actor.Community) // one community's staff
		}
		c.say(c.t("whoami", "role", c.Actor.Role.Label(c.Lang), "where", where, "user", strconv.FormatInt(c.Actor.UserID, 10)))
		c.withHelp(c.Actor.Role)
		return nil
	},
}
