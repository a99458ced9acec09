package commands

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// /subscribe [社区]: agree to be asked the committee's questions (征求意见); the
// community from the buttons (b:COMMUNITY, b:* for all) when none is given.
var subscribeCmd = Command{
	Name:   "subscribe",
	Button: "b",
	Help:   []Line{{concern.RoleResident, "help_subscribe"}},
	Keys:   []locale.Key{"usage_subscribe", "subscribe_which", "subscribe_all", "subscribed", "subscribed_all", "subscribe_unknown"},
	Run: func(ctx context.Context, c *Call) error {
		choice := strings.TrimSpace(c.Line)
		communities := c.reg.communities()
		// typed alone, or the offer at /start (b:?): which community, first
		if (choice == "?" || choice == "" && c.In.Kind != flows.InputButton) && len(communities) > 0 {
			var rows [][]flows.Button
			for _, name := range communities {
				rows = append(rows, []flows.Button{{Label: name, Data: "b:" + name}})
			}
			rows = append(rows, []flows.Button{{Label: c.t("subscribe_all"), Data: "b:*"}})
			c.say(c.t("subscribe_which"), rows...)
			return nil
		}
		if choice == "*" || choice == "?" {
			choice = ""
		}
		if choice != "" && len(communities) > 0 && !slices.Contains(communities, choice) {
			c.say(c.t("subscribe_unknown", "community", choice, "list", strings.Join(communities, "、")))
			return nil
		}
		if err := c.reg.svc.Subscribe(ctx, c.Actor, choice); err != nil {
			return err
		}
		if choice == "" {
			c.say(c.t("subscribed_all"))
		} else {
			c.say(c.t("subscribed", "community", choice))
		}
		return nil
	},
}

// /unsubscribe (and the 退订 button on every invitation, u:yes): no more questions.
var unsubscribeCmd = Command{
	Name:   "unsubscribe",
	Button: "u",
	Help:   []Line{{concern.RoleResident, "help_unsubscribe"}},
	Keys:   []locale.Key{"usage_unsubscribe", "unsubscribed", "unsubscribed_none"},
	Run: func(ctx context.Context, c *Call) error {
		had, err := c.reg.svc.Unsubscribe(ctx, c.Actor)
		if err != nil {
			return err
		}
		if had {
			c.say(c.t("unsubscribed"))
		} else {
			c.say(c.t("unsubscribed_none"))
		}
		return nil
	},
}

// answer is the buttons of an invitation (q:ID:Q:VALUE; VALUE t asks for
// words, which the chat's next message gives as q:ID:Q:=WORDS).
var answerCmd = Command{
	Name:   "answer",
	Button: "q",
	Keys:   []locale.Key{"usage_answer", "consult_recorded", "consult_recorded_multi", "consult_write_now", "consult_none_chosen"},
	Run: func(ctx context.Context, c *Call) error {
		parts := strings.SplitN(c.Line, ":", 3)
		if len(parts) != 3 {
			c.usage()
			return nil
		}
		c.ID = parts[0] // what the refusals name
		id, err1 := strconv.ParseInt(parts[0], 10, 64)
		q, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return &cases.Refusal{Reason: cases.ConsultNotFound, ID: parts[0]}
		}
		value := parts[2]
		n := strconv.Itoa(q + 1)
		if value == "t" { // the words come in the next message
			c.say(c.t("consult_write_now", "n", n))
			c.result.Await = "answer " + parts[0] + ":" + parts[1] + ":="
			return nil
		}
		value = strings.TrimPrefix(value, "=")
		cq, ans, err := c.reg.svc.AnswerConsult(ctx, c.Actor, id, q, value)
		if err != nil {
			return err
		}
		qu := cq.Questions[q]
		switch qu.Kind {
		case consult.Multi:
			var chosen []string
			for _, i := range ans.Choices[q] {
				chosen = append(chosen, qu.Options[i])
			}
			if len(chosen) == 0 {
				c.say(c.t("consult_none_chosen", "n", n))
			} else {
				c.say(c.t("consult_recorded_multi", "n", n, "value", strings.Join(chosen, "、")))
			}
		case consult.Text:
			c.say(c.t("consult_recorded", "n", n, "value", concern.Excerpt(ans.Texts[q], 40)))
		case consult.Rating:
			c.say(c.t("consult_recorded", "n", n, "value", strconv.Itoa(ans.Choices[q][0]+1)))
		default:
			c.say(c.t("consult_recorded", "n", n, "value", qu.Options[ans.Choices[q][0]]))
		}
		return nil
	},
}

// /consult list|show N|send N|close N|results N|outcome N TEXT: the office's
// consultations (made with minyi consult create --file), sent, followed and
// closed with what came of them.
var consultCmd = Command{
	Name:  "consult",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_consult"}},
	Keys: []locale.Key{"usage_consult", "consult_list_none", "consult_list_line", "consult_sent", "consult_linked", "consult_new_bad", "consult_made", "consult_closed_now", "consult_outcome_sent",
		"consult_result_head", "consult_result_q", "consult_result_option", "consult_result_mean", "consult_result_text", "consult_state_draft", "consult_state_open", "consult_state_closed"},
	Run: func(ctx context.Context, c *Call) error {
		// VERB, VERB N, or VERB N TEXT (the outcome's words, spaces and all)
		var words []string
		for n := 3; n >= 1 && words == nil; n-- {
			words, _ = splitWords(c.Line, n)
		}
		if len(words) == 0 {
			c.usage()
			return nil
		}
		svc := c.reg.svc
		if words[0] == "new" { // the YAML pasted after it, as the file would hold it
			_, plan, _ := strings.Cut(strings.TrimSpace(c.Line), "new")
			parsed, err := consult.Parse([]byte(strings.TrimSpace(plan)), c.reg.loc)
			if err != nil {
				c.say(c.t("consult_new_bad", "why", err.Error()))
				return nil
			}
			made, err := svc.CreateConsult(ctx, c.Actor, parsed)
			if err != nil {
				return err
			}
			c.say(c.t("consult_made", "n", strconv.FormatInt(made.ID, 10), "title", made.Title, "opens", c.when(made.Opens)))
			return nil
		}
		if words[0] == "list" {
			list, err := svc.Consults(ctx, c.Actor)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				c.say(c.t("consult_list_none"))
				return nil
			}
			var lines []string
			for _, x := range list[:min(30, len(list))] {
				lines = append(lines, c.t("consult_list_line", "n", strconv.FormatInt(x.ID, 10), "title", x.Title,
					"state", c.t(locale.Key("consult_state_"+string(x.State))), "closes", c.when(x.Closes), "invited", strconv.Itoa(x.Invited)))
			}
			c.say(strings.Join(lines, "\n"))
			return nil
		}
		if len(words) < 2 {
			c.usage()
			return nil
		}
		c.ID = words[1] // what the refusals name
		id, err := strconv.ParseInt(words[1], 10, 64)
		if err != nil || id < 1 {
			return &cases.Refusal{Reason: cases.ConsultNotFound, ID: words[1]}
		}
		switch words[0] {
		case "send":
			n, err := svc.SendConsult(ctx, c.Actor, id)
			if err != nil {
				return err
			}
			c.say(c.t("consult_sent", "n", words[1], "invited", strconv.Itoa(n)))
		case "link":
			var infoID int64
			if len(words) > 2 {
				infoID, _ = strconv.ParseInt(strings.TrimSpace(words[2]), 10, 64)
			}
			if infoID < 1 {
				c.usage()
				return nil
			}
			if _, err := svc.LinkConsult(ctx, c.Actor, id, infoID); err != nil {
				return err
			}
			c.say(c.t("consult_linked", "n", words[1], "info", strconv.FormatInt(infoID, 10)))
		case "close":
			if _, err := svc.CloseConsult(ctx, c.Actor, id); err != nil {
				return err
			}
			c.say(c.t("consult_closed_now", "n", words[1]))
		case "outcome":
			text := ""
			if len(words) > 2 {
				text = words[2]
			}
			n, err := svc.ConsultOutcome(ctx, c.Actor, id, text)
			if err != nil {
				return err
			}
			c.say(c.t("consult_outcome_sent", "n", words[1], "told", strconv.Itoa(n)))
		case "show", "results":
			cq, tallies, people, err := svc.ConsultResults(ctx, c.Actor, id)
			if err != nil {
				return err
			}
			c.sayLong(consultResults(c, cq, tallies, people))
		default:
			c.usage()
		}
		return nil
	},
}

// consultResults words a consultation's results for a chat: counts and shares,
// a rating's mean, free text grouped (masked).
func consultResults(c *Call, cq *consult.Consultation, tallies []consult.Tally, people int) string {
	lines := []string{c.t("consult_result_head", "n", strconv.FormatInt(cq.ID, 10), "title", cq.Title,
		"state", c.t(locale.Key("consult_state_"+string(cq.State))), "invited", strconv.Itoa(cq.Invited), "people", strconv.Itoa(people))}
	for i, t := range tallies {
		lines = append(lines, "", c.t("consult_result_q", "n", strconv.Itoa(i+1), "text", t.Question.Text, "answered", strconv.Itoa(t.Answered)))
		labels := t.Question.Options
		if t.Question.Kind == consult.Rating {
			labels = []string{"1", "2", "3", "4", "5"}
		}
		for j, n := range t.Counts {
			share := "—"
			if t.Shares != nil {
				share = strconv.FormatFloat(t.Shares[j]*100, 'f', 1, 64) + "%"
			}
			lines = append(lines, c.t("consult_result_option", "option", labels[j], "n", strconv.Itoa(n), "share", share))
		}
		if t.Mean != nil {
			lines = append(lines, c.t("consult_result_mean", "mean", strconv.FormatFloat(*t.Mean, 'f', 2, 64)))
		}
		for _, g := range t.Groups[:min(10, len(t.Groups))] {
			lines = append(lines, c.t("consult_result_text", "n", strconv.Itoa(g.N), "text", concern.Excerpt(g.Answers[0], 60)))
		}
	}
	return strings.Join(lines, "\n")
}
