package flows

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// The engine's side of the typed commands: it knows their names and who may
// use them (Commands), hands them over as effects, and shows what they answer.
// What they do and how they word it is the registry's (package commands).

func role(in Input) concern.Role {
	if in.Role == "" {
		return concern.RoleResident
	}
	return in.Role
}

func (r *run) unknownCommand(shown string) {
	r.say(r.t("unknown_command", "cmd", "/"+shown))
	r.reprompt()
}

// buttonCommand is the typed command a button of kind runs, if any.
func (r *run) buttonCommand(kind string) (string, bool) { return r.m.buttonCommand(kind) }

func (m *Machine) buttonCommand(kind string) (string, bool) {
	if m.commands == nil || kind == "" {
		return "", false
	}
	return m.commands.Button(kind)
}

// commandResult shows what a typed command answered.
func (r *run) commandResult(res *EffectResult) {
	if res.Failed {
		r.say(r.t("command_failed"))
		return
	}
	msgs := slices.Clone(res.Messages)
	if res.Help != "" && len(msgs) > 0 {
		msgs[len(msgs)-1].Text += "\n" + r.m.RoleHelp(r.lang, res.Help)
	}
	if res.Menu && len(msgs) > 0 {
		last := msgs[len(msgs)-1]
		r.out = append(r.out, msgs[:len(msgs)-1]...)
		r.menu(last.Text)
	} else {
		r.out = append(r.out, msgs...)
	}
	if res.Reprompt {
		r.reprompt()
	}
	if res.Await != "" {
		r.s.Await, r.s.AwaitUntil = res.Await, r.in.Time.Add(r.m.expiry)
	}
}

// RoleHelp lists the commands of role, in lang: the residents' help, or the
// flows a member's role starts and the typed commands of their role (an admin's
// after staff's).
func (m *Machine) RoleHelp(lang string, rl concern.Role) string {
	section := func(rl concern.Role) string {
		lines := []string{m.Text(lang, locale.Key("help_head_"+string(rl)))}
		for _, d := range m.sorted() {
			if d.Start.Help != nil && slices.Contains(d.Start.Roles, rl) {
				lines = append(lines, d.Start.Help.In(lang))
			}
		}
		if m.commands != nil {
			for _, e := range m.commands.Section(rl) {
				if e.Help != "" {
					lines = append(lines, m.Text(lang, e.Help))
				}
			}
		}
		return strings.Join(lines, "\n")
	}
	switch rl {
	case concern.RoleGrid, concern.RoleStaff:
		return section(rl)
	case concern.RoleAdmin:
		return section(concern.RoleStaff) + "\n" + section(concern.RoleAdmin)
	}
	return m.Text(lang, "help")
}

func (r *run) roleHelp() string { return r.m.RoleHelp(r.lang, role(r.in)) }

// listConcerns renders a list of concerns with the menu.
func (r *run) listConcerns(res *EffectResult, none, head locale.Key) {
	if len(res.Concerns) == 0 {
		r.menu(r.t(none))
		return
	}
	r.menu(Summaries(r.m.cat, r.lang, r.m.loc, head, res.Concerns, res.Total))
}

// Summaries renders someone's own concerns, newest first, under the catalog's
// head (with {n} shown of {total}), dates in loc.
func Summaries(cat locale.Catalog, lang string, loc *time.Location, head locale.Key, list []concern.Summary, total int) string {
	t := func(key locale.Key, args ...string) string { return cat.Render(lang, key, args...) }
	lines := []string{t(head, "n", strconv.Itoa(len(list)), "total", strconv.Itoa(max(total, len(list))))}
	for _, c := range list {
		topic := t("mine_untagged")
		if c.Topic != "" {
			topic = t("mine_topic", "topic", c.Topic, "sector", c.Sector)
		}
		lines = append(lines, t("mine_line",
			"id", c.ID,
			"date", c.At.In(loc).Format("2006-01-02"),
			"excerpt", concern.Excerpt(c.Excerpt, 20),
			"topic", topic,
			"status", c.Status.Label(lang)))
	}
	return strings.Join(lines, "\n")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (r *run) duration(d time.Duration) string { return Duration(r.m.cat, r.lang, d) }

// Duration words a delay for people: seconds under a minute, then whole
// minutes, then hours and minutes.
func Duration(cat locale.Catalog, lang string, d time.Duration) string {
	d = max(d, 0)
	if d < time.Minute {
		return cat.Render(lang, "dur_seconds", "n", strconv.Itoa(int(d.Round(time.Second)/time.Second)))
	}
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return cat.Render(lang, "dur_minutes", "n", strconv.Itoa(m))
	}
	return cat.Render(lang, "dur_hours", "h", strconv.Itoa(m/60), "m", strconv.Itoa(m%60))
}
