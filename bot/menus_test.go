package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/commands/commandstest"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// menuCall is a setMyCommands or deleteMyCommands request, read back.
type menuCall struct {
	method, scope, lang string
	commands            []string // "name=description"
}

func menuCalls(t *testing.T, calls []apiCall) []menuCall {
	t.Helper()
	var out []menuCall
	for _, c := range calls {
		if c.Method != "setMyCommands" && c.Method != "deleteMyCommands" {
			continue
		}
		m := menuCall{method: c.Method, scope: c.Params["scope"], lang: c.Params["language_code"]}
		var cmds []struct{ Command, Description string }
		if c.Params["commands"] != "" {
			if err := json.Unmarshal([]byte(c.Params["commands"]), &cmds); err != nil {
				t.Fatalf("commands %q: %v", c.Params["commands"], err)
			}
		}
		for _, x := range cmds {
			m.commands = append(m.commands, x.Command+"="+x.Description)
		}
		out = append(out, m)
	}
	return out
}

func wantMenu(m *flows.Machine, role concern.Role, lang string) []string {
	var out []string
	for _, c := range m.Menu(role) {
		out = append(out, c.Command+"="+c.Description.In(lang))
	}
	return out
}

// At start-up: the description and short description in zh and en, and the
// residents' menu for private chats in both. On enrolment: the role's menu in the
// member's chat (and, for staff, in the staff group), both languages; on
// revocation the member's menus are deleted, so the residents' applies again.
func TestCommandMenus(t *testing.T) {
	api := newFakeAPI(t)
	m, _, err := commands.NewEngine(&commandstest.Fake{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(testToken, nil, m, WithServerURL(api.srv.URL), WithLogger(testLogger()), WithStaffChat(-1001))
	if err != nil {
		t.Fatal(err)
	}
	p := Profile{Description: "中文简介", DescriptionEN: "About", ShortDescription: "中文短简介", ShortDescriptionEN: "Short"}
	if err := tr.SetUp(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	calls := api.snapshot()
	var profile []string
	for _, c := range calls {
		switch c.Method {
		case "setMyDescription":
			profile = append(profile, fmt.Sprintf("description[%s]=%s", c.Params["language_code"], c.Params["description"]))
		case "setMyShortDescription":
			profile = append(profile, fmt.Sprintf("short[%s]=%s", c.Params["language_code"], c.Params["short_description"]))
		}
	}
	if got, want := strings.Join(profile, " "), "description[]=中文简介 short[]=中文短简介 description[en]=About short[en]=Short"; got != want {
		t.Fatalf("profile calls:\n got %s\nwant %s", got, want)
	}
	menus := menuCalls(t, calls)
	private := `{"type":"all_private_chats"}`
	if len(menus) != 2 || menus[0].scope != private || menus[0].lang != "" || menus[1].scope != private || menus[1].lang != "en" ||
		fmt.Sprint(menus[0].commands) != fmt.Sprint(wantMenu(m, concern.RoleResident, "zh")) ||
		fmt.Sprint(menus[1].commands) != fmt.Sprint(wantMenu(m, concern.RoleResident, "en")) {
		t.Fatalf("residents' menus: %+v", menus)
	}

	for _, c := range []struct {
		role   concern.Role
		scopes []string
	}{
		{concern.RoleGrid, []string{`{"type":"chat","chat_id":42}`}},
		{concern.RoleStaff, []string{`{"type":"chat","chat_id":42}`, `{"type":"chat_member","chat_id":-1001,"user_id":42}`}},
		{concern.RoleAdmin, []string{`{"type":"chat","chat_id":42}`, `{"type":"chat_member","chat_id":-1001,"user_id":42}`}},
	} {
		before := len(api.snapshot())
		if err := tr.SetRoleMenu(t.Context(), 42, c.role); err != nil {
			t.Fatal(err)
		}
		got := menuCalls(t, api.snapshot()[before:])
		if len(got) != 2*len(c.scopes) {
			t.Fatalf("%s: %d menu calls, want %d: %+v", c.role, len(got), 2*len(c.scopes), got)
		}
		for i, call := range got {
			scope, lang := c.scopes[i/2], []string{"zh", "en"}[i%2]
			if call.method != "setMyCommands" || call.scope != scope || call.lang != map[string]string{"zh": "", "en": "en"}[lang] ||
				fmt.Sprint(call.commands) != fmt.Sprint(wantMenu(m, c.role, lang)) {
				t.Errorf("%s call %d: %+v, want scope %s, %s menu", c.role, i, call, scope, lang)
			}
		}
	}

	// revoked: back to the residents' menu
	before := len(api.snapshot())
	if err := tr.SetRoleMenu(t.Context(), 42, concern.RoleResident); err != nil {
		t.Fatal(err)
	}
	got := menuCalls(t, api.snapshot()[before:])
	if len(got) != 4 || got[0].method != "deleteMyCommands" || got[0].scope != `{"type":"chat","chat_id":42}` ||
		got[2].scope != `{"type":"chat_member","chat_id":-1001,"user_id":42}` || got[3].lang != "en" {
		t.Fatalf("revocation: %+v", got)
	}
}
