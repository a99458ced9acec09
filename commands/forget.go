package commands

import (
	"context"
	"strconv"

	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// /forget: erase the sender's personal data from their concerns, once they
// confirm with a button (g:yes / g:no).
var forget = Command{
	Name:   "forget",
	Button: "g",
	Menu:   "menu_cmd_forget",
	Keys:   []locale.Key{"usage_forget", "forget_ask", "forget_yes", "forget_no", "forget_kept", "forgotten"},
	Run: func(ctx context.Context, c *Call) error {
		if c.In.Kind != flows.InputButton {
			if len(c.args()) != 0 {
				c.usage()
				return nil
			}
			c.say(c.t("forget_ask"), []flows.Button{{Label: c.t("forget_yes"), Data: "g:yes"}, {Label: c.t("forget_no"), Data: "g:no"}})
			return nil
		}
		if c.Line != "yes" {
			c.menu(c.t("forget_kept"))
			return nil
		}
		n, err := c.reg.svc.Forget(ctx, c.Actor)
		if err != nil {
			return err
		}
		c.menu(c.t("forgotten", "n", strconv.Itoa(n)))
		return nil
	},
}
