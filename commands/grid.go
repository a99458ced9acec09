package commands

import (
	"context"
	"strconv"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// /grid [页码], for a grid worker: the running concerns of their grid and those
// they filed, newest first.
var grid = Command{
	Name:   "grid",
	Roles:  []concern.Role{concern.RoleGrid},
	Button: "n",
	Help:   []Line{{concern.RoleGrid, "help_grid_list"}},
	Menu:   "menu_cmd_grid",
	Keys:   append([]locale.Key{"usage_grid", "grid_what"}, pageKeys...),
	Run: func(ctx context.Context, c *Call) error {
		n := 1
		if c.In.Kind == flows.InputButton {
			p, err := strconv.Atoi(c.Line)
			if err != nil || p < 1 || p > 10000 {
				c.stale()
				return nil
			}
			n = p
		} else if args := c.args(); len(args) > 1 {
			c.usage()
			return nil
		} else if len(args) == 1 {
			p, number, ok := c.pageNumber(args[0])
			if !ok {
				return nil
			}
			if !number {
				c.usage()
				return nil
			}
			n = p
		}
		res, err := c.reg.svc.List(ctx, c.Actor, cases.ListQuery{Offset: (n - 1) * pageSize, Limit: pageSize})
		if err != nil {
			return err
		}
		c.paged(res, c.t("grid_what", "grid", c.Actor.Community+"/"+c.Actor.Grid), n, func(p int) string { return "n:" + strconv.Itoa(p) })
		return nil
	},
}
