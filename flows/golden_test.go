package flows

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/internal/golden"
)

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
// Command effects are answered with canned results, printed in the transcript.
//
// The clock starts at 2026-11-26 09:00 Asia/Shanghai and moves 10 s per input;
// input ids come from a counter, concern ids from a per-test sequence.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.scenario")
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".scenario")
		t.Run(name, func(t *testing.T) {
			golden.Check(t, strings.TrimSuffix(file, ".scenario")+".golden", play(t, file))
		})
	}
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func testMachine(t testing.TB, opts ...Option) *Machine {
	t.Helper()
	opts = append([]Option{WithCommunities("阳光社区", "和平社区", "幸福里社区"), WithGrids("和平社区/第一网格", "阳光社区/第一网格", "阳光社区/第二网格"), WithOrgName("幸福街道", "Xingfu Sub-district"), WithLocation(shanghai(t))}, opts...)
	m, err := NewDefault(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// player runs a scenario with a seeded clock and id generator.
type player struct {
	t          *testing.T
	m          *Machine
	s          Session
	now        time.Time
	seq        int
	user       int64
	langCode   string
	last       []Message
	failSubmit bool
	concerns   []concern.Summary
	out        strings.Builder
	role       concern.Role
	community  string
	grid       string
	group      bool
	refuse     string
	urgent     *string
}

func play(t *testing.T, file string) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &player{t: t, m: testMachine(t, WithDutyPhone("0731-88886666")), now: time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai(t)), user: 1001, langCode: "zh-hans"}
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
	in := Input{Kind: InputText}
	switch verb {
	case ">":
		in.Text = arg
	case "press":
		in.Kind = InputButton
		b, ok := p.find(arg)
		if !ok {
			p.t.Fatalf("%q: no button %q on the latest messages", line, arg)
		}
		switch {
		case b.Request == "contact": // the client shares the user's own contact
			in.Kind, in.Contact = InputContact, &Contact{Phone: "13800001234", Name: "张三", UserID: p.user}
		case b.Request == "location":
			in.Kind, in.Location = InputLocation, &concern.Location{Lat: 31.2304, Lon: 121.4737}
		case b.Data == "": // a reply-keyboard button sends its label as text
			in.Kind, in.Text = InputText, b.Label
		default:
			in.Data = b.Data
		}
	case "data":
		in.Kind, in.Data = InputButton, arg
	case "photo":
		in.Kind, in.Photo = InputPhoto, arg
	case "location":
		var loc concern.Location
		fmt.Sscan(arg, &loc.Lat, &loc.Lon)
		in.Kind, in.Location = InputLocation, &loc
	case "contact":
		fields := strings.Fields(arg)
		c := &Contact{Phone: fields[0], Name: "张三", UserID: p.user}
		if len(fields) > 1 {
			c.UserID, _ = strconv.ParseInt(fields[1], 10, 64)
		}
		in.Kind, in.Contact = InputContact, c
	case "other":
		in.Kind, in.Other = InputOther, arg
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
		e := &Event{Type: EventType(f[0])}
		switch e.Type {
		case EventStatus:
			e.Concern, e.Status, e.Excerpt = f[1], concern.Status(f[2]), "小区东门的路灯坏了"
			for _, x := range f[3:] {
				e.Rate = e.Rate || x == "rate"
				e.Filed = e.Filed || x == "filed"
			}
			if e.Status == concern.StatusTransferred {
				e.Unit = "区住建局"
			}
		case EventAlert:
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
		case EventAdvice:
			e.Concern, e.Hazard, e.Filed = f[1], f[2], len(f) > 3 && f[3] == "filed"
		case EventRole:
			e.Member = concern.Member{Role: concern.Role(f[1])}
		case EventDeadLetter:
			e.Concern, e.Reason = f[1], strings.Join(f[2:], " ")
		}
		in.Kind, in.Event = InputEvent, e
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
	res := p.m.Run(p.s, in, p.effect)
	// the runner stores sessions as JSON between inputs; so does the test
	b, err := json.Marshal(res.Session)
	if err != nil {
		p.t.Fatal(err)
	}
	p.s = Session{}
	if err := json.Unmarshal(b, &p.s); err != nil {
		p.t.Fatal(err)
	}
	// the buttons to press are on the latest messages that are messages (a toast
	// shows on the pressed button and goes)
	if i := slices.IndexFunc(res.Messages, func(m Message) bool { return !m.Toast }); i >= 0 {
		p.last = res.Messages
	}
	for _, m := range res.Messages {
		p.render(m)
	}
	p.state()
}

func (p *player) effect(e Effect) EffectResult {
	fmt.Fprintf(&p.out, "  * effect %s\n", e.Kind)
	switch e.Kind {
	case EffectSubmit:
		if p.failSubmit {
			p.failSubmit = false
			return EffectResult{Failed: true}
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
		res := EffectResult{ConcernID: id}
		if p.urgent != nil {
			res.Urgent, res.Hazard, p.urgent = true, *p.urgent, nil
		}
		return res
	case EffectListMine:
		return EffectResult{Concerns: p.concerns, Total: len(p.concerns)}
	case EffectCommand:
		fmt.Fprintf(&p.out, "    command %s %q\n", e.Command, e.Args)
		return p.command(e)
	}
	return EffectResult{Failed: true}
}

// command gives a canned result for a command effect, as the cases service would.
func (p *player) command(e Effect) EffectResult {
	res := EffectResult{Command: e.Command, Args: e.Args}
	if p.refuse != "" {
		res.Refused, p.refuse = p.refuse, ""
		return res
	}
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, p.now.Location())
	rep := &concern.Report{
		ID: "20261126-0001", ReceivedAt: at, Channel: "telegram", ReporterID: 1001, ReporterName: "张三", Phone: "13800001234",
		Community: "阳光社区", Text: "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。", Photos: []string{"P1"},
		Sector: "社会建设", Topic: "城乡建设", Subtopic: "城市建设和市政管理", Classifier: "lexicon", Confidence: 0.82, Reason: "关键词：路灯",
		Status: concern.StatusReceived, Level: concern.LevelGeneral, Deadline: at.Add(7 * 24 * time.Hour),
		History: []concern.StatusChange{{At: at, Status: concern.StatusReceived}},
	}
	switch e.Command {
	case "show":
		res.Report = rep
	case "assign", "setstat", "dup", "level":
		rep.Status, rep.Unit = concern.StatusTransferred, "区住建局"
		if e.Command == "setstat" {
			rep.Status = concern.Status(e.Args[1])
		}
		res.Report, res.Notified = rep, true
	case "overdue":
		res.Reports, res.Total = []concern.Report{*rep}, 1
	case "audit":
		res.Audit = []concern.AuditEntry{
			{At: at.Add(time.Hour), By: 5001, Role: concern.RoleStaff, Action: "view", Concern: rep.ID},
			{At: at.Add(2 * time.Hour), By: 5001, Role: concern.RoleStaff, Action: "status", Concern: rep.ID, Detail: "已办结 路灯已修复"},
		}
	case "invite":
		res.Code, res.Expires = "K7M2P9QX", p.now.Add(72*time.Hour)
	case "join":
		res.Member = &concern.Member{Role: concern.RoleGrid, Community: "阳光社区", Grid: "第一网格"}
	case "revoke":
		res.Member = &concern.Member{Role: concern.RoleStaff}
	case "filed":
		res.Concerns, res.Total = p.concerns, len(p.concerns)
	case "forget":
		res.Count = len(p.concerns)
	case "rate":
		rep.Rating = concern.Rating(e.Args[1])
		res.Report = rep
	}
	return res
}

func flatAnswer(a Answer) string {
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

func (p *player) render(m Message) {
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
		d := p.m.flows[s.Flow.Flow]
		parts = append(parts, fmt.Sprintf("flow %s at %s", s.Flow.Flow, d.Steps[s.Flow.Step].ID))
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
func (p *player) find(label string) (Button, bool) {
	want := normalizeLabel(label)
	for _, m := range p.last {
		for _, rows := range [][][]Button{m.Inline, m.Reply} {
			for _, row := range rows {
				for _, b := range row {
					if normalizeLabel(b.Label) == want {
						return b, true
					}
				}
			}
		}
	}
	return Button{}, false
}
