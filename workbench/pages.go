package workbench

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/locale"
)

// pageSize is how many concerns a page of the list holds.
const pageSize = 20

// keys are the catalog messages the workbench words itself with (the
// templates name the rest of theirs, which the tests render).
var keys = []locale.Key{"web_signin_title", "web_signin_needed", "web_failed_title", "web_bad_csrf", "web_not_found",
	"web_done", "web_dashboard", "web_list", "web_detail"}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	// a GET changes nothing: link previews and scanners that open the link do not use it up
	s.render(w, http.StatusOK, "signin", page{Lang: "zh", Title: s.cat.Render("zh", "web_signin_title"),
		Data: r.URL.Query().Get("code")})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("code")
	ses, err := s.svc.SignIn(r.Context(), code, "web:signin:"+newToken())
	if _, refused := cases.AsRefusal(err); refused || code == "" {
		s.render(w, http.StatusUnauthorized, "message", page{Lang: "zh", Title: s.cat.Render("zh", "web_signin_title"),
			Message: s.cat.Render("zh", "link_invalid")})
		return
	}
	if err != nil {
		s.log.Warn("workbench: sign-in failed", "err", err)
		s.failed(w, r, "zh")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: ses.Cookie, Path: "/staff/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure, MaxAge: int(cases.SessionIdle / time.Second)})
	s.log.Info("workbench: signed in", "user", ses.User)
	http.Redirect(w, r, "/staff/", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, v)
		return
	}
	if c, err := r.Cookie(cookieName); err == nil {
		s.svc.SignOut(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/staff/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure})
	http.Redirect(w, r, "/staff/signin", http.StatusSeeOther)
}

func (s *Server) badCSRF(w http.ResponseWriter, v visit) {
	s.render(w, http.StatusForbidden, "message", page{Lang: v.actor.Lang, Actor: v.actor, Title: s.cat.Render(v.actor.Lang, "web_detail"),
		Message: s.cat.Render(v.actor.Lang, "web_bad_csrf")})
}

// tile is one count of the dashboard, linking to its list.
type tile struct {
	Label string
	N     int
	Link  string
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	now := s.now().In(s.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	var tiles []tile
	for _, c := range []struct {
		key  locale.Key
		q    cases.ListQuery
		link string
	}{
		{"web_today", cases.ListQuery{AnyStatus: true, From: today}, "status=all&since=today"},
		{"web_received", cases.ListQuery{Statuses: []concern.Status{concern.StatusReceived}}, "status=received"},
		{"web_in_progress", cases.ListQuery{Statuses: []concern.Status{concern.StatusInProgress, concern.StatusTransferred, concern.StatusAccepted}}, "status=handling"},
		{"web_overdue", cases.ListQuery{Overdue: true}, "overdue=1"},
		{"web_urgent", cases.ListQuery{Urgent: true}, "urgent=1"},
	} {
		res, err := s.svc.List(r.Context(), v.actor, c.q)
		if err != nil {
			s.listFailed(w, r, v, err)
			return
		}
		tiles = append(tiles, tile{Label: s.cat.Render(lang, c.key), N: res.Total, Link: "/staff/concerns?" + c.link})
	}
	s.render(w, http.StatusOK, "dashboard", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_dashboard"), Data: tiles})
}

func (s *Server) listFailed(w http.ResponseWriter, r *http.Request, v visit, err error) {
	if ref, ok := cases.AsRefusal(err); ok {
		code := http.StatusForbidden
		if ref.Reason == cases.ListUnavailable {
			code = http.StatusServiceUnavailable
		}
		if isAPI(r) {
			writeJSON(w, code, map[string]string{"error": s.cat.Render("en", locale.Key(ref.Reason))})
			return
		}
		s.render(w, code, "message", page{Lang: v.actor.Lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(v.actor.Lang, "web_list"),
			Message: s.cat.Render(v.actor.Lang, locale.Key(ref.Reason))})
		return
	}
	s.log.Warn("workbench: list failed", "err", err)
	s.failed(w, r, v.actor.Lang)
}

// filter is a list's query as the form and the URL hold it.
type filter struct {
	Status, Community, Q, Since string
	Overdue, Urgent             bool
	Page                        int
}

func (s *Server) filterOf(r *http.Request) (filter, cases.ListQuery) {
	u := r.URL.Query()
	f := filter{Status: u.Get("status"), Community: strings.TrimSpace(u.Get("community")), Q: strings.TrimSpace(u.Get("q")),
		Since: u.Get("since"), Overdue: u.Get("overdue") == "1", Urgent: u.Get("urgent") == "1"}
	f.Page, _ = strconv.Atoi(u.Get("page"))
	f.Page = min(max(f.Page, 1), 100000)
	q := cases.ListQuery{Community: f.Community, Text: f.Q, Overdue: f.Overdue, Urgent: f.Urgent, Offset: (f.Page - 1) * pageSize, Limit: pageSize}
	switch f.Status {
	case "", "running":
		f.Status = ""
	case "all":
		q.AnyStatus = true
	case "handling":
		q.Statuses = []concern.Status{concern.StatusAccepted, concern.StatusTransferred, concern.StatusInProgress}
	default:
		if st, ok := concern.ParseStatus(f.Status); ok {
			q.Statuses, f.Status = []concern.Status{st}, string(st)
		} else {
			f.Status = ""
		}
	}
	if f.Since == "today" {
		now := s.now().In(s.loc)
		q.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	} else {
		f.Since = ""
	}
	return f, q
}

// link is the list's URL for f at page n.
func (f filter) link(n int) string {
	u := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "community": f.Community, "q": f.Q, "since": f.Since} {
		if v != "" {
			u.Set(k, v)
		}
	}
	if f.Overdue {
		u.Set("overdue", "1")
	}
	if f.Urgent {
		u.Set("urgent", "1")
	}
	if n > 1 {
		u.Set("page", strconv.Itoa(n))
	}
	return "/staff/concerns?" + u.Encode()
}

// listing is the list page's data.
type listing struct {
	Filter     filter
	Reports    []concern.Report
	Total      int
	Pages      int
	Prev, Next string
	Statuses   []concern.Status
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, v visit) {
	f, q := s.filterOf(r)
	res, err := s.svc.List(r.Context(), v.actor, q)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	l := listing{Filter: f, Reports: res.Reports, Total: res.Total, Pages: max(1, (res.Total+pageSize-1)/pageSize), Statuses: concern.Statuses}
	if f.Page > 1 {
		l.Prev = f.link(f.Page - 1)
	}
	if f.Page < l.Pages {
		l.Next = f.link(f.Page + 1)
	}
	lang := v.actor.Lang
	s.render(w, http.StatusOK, "list", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_list"), Data: l})
}

// details is the concern page's data.
type details struct {
	Report  *concern.Report
	History []historyLine
	Audit   []concern.AuditEntry
	Units   []string
	Staff   bool
	Levels  []concern.Level
	Next    []concern.Status
}

type historyLine struct{ At, Status, By, Text string }

func (s *Server) detail(w http.ResponseWriter, r *http.Request, v visit) {
	s.showDetail(w, r, v, http.StatusOK, "", r.URL.Query().Get("done") != "")
}

func (s *Server) showDetail(w http.ResponseWriter, r *http.Request, v visit, code int, problem string, done bool) {
	lang, id := v.actor.Lang, r.PathValue("id")
	rep, err := s.svc.Show(r.Context(), v.actor, id)
	if err != nil {
		s.concernFailed(w, r, v, err)
		return
	}
	d := details{Report: rep, Units: s.units, Staff: v.actor.Staff(), Levels: concern.Levels, Next: rep.Status.Next()}
	for _, h := range rep.History {
		d.History = append(d.History, historyLine{At: s.when(h.At), Status: h.Status.Label(lang), By: h.ByLabel(lang), Text: h.Text(lang)})
	}
	if d.Staff {
		if d.Audit, err = s.svc.Audit(r.Context(), v.actor, id); err != nil {
			s.concernFailed(w, r, v, err)
			return
		}
	}
	p := page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Request: newToken(), Title: s.cat.Render(lang, "web_detail") + " " + rep.ID,
		Error: problem, Data: d}
	if done {
		p.Message = s.cat.Render(lang, "web_done")
	}
	s.render(w, code, "detail", p)
}

// concernFailed answers a concern that may not be read: not there (or
// sensitive, which is not said to who may not see it) 404, not for the role 403.
func (s *Server) concernFailed(w http.ResponseWriter, r *http.Request, v visit, err error) {
	lang := v.actor.Lang
	ref, ok := cases.AsRefusal(err)
	if !ok {
		s.log.Warn("workbench: concern not read", "err", err)
		s.failed(w, r, lang)
		return
	}
	code, msg := http.StatusNotFound, s.cat.Render(lang, "web_not_found", "id", r.PathValue("id"))
	if ref.Reason == cases.NotAllowed {
		code, msg = http.StatusForbidden, s.cat.Render(lang, "not_allowed")
	}
	if isAPI(r) {
		writeJSON(w, code, map[string]string{"error": s.cat.Render("en", locale.Key(ref.Reason), "id", r.PathValue("id"))})
		return
	}
	s.render(w, code, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_detail"), Message: msg})
}

// change carries out one action from a concern's page; the form's request id
// makes a form sent twice change it once.
func (s *Server) change(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, v)
		return
	}
	id, a := r.PathValue("id"), v.actor
	if req := r.PostFormValue("req"); req != "" && len(req) <= 64 {
		a.Request = "web:" + strconv.FormatInt(a.UserID, 10) + ":" + req
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	var err error
	switch r.PathValue("action") {
	case "accept":
		_, err = s.svc.SetStatus(r.Context(), a, id, concern.StatusAccepted, "")
	case "assign":
		_, err = s.svc.Assign(r.Context(), a, id, cmpOr(text, r.PostFormValue("unit")))
	case "status":
		_, err = s.svc.SetStatus(r.Context(), a, id, concern.Status(r.PostFormValue("status")), text)
	case "dup":
		_, err = s.svc.LinkDuplicate(r.Context(), a, id, strings.TrimSpace(r.PostFormValue("other")))
	case "level":
		_, err = s.svc.SetLevel(r.Context(), a, id, concern.Level(r.PostFormValue("level")))
	case "note":
		_, err = s.svc.AddNote(r.Context(), a, id, text)
	case "reply":
		_, err = s.svc.ReplyToReporter(r.Context(), a, id, text)
	default:
		http.NotFound(w, r)
		return
	}
	var ref *cases.Refusal
	switch {
	case errors.As(err, &ref) && (ref.Reason == cases.NotAllowed || ref.Reason == cases.NotFound || ref.Reason == cases.Restricted):
		s.concernFailed(w, r, v, err)
	case errors.As(err, &ref):
		// shown on the concern's page, in the reader's language, as the chat says it
		s.showDetail(w, r, v, http.StatusConflict, s.refusal(v.actor.Lang, id, ref), false)
	case err != nil:
		s.log.Warn("workbench: action failed", "action", r.PathValue("action"), "concern", id, "err", err)
		s.failed(w, r, v.actor.Lang)
	default:
		http.Redirect(w, r, "/staff/concerns/"+url.PathEscape(id)+"?done=1", http.StatusSeeOther)
	}
}

// refusal words why the service changed nothing, as the chat's commands do.
func (s *Server) refusal(lang, id string, r *cases.Refusal) string {
	statuses := make([]string, 0, len(r.Allowed))
	for _, st := range r.Allowed {
		statuses = append(statuses, st.Label(lang))
	}
	status := r.Value
	if r.Status != "" {
		status = r.Status.Label(lang)
	}
	return s.cat.Render(lang, locale.Key(r.Reason), "id", cmpOr(r.ID, id), "other", r.Other, "status", status, "level", r.Value,
		"code", r.Value, "from", r.From.Label(lang), "to", r.To.Label(lang), "allowed", strings.Join(statuses, s.cat.Render(lang, "list_sep")))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
