package commands

import (
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// pageSize is how many concerns a page of a work list holds.
const pageSize = 10

// pageKeys are what a paged list says.
var pageKeys = []locale.Key{"list_head", "list_line", "list_none", "list_past", "list_prev", "list_next", "list_bad_page"}

// paged says page n of a list of concerns under what, with 上一页/下一页
// buttons whose data turn(n) makes (none where it makes ""); a page turned by
// a button replaces itself.
func (c *Call) paged(res cases.Reports, what string, n int, turn func(int) string) {
	pages := max(1, (res.Total+pageSize-1)/pageSize)
	switch {
	case len(res.Reports) == 0 && res.Total > 0:
		c.say(c.t("list_past", "what", what, "page", strconv.Itoa(n), "pages", strconv.Itoa(pages), "total", strconv.Itoa(res.Total)))
	case len(res.Reports) == 0:
		c.say(c.t("list_none", "what", what))
	default:
		lines := []string{c.t("list_head", "what", what, "page", strconv.Itoa(n), "pages", strconv.Itoa(pages), "total", strconv.Itoa(res.Total))}
		for _, r := range res.Reports {
			lines = append(lines, c.t("list_line", "id", r.ID, "date", c.date(r.ReceivedAt), "status", r.Status.Label(c.Lang),
				"place", orDash(r.Community), "excerpt", concern.Excerpt(r.MaskedText(), 24)))
		}
		var buttons []flows.Button
		if d := turn(n - 1); n > 1 && d != "" {
			buttons = append(buttons, flows.Button{Label: c.t("list_prev"), Data: d})
		}
		if d := turn(n + 1); n < pages && d != "" {
			buttons = append(buttons, flows.Button{Label: c.t("list_next"), Data: d})
		}
		if len(buttons) > 0 {
			c.say(strings.Join(lines, "\n"), buttons)
		} else {
			c.say(strings.Join(lines, "\n"))
		}
	}
	if c.In.Kind == flows.InputButton {
		c.result.Messages[len(c.result.Messages)-1].Edit = true // the page turns in place
	}
}

// pageNumber reads a page number, saying so when w is a number but not a page's.
func (c *Call) pageNumber(w string) (n int, isNumber, ok bool) {
	if w == "" || strings.Trim(w, "0123456789") != "" {
		return 0, false, true
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 1 || n > 10000 {
		c.say(c.t("list_bad_page", "page", w) + "\n" + c.t("usage", "usage", c.t(locale.Key("usage_"+c.cmd.Name))))
		return 0, true, false
	}
	return n, true, true
}
