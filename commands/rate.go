package commands

import (
	"context"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// A reporter's rating of a closed concern (button r:ID:RATING); 不满意 reopens it.
var rate = Command{
	Name:   "rate",
	Button: "r",
	Keys:   []locale.Key{"rated", "rated_reopened"},
	Run: func(ctx context.Context, c *Call) error {
		id, word, _ := strings.Cut(c.Line, ":")
		rating := concern.Rating(word)
		if c.ID = id; !concern.ValidID(id) || rating != concern.Satisfied && rating != concern.FairlySatisfied && rating != concern.Unsatisfied {
			c.stale()
			return nil
		}
		r, err := c.reg.svc.Rate(ctx, c.Actor, id, rating)
		if err != nil {
			return err
		}
		if r != nil && r.Rating == concern.Unsatisfied {
			c.say(c.t("rated_reopened", "id", r.ID))
			return nil
		}
		c.say(c.t("rated", "id", id))
		return nil
	},
}
