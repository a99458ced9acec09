package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /audit 编号: who did what to a concern, and when.
var audit = Command{
	Name:  "audit",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_audit"}},
	Menu:  "menu_cmd_audit",
	Keys:  []locale.Key{"usage_audit", "audit_none", "audit_head", "audit_line", "audit_system"},
	Run: func(ctx context.Context, c *Call) error {
		if !c.oneID() {
			return nil
		}
		trail, err := c.reg.svc.Audit(ctx, c.Actor, c.ID)
		if err != nil {
			return err
		}
		if len(trail) == 0 {
			c.say(c.t("audit_none", "id", c.ID))
			return nil
		}
		lines := []string{c.t("audit_head", "id", c.ID)}
		for _, e := range trail {
			who := e.Role.Label(c.Lang) + " " + strconv.FormatInt(e.By, 10)
			if e.By == 0 && e.Role == "" { // the program's own doing: an escalation, the retention sweep
				who = c.t("audit_system")
			}
			lines = append(lines, strings.TrimSpace(c.t("audit_line", "at", c.when(e.At), "who", who,
				"action", c.action(e.Action), "detail", c.auditDetail(e))))
		}
		c.say(strings.Join(lines, "\n"))
		return nil
	},
}

func (c *Call) action(a string) string {
	if key := locale.Key("action_" + a); c.reg.cat.Has(key) {
		return c.t(key)
	}
	return a
}

// auditDetail words an audit entry's detail for the reader: a status change
// names its status by code (or, written before, by its Chinese label), a level
// change its level, a filing its capacity; the rest is as written.
func (c *Call) auditDetail(e concern.AuditEntry) string {
	switch e.Action {
	case "status":
		word, note, _ := strings.Cut(e.Detail, " ")
		if st, ok := concern.ParseStatus(word); ok {
			return strings.TrimSpace(st.Label(c.Lang) + " " + note)
		}
	case "level":
		for _, l := range concern.Levels {
			if e.Detail == string(l) {
				return l.Label(c.Lang)
			}
		}
	case "file":
		cp := concern.Capacity(e.Detail)
		switch e.Detail { // written before, as the Chinese label
		case "居民原话":
			cp = concern.Verbatim
		case "网格员转述":
			cp = concern.Paraphrase
		}
		if cp == concern.Verbatim || cp == concern.Paraphrase {
			return c.t(locale.Key("capacity_" + string(cp)))
		}
	case "rate":
		return concern.Rating(e.Detail).Label(c.Lang)
	}
	return e.Detail
}
