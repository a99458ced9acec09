package commands_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// Every command a role's menu offers is one the role may run, with a description
// in both languages that Telegram accepts; a role's menu holds the menus below it.
func TestMenusOfferOnlyWhatTheRoleMayDo(t *testing.T) {
	m, _, _ := engine(t)
	name := regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	roles := []concern.Role{concern.RoleResident, concern.RoleGrid, concern.RoleStaff, concern.RoleAdmin}
	for _, role := range roles {
		seen := map[string]bool{}
		for _, c := range m.Menu(role) {
			if !name.MatchString(c.Command) || seen[c.Command] {
				t.Errorf("%s: command %q is not a Telegram command name, or comes twice", role, c.Command)
			}
			seen[c.Command] = true
			for _, lang := range locale.Languages {
				if d := c.Description[lang]; d == "" || len([]rune(d)) > 256 {
					t.Errorf("%s /%s: %s description %q (1–256 characters)", role, c.Command, lang, d)
				}
			}
			in := flows.Input{ID: "t:1", Kind: flows.InputText, Text: "/" + c.Command, ChatID: 7, UserID: 7, Role: role, Community: "阳光社区", Grid: "第一网格"}
			res := m.Step(flows.Session{}, in)
			unknown := m.Text("zh", "unknown_command", "cmd", "/"+c.Command)
			for _, msg := range res.Messages {
				if strings.Contains(msg.Text, unknown) {
					t.Errorf("%s: the menu offers /%s, which answers it is unknown", role, c.Command)
				}
			}
		}
	}
	if len(m.Menu(concern.RoleAdmin)) <= len(m.Menu(concern.RoleStaff)) || len(m.Menu(concern.RoleStaff)) <= len(m.Menu(concern.RoleResident)) ||
		len(m.Menu(concern.RoleGrid)) <= len(m.Menu(concern.RoleResident)) {
		t.Error("a role's menu should hold more than the residents'")
	}
}
