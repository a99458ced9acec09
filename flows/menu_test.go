package flows

import (
	"regexp"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/concern"
)

// Every command a role's menu offers is one the role may run, with a description
// in both languages that Telegram accepts; a role's menu holds the menus below it.
func TestMenusOfferOnlyWhatTheRoleMayDo(t *testing.T) {
	m, err := NewDefault(WithCommunities("阳光社区"), WithGrids("阳光社区/第一网格"))
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	roles := []concern.Role{concern.RoleResident, concern.RoleGrid, concern.RoleStaff, concern.RoleAdmin}
	for _, role := range roles {
		seen := map[string]bool{}
		for _, c := range Menu(role) {
			if !name.MatchString(c.Command) || seen[c.Command] {
				t.Errorf("%s: command %q is not a Telegram command name, or comes twice", role, c.Command)
			}
			seen[c.Command] = true
			for _, lang := range Languages {
				if d := c.Description[lang]; d == "" || len([]rune(d)) > 256 {
					t.Errorf("%s /%s: %s description %q (1–256 characters)", role, c.Command, lang, d)
				}
			}
			in := Input{ID: "t:1", Kind: InputText, Text: "/" + c.Command, ChatID: 7, UserID: 7, Role: role, Community: "阳光社区", Grid: "第一网格"}
			res := m.Step(Session{}, in)
			unknown := m.Text("zh", "unknown_command", "cmd", "/"+c.Command)
			for _, msg := range res.Messages {
				if strings.Contains(msg.Text, unknown) {
					t.Errorf("%s: the menu offers /%s, which answers it is unknown", role, c.Command)
				}
			}
		}
	}
	if len(Menu(concern.RoleAdmin)) <= len(Menu(concern.RoleStaff)) || len(Menu(concern.RoleStaff)) <= len(Menu(concern.RoleResident)) ||
		len(Menu(concern.RoleGrid)) <= len(Menu(concern.RoleResident)) {
		t.Error("a role's menu should hold more than the residents'")
	}
}
