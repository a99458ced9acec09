package commands

import (
	"context"
	"net/url"
	"strconv"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /web: a one-time link that signs the member in to the web workbench, in a
// private chat only (a link posted in a group is anyone's).
var web = Command{
	Name:  "web",
	Roles: []concern.Role{concern.RoleGrid, concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleGrid, "help_web"}, {concern.RoleStaff, "help_web"}},
	Menu:  "menu_cmd_web",
	Keys:  []locale.Key{"usage_web", "web_link", "web_unavailable", "web_private_only"},
	Run: func(ctx context.Context, c *Call) error {
		switch {
		case len(c.args()) != 0:
			c.usage()
			return nil
		case c.In.Group:
			c.say(c.t("web_private_only"))
			return nil
		case c.reg.publicURL == "":
			c.say(c.t("web_unavailable"))
			return nil
		}
		code, _, err := c.reg.svc.SignInLink(ctx, c.Actor)
		if err != nil {
			return err
		}
		link := c.reg.publicURL + "/staff/signin?code=" + url.QueryEscape(code)
		c.say(c.t("web_link", "minutes", strconv.Itoa(int(cases.SignInTTL.Minutes())), "url", link))
		return nil
	},
}
