package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/commands/commandstest"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// engine is the built-in flows with the registry over a case service of canned answers.
func engine(t testing.TB) (*flows.Machine, *commands.Registry, *commandstest.Fake) {
	t.Helper()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	fake := &commandstest.Fake{Now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, sh) }}
	m, reg, err := commands.NewEngine(fake, []flows.Option{flows.WithCommunities("阳光社区", "和平社区"),
		flows.WithGrids("和平社区/第一网格", "阳光社区/第一网格"), flows.WithLocation(sh)}, commands.WithPublicURL("https://minyi.example.org"))
	if err != nil {
		t.Fatal(err)
	}
	return m, reg, fake
}

// Every command of the registry, and every flow's start, typed (or pressed) by
// every role in a private chat and in the staff group: a role the registry
// allows gets it carried out; any other gets the same answer as an unknown
// command (in the group: silence; on a button: a notice on the button), and
// the case service is not called.
func TestEveryCommandAsEveryRole(t *testing.T) {
	m, reg, fake := engine(t)
	walk := map[string]string{ // how each command is given
		"show": "/show 20261126-0001", "assign": "/assign 20261126-0001 区住建局", "status": "/status 20261126-0001 已受理",
		"dup": "/dup 20261126-0001 20261126-0002", "level": "/level 20261126-0001 complex", "overdue": "/overdue",
		"note": "/note 20261126-0001 已电话联系物业", "reply": "/reply 20261126-0001 明天上午派人查看", "list": "/list", "search": "/search 路灯", "grid": "/grid", "act": "x:20261126-0001:accept", "web": "/web",
		"audit": "/audit 20261126-0001", "invite": "/invite staff", "invites": "/invites", "revoke": "/revoke 1001",
		"mine": "/mine", "join": "/join ABCDEFGH", "whoami": "/whoami", "forget": "/forget", "digest": "/digest 7d",
		"ack": "k:20261126-0001", "rate": "r:20261126-0001:satisfied", "info": "/info list",
		"analysis": "/analysis 2026-10", "archive": "/archive", "consult": "/consult list", "subscribe": "/subscribe 阳光社区",
		"unsubscribe": "u:yes", "answer": "q:3:0:1",
		"file": "/file", "report": "/report", // the flows'
	}
	// the policy, written out: who may do what
	policy := map[string]string{
		"show": "staff admin", "assign": "staff admin", "status": "staff admin", "dup": "staff admin", "level": "staff admin",
		"overdue": "staff admin", "audit": "staff admin", "invite": "staff admin", "digest": "staff admin", "ack": "staff admin",
		"note": "staff admin", "reply": "staff admin", "list": "staff admin", "search": "staff admin", "act": "staff admin", "info": "staff admin", "analysis": "staff admin", "archive": "staff admin", "consult": "staff admin",
		"subscribe": "resident grid staff admin", "unsubscribe": "resident grid staff admin", "answer": "resident grid staff admin", "grid": "grid", "web": "grid staff admin",
		"revoke": "admin", "invites": "admin", "file": "grid", "mine": "grid",
		"join": "resident grid staff admin", "whoami": "resident grid staff admin", "forget": "resident grid staff admin",
		"rate": "resident grid staff admin", "report": "resident grid staff admin",
	}
	buttons := map[string]bool{}
	for _, c := range reg.Commands() {
		if walk[c.Name] == "" || policy[c.Name] == "" {
			t.Fatalf("command %q is not walked: add it here", c.Name)
		}
		buttons[c.Name] = c.Button != "" && !strings.HasPrefix(walk[c.Name], "/")
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, m.Location())
	for name, given := range walk {
		for _, rl := range concern.Roles {
			for _, group := range []bool{false, true} {
				in := flows.Input{ID: "in", Time: at, ChatID: 77, UserID: 77, Kind: flows.InputText, Text: given, Role: rl,
					Community: "和平社区", Grid: "第一网格", Group: group}
				if group {
					in.ChatID = -1001
				}
				if buttons[name] {
					in.Kind, in.Text, in.Data = flows.InputButton, "", given
				}
				fake.Calls = 0
				var handed []string
				res := m.Run(flows.Session{}, in, func(e flows.Effect) flows.EffectResult {
					if e.Kind != flows.EffectCommand {
						handed = append(handed, string(e.Kind))
						return flows.EffectResult{}
					}
					handed = append(handed, e.Command)
					return reg.Run(context.Background(), in, "zh", e)
				})
				allowed := strings.Contains(" "+policy[name]+" ", " "+string(rl)+" ")
				staffish := rl == concern.RoleStaff || rl == concern.RoleAdmin
				where := map[bool]string{false: "private chat", true: "staff group"}[group]
				got := outcome(res, handed, fake.Calls)
				switch {
				case group && !buttons[name] && !reg.Allows(name, rl, true) && got == "silence":
					// the staff group takes only staff business; the rest of its talk is not the bot's
				case group && buttons[name] && (!staffish || !reg.Allows(name, rl, true)) && name != "ack" && got == "silence":
					// of the buttons, the group takes an alert's from anyone, and staff's from staff
				case allowed && (got == "called "+name || name == "file" && got == "flow" || name == "report" && got == "flow" ||
					name == "forget" && got == "asks "+name || name == "whoami" && got == "said "+name):
				case allowed && group && name == "web" && got == "said 登录链接只在与机器人的私聊中发送，请私聊机器人发送 /web。":
					// a sign-in link is never posted in the group
				case !allowed && buttons[name] && got == "refused button":
				case !allowed && !group && got == "unknown", !allowed && group && !buttons[name] && got == "silence":
				case !allowed && !group && name == "mine" && got == "own list":
					// /mine is everyone's own list; only for a grid worker is it their filings
				default:
					t.Errorf("%s as %s in the %s (allowed: %v): %s", given, rl, where, allowed, got)
				}
				if !allowed && fake.Calls > 0 {
					t.Errorf("%s as %s in the %s: the case service was called", given, rl, where)
				}
			}
		}
	}
}

// outcome names what a step did, for the walk above.
func outcome(res flows.Result, handed []string, calls int) string {
	switch {
	case len(handed) > 0 && handed[0] == string(flows.EffectListMine):
		return "own list"
	case len(handed) > 0 && calls > 0:
		return "called " + handed[0]
	case len(handed) > 0 && len(res.Messages) > 0 && len(res.Messages[0].Inline) > 0:
		return "asks " + handed[0]
	case len(handed) > 0 && len(res.Messages) > 0 && res.Messages[0].Text == "这个按钮仅供工作人员使用。":
		return "refused button"
	case len(handed) > 0 && len(res.Messages) > 0 && strings.HasPrefix(res.Messages[0].Text, "您的身份"):
		return "said " + handed[0]
	case res.Session.Flow != nil:
		return "flow"
	case len(res.Messages) == 0:
		return "silence"
	case res.Messages[0].Toast && res.Messages[0].Text == "这个按钮已失效，请使用最新消息中的按钮。":
		return "stale"
	case strings.HasPrefix(res.Messages[0].Text, "没有 /"):
		return "unknown"
	}
	return "said " + res.Messages[0].Text
}
