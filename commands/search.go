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

// maxSearch is the longest a keyword may be, in bytes: it travels in the page
// buttons' data (s:PAGE:WORDS), which Telegram keeps to 64 bytes.
const maxSearch = 50

// /search 关键词 [页码]: every concern whose text holds the words, in any status,
// newest first.
var search = Command{
	Name:   "search",
	Roles:  []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Button: "s",
	Help:   []Line{{concern.RoleStaff, "help_search"}},
	Menu:   "menu_cmd_search",
	Keys:   append([]locale.Key{"usage_search", "search_what", "search_too_long"}, pageKeys...),
	Run: func(ctx context.Context, c *Call) error {
		words, n := strings.TrimSpace(c.Line), 1
		if c.In.Kind == flows.InputButton {
			page, rest, _ := strings.Cut(c.Line, ":")
			p, err := strconv.Atoi(page)
			if err != nil || p < 1 || p > 10000 || strings.TrimSpace(rest) == "" {
				c.stale()
				return nil
			}
			words, n = rest, p
		} else if f := strings.Fields(words); len(f) > 1 {
			// a last word that is a number is the page
			if p, number, ok := c.pageNumber(f[len(f)-1]); !ok {
				return nil
			} else if number {
				words, n = strings.Join(f[:len(f)-1], " "), p
			}
		}
		switch {
		case words == "":
			c.usage()
			return nil
		case len(words) > maxSearch:
			c.say(c.t("search_too_long", "max", strconv.Itoa(maxSearch/3)))
			return nil
		}
		res, err := c.reg.svc.List(ctx, c.Actor, cases.ListQuery{Text: words, AnyStatus: true, Offset: (n - 1) * pageSize, Limit: pageSize})
		if err != nil {
			return err
		}
		c.paged(res, c.t("search_what", "words", words), n, func(p int) string { return "s:" + strconv.Itoa(p) + ":" + words })
		return nil
	},
}
