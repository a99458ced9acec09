// Package flowplay plays the engine's golden scenarios: a script of what users
// type and press, and a transcript of what the engine answers, with a seeded
// clock and seeded ids. The engine's own tests (flows) and the typed commands'
// (commands) play them alike.
package flowplay

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// Commands carries out a typed command effect for in, in the state of the scenario.
type Commands func(in flows.Input, e flows.Effect, st State) flows.EffectResult

// State is what a scenario says of the world beyond the chat.
type State struct {
	// Refuse, when not empty, is the refusal the scenario asked for (refuse KEY).
	Refuse string
	// Concerns are those submitted so far, newest first.
	Concerns []concern.Summary
	// Trace is where to write what was called, for the transcript.
	Trace io.Writer
	// Lang is the language of the chat, as the runner finds it.
	Lang string
}

// player runs a scenario with a seeded clock and id generator.
type player struct {
	t          testing.TB
	m          *flows.Machine
	commands   Commands
	s          flows.Session
	now        time.Time
	seq        int
	user       int64
	langCode   string
	last       []flows.Message
	failSubmit bool
	concerns   []concern.Summary
	out        strings.Builder
	role       concern.Role
	community  string
	grid       string
	group      bool
	refuse     string
	urgent     *string
	in         flows.Input // the input being played
}

// The scenario language, one directive a line:
//
//	> TEXT              the resident types TEXT
//	press LABEL         presses the button labelled LABEL on the latest messages
//	                    (a contact or location request button shares the user's own)
//	data DATA           sends raw button data (e.g. a stale button)
//	photo ID | location LAT LON | contact PHONE [USER] | other KIND
//	lang CODE           the client's language code from now on
//	user ID             who speaks from now on
//	wait DURATION       moves the seeded clock on
//	fail submit         the next submit fails, as when the store is unreachable
//	repeat N TEXT       types TEXT made of N repetitions of the characters
//	role ROLE [COMMUNITY GRID]  the runner finds the speaker to have this role
//	group on|off        messages come from the staff group chat
//	event status ID STATUS [rate|filed] | event alert ID COUNT [model|admins|escalated] | event role ROLE
//	event advice ID HAZARD [filed]
//	refuse KEY          the next command is refused with catalog message KEY
//	urgent HAZARD       the next submission is screened an emergency of HAZARD (- for none known)
//
// Typed commands are carried out by the Commands given, which trace what they call.
//
// The clock starts at 2026-11-26 09:00 Asia/Shanghai and moves 10 s per input;
// input ids come from a counter, concern ids from a per-test sequence.
//
// Play runs the scenario in file on m, the typed commands' effects carried out
// by commands (nil: the engine has none), and returns the transcript.
func Play(t testing.TB, m *flows.Machine, file string, commands Commands) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &player{t: t, m: m, commands: commands, now: time.Date(2026, 11, 26, 9, 0, 0, 0, m.Location()), user: 1001, langCode: "zh-hans"}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			if line != "" {
				fmt.Fprintf(&p.out, "%s\n", line)
			}
			continue
		}
		p.directive(line)
	}
	return p.out.String()
}

func (p *player) directive(line string) {
	verb, arg, _ := strings.Cut(line, " ")
	in := flows.Input{Kind: flows.InputText}
	switch verb {
	case ">":
		in.Text = arg
	case "press":
		in.Kind = flows.InputButton
		b, ok := p.find(arg)
		if !ok {
			p.t.Fatalf("%q: no button %q on the latest messages", line, arg)
		}
		switch {
		case b.Request == "contact": // the client shares the user's own contact
			in.Kind, in.Contact = flows.InputContact, &flows.Contact{Phone: "13800001234", Name: "张三", UserID: p.user}
		case b.Request == "location":
			in.Kind, in.Location = flows.InputLocation, &concern.Location{Lat: 31.2304, Lon: 121.4737}
		case b.Data == "": // a reply-keyboard button sends its label as text
			in.Kind, in.Text = flows.InputText, b.Label
		default:
			in.Data = b.Data
		}
	case "data":
		in.Kind, in.Data = flows.InputButton, arg
	case "photo":
		in.Kind, in.Photo = flows.InputPhoto, arg
	case "location":
		var loc concern.Location
		fmt.Sscan(arg, &loc.Lat, &loc.Lon)
		in.Kind, in.Location = flows.InputLocation, &loc
	case "contact":
		fields := strings.Fields(arg)
		c := &flows.Contact{Phone: fields[0], Name: "张三", UserID: p.user}
		if len(fields) > 1 {
			c.UserID, _ = strconv.ParseInt(fields[1], 10, 64)
		}
		in.Kind, in.Contact = flows.InputContact, c
	case "other":
		in.Kind, in.Other = flows.InputOther, arg
	case "repeat":
		n, s, _ := strings.Cut(arg, " ")
		count, _ := strconv.Atoi(n)
		in.Text = strings.Repeat(s, count)
		line = fmt.Sprintf("> (%d × %q)", count, s)
	case "lang":
		p.langCode = arg
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "user":
		p.user, _ = strconv.ParseInt(arg, 10, 64)
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "wait":
		d, err := time.ParseDuration(arg)
		if err != nil {
			p.t.Fatal(err)
		}
		p.now = p.now.Add(d)
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "fail":
		p.failSubmit = true
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "role":
		f := strings.Fields(arg)
		p.role, p.community, p.grid = concern.Role(f[0]), "", ""
		if len(f) == 3 {
			p.community, p.grid = f[1], f[2]
		}
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "group":
		p.group = arg == "on"
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "refuse":
		p.refuse = arg
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "urgent":
		h := strings.TrimPrefix(arg, "-")
		p.urgent = &h
		fmt.Fprintf(&p.out, "%s\n", line)
		return
	case "event":
		f := strings.Fields(arg)
		e := &flows.Event{Type: flows.EventType(f[0])}
		switch e.Type {
		case flows.EventStatus:
			e.Concern, e.Status, e.Excerpt = f[1], concern.Status(f[2]), "小区东门的路灯坏了"
			for _, x := range f[3:] {
				e.Rate = e.Rate || x == "rate"
				e.Filed = e.Filed || x == "filed"
			}
			if e.Status == concern.StatusTransferred {
				e.Unit = "区住建局"
			}
		case flows.EventAlert:
			e.Concern, e.Excerpt, e.Reason, e.Place = f[1], "三单元楼道燃气泄漏", "紧急情形：燃气泄漏", "阳光社区"
			e.Count, _ = strconv.Atoi(f[2])
			for _, x := range f[3:] {
				switch x {
				case "model":
					e.ByModel, e.Reason = true, "大模型判断：楼道有燃气味"
				case "admins":
					e.AdminsOnly, e.Excerpt, e.Reason = true, "我们十几户准备明天去区政府集体上访", "敏感事项：集体上访"
				case "escalated":
					e.Escalated, e.Raised = true, p.now.Add(-10*time.Minute)
				}
			}
		case flows.EventAdvice:
			e.Concern, e.Hazard, e.Filed = f[1], f[2], len(f) > 3 && f[3] == "filed"
		case flows.EventRole:
			e.Member = concern.Member{Role: concern.Role(f[1])}
		case flows.EventDeadLetter:
			e.Concern, e.Reason = f[1], strings.Join(f[2:], " ")
		case flows.EventReported:
			e.Concern, e.Info, e.Excerpt, e.Filed = f[1], f[2], "小区东门的路灯坏了", len(f) > 3 && f[3] == "filed"
		case flows.EventConsult, flows.EventOutcome: // the fake's consultation 3
			e.Consult = &flows.Consult{ID: 3, Title: "口袋公园改造征求意见", Intro: "社区拟将东门空地改造为口袋公园。", Closes: p.now.Add(7 * 24 * time.Hour),
				Outcome: "多数居民赞成改造，工程将于明年3月开工。",
				Ask: []flows.ConsultQuestion{{Kind: "single", Text: "您是否赞成改造？", Options: []string{"赞成", "不赞成"}},
					{Kind: "multi", Text: "希望增加哪些设施？", Options: []string{"座椅", "健身器材", "绿化"}},
					{Kind: "rating", Text: "对社区环境的满意度"}, {Kind: "text", Text: "其他意见"}}}
			if e.Type == flows.EventOutcome {
				e.Consult.Ask = nil
			}
		}
		in.Kind, in.Event = flows.InputEvent, e
	default:
		p.t.Fatalf("unknown directive %q", line)
	}
	p.seq++
	p.now = p.now.Add(10 * time.Second)
	in.ID = fmt.Sprintf("in-%04d", p.seq)
	in.Time, in.ChatID, in.UserID, in.UserName, in.LangCode, in.Channel = p.now, p.user, p.user, "张三", p.langCode, "test"
	in.Role, in.Community, in.Grid, in.Group = p.role, p.community, p.grid, p.group
	if p.group {
		in.ChatID = -1001
	}

	fmt.Fprintf(&p.out, "%s\n", line)
	p.in = in
	res := p.m.Run(p.s, in, p.effect)
	// the runner stores sessions as JSON between inputs; so does the test
	b, err := json.Marshal(res.Session)
	if err != nil {
		p.t.Fatal(err)
	}
	p.s = flows.Session{}
	if err := json.Unmarshal(b, &p.s); err != nil {
		p.t.Fatal(err)
	}
	// the buttons to press are on the latest messages that are messages (a toast
	// shows on the pressed button and goes)
	if i := slices.IndexFunc(res.Messages, func(m flows.Message) bool { return !m.Toast }); i >= 0 {
		p.last = res.Messages
	}
	for _, m := range res.Messages {
		p.render(m)
	}
	p.state()
}

func (p *player) effect(e flows.Effect) flows.EffectResult {
	fmt.Fprintf(&p.out, "  * effect %s\n", e.Kind)
	switch e.Kind {
	case flows.EffectSubmit:
		if p.failSubmit {
			p.failSubmit = false
			return flows.EffectResult{Failed: true}
		}
		id := concern.FormatID(p.now, int64(len(p.concerns)+1))
		fmt.Fprintf(&p.out, "    draft %s fields:", e.Draft.ID)
		for _, k := range []string{"consent", "name", "phone", "grid", "text", "capacity", "photos", "heard", "place", "contact"} {
			if a, ok := e.Draft.Fields[k]; ok {
				fmt.Fprintf(&p.out, " %s=%+v", k, flatAnswer(a))
			}
		}
		fmt.Fprintln(&p.out)
		// the earlier ones have been tagged by the intake worker meanwhile
		for i := range p.concerns {
			p.concerns[i].Topic, p.concerns[i].Sector = "城乡建设", "社会建设"
		}
		p.concerns = append([]concern.Summary{{ID: id, At: p.now, Excerpt: e.Draft.Fields["text"].Text, Status: concern.StatusReceived}}, p.concerns...)
		res := flows.EffectResult{ConcernID: id}
		if p.urgent != nil {
			res.Urgent, res.Hazard, p.urgent = true, *p.urgent, nil
		}
		return res
	case flows.EffectListMine:
		return flows.EffectResult{Concerns: p.concerns, Total: len(p.concerns)}
	case flows.EffectCommand:
		fmt.Fprintf(&p.out, "    command %s %q\n", e.Command, e.Line)
		return p.command(p.in, e)
	}
	return flows.EffectResult{Failed: true}
}

// command hands a typed command to the commands under test, telling them of a
// refusal the scenario asked for.
func (p *player) command(in flows.Input, e flows.Effect) flows.EffectResult {
	if p.commands == nil {
		return flows.EffectResult{Failed: true}
	}
	refuse := p.refuse
	p.refuse = ""
	return p.commands(in, e, State{Refuse: refuse, Concerns: slices.Clone(p.concerns), Trace: &p.out, Lang: p.m.Lang(p.s, in)})
}

func flatAnswer(a flows.Answer) string {
	var parts []string
	if a.Text != "" {
		parts = append(parts, "text:"+concern.Excerpt(a.Text, 12))
	}
	if a.Choice != "" {
		parts = append(parts, "choice:"+a.Choice)
	}
	if len(a.Photos) > 0 {
		parts = append(parts, "photos:"+strings.Join(a.Photos, ","))
	}
	if a.Location != nil {
		parts = append(parts, "location:"+a.Location.String())
	}
	if a.Contact != nil {
		parts = append(parts, "contact:"+a.Contact.Phone)
	}
	if a.Skipped {
		parts = append(parts, "skipped")
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func (p *player) render(m flows.Message) {
	for i, line := range strings.Split(m.Text, "\n") {
		mark := "  | "
		switch {
		case i == 0 && m.Edit:
			mark = "  <edit "
		case i == 0 && m.Toast:
			mark = "  <toast "
		case i == 0 && m.Prompt:
			mark = "  <prompt " // not sent when a newer answer is ready first
		case i == 0:
			mark = "  < "
		}
		fmt.Fprintf(&p.out, "%s%s\n", mark, line)
	}
	for _, row := range m.Inline {
		var cells []string
		for _, b := range row {
			cells = append(cells, fmt.Sprintf("[%s → %s]", b.Label, b.Data))
		}
		fmt.Fprintf(&p.out, "    inline %s\n", strings.Join(cells, " "))
	}
	for _, row := range m.Reply {
		var cells []string
		for _, b := range row {
			cell := "[" + b.Label
			if b.Request != "" {
				cell += " (request " + b.Request + ")"
			}
			cells = append(cells, cell+"]")
		}
		fmt.Fprintf(&p.out, "    keyboard %s\n", strings.Join(cells, " "))
	}
	if m.RemoveReply {
		fmt.Fprintf(&p.out, "    keyboard removed\n")
	}
}

func (p *player) state() {
	s := p.s
	var parts []string
	if s.Flow != nil {
		parts = append(parts, fmt.Sprintf("flow %s at %s", s.Flow.Flow, p.m.StepID(s.Flow.Flow, s.Flow.Step)))
		if s.Flow.Editing {
			parts = append(parts, "editing")
		}
	} else {
		parts = append(parts, "no flow")
	}
	if s.Pending != "" {
		parts = append(parts, "pending "+s.Pending)
	}
	if s.Lang != "" {
		parts = append(parts, "lang "+s.Lang)
	}
	if p.role != "" {
		parts = append(parts, "role "+string(p.role))
	}
	fmt.Fprintf(&p.out, "  = %s\n", strings.Join(parts, ", "))
}

// find looks a button up by label on the latest messages, ignoring emoji and case.
func (p *player) find(label string) (flows.Button, bool) {

	for _, m := range p.last {
		for _, rows := range [][][]flows.Button{m.Inline, m.Reply} {
			for _, row := range rows {
				for _, b := range row {
					if flows.SameLabel(label, b.Label) {
						return b, true
					}
				}
			}
		}
	}
	return flows.Button{}, false
}
