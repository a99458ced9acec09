package flows

import (
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// event renders news from outside the conversation; a draft in progress is left as it was.
func (r *run) event(e *Event) {
	switch e.Type {
	case EventStatus:
		key := locale.Key("event_status")
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
		key := locale.Key("alert")
		switch {
		case e.AdminsOnly:
			key = "alert_admins"
		case e.ByModel:
			key = "alert_model"
		}
		r.say(head+r.t(key, "id", e.Concern, "again", again, "excerpt", e.Excerpt, "reason", e.Reason, "place", orDash(e.Place)), ack)
	case EventAdvice:
		key := locale.Key("urgent_later")
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
	case EventReply:
		key := locale.Key("event_reply")
		if e.Filed {
			key = "event_reply_filed"
		}
		r.say(r.t(key, "id", e.Concern, "excerpt", e.Excerpt, "note", e.Note))
	case EventReported:
		key := locale.Key("event_reported_" + e.Info)
		if !r.m.cat.Has(key) {
			key = "event_reported_sent"
		}
		r.say(r.t(key, "id", e.Concern, "excerpt", e.Excerpt))
	case EventConsult:
		if e.Consult != nil {
			r.consultInvitation(e.Consult)
		}
	case EventOutcome:
		if e.Consult != nil {
			r.say(r.t("consult_outcome_event", "title", e.Consult.Title, "outcome", e.Consult.Outcome),
				[]Button{{Label: r.t("consult_leave"), Data: "u:yes"}})
		}
	case EventDigest:
		// the digest command reads the period from the event
		if r.m.commands != nil {
			r.effect = &Effect{Kind: EffectCommand, Command: "digest"}
		}
	case EventRole:
		if e.Member.Role == "" || e.Member.Role == concern.RoleResident {
			r.say(r.t("event_role_revoked"))
			return
		}
		r.say(r.t("event_role", "role", e.Member.Role.Label(r.lang)))
	}
}

// consultInvitation asks a chat the committee's questions: what it is about and
// until when, then each question with its buttons (an option, a rating, or
// writing one's view), and on the first message the button that leaves. A
// consultation of one question is one message: a thousand residents wait the
// less under Telegram's limits.
func (r *run) consultInvitation(c *Consult) {
	closes := c.Closes.In(r.m.loc).Format("2006-01-02 15:04")
	head := r.t("consult_invite", "title", c.Title, "closes", closes)
	if c.Intro != "" {
		head += "\n" + c.Intro
	}
	head += "\n" + r.t("consult_invite_foot")
	leave := []Button{{Label: r.t("consult_leave"), Data: "u:yes"}}
	id := strconv.FormatInt(c.ID, 10)
	type question struct {
		text string
		rows [][]Button
	}
	var qs []question
	for i, q := range c.Ask {
		at := "q:" + id + ":" + strconv.Itoa(i) + ":"
		n := strconv.Itoa(i + 1)
		switch q.Kind {
		case "single", "multi":
			var rows [][]Button
			for j, o := range q.Options {
				b := Button{Label: o, Data: at + strconv.Itoa(j)}
				if j%2 == 0 {
					rows = append(rows, []Button{b})
				} else {
					rows[len(rows)-1] = append(rows[len(rows)-1], b)
				}
			}
			key := locale.Key("consult_q_single")
			if q.Kind == "multi" {
				key = "consult_q_multi"
			}
			qs = append(qs, question{r.t(key, "n", n, "text", q.Text), rows})
		case "rating":
			var row []Button
			for v := 1; v <= 5; v++ {
				row = append(row, Button{Label: strconv.Itoa(v), Data: at + strconv.Itoa(v)})
			}
			qs = append(qs, question{r.t("consult_q_rating", "n", n, "text", q.Text), [][]Button{row}})
		default:
			qs = append(qs, question{r.t("consult_q_text", "n", n, "text", q.Text), [][]Button{{{Label: r.t("consult_write"), Data: at + "t"}}}})
		}
	}
	if len(qs) == 1 {
		r.say(head+"\n\n"+qs[0].text, append(qs[0].rows, leave)...)
		return
	}
	r.say(head, leave)
	for _, q := range qs {
		r.say(q.text, q.rows...)
	}
}
