package workbench

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/period"
)

// digestView is the digest page's data.
type digestView struct {
	Period   string // as typed: today, 2026-11-25, 7d, 2026-11-01..2026-11-15
	From, To string // the period's first and last days
	Body     template.HTML
	Brief    string // the printable brief's link
	Workbook string // the workbook's link
	// Groups are its 共性问题, each with 起草信息 when the member may.
	Groups []groupLink
}

// periodOf reads the digest's period: from and to dates, or the period as /digest takes it.
func (s *Server) periodOf(r *http.Request, lang string) (string, period.Period, string) {
	u := r.URL.Query()
	typed := strings.TrimSpace(u.Get("period"))
	if from, to := strings.TrimSpace(u.Get("from")), strings.TrimSpace(u.Get("to")); from != "" {
		typed = from
		if to != "" && to != from {
			typed = from + ".." + to
		}
	}
	p, err := period.Parse(typed, s.now(), s.loc)
	if err != nil {
		return typed, period.Period{}, s.periodProblem(lang, err)
	}
	return typed, p, ""
}

// periodProblem words what period.Parse refused, as /digest does.
func (s *Server) periodProblem(lang string, err error) string {
	var perr *period.Error
	if !errors.As(err, &perr) {
		return err.Error()
	}
	return s.cat.Render(lang, locale.Key("period_"+string(perr.Problem)), "input", perr.Input, "max", strconv.Itoa(period.MaxDays))
}

// digestPage is 日报: the digest of any period, in the page, with its files.
func (s *Server) digestPage(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	typed, p, problem := s.periodOf(r, lang)
	view := digestView{Period: typed}
	if problem != "" {
		s.render(w, r, http.StatusBadRequest, "digest", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_digest"),
			Error: problem, Data: view})
		return
	}
	d, err := s.svc.Digest(r.Context(), v.actor, cases.DigestRequest{Period: p})
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	view.From, view.To = d.From, d.To
	// the digest's own HTML, as the chat gets it: our markup, the residents' words
	// masked and escaped by the digest
	view.Body = template.HTML(strings.Join(d.Telegram(lang, s.loc), "\n"))
	q := url.Values{"from": {d.From}, "to": {d.To}}.Encode()
	view.Brief, view.Workbook = "/staff/digest/brief.html?"+q, "/staff/digest/workbook.xlsx?"+q
	if infoDesk(v.actor) {
		view.Groups = s.digestGroups(lang, p, d.Groups)
	}
	s.render(w, r, http.StatusOK, "digest", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_digest"), Data: view})
}

// digestFile is one of a digest's files: the printable brief or the workbook.
func (s *Server) digestFile(w http.ResponseWriter, r *http.Request, v visit) {
	file := r.PathValue("file")
	if file != "brief.html" && file != "workbook.xlsx" {
		http.NotFound(w, r)
		return
	}
	lang := v.actor.Lang
	_, p, problem := s.periodOf(r, lang)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	d, err := s.svc.Digest(r.Context(), v.actor, cases.DigestRequest{Period: p})
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	name := "minyi-" + p.String()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if file == "brief.html" {
		// its own styles and inline charts; nothing else, not even from here
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
		h.Set("Content-Disposition", `inline; filename="`+name+`.html"`)
		w.Write(d.HTML(lang, s.loc))
		return
	}
	book, err := d.XLSX(lang, s.loc)
	if err != nil {
		s.log.Warn("workbench: digest workbook not made", "err", err)
		s.failed(w, r, lang)
		return
	}
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	w.Write(book)
}
