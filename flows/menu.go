package flows

import (
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// MenuCommand is one entry of a chat's command menu (Telegram's setMyCommands).
type MenuCommand struct {
	Command     string // without the slash
	Description locale.Text
}

// Menu is the command menu of a role, residents' first: the conversation's own
// commands, the flows the role starts, and the typed commands of the role (from
// the registry), each described by the catalog.
func (m *Machine) Menu(r concern.Role) []MenuCommand {
	var out []MenuCommand
	add := func(name string, key locale.Key) {
		out = append(out, MenuCommand{Command: name, Description: m.cat[key]})
	}
	flows := func(rl concern.Role) {
		for _, d := range m.sorted() {
			if d.Start.Command != "" && (rl == concern.RoleResident && len(d.Start.Roles) == 0 || len(d.Start.Roles) > 0 && d.Start.Roles[0] == rl) {
				out = append(out, MenuCommand{Command: d.Start.Command, Description: d.Name})
			}
		}
	}
	typed := func(rl concern.Role) {
		if m.commands == nil {
			return
		}
		for _, e := range m.commands.Section(rl) {
			if e.Menu != "" {
				add(e.Name, e.Menu)
			}
		}
	}
	flows(concern.RoleResident)
	for _, c := range []string{"status", "privacy", "cancel", "start", "lang"} {
		add(c, locale.Key("menu_cmd_"+c))
	}
	typed(concern.RoleResident)
	add("help", "menu_cmd_help")
	for _, rl := range concern.Roles[1:] {
		if rl == r || rl == concern.RoleStaff && r == concern.RoleAdmin {
			flows(rl)
			typed(rl)
		}
	}
	return out
}
