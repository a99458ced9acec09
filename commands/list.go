package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// listShown is how many concerns a page of /list holds.
const listShown = 10

// /list [状态|全部] [社区] [页码]: the work list, newest first, 待受理 unless a
// status is named (全部: every running concern), a page at a time with
// 上一页/下一页 buttons (p:STATUS:COMMUNITY:PAGE) that turn the page in place.
var list = Command{
	Name:   "list",
	Roles:  []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Button: "p",
	Help:   []Line{{concern.RoleStaff, "help_list"}},
	Menu:   "menu_cmd_list",
	Keys:   []locale.Key{"usage_list", "list_head", "list_line", "list_none", "list_all", "list_prev", "list_next", "list_bad_page", "list_past"},
	Run: func(ctx context.Context, c *Call) error {
		q, ok := c.listQuery()
		if !ok {
			return nil
		}
		page := q.Offset/listShown + 1
		res, err := c.reg.svc.List(ctx, c.Actor, q)
		if err != nil {
			return err
		}
		status, label := "all", c.t("list_all")
		if len(q.Statuses) == 1 {
			status, label = string(q.Statuses[0]), q.Statuses[0].Label(c.Lang)
		}
		if q.Community != "" {
			label += " · " + q.Community
		}
		pages := max(1, (res.Total+listShown-1)/listShown)
		switch {
		case len(res.Reports) == 0 && res.Total > 0:
			c.say(c.t("list_past", "what", label, "page", strconv.Itoa(page), "pages", strconv.Itoa(pages), "total", strconv.Itoa(res.Total)))
		case len(res.Reports) == 0:
			c.say(c.t("list_none", "what", label))
		default:
			lines := []string{c.t("list_head", "what", label, "page", strconv.Itoa(page), "pages", strconv.Itoa(pages), "total", strconv.Itoa(res.Total))}
			for _, r := range res.Reports {
				lines = append(lines, c.t("list_line", "id", r.ID, "date", c.date(r.ReceivedAt), "status", r.Status.Label(c.Lang),
					"place", orDash(r.Community), "excerpt", concern.Excerpt(r.MaskedText(), 24)))
			}
			var turn []flows.Button
			at := "p:" + status + ":" + q.Community + ":"
			if page > 1 {
				turn = append(turn, flows.Button{Label: c.t("list_prev"), Data: at + strconv.Itoa(page-1)})
			}
			if page < pages {
				turn = append(turn, flows.Button{Label: c.t("list_next"), Data: at + strconv.Itoa(page+1)})
			}
			if len(turn) > 0 {
				c.say(strings.Join(lines, "\n"), turn)
			} else {
				c.say(strings.Join(lines, "\n"))
			}
		}
		if c.In.Kind == flows.InputButton {
			c.result.Messages[0].Edit = true // the page turns in place
		}
		return nil
	},
}

// listQuery reads /list's words in any order (a status, 全部/all, a page
// number; anything else names a community), or a page button's data.
func (c *Call) listQuery() (cases.ListQuery, bool) {
	q := cases.ListQuery{Statuses: []concern.Status{concern.StatusReceived}, Limit: listShown}
	page := 1
	if c.In.Kind == flows.InputButton {
		// STATUS:COMMUNITY:PAGE, the community read between the first ':' and the last
		word, rest, _ := strings.Cut(c.Line, ":")
		i := strings.LastIndex(rest, ":")
		st, ok := concern.ParseStatus(word)
		n, err := strconv.Atoi(rest[i+1:])
		if i < 0 || err != nil || n < 1 || !ok && word != "all" {
			c.stale()
			return q, false
		}
		if q.Statuses = []concern.Status{st}; !ok {
			q.Statuses = nil
		}
		q.Community, q.Offset = rest[:i], (n-1)*listShown
		return q, true
	}
	for _, w := range c.args() {
		if st, ok := concern.ParseStatus(w); ok {
			q.Statuses = []concern.Status{st}
			continue
		}
		if w == "all" || w == "全部" {
			q.Statuses = nil
			continue
		}
		if n, err := strconv.Atoi(w); err == nil || strings.Trim(w, "0123456789") == "" {
			if n < 1 || n > 10000 {
				c.say(c.t("list_bad_page", "page", w) + "\n" + c.t("usage", "usage", c.t("usage_list")))
				return q, false
			}
			page = n
			continue
		}
		q.Community = w
	}
	q.Offset = (page - 1) * listShown
	return q, true
}
