package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// Every command, typed (or pressed) by every role, in a private chat and in the
// staff group: a role the command table allows gets the command carried out; any
// other gets the same answer as an unknown command (in the group: silence), and
// nothing is asked of the runner.
func TestEveryCommandAsEveryRole(t *testing.T) {
	m := testMachine(t)
	walk := map[string]string{ // how each command of the table is given
		"show": "/show 20261126-0001", "assign": "/assign 20261126-0001 区住建局", "setstat": "/status 20261126-0001 已受理",
		"dup": "/dup 20261126-0001 20261126-0002", "level": "/level 20261126-0001 complex", "overdue": "/overdue",
		"audit": "/audit 20261126-0001", "invite": "/invite staff", "invites": "/invites", "revoke": "/revoke 1001", "file": "/file",
		"filed": "/mine", "join": "/join ABCDEFGH", "whoami": "/whoami", "forget": "/forget", "digest": "/digest 7d",
		"ack": "k:20261126-0001",
	}
	// the policy, written out: who may do what
	policy := map[string]string{
		"show": "staff admin", "assign": "staff admin", "setstat": "staff admin", "dup": "staff admin", "level": "staff admin",
		"overdue": "staff admin", "audit": "staff admin", "invite": "staff admin", "digest": "staff admin", "ack": "staff admin",
		"revoke": "admin", "invites": "admin", "file": "grid", "filed": "grid",
		"join": "resident grid staff admin", "whoami": "resident grid staff admin", "forget": "resident grid staff admin",
	}
	for name := range commands {
		if walk[name] == "" || policy[name] == "" {
			t.Fatalf("command %q is not walked: add it here", name)
		}
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai(t))
	roles := []concern.Role{concern.RoleResident, concern.RoleGrid, concern.RoleStaff, concern.RoleAdmin}
	for name, given := range walk {
		spec := commands[name]
		for _, rl := range roles {
			for _, group := range []bool{false, true} {
				in := Input{ID: "in", Time: at, ChatID: 77, UserID: 77, Kind: InputText, Text: given, Role: rl,
					Community: "和平社区", Grid: "第一网格", Group: group}
				if group {
					in.ChatID = -1001
				}
				if spec.button {
					in.Kind, in.Text, in.Data = InputButton, "", given
				}
				res := m.Step(Session{}, in)
				got := outcome(res)
				allowed := spec.allows(rl)
				if allowed != strings.Contains(" "+policy[name]+" ", " "+string(rl)+" ") {
					t.Fatalf("the command table lets %s use %s: %v; the policy says %q", rl, name, allowed, policy[name])
				}
				where := map[bool]string{false: "private chat", true: "staff group"}[group]
				staffish := rl == concern.RoleStaff || rl == concern.RoleAdmin
				switch {
				case group && !spec.button && (!staffish || spec.roles == nil) && got == "silence":
					// the staff group takes only staff business; the rest of its talk is not the bot's
				case allowed && (got == "command "+name || name == "file" && got == "flow" || name == "forget" && got == "asks" || name == "invites" && got == "command invite" ||
					name == "whoami" && strings.HasPrefix(got, "said 您的身份")):
				case !allowed && spec.button && got == "refused button":
				case !allowed && !group && got == "unknown", !allowed && group && !spec.button && got == "silence":
				case !allowed && !group && name == "filed" && got == "own list":
					// /mine is a resident's own list; only for a grid worker is it their filings
				default:
					t.Errorf("%s as %s in the %s (allowed: %v): %s", given, rl, where, allowed, got)
				}
			}
		}
	}
}

// outcome names what a step did, for the walk above.
func outcome(res Result) string {
	switch {
	case res.Effect != nil && res.Effect.Kind == EffectCommand:
		return "command " + res.Effect.Command
	case res.Effect != nil && res.Effect.Kind == EffectListMine:
		return "own list"
	case res.Effect != nil:
		return "effect " + string(res.Effect.Kind)
	case res.Session.Flow != nil:
		return "flow"
	case len(res.Messages) == 0:
		return "silence"
	case strings.HasPrefix(res.Messages[0].Text, "没有 /"):
		return "unknown"
	case res.Messages[0].Text == "这个按钮仅供工作人员使用。":
		return "refused button"
	case len(res.Messages[0].Inline) > 0:
		return "asks"
	}
	return "said " + res.Messages[0].Text
}
