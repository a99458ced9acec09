package commands

import (
	"context"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// /mine, for a grid worker: the concerns they filed for residents. (For
// everyone else /mine is their own list, the engine's.)
var mine = Command{
	Name:  "mine",
	Roles: []concern.Role{concern.RoleGrid},
	Help:  []Line{{concern.RoleGrid, "help_mine"}},
	Menu:  "menu_cmd_mine",
	Keys:  []locale.Key{"usage_mine", "filed_none", "filed_head"},
	Run: func(ctx context.Context, c *Call) error {
		if len(c.args()) != 0 {
			c.usage()
			return nil
		}
		list, err := c.reg.svc.Filed(ctx, c.Actor)
		if err != nil {
			return err
		}
		if len(list.List) == 0 {
			c.menu(c.t("filed_none"))
			return nil
		}
		c.menu(flows.Summaries(c.reg.cat, c.Lang, c.reg.loc, "filed_head", list.List, list.Total))
		return nil
	},
}
