package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /invites: the outstanding invite codes, for admins.
var invites = Command{
	Name:  "invites",
	Roles: []concern.Role{concern.RoleAdmin},
	Help:  []Line{{concern.RoleAdmin, "help_invites"}, {concern.RoleAdmin, "help_invite_cancel"}}, // /invite cancel is read beside the list
	Menu:  "menu_cmd_invites",
	Keys:  []locale.Key{"usage_invites", "invites_none", "invites_head", "invites_line"},
	Run: func(ctx context.Context, c *Call) error {
		if len(c.args()) != 0 {
			c.usage()
			return nil
		}
		list, err := c.reg.svc.Invites(ctx, c.Actor)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			c.say(c.t("invites_none"))
			return nil
		}
		lines := []string{c.t("invites_head", "n", strconv.Itoa(len(list)))}
		for _, o := range list {
			lines = append(lines, c.t("invites_line", "code", o.Code, "role", strings.TrimSpace(o.Role.Label(c.Lang)+" "+o.Where()),
				"by", strconv.FormatInt(o.By, 10), "expires", c.when(o.Expires)))
		}
		c.say(strings.Join(lines, "\n"))
		return nil
	},
}
