package workbench

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/export"
	"github.com/minyi-project/minyi/locale"
)

// consultKeys are the catalog messages the consultation pages word themselves with in Go.
var consultKeys = []locale.Key{"web_consults", "web_consult_sent", "consult_state_draft", "consult_state_open", "consult_state_closed"}

// consultView is a consultation's page: where it stands and its results.
type consultView struct {
	C       *consult.Consultation
	State   string
	Tallies []consult.Tally
	People  int
	Open    bool
}

// consultList is 征求意见: the office's consultations, newest first.
func (s *Server) consultList(w http.ResponseWriter, r *http.Request, v visit) {
	list, err := s.svc.Consults(r.Context(), v.actor)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	lang := v.actor.Lang
	var views []consultView
	for _, c := range list {
		views = append(views, consultView{C: c, State: s.cat.Render(lang, locale.Key("consult_state_"+string(c.State)))})
	}
	s.render(w, r, http.StatusOK, "consults", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_consults"), Data: views})
}

func consultID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// consultPage is one consultation: its questions with counts and shares, a
// rating's mean, free-text answers grouped (masked), and what staff may do.
func (s *Server) consultPage(w http.ResponseWriter, r *http.Request, v visit) {
	id, ok := consultID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	c, tallies, people, err := s.svc.ConsultResults(r.Context(), v.actor, id)
	if err != nil {
		s.consultFailed(w, r, v, err)
		return
	}
	lang := v.actor.Lang
	p := page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: c.Title,
		Data: consultView{C: c, State: s.cat.Render(lang, locale.Key("consult_state_"+string(c.State))), Tallies: tallies, People: people,
			Open: c.State != consult.Closed}}
	if n := r.URL.Query().Get("sent"); n != "" {
		p.Message = s.cat.Render(lang, "web_consult_sent", "n", n)
	}
	s.render(w, r, http.StatusOK, "consult", p)
}

// consultFile is a consultation's results as CSV or XLSX (masked).
func (s *Server) consultFile(w http.ResponseWriter, r *http.Request, v visit) {
	id, ok := consultID(r)
	format := r.PathValue("format")
	if !ok || (format != "csv" && format != "xlsx") {
		http.NotFound(w, r)
		return
	}
	_, tallies, _, err := s.svc.ConsultResults(r.Context(), v.actor, id)
	if err != nil {
		s.consultFailed(w, r, v, err)
		return
	}
	var b bytes.Buffer
	if err := export.WriteConsult(&b, format, tallies, v.actor.Lang); err != nil {
		s.log.Warn("workbench: consultation results not written", "err", err)
		s.failed(w, r, v.actor.Lang)
		return
	}
	name := "minyi-consult-" + strconv.FormatInt(id, 10) + "." + format
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Write(b.Bytes())
}

// consultAction sends, closes, or tells the participants what came of it.
func (s *Server) consultAction(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	id, ok := consultID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctx, a := r.Context(), v.actor
	next := "/staff/consults/" + strconv.FormatInt(id, 10)
	var err error
	switch r.PathValue("action") {
	case "send":
		var n int
		n, err = s.svc.SendConsult(ctx, a, id)
		next += "?sent=" + strconv.Itoa(n)
	case "close":
		_, err = s.svc.CloseConsult(ctx, a, id)
	case "outcome":
		_, err = s.svc.ConsultOutcome(ctx, a, id, strings.TrimSpace(r.PostFormValue("text")))
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.consultFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// consultNew makes a consultation from the YAML staff paste (as minyi consult
// create --file reads it), as a draft to send.
func (s *Server) consultNew(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	lang := v.actor.Lang
	plan, err := consult.Parse([]byte(r.PostFormValue("plan")), s.loc)
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_consults"),
			Message: s.cat.Render(lang, "web_consult_bad", "why", err.Error()), Data: "/staff/consults"})
		return
	}
	c, err := s.svc.CreateConsult(r.Context(), v.actor, plan)
	if err != nil {
		s.consultFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/staff/consults/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// consultFailed answers a refusal: 404 for one not there (or not the actor's),
// 403 for whoever may not, 409 for a step the consultation is not ready for.
func (s *Server) consultFailed(w http.ResponseWriter, r *http.Request, v visit, err error) {
	ref, ok := cases.AsRefusal(err)
	if !ok {
		s.listFailed(w, r, v, err)
		return
	}
	code := http.StatusConflict
	switch ref.Reason {
	case cases.ConsultNotFound:
		code = http.StatusNotFound
	case cases.NotAllowed, cases.ConsultCommunity:
		code = http.StatusForbidden
	}
	lang := v.actor.Lang
	s.render(w, r, code, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_consults"),
		Message: s.refusal(lang, "", ref)})
}
