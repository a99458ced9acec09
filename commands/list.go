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

// maxButtonData is how many bytes Telegram keeps of a button's data.
const maxButtonData = 64

// /list [状态|全部] [社区] [页码]: the work list, newest first, 待受理 unless a
// status is named (全部: every running concern), a page at a time with
// 上一页/下一页 buttons (p:STATUS:COMMUNITY:PAGE) that turn the page in place.
var list = Command{
	Name:   "list",
	Roles:  []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Button: "p",
	Help:   []Line{{concern.RoleStaff, "help_list"}},
	Menu:   "menu_cmd_list",
	Keys:   append([]locale.Key{"usage_list", "list_all"}, pageKeys...),
	Run: func(ctx context.Context, c *Call) error {
		q, ok := c.listQuery()
		if !ok {
			return nil
		}
		res, err := c.reg.svc.List(ctx, c.Actor, q)
		if err != nil {
			return err
		}
		status, what := "all", c.t("list_all")
		if len(q.Statuses) == 1 {
			status, what = string(q.Statuses[0]), q.Statuses[0].Label(c.Lang)
		}
		if q.Community != "" {
			what += " · " + q.Community
		}
		c.paged(res, what, q.Offset/pageSize+1, func(n int) string {
			data := "p:" + status + ":" + q.Community + ":" + strconv.Itoa(n)
			if len(data) > maxButtonData {
				return "" // a name too long to travel in a button: no page turning (type the page)
			}
			return data
		})
		return nil
	},
}

// listQuery reads /list's words in any order (a status, 全部/all, a page
// number; anything else names a community), or a page button's data.
func (c *Call) listQuery() (cases.ListQuery, bool) {
	q := cases.ListQuery{Statuses: []concern.Status{concern.StatusReceived}, Limit: pageSize}
	page := 1
	if c.In.Kind == flows.InputButton {
		// STATUS:COMMUNITY:PAGE, the community read between the first ':' and the last
		word, rest, _ := strings.Cut(c.Line, ":")
		i := strings.LastIndex(rest, ":")
		st, ok := concern.ParseStatus(word)
		n, err := strconv.Atoi(rest[i+1:])
		if i < 0 || err != nil || n < 1 || n > 10000 || !ok && word != "all" {
			c.stale()
			return q, false
		}
		if q.Statuses = []concern.Status{st}; !ok {
			q.Statuses = nil
		}
		q.Community, q.Offset = rest[:i], (n-1)*pageSize
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
		n, number, ok := c.pageNumber(w)
		if !ok {
			return q, false
		}
		if number {
			page = n
			continue
		}
		q.Community = w
	}
	q.Offset = (page - 1) * pageSize
	return q, true
}
