package commands

import (
	"context"
	"strings"
	"unicode"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /status 编号 状态 [说明]: move a concern on; closing and rejecting need words
// the reporter reads. (/status alone is everyone's own list, the engine's.)
var status = Command{
	Name:  "status",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_status"}},
	Keys:  []locale.Key{"usage_status", "bad_status", "reason_required", "note_required", "changed_notified", "changed_unnotified", "changed_notified_filed"},
	Run: func(ctx context.Context, c *Call) error {
		text, ok := c.idAndText()
		if !ok {
			return nil
		}
		word, note := text, ""
		if i := strings.IndexFunc(text, unicode.IsSpace); i > 0 {
			word, note = text[:i], strings.TrimSpace(text[i:])
		}
		st, ok := concern.ParseStatus(word)
		if !ok || st == concern.StatusReceived || st == concern.StatusDuplicate {
			c.say(c.t("bad_status", "status", word)) // named as typed
			return nil
		}
		if err := cases.CheckStatus(c.ID, st, note); err != nil {
			return err
		}
		ch, err := c.reg.svc.SetStatus(ctx, c.Actor, c.ID, st, note)
		if err != nil {
			return err
		}
		c.changed(ch)
		return nil
	},
}
