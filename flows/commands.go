package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/period"
)

// command is a staff, grid or account command: who may use it and how it is called.
type command struct {
	roles   []concern.Role // empty: everyone
	minArgs int
	maxArgs int // -1: the last argument takes the rest of the line
	usage   string
	// button marks what is done by pressing a button, never by typing.
	button bool
}

var (
	everyone  []concern.Role
	staffOnly = []concern.Role{concern.RoleStaff, concern.RoleAdmin}
	gridOnly  = []concern.Role{concern.RoleGrid}
	adminOnly = []concern.Role{concern.RoleAdmin}
)

// commands is the one place where a command's role is checked. A user whose role
// is not listed gets the same answer as for a command that does not exist.
var commands = map[string]command{
	"show":    {roles: staffOnly, minArgs: 1, maxArgs: 1, usage: "/show 编号"},
	"assign":  {roles: staffOnly, minArgs: 2, maxArgs: -1, usage: "/assign 编号 承办单位"},
	"setstat": {roles: staffOnly, minArgs: 2, maxArgs: -1, usage: "/status 编号 状态 [说明]"},
	"dup":     {roles: staffOnly, minArgs: 2, maxArgs: 2, usage: "/dup 编号 重复于的编号"},
	"level":   {roles: staffOnly, minArgs: 2, maxArgs: 2, usage: "/level 编号 urgent|utility|general|complex"},
	"overdue": {roles: staffOnly, maxArgs: 0, usage: "/overdue"},
	"audit":   {roles: staffOnly, minArgs: 1, maxArgs: 1, usage: "/audit 编号"},
	"invite":  {roles: staffOnly, minArgs: 1, maxArgs: 2, usage: "/invite grid 社区/网格 或 /invite staff（管理员）或 /invite cancel 邀请码（管理员）"},
	"invites": {roles: adminOnly, maxArgs: 0, usage: "/invites"},
	"revoke":  {roles: adminOnly, minArgs: 1, maxArgs: 1, usage: "/revoke 用户编号"},
	"file":    {roles: gridOnly, maxArgs: 0, usage: "/file"},
	"filed":   {roles: gridOnly, maxArgs: 0, usage: "/mine"},
	"join":    {roles: everyone, minArgs: 1, maxArgs: 1, usage: "/join 邀请码"},
	"whoami":  {roles: everyone, maxArgs: 0, usage: "/whoami"},
	"forget":  {roles: everyone, maxArgs: 0, usage: "/forget"},
	"digest":  {roles: staffOnly, maxArgs: 1, usage: "/digest [today|2026-11-25|7d|2026-11-01..2026-11-15]"},
	"ack":     {roles: staffOnly, minArgs: 1, maxArgs: 1, button: true}, // 已知悉 on an urgent alert
}

// periodProblem words what period.Parse refused, in the chat's language.
func (r *run) periodProblem(err error) string {
	var perr *period.Error
	if !errors.As(err, &perr) {
		return err.Error()
	}
	return r.t("period_"+string(perr.Problem), "input", perr.Input, "max", strconv.Itoa(period.MaxDays))
}

func (c command) allows(r concern.Role) bool {
	if len(c.roles) == 0 {
		return true
	}
	for _, x := range c.roles {
		if x == r {
			return true
		}
	}
	return false
}

func role(in Input) concern.Role {
	if in.Role == "" {
		return concern.RoleResident
	}
	return in.Role
}

func isStaff(in Input) bool { return (command{roles: staffOnly}).allows(role(in)) }

// runCommand handles the commands of the table; it reports false for others.
func (r *run) runCommand(name, shown, argLine string) bool {
	spec, ok := commands[name]
	if !ok || spec.button {
		return false
	}
	if !spec.allows(role(r.in)) {
		r.unknownCommand(shown)
		return true
	}
	args := strings.Fields(argLine)
	if spec.maxArgs == -1 && len(args) > spec.minArgs {
		// the last argument (a unit, a note) keeps its spaces
		head := strings.Fields(argLine)[:spec.minArgs-1]
		rest := strings.TrimSpace(argLine)
		for _, h := range head {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, h))
		}
		args = append(head, rest)
	}
	if len(args) < spec.minArgs || (spec.maxArgs >= 0 && len(args) > spec.maxArgs) {
		r.say(r.t("usage", "usage", spec.usage))
		return true
	}
	switch name {
	case "file":
		if r.s.Flow != nil {
			r.s.Pending = ""
			r.s.Flow = nil
			r.say(r.t("abandoned"))
		}
		r.startFlow(FileFlow)
		return true
	case "whoami":
		r.whoami()
		return true
	case "forget":
		r.say(r.t("forget_ask"), []Button{{Label: r.t("forget_yes"), Data: "g:yes"}, {Label: r.t("forget_no"), Data: "g:no"}})
		return true
	case "show", "audit":
		if !concern.ValidID(args[0]) {
			r.say(r.t("bad_id", "id", args[0]))
			return true
		}
	case "assign", "dup", "level", "setstat":
		if !concern.ValidID(args[0]) {
			r.say(r.t("bad_id", "id", args[0]))
			return true
		}
		switch name {
		case "dup":
			if !concern.ValidID(args[1]) {
				r.say(r.t("bad_id", "id", args[1]))
				return true
			}
			if args[1] == args[0] {
				r.say(r.t("dup_self"))
				return true
			}
		case "level":
			if !validLevel(args[1]) {
				r.say(r.t("bad_level", "level", args[1]))
				return true
			}
		case "setstat":
			rest := ""
			if len(args) > 1 {
				rest = args[1]
			}
			word, note, _ := strings.Cut(rest, " ")
			st, ok := concern.ParseStatus(word)
			if !ok || st == concern.StatusReceived || st == concern.StatusDuplicate {
				r.say(r.t("bad_status", "status", word))
				return true
			}
			note = strings.TrimSpace(note)
			if st == concern.StatusRejected && note == "" {
				r.say(r.t("reason_required"))
				return true
			}
			if st.NeedsNote() && note == "" {
				r.say(r.t("note_required", "status", st.Label(r.lang)))
				return true
			}
			args = []string{args[0], string(st), note}
		}
	case "invite":
		switch {
		case args[0] == "staff" && len(args) == 1:
		case args[0] == "grid" && len(args) == 2 && r.m.hasGrid(args[1]):
		case args[0] == "grid" && len(args) == 2:
			r.say(r.t("bad_grid", "grid", args[1], "grids", strings.Join(r.m.grids, "、")))
			return true
		case args[0] == "cancel" && len(args) == 2:
		default:
			r.say(r.t("usage", "usage", spec.usage))
			return true
		}
	case "revoke":
		if id, err := strconv.ParseInt(args[0], 10, 64); err != nil || id <= 0 {
			r.say(r.t("bad_user", "user", args[0]))
			return true
		}
	case "invites":
		name, args = "invite", []string{"list"}
	case "digest":
		p, err := period.Parse(first(args), r.in.Time, r.m.loc)
		if err != nil {
			r.say(r.t("bad_period", "why", r.periodProblem(err), "usage", spec.usage))
			return true
		}
		args = append(p.Args(), r.lang)
	}
	r.effect = &Effect{Kind: EffectCommand, Command: name, Args: args}
	return true
}

func validLevel(s string) bool {
	for _, l := range concern.Levels {
		if s == string(l) {
			return true
		}
	}
	return false
}

func (m *Machine) hasGrid(g string) bool {
	for _, x := range m.grids {
		if x == g {
			return true
		}
	}
	return false
}

func (r *run) unknownCommand(shown string) {
	r.say(r.t("unknown_command", "cmd", "/"+shown))
	r.reprompt()
}

func (r *run) whoami() {
	rl := role(r.in)
	where := ""
	if rl == concern.RoleGrid && r.in.Grid != "" {
		where = r.t("whoami_grid", "grid", r.in.Community+"/"+r.in.Grid)
	}
	r.say(r.t("whoami", "role", rl.Label(r.lang), "where", where, "user", strconv.FormatInt(r.in.UserID, 10)) + "\n" + r.roleHelp())
}

// roleHelp lists the commands of the sender's role.
func (r *run) roleHelp() string {
	switch role(r.in) {
	case concern.RoleGrid:
		return r.t("help_grid")
	case concern.RoleStaff:
		return r.t("help_staff")
	case concern.RoleAdmin:
		return r.t("help_staff") + "\n" + r.t("help_admin")
	}
	return r.t("help")
}

// commandButton handles the buttons of commands and events; it reports false for others.
func (r *run) commandButton(kind, rest string) bool {
	switch kind {
	case "r": // rate a closed concern: r:ID:rating
		id, rating, _ := strings.Cut(rest, ":")
		if !concern.ValidID(id) || !validRating(rating) {
			return false
		}
		r.effect = &Effect{Kind: EffectCommand, Command: "rate", Args: []string{id, rating}}
		return true
	case "k": // acknowledge an urgent alert: k:ID, or k:GROUP of a storm
		if !concern.ValidID(rest) && !stormPattern.MatchString(rest) {
			return false
		}
		if !commands["ack"].allows(role(r.in)) {
			// a notice on the button only: nothing is posted into the staff group
			r.out = append(r.out, Message{Text: r.t("staff_only_button"), Toast: true})
			return true
		}
		r.effect = &Effect{Kind: EffectCommand, Command: "ack", Args: []string{rest}}
		return true
	case "g": // forget me: g:yes / g:no
		if rest == "yes" {
			r.effect = &Effect{Kind: EffectCommand, Command: "forget"}
		} else {
			r.menu(r.t("forget_kept"))
		}
		return true
	}
	return false
}

// stormPattern is the id of a storm of alerts (store.StormGroup).
var stormPattern = regexp.MustCompile(`^G\d{12}-[a-z][a-z0-9_-]{0,31}$`)

func validRating(s string) bool {
	switch concern.Rating(s) {
	case concern.Satisfied, concern.FairlySatisfied, concern.Unsatisfied:
		return true
	}
	return false
}

// commandResult renders the outcome of a command.
func (r *run) commandResult(res *EffectResult) {
	if res.Failed {
		r.say(r.t("command_failed"))
		return
	}
	if res.Refused != "" {
		args := []string{"id", first(res.Args), "other", nth(res.Args, 1)}
		for i := 0; i+1 < len(res.RefusedArgs); i += 2 {
			v := res.RefusedArgs[i+1]
			switch res.RefusedArgs[i] {
			case "from", "to", "status":
				v = concern.Status(v).Label(r.lang)
			case "allowed":
				v = r.statusLabels(v)
			}
			args = append(args, res.RefusedArgs[i], v)
		}
		r.say(r.t(res.Refused, args...))
		return
	}
	switch res.Command {
	case "show":
		r.say(r.caseCard(res.Report))
	case "assign", "setstat", "dup", "level":
		rep := res.Report
		key := "changed_notified"
		switch {
		case res.Command == "level":
			key = "level_changed"
		case !res.Notified:
			key = "changed_unnotified"
		case rep.FiledBy != 0:
			key = "changed_notified_filed"
		}
		r.say(r.t(key, "id", rep.ID, "status", rep.Status.Label(r.lang), "unit", rep.Unit, "level", rep.Level.Label(r.lang), "deadline", r.when(rep.Deadline)))
	case "overdue":
		if len(res.Reports) == 0 {
			r.say(r.t("overdue_none"))
			return
		}
		lines := []string{r.t("overdue_head", "n", strconv.Itoa(len(res.Reports)), "total", strconv.Itoa(res.Total))}
		for _, rep := range res.Reports {
			lines = append(lines, r.t("overdue_line", "id", rep.ID, "deadline", r.when(rep.Deadline),
				"status", rep.Status.Label(r.lang), "unit", orDash(rep.Unit), "excerpt", concern.Excerpt(rep.MaskedText(), 20)))
		}
		r.say(strings.Join(lines, "\n"))
	case "audit":
		if len(res.Audit) == 0 {
			r.say(r.t("audit_none", "id", first(res.Args)))
			return
		}
		lines := []string{r.t("audit_head", "id", first(res.Args))}
		for _, e := range res.Audit {
			who := e.Role.Label(r.lang) + " " + strconv.FormatInt(e.By, 10)
			if e.By == 0 && e.Role == "" { // the program's own doing: an escalation, the retention sweep
				who = r.t("audit_system")
			}
			lines = append(lines, strings.TrimSpace(r.t("audit_line", "at", r.when(e.At), "who", who,
				"action", r.actionLabel(e.Action), "detail", r.auditDetail(e))))
		}
		r.say(strings.Join(lines, "\n"))
	case "invite":
		switch first(res.Args) {
		case "cancel":
			r.say(r.t("invite_cancelled", "code", res.Code))
			return
		case "list":
			r.say(r.inviteList(res.Invites))
			return
		}
		where := ""
		if first(res.Args) == "grid" {
			where = nth(res.Args, 1)
		}
		rl := concern.RoleStaff
		if first(res.Args) == "grid" {
			rl = concern.RoleGrid
		}
		r.say(r.t("invite_made", "code", res.Code, "role", strings.TrimSpace(rl.Label(r.lang)+" "+where), "expires", r.when(res.Expires)))
	case "join":
		m := res.Member
		r.in.Role, r.in.Community, r.in.Grid = m.Role, m.Community, m.Grid
		r.menu(r.t("joined", "role", m.Role.Label(r.lang)) + "\n" + r.roleHelp())
	case "revoke":
		r.say(r.t("revoked", "user", first(res.Args), "role", res.Member.Role.Label(r.lang)))
	case "filed":
		r.listConcerns(res, "filed_none", "filed_head")
	case "forget":
		r.menu(r.t("forgotten", "n", strconv.Itoa(res.Count)))
	case "rate":
		if res.Report != nil && res.Report.Rating == concern.Unsatisfied {
			r.say(r.t("rated_reopened", "id", res.Report.ID))
		} else {
			r.say(r.t("rated", "id", first(res.Args)))
		}
	case "ack":
		r.say(r.t("acked", "id", first(res.Args)))
	case "digest":
		r.out = append(r.out, res.Messages...)
	}
}

// statusLabels words a comma-separated list of status codes in the reader's language.
func (r *run) statusLabels(codes string) string {
	var out []string
	for c := range strings.SplitSeq(codes, ",") {
		if c != "" {
			out = append(out, concern.Status(c).Label(r.lang))
		}
	}
	if len(out) == 0 {
		return r.t("none")
	}
	return strings.Join(out, r.t("list_sep"))
}

// inviteList renders the outstanding invite codes for an admin.
func (r *run) inviteList(list []InviteInfo) string {
	if len(list) == 0 {
		return r.t("invites_none")
	}
	lines := []string{r.t("invites_head", "n", strconv.Itoa(len(list)))}
	for _, o := range list {
		where := ""
		if o.Community != "" {
			where = " " + o.Community + "/" + o.Grid
		}
		lines = append(lines, r.t("invites_line", "code", o.Code, "role", o.Role.Label(r.lang)+where,
			"by", strconv.FormatInt(o.By, 10), "expires", r.when(o.Expires)))
	}
	return strings.Join(lines, "\n")
}

func first(a []string) string { return nth(a, 0) }

func nth(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (r *run) when(t time.Time) string { return t.In(r.m.loc).Format("2006-01-02 15:04") }

// duration words a delay for people: seconds under a minute, then whole minutes.
func (r *run) duration(d time.Duration) string {
	d = max(d, 0)
	if d < time.Minute {
		return r.t("dur_seconds", "n", strconv.Itoa(int(d.Round(time.Second)/time.Second)))
	}
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return r.t("dur_minutes", "n", strconv.Itoa(m))
	}
	return r.t("dur_hours", "h", strconv.Itoa(m/60), "m", strconv.Itoa(m%60))
}

func (r *run) actionLabel(a string) string {
	if v, ok := r.m.cat["action_"+a]; ok {
		return v.In(r.lang)
	}
	return a
}

// caseCard renders a whole concern for staff.
func (r *run) caseCard(c *concern.Report) string {
	t := func(key string, args ...string) string { return r.t(key, args...) }
	lines := []string{t("card_head", "id", c.ID, "status", c.Status.Label(r.lang))}
	lines = append(lines, t("card_received", "at", r.when(c.ReceivedAt), "channel", c.Channel))
	switch {
	case c.FiledBy != 0:
		resident := t("anonymous")
		if c.ResidentName != "" {
			resident = c.ResidentName
		}
		if c.ResidentPhone != "" {
			resident += " " + c.ResidentPhone
		}
		capacity := t("capacity_" + string(c.Capacity))
		lines = append(lines, t("card_filed", "worker", c.FiledByName, "id", strconv.FormatInt(c.FiledBy, 10), "capacity", capacity, "resident", resident, "heard", t("heard_"+c.HeardWhen)))
	case c.Forgotten:
		lines = append(lines, t("card_forgotten"))
	case c.ReporterID == 0:
		lines = append(lines, t("card_reporter", "who", t("anonymous")))
	default:
		who := c.ReporterName + "（" + strconv.FormatInt(c.ReporterID, 10) + "）"
		if c.Phone != "" {
			who += " " + c.Phone
		}
		lines = append(lines, t("card_reporter", "who", who))
	}
	place := []string{}
	for _, p := range []string{c.Community, c.Grid, c.Address} {
		if p != "" {
			place = append(place, p)
		}
	}
	if c.Location != nil {
		place = append(place, c.Location.String())
	}
	lines = append(lines, t("card_place", "place", orDash(strings.Join(place, " / "))))
	tags := t("mine_untagged")
	if c.Topic != "" {
		tags = strings.TrimSuffix(c.Sector+" / "+c.Topic+" / "+c.Subtopic, " / ")
	}
	lines = append(lines, t("card_tags", "tags", tags, "by", c.Classifier, "confidence", strconv.FormatFloat(c.Confidence, 'f', 2, 64), "reason", c.Reason))
	if c.Urgent {
		lines = append(lines, t("card_urgent", "reason", c.UrgentReason))
		if c.Ack != nil {
			lines = append(lines, t("card_ack", "by", strconv.FormatInt(c.Ack.By, 10), "at", r.when(c.Ack.At), "after", r.duration(c.Ack.After)))
		}
	}
	if c.Sensitive {
		lines = append(lines, t("card_sensitive", "reason", c.SensitiveReason))
	}
	if !c.Deadline.IsZero() {
		late := ""
		if !c.Status.Finished() && r.in.Time.After(c.Deadline) {
			late = t("card_late")
		}
		lines = append(lines, t("card_deadline", "level", c.Level.Label(r.lang), "deadline", r.when(c.Deadline), "late", late))
	}
	if c.Unit != "" {
		lines = append(lines, t("card_unit", "unit", c.Unit))
	}
	if c.DuplicateOf != "" {
		lines = append(lines, t("card_dup", "other", c.DuplicateOf))
	}
	lines = append(lines, t("card_text", "text", c.Text))
	if len(c.Photos) > 0 {
		lines = append(lines, t("card_photos", "n", strconv.Itoa(len(c.Photos))))
	}
	if c.Rating != "" {
		lines = append(lines, t("card_rating", "rating", c.Rating.Label(r.lang)))
	}
	lines = append(lines, t("card_history"))
	for _, h := range c.History {
		line := "  " + r.when(h.At) + " " + h.Status.Label(r.lang)
		if h.By != "" {
			line += " · " + h.ByLabel(r.lang)
		}
		if text := h.Text(r.lang); text != "" {
			line += " · " + text
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// auditDetail words an audit entry's detail for the reader: a status change
// names its status by code (or, written before, by its Chinese label), a level
// change its level by code.
func (r *run) auditDetail(e concern.AuditEntry) string {
	switch e.Action {
	case "status":
		word, note, _ := strings.Cut(e.Detail, " ")
		if st, ok := concern.ParseStatus(word); ok {
			return strings.TrimSpace(st.Label(r.lang) + " " + note)
		}
	case "level":
		if validLevel(e.Detail) {
			return concern.Level(e.Detail).Label(r.lang)
		}
	}
	return e.Detail
}

// listConcerns renders a list of concerns with the menu.
func (r *run) listConcerns(res *EffectResult, none, head string) {
	if len(res.Concerns) == 0 {
		r.menu(r.t(none))
		return
	}
	lines := []string{r.t(head, "n", strconv.Itoa(len(res.Concerns)), "total", strconv.Itoa(max(res.Total, len(res.Concerns))))}
	for _, c := range res.Concerns {
		topic := r.t("mine_untagged")
		if c.Topic != "" {
			topic = r.t("mine_topic", "topic", c.Topic, "sector", c.Sector)
		}
		lines = append(lines, r.t("mine_line",
			"id", c.ID,
			"date", c.At.In(r.m.loc).Format("2006-01-02"),
			"excerpt", concern.Excerpt(c.Excerpt, 20),
			"topic", topic,
			"status", c.Status.Label(r.lang)))
	}
	r.menu(strings.Join(lines, "\n"))
}

// event renders news from outside the conversation; a draft in progress is left as it was.
func (r *run) event(e *Event) {
	switch e.Type {
	case EventStatus:
		key := "event_status"
		if e.Filed {
			key = "event_status_filed"
		}
		extra := ""
		if e.Unit != "" {
			extra += r.t("event_unit", "unit", e.Unit)
		}
		if e.Other != "" {
			extra += r.t("event_dup", "other", e.Other)
		}
		if e.Note != "" {
			extra += r.t("event_note", "note", e.Note)
		}
		text := r.t(key, "id", e.Concern, "excerpt", e.Excerpt, "status", e.Status.Label(r.lang), "extra", extra)
		if e.Rate {
			r.say(text+"\n"+r.t("rate_ask"),
				[]Button{
					{Label: concern.Satisfied.Label(r.lang), Data: "r:" + e.Concern + ":" + string(concern.Satisfied)},
					{Label: concern.FairlySatisfied.Label(r.lang), Data: "r:" + e.Concern + ":" + string(concern.FairlySatisfied)},
					{Label: concern.Unsatisfied.Label(r.lang), Data: "r:" + e.Concern + ":" + string(concern.Unsatisfied)},
				})
			return
		}
		r.say(text)
	case EventAlert:
		again := ""
		if e.Count > 1 {
			again = r.t("alert_again", "n", strconv.Itoa(e.Count))
		}
		head := ""
		if e.Escalated {
			head = r.t("alert_escalated", "waited", r.duration(r.in.Time.Sub(e.Raised))) + "\n"
		}
		ack := []Button{{Label: r.t("alert_ack"), Data: "k:" + e.Concern}}
		if len(e.Members) > 0 {
			r.say(head+r.t("alert_storm", "n", strconv.Itoa(len(e.Members)), "channel", e.Channel, "again", again,
				"ids", strings.Join(e.Members, "、")), ack)
			return
		}
		key := "alert"
		switch {
		case e.AdminsOnly:
			key = "alert_admins"
		case e.ByModel:
			key = "alert_model"
		}
		r.say(head+r.t(key, "id", e.Concern, "again", again, "excerpt", e.Excerpt, "reason", e.Reason, "place", orDash(e.Place)), ack)
	case EventAdvice:
		key := "urgent_later"
		if e.Filed {
			key = "urgent_later_filed"
		}
		r.say(r.t(key, "id", e.Concern) + "\n" + r.advice(e.Hazard))
	case EventDeadLetter:
		r.say(r.t("dead_letter", "id", e.Concern, "why", e.Reason))
	case EventExpire:
		// the draft's contents go now, not with the session weeks later; the
		// resident hears of it when they next write
		if r.idle() {
			r.s.Flow, r.s.Pending, r.s.Expired = nil, "", true
		}
	case EventDigest:
		late := ""
		if e.Late {
			late = "late"
		}
		r.effect = &Effect{Kind: EffectCommand, Command: "digest", Args: []string{e.From, e.To, r.lang, late}}
	case EventRole:
		if e.Member.Role == "" || e.Member.Role == concern.RoleResident {
			r.say(r.t("event_role_revoked"))
			return
		}
		r.say(r.t("event_role", "role", e.Member.Role.Label(r.lang)))
	}
}
