package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// /show 编号: a concern in full, for staff.
var show = Command{
	Name:  "show",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_show"}},
	Menu:  "menu_cmd_show",
	Keys: []locale.Key{"usage_show", "anonymous", "card_head", "card_received", "card_filed", "card_forgotten", "card_reporter",
		"card_place", "card_tags", "mine_untagged", "card_urgent", "card_ack", "card_sensitive", "card_late", "card_deadline",
		"card_unit", "card_dup", "card_text", "card_photos", "card_rating", "card_history", "card_custom"},
	Run: func(ctx context.Context, c *Call) error {
		if !c.oneID() {
			return nil
		}
		r, err := c.reg.svc.Show(ctx, c.Actor, c.ID)
		if err != nil {
			return err
		}
		c.say(c.card(r), c.cardButtons(r)...)
		return nil
	},
}

// card renders a whole concern for staff.
func (c *Call) card(r *concern.Report) string {
	t := c.t
	lines := []string{t("card_head", "id", r.ID, "status", r.Status.Label(c.Lang))}
	lines = append(lines, t("card_received", "at", c.when(r.ReceivedAt), "channel", r.Channel))
	switch {
	case r.FiledBy != 0:
		resident := t("anonymous")
		if r.ResidentName != "" {
			resident = r.ResidentName
		}
		if r.ResidentPhone != "" {
			resident += " " + r.ResidentPhone
		}
		lines = append(lines, t("card_filed", "worker", r.FiledByName, "id", strconv.FormatInt(r.FiledBy, 10),
			"capacity", t(locale.Key("capacity_"+string(r.Capacity))), "resident", resident, "heard", t(locale.Key("heard_"+r.HeardWhen))))
	case r.Forgotten:
		lines = append(lines, t("card_forgotten"))
	case r.ReporterID == 0:
		lines = append(lines, t("card_reporter", "who", t("anonymous")))
	default:
		who := r.ReporterName + "（" + strconv.FormatInt(r.ReporterID, 10) + "）"
		if r.Phone != "" {
			who += " " + r.Phone
		}
		lines = append(lines, t("card_reporter", "who", who))
	}
	place := r.Place()
	lines = append(lines, t("card_place", "place", orDash(strings.Join(place, " / "))))
	for _, f := range r.Custom { // the office's own questions, each under its label
		lines = append(lines, t("card_custom", "label", f.Label.In(c.Lang), "value", orDash(f.Value)))
	}
	tags := t("mine_untagged")
	if r.Topic != "" {
		tags = strings.TrimSuffix(r.Sector+" / "+r.Topic+" / "+r.Subtopic, " / ")
	}
	lines = append(lines, t("card_tags", "tags", tags, "by", r.Classifier, "confidence", strconv.FormatFloat(r.Confidence, 'f', 2, 64), "reason", r.Reason))
	if r.Urgent {
		lines = append(lines, t("card_urgent", "reason", r.UrgentReason))
		if r.Ack != nil {
			lines = append(lines, t("card_ack", "by", strconv.FormatInt(r.Ack.By, 10), "at", c.when(r.Ack.At), "after", c.duration(r.Ack.After)))
		}
	}
	if r.Sensitive {
		lines = append(lines, t("card_sensitive", "reason", r.SensitiveReason))
	}
	if !r.Deadline.IsZero() {
		late := ""
		if !r.Status.Finished() && c.In.Time.After(r.Deadline) {
			late = t("card_late")
		}
		lines = append(lines, t("card_deadline", "level", r.Level.Label(c.Lang), "deadline", c.when(r.Deadline), "late", late))
	}
	if r.Unit != "" {
		lines = append(lines, t("card_unit", "unit", r.Unit))
	}
	if r.DuplicateOf != "" {
		lines = append(lines, t("card_dup", "other", r.DuplicateOf))
	}
	lines = append(lines, t("card_text", "text", r.Text))
	if len(r.Photos) > 0 {
		lines = append(lines, t("card_photos", "n", strconv.Itoa(len(r.Photos))))
	}
	if r.Rating != "" {
		lines = append(lines, t("card_rating", "rating", r.Rating.Label(c.Lang)))
	}
	lines = append(lines, t("card_history"))
	for _, h := range r.History {
		line := "  " + c.when(h.At) + " " + h.Status.Label(c.Lang)
		if h.By != "" {
			line += " · " + h.ByLabel(c.Lang)
		}
		if text := h.Text(c.Lang); text != "" {
			line += " · " + text
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
