package commands

import (
	"context"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// The buttons on a concern's card (x:ID:ACTION): 受理, 转办 to a configured
// unit (u:UNIT), and 办结 and 重复, which say what to type, since they need
// words (the result, the original's id).
var act = Command{
	Name:   "act",
	Roles:  []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Button: "x",
	Keys: []locale.Key{"card_accept", "card_assign", "card_close", "card_dup_button", "card_close_how", "card_dup_how",
		"changed_notified", "changed_unnotified", "changed_notified_filed"},
	Run: func(ctx context.Context, c *Call) error {
		id, action, _ := strings.Cut(c.Line, ":")
		if c.ID = id; !concern.ValidID(id) {
			c.stale()
			return nil
		}
		switch {
		case action == "accept":
			ch, err := c.reg.svc.SetStatus(ctx, c.Actor, id, concern.StatusAccepted, "")
			if err != nil {
				return err
			}
			c.changed(ch)
		case strings.HasPrefix(action, "u:") && len(action) > 2:
			ch, err := c.reg.svc.Assign(ctx, c.Actor, id, strings.TrimPrefix(action, "u:"))
			if err != nil {
				return err
			}
			c.changed(ch)
		case action == "close":
			c.say(c.t("card_close_how", "id", id))
		case action == "dup":
			c.say(c.t("card_dup_how", "id", id))
		default:
			c.stale()
		}
		return nil
	},
}

// cardButtons are what staff can do to a running concern from its card.
func (c *Call) cardButtons(r *concern.Report) [][]flows.Button {
	if r.Status.Finished() {
		return nil
	}
	at := "x:" + r.ID + ":"
	var first []flows.Button
	if r.Status == concern.StatusReceived {
		first = append(first, flows.Button{Label: c.t("card_accept"), Data: at + "accept"})
	}
	first = append(first, flows.Button{Label: c.t("card_close"), Data: at + "close"}, flows.Button{Label: c.t("card_dup_button"), Data: at + "dup"})
	rows := [][]flows.Button{first}
	for i, u := range c.reg.units {
		if i%2 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], flows.Button{Label: c.t("card_assign", "unit", u), Data: at + "u:" + u})
	}
	return rows
}
