package commands

import (
	"strings"
	"time"
	"unicode"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// Call is one run of a command: who asked, what they typed after it, and the
// answer being put together.
type Call struct {
	reg   *Registry
	cmd   *Command
	In    flows.Input
	Lang  string
	Actor cases.Actor
	// Line is what followed the command, as typed (for a button, its data after the kind).
	Line string
	// ID is the concern (or user) the command is about, named in its refusals.
	ID     string
	result flows.EffectResult
}

// t words a catalog message in the caller's language.
func (c *Call) t(key locale.Key, args ...string) string {
	return c.reg.cat.Render(c.Lang, key, args...)
}

func (c *Call) say(text string, inline ...[]flows.Button) {
	c.result.Messages = append(c.result.Messages, flows.Message{Text: text, Inline: inline})
}

// menu says text with the main menu under it.
func (c *Call) menu(text string) {
	c.say(text)
	c.result.Menu = true
}

// withHelp follows the last message with the help of role.
func (c *Call) withHelp(role concern.Role) { c.result.Help = role }

func (c *Call) toast(text string) {
	c.result.Messages = append(c.result.Messages, flows.Message{Text: text, Toast: true})
}

// stale says, on the pressed button, that it is no longer valid.
func (c *Call) stale() { c.toast(c.t("button_stale")) }

// usage says how the command is called.
func (c *Call) usage() { c.say(c.t("usage", "usage", c.t(locale.Key("usage_"+c.cmd.Name)))) }

// args are the words of the line.
func (c *Call) args() []string { return strings.Fields(c.Line) }

// split cuts the line into n-1 words and the rest, which keeps its spaces (a
// unit, a note); it reports false when there are fewer than n.
func (c *Call) split(n int) ([]string, bool) { return splitWords(c.Line, n) }

func splitWords(line string, n int) ([]string, bool) {
	rest := strings.TrimSpace(line)
	var out []string
	for range n - 1 {
		// any space ends a word: a full-width one (an IME's), a tab, a new line
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i <= 0 {
			return nil, false
		}
		out = append(out, rest[:i])
		rest = strings.TrimSpace(rest[i:])
	}
	if rest == "" {
		return nil, false
	}
	return append(out, rest), true
}

// idAndText reads a line of a concern's id and text (a unit, a status and a
// note), the text keeping its spaces; when it cannot, it says how the command
// is called, or that the id is not one.
func (c *Call) idAndText() (string, bool) {
	args, ok := c.split(2)
	if !ok {
		c.usage()
		return "", false
	}
	c.ID = args[0]
	return args[1], c.concernID(c.ID)
}

// oneID reads a line that is a concern's id, as idAndText does.
func (c *Call) oneID() bool {
	args := c.args()
	if len(args) != 1 {
		c.usage()
		return false
	}
	c.ID = args[0]
	return c.concernID(c.ID)
}

// concernID checks an argument is a concern's id, saying so when it is not.
func (c *Call) concernID(s string) bool {
	if !concern.ValidID(s) {
		c.say(c.t("bad_id", "id", s))
		return false
	}
	return true
}

func (c *Call) when(t time.Time) string { return t.In(c.reg.loc).Format("2006-01-02 15:04") }

func (c *Call) date(t time.Time) string { return t.In(c.reg.loc).Format("2006-01-02") }

func (c *Call) duration(d time.Duration) string { return flows.Duration(c.reg.cat, c.Lang, d) }

// statuses words statuses in the caller's language.
func (c *Call) statuses(ss []concern.Status) string {
	out := make([]string, 0, len(ss))
	for _, st := range ss {
		out = append(out, st.Label(c.Lang))
	}
	if len(out) == 0 {
		return c.t("none")
	}
	return strings.Join(out, c.t("list_sep"))
}

// refused says why the service changed nothing.
func (c *Call) refused(r *cases.Refusal) {
	c.say(c.t(locale.Key(r.Reason), r.Args(c.Lang, c.ID, c.t("list_sep"), c.t("none"))...))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// changed says a concern was changed, and whether whoever reported it was told.
func (c *Call) changed(ch cases.Change) {
	r := ch.Report
	key := locale.Key("changed_notified")
	switch {
	case !ch.Notified:
		key = "changed_unnotified"
	case r.FiledBy != 0:
		key = "changed_notified_filed"
	}
	c.say(c.t(key, "id", r.ID, "status", r.Status.Label(c.Lang), "unit", r.Unit))
}
