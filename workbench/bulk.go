package workbench

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
)

// maxBulk is the most concerns one bulk action takes: a page of the list.
const maxBulk = 100

// outcome is what a bulk action did to one concern.
type outcome struct {
	ID, Problem string
}

// bulkResult is the page after a bulk action.
type bulkResult struct {
	Done, Refused []outcome
	Back          string
}

// bulk assigns the concerns ticked on the list to one unit, or marks them
// duplicates of one concern: each through the service, as if done one by one,
// each with its own request id so that the form sent twice changes nothing more.
// Or it drafts one 信息 from them all (生成信息).
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	lang := v.actor.Lang
	if !v.actor.Staff() {
		s.forbidden(w, r, v, "web_bulk")
		return
	}
	r.ParseForm()
	var ids []string
	for _, id := range r.PostForm["id"] {
		if id = strings.TrimSpace(id); concern.ValidID(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	action, req := r.PostFormValue("action"), r.PostFormValue("req")
	unit := strings.TrimSpace(cmpOr(r.PostFormValue("text"), r.PostFormValue("unit")))
	other := strings.TrimSpace(r.PostFormValue("other"))
	problem := ""
	switch {
	case len(ids) == 0:
		problem = s.cat.Render(lang, "web_bulk_none")
	case len(ids) > maxBulk:
		problem = s.cat.Render(lang, "web_bulk_too_many", "max", strconv.Itoa(maxBulk))
	case action == "assign" && unit == "":
		problem = s.cat.Render(lang, "empty_text")
	case action == "dup" && !concern.ValidID(other):
		problem = s.cat.Render(lang, "web_bulk_no_original")
	case action != "assign" && action != "dup" && action != "info":
		problem = s.cat.Render(lang, "web_bulk_no_action")
	}
	back := backTo(r.PostFormValue("back"), "/staff/concerns", "/staff/concerns")
	if problem != "" {
		s.render(w, r, http.StatusBadRequest, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_bulk"),
			Error: problem, Data: back})
		return
	}
	if action == "info" {
		// one item from them all, not one per concern
		s.compose(w, r, v, cases.InfoFrom{Concerns: ids}, back)
		return
	}
	res := bulkResult{Back: back}
	for _, id := range ids {
		a := v.actor
		if req != "" && len(req) <= 64 {
			a.Request = "web:" + strconv.FormatInt(a.UserID, 10) + ":" + req + ":" + id
		}
		var err error
		if action == "assign" {
			_, err = s.svc.Assign(r.Context(), a, id, unit)
		} else {
			_, err = s.svc.LinkDuplicate(r.Context(), a, id, other)
		}
		if ref, ok := cases.AsRefusal(err); ok {
			res.Refused = append(res.Refused, outcome{ID: id, Problem: s.refusal(lang, id, ref)})
			continue
		}
		if err != nil {
			s.log.Warn("workbench: bulk action failed", "action", action, "concern", id, "err", err)
			res.Refused = append(res.Refused, outcome{ID: id, Problem: s.cat.Render(lang, "command_failed")})
			continue
		}
		res.Done = append(res.Done, outcome{ID: id})
	}
	code := http.StatusOK
	if len(res.Done) == 0 {
		code = http.StatusConflict
	}
	s.render(w, r, code, "bulk", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_bulk"), Data: res})
}
