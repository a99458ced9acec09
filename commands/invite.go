package commands

import (
	"context"
	"slices"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /invite grid 社区/网格, /invite staff [社区] (admins), /invite cancel 邀请码 (admins):
// make or cancel an invite code.
var invite = Command{
	Name:  "invite",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_invite_grid"}, {concern.RoleAdmin, "help_invite_staff"}},
	Menu:  "menu_cmd_invite",
	Keys:  []locale.Key{"usage_invite", "bad_grid", "bad_community", "invite_made", "invite_cancelled"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		var spec cases.InviteSpec
		switch {
		case len(args) == 1 && args[0] == "staff":
			spec.Role = concern.RoleStaff
		case len(args) == 2 && args[0] == "staff" && slices.Contains(c.reg.communities(), args[1]):
			spec.Role, spec.Community = concern.RoleStaff, args[1] // the 街道/社区/网格 hierarchy: one community's staff
		case len(args) == 2 && args[0] == "staff":
			c.say(c.t("bad_community", "community", args[1], "communities", strings.Join(c.reg.communities(), "、")))
			return nil
		case len(args) == 2 && args[0] == "grid" && slices.Contains(c.reg.grids, args[1]):
			spec.Role = concern.RoleGrid
			spec.Community, spec.Grid, _ = strings.Cut(args[1], "/")
		case len(args) == 2 && args[0] == "grid":
			c.say(c.t("bad_grid", "grid", args[1], "grids", strings.Join(c.reg.grids, "、")))
			return nil
		case len(args) == 2 && args[0] == "cancel":
			code, err := c.reg.svc.CancelInvite(ctx, c.Actor, args[1])
			if err != nil {
				return err
			}
			c.say(c.t("invite_cancelled", "code", code))
			return nil
		default:
			c.usage()
			return nil
		}
		inv, err := c.reg.svc.Invite(ctx, c.Actor, spec)
		if err != nil {
			return err
		}
		c.say(c.t("invite_made", "code", inv.Code, "role", strings.TrimSpace(inv.Role.Label(c.Lang)+" "+inv.Where()), "expires", c.when(inv.Expires)))
		return nil
	},
}
