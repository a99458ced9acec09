package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
)

// maxCard is the most characters of a 信息's text a chat card holds (Telegram
// takes 4096 a message); the rest is in its document.
const maxCard = 3000

// /info new|list|show|edit|submit|return|sign|sent|feedback|tell|doc: 社情民意信息,
// composed from concerns or a digest's 共性问题, signed, sent upward and followed.
var infoCmd = Command{
	Name:  "info",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_info"}},
	Menu:  "menu_cmd_info",
	Keys: []locale.Key{"usage_info", "info_made", "info_list_head", "info_list_none", "info_list_line", "info_card_state",
		"info_card_links", "info_card_sent", "info_card_feedback", "info_card_lag", "info_moved", "info_told", "info_doc",
		"info_doc_html", "info_edited", "info_card_cut"},
	Run: func(ctx context.Context, c *Call) error {
		args, ok := c.split(2)
		verb, rest := "", ""
		switch {
		case ok:
			verb, rest = args[0], args[1]
		case strings.TrimSpace(c.Line) != "":
			verb = strings.TrimSpace(c.Line)
		}
		if verb == "list" {
			return c.infoList(ctx)
		}
		if verb == "new" {
			from, err := cases.ParseInfoFrom(rest)
			if err != nil {
				return err
			}
			d, err := c.reg.svc.ComposeInfo(ctx, c.Actor, from)
			if err != nil {
				return err
			}
			c.say(c.t("info_made", "n", strconv.FormatInt(d.Item.ID, 10)))
			c.infoCard(d.Item, d.Warnings)
			return nil
		}
		// the rest name an item: VERB N [TEXT]
		words, _ := splitWords(rest, 2)
		if len(words) == 0 && strings.TrimSpace(rest) != "" {
			words = []string{strings.TrimSpace(rest)}
		}
		if len(words) == 0 {
			c.usage()
			return nil
		}
		c.ID = words[0] // what the refusals name
		id, err := strconv.ParseInt(words[0], 10, 64)
		if err != nil || id < 1 {
			return &cases.Refusal{Reason: cases.InfoNotFound, ID: words[0]}
		}
		text := ""
		if len(words) > 1 {
			text = words[1]
		}
		svc := c.reg.svc
		switch verb {
		case "show":
			it, err := svc.Info(ctx, c.Actor, id)
			if err != nil {
				return err
			}
			c.infoCard(it, it.Warnings())
		case "edit":
			field, value, _ := strings.Cut(strings.TrimSpace(text), " ")
			if field == "" {
				c.usage()
				return nil
			}
			d, err := svc.EditInfo(ctx, c.Actor, id, field, value)
			if err != nil {
				return err
			}
			c.say(c.t("info_edited", "n", strconv.FormatInt(id, 10)))
			c.infoCard(d.Item, d.Warnings)
		case "submit", "return", "sign", "sent":
			var it *info.Item
			switch verb {
			case "submit":
				it, err = svc.SubmitInfo(ctx, c.Actor, id)
			case "return":
				it, err = svc.ReturnInfo(ctx, c.Actor, id, text)
			case "sign":
				it, err = svc.SignInfo(ctx, c.Actor, id)
			case "sent":
				it, err = svc.SendInfo(ctx, c.Actor, id, text)
			}
			if err != nil {
				return err
			}
			c.say(c.t("info_moved", "n", strconv.FormatInt(id, 10), "state", it.State.Label(c.Lang), "issue", orDash(it.Issue(c.Lang))))
		case "feedback":
			word, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
			outcome, ok := info.ParseOutcome(word)
			if !ok {
				return &cases.Refusal{Reason: cases.InfoBadOutcome, Value: word}
			}
			by, said := leader(rest)
			it, err := svc.InfoFeedback(ctx, c.Actor, id, outcome, said, by)
			if err != nil {
				return err
			}
			c.say(c.t("info_moved", "n", strconv.FormatInt(id, 10), "state", it.State.Label(c.Lang), "issue", orDash(it.Issue(c.Lang))))
		case "tell":
			n, err := svc.TellInfo(ctx, c.Actor, id)
			if err != nil {
				return err
			}
			c.say(c.t("info_told", "n", strconv.FormatInt(id, 10), "chats", strconv.Itoa(n)))
		case "doc":
			it, err := svc.Info(ctx, c.Actor, id)
			if err != nil {
				return err
			}
			doc, err := it.Document(c.Lang, c.In.Time, c.reg.loc).Bytes()
			if err != nil {
				return err
			}
			page, err := it.HTML(c.Lang, c.In.Time, c.reg.loc)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("minyi-info-%d", id)
			if it.Number > 0 {
				name = fmt.Sprintf("minyi-info-%d-%03d", it.Year, it.Number)
			}
			c.result.Messages = append(c.result.Messages,
				flows.Message{Text: c.t("info_doc"), Document: &flows.Document{Name: name + ".docx", Data: doc}},
				flows.Message{Text: c.t("info_doc_html"), Document: &flows.Document{Name: name + ".html", Data: page}})
		default:
			c.usage()
		}
		return nil
	},
}

// leader reads a 批示 typed as "张书记：请…": who gave it, and what it says.
func leader(s string) (by, said string) {
	s = strings.TrimSpace(s)
	for _, sep := range []string{"：", ":"} {
		if who, what, ok := strings.Cut(s, sep); ok && utf8.RuneCountInString(who) <= 12 && strings.TrimSpace(what) != "" && !strings.ContainsAny(who, " ，,。") {
			return strings.TrimSpace(who), strings.TrimSpace(what)
		}
	}
	return "", s
}

// infoList lists the items, newest first, with where each stands.
func (c *Call) infoList(ctx context.Context) error {
	items, err := c.reg.svc.Infos(ctx, c.Actor)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		c.say(c.t("info_list_none"))
		return nil
	}
	lines := []string{c.t("info_list_head", "n", strconv.Itoa(len(items)))}
	for _, it := range items[:min(len(items), 30)] {
		lines = append(lines, c.t("info_list_line", "n", strconv.FormatInt(it.ID, 10), "state", it.State.Label(c.Lang),
			"issue", orDash(it.Issue(c.Lang)), "title", concern.Excerpt(it.Title, 40), "concerns", strconv.Itoa(len(it.Concerns))))
	}
	c.say(strings.Join(lines, "\n"))
	return nil
}

// infoCard says an item: where it stands, its text, its links and its warnings.
func (c *Call) infoCard(it *info.Item, warnings []info.Warning) {
	var b strings.Builder
	b.WriteString(c.t("info_card_state", "n", strconv.FormatInt(it.ID, 10), "state", it.State.Label(c.Lang), "issue", orDash(it.Issue(c.Lang))) + "\n")
	text := it.Text(c.Lang, c.In.Time, c.reg.loc)
	if utf8.RuneCountInString(text) > maxCard {
		text = string([]rune(text)[:maxCard]) + "\n" + c.t("info_card_cut", "n", strconv.FormatInt(it.ID, 10))
	}
	b.WriteString(text + "\n")
	links := strings.Join(it.Concerns, "、")
	if it.Group != "" {
		links = it.Group + "：" + links
	}
	b.WriteString(c.t("info_card_links", "ids", links) + "\n")
	if it.SentTo != "" {
		b.WriteString(c.t("info_card_sent", "to", it.SentTo, "at", c.when(it.SentAt)) + "\n")
		b.WriteString(c.t("info_card_lag", "lag", c.duration(it.Lag())) + "\n")
	}
	if f := it.Feedback; f != nil {
		b.WriteString(c.t("info_card_feedback", "outcome", f.Outcome.Label(c.Lang), "text", orDash(f.Text), "by", orDash(f.By), "at", c.when(f.At)) + "\n")
	}
	for _, w := range warnings {
		b.WriteString(it.Warn(c.Lang, w) + "\n")
	}
	c.say(strings.TrimSpace(b.String()))
}
