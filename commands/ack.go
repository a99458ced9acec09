package commands

import (
	"context"
	"regexp"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// stormPattern is the id of a storm of alerts (store.StormGroup).
var stormPattern = regexp.MustCompile(`^G\d{12}-[a-z][a-z0-9_-]{0,31}$`)

// 已知悉 on an urgent alert (button k:ID, or k:GROUP of a storm): stops its
// repetition and escalation.
var ack = Command{
	Name:   "ack",
	Roles:  []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Button: "k",
	Keys:   []locale.Key{"acked"},
	Run: func(ctx context.Context, c *Call) error {
		c.ID = c.Line
		if !concern.ValidID(c.ID) && !stormPattern.MatchString(c.ID) {
			c.stale()
			return nil
		}
		if err := c.reg.svc.Ack(ctx, c.Actor, c.ID); err != nil {
			return err
		}
		c.say(c.t("acked", "id", c.ID))
		return nil
	},
}
