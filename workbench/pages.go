package workbench

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
)

// pageSize is how many concerns a page of the list holds.
const pageSize = 20

// keys are the catalog messages the workbench words itself with (the
// templates name the rest of theirs, which the tests render).
var keys = []locale.Key{"web_signin_title", "web_signin_needed", "web_failed_title", "web_bad_csrf", "web_not_found",
	"web_done", "web_dashboard", "web_list", "web_detail", "web_today", "web_received", "web_in_progress", "web_overdue", "web_unacked",
	"web_bulk", "web_bulk_none", "web_bulk_too_many", "web_bulk_no_original", "web_bulk_no_action", "web_photo_failed", "web_export",
	"web_digest", "not_allowed", "empty_text", "command_failed", "link_invalid", "list_sep", "none"}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	// a GET changes nothing: link previews and scanners that open the link do not use it up
	s.render(w, r, http.StatusOK, "signin", page{Lang: "zh", Title: s.cat.Render("zh", "web_signin_title"),
		Data: r.URL.Query().Get("code")})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("code")
	ses, err := s.svc.SignIn(r.Context(), code, "web:signin:"+newToken())
	if _, refused := cases.AsRefusal(err); refused || code == "" {
		s.render(w, r, http.StatusUnauthorized, "message", page{Lang: "zh", Title: s.cat.Render("zh", "web_signin_title"),
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
		s.badCSRF(w, r, v)
		return
	}
	if c, err := r.Cookie(cookieName); err == nil {
		s.svc.SignOut(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/staff/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure})
	http.Redirect(w, r, "/staff/signin", http.StatusSeeOther)
}

func (s *Server) badCSRF(w http.ResponseWriter, r *http.Request, v visit) {
	s.render(w, r, http.StatusForbidden, "message", page{Lang: v.actor.Lang, Actor: v.actor, Title: s.cat.Render(v.actor.Lang, "web_detail"),
		Message: s.cat.Render(v.actor.Lang, "web_bad_csrf")})
}

// tile is one count of the dashboard, linking to its list.
type tile struct {
	Label string
	N     int
	Link  string
	Alarm bool // shown red when not 0
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	now := s.now().In(s.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.loc)
	var tiles []tile
	for _, c := range []struct {
		key   locale.Key
		q     cases.ListQuery
		link  string
		alarm bool
	}{
		{"web_today", cases.ListQuery{AnyStatus: true, From: today}, "status=all&since=today", false},
		{"web_received", cases.ListQuery{Statuses: []concern.Status{concern.StatusReceived}}, "status=received", false},
		{"web_in_progress", cases.ListQuery{Statuses: []concern.Status{concern.StatusInProgress, concern.StatusTransferred, concern.StatusAccepted}}, "status=handling", false},
		{"web_overdue", cases.ListQuery{Overdue: true}, "overdue=1&sort=due", true},
		{"web_unacked", cases.ListQuery{Unacked: true, AnyStatus: true}, "status=all&unacked=1", true},
	} {
		res, err := s.svc.List(r.Context(), v.actor, c.q)
		if err != nil {
			s.listFailed(w, r, v, err)
			return
		}
		tiles = append(tiles, tile{Label: s.cat.Render(lang, c.key), N: res.Total, Link: "/staff/concerns?" + c.link, Alarm: c.alarm})
	}
	if infoDesk(v.actor) {
		// 待审核信息: the office has some hundreds a year, read in one go
		if items, err := s.svc.Infos(r.Context(), v.actor); err == nil {
			n := 0
			for _, it := range items {
				if it.State == info.Review {
					n++
				}
			}
			tiles = append(tiles, tile{Label: s.cat.Render(lang, "web_info_review_tile"), N: n, Link: "/staff/info?state=" + string(info.Review)})
		} else if _, refused := cases.AsRefusal(err); !refused {
			s.log.Warn("workbench: 信息 not counted", "err", err)
		}
	}
	s.render(w, r, http.StatusOK, "dashboard", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_dashboard"), Data: tiles})
}

func (s *Server) listFailed(w http.ResponseWriter, r *http.Request, v visit, err error) {
	if ref, ok := cases.AsRefusal(err); ok {
		code := http.StatusBadRequest
		switch ref.Reason {
		case cases.ListUnavailable, cases.DigestUnavailable:
			code = http.StatusServiceUnavailable
		case cases.NotAllowed, cases.AdminsOnly, cases.DigestWholeOffice, cases.ReportIssueAdmin, cases.ConsultCommunity:
			code = http.StatusForbidden
		case cases.ArchiveNotFound:
			code = http.StatusNotFound
		}
		if isAPI(r) {
			writeJSON(w, code, map[string]string{"error": s.refusal("en", "", ref)})
			return
		}
		s.render(w, r, code, "message", page{Lang: v.actor.Lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(v.actor.Lang, "web_list"),
			Message: s.refusal(v.actor.Lang, "", ref)})
		return
	}
	s.log.Warn("workbench: list failed", "err", err)
	s.failed(w, r, v.actor.Lang)
}

// listing is the list page's data.
type listing struct {
	Filter     filter
	Reports    []concern.Report
	Total      int
	Pages      int
	Prev, Next string
	Options    options
	Units      []string
	Staff      bool
	Admin      bool
	Request    string
	Info       bool // the bulk form may draft a 信息
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, v visit) {
	f, q := s.filterOf(r, v.actor.Lang)
	if id := strings.TrimSpace(f.Q); concern.ValidID(id) {
		// a concern's number in the search box: its page
		http.Redirect(w, r, "/staff/concerns/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	res, err := s.svc.List(r.Context(), v.actor, q)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	l := listing{Filter: f, Reports: res.Reports, Total: res.Total, Pages: max(1, (res.Total+pageSize-1)/pageSize), Options: s.options(),
		Units: s.units, Staff: v.actor.Staff(), Admin: v.actor.Role == concern.RoleAdmin, Request: newToken(),
		Info: infoDesk(v.actor)}
	if f.Page > 1 {
		l.Prev = f.link(f.Page - 1)
	}
	if f.Page < l.Pages {
		l.Next = f.link(f.Page + 1)
	}
	lang := v.actor.Lang
	s.render(w, r, http.StatusOK, "list", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_list"),
		Error: joinProblems(f.Problems), Data: l})
}

// setLang keeps the language a member chose, and goes back where they were.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	lang := r.PostFormValue("lang")
	if lang != "en" {
		lang = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/staff/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, backTo(r.PostFormValue("back"), "/staff/", "/staff/"), http.StatusSeeOther)
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
	// Photos are the links to the concern's photos, served through the workbench.
	Photos []string
	// Map is a geo: link to the shared point, which a phone opens in its map
	// (made of two numbers here, so safe as a URL).
	Map template.URL
	// Ack says the urgent alert waits for someone to acknowledge it.
	Ack bool
	// Info offers 起草信息 from this concern.
	Info bool
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
	d := details{Report: rep, Units: s.units, Staff: v.actor.Staff(), Levels: concern.Levels, Next: rep.Status.Next(),
		Ack: rep.Urgent && rep.Ack == nil && v.actor.Staff(), Info: infoDesk(v.actor)}
	for n := range rep.Photos {
		d.Photos = append(d.Photos, "/staff/concerns/"+url.PathEscape(rep.ID)+"/photos/"+strconv.Itoa(n+1))
	}
	if l := rep.Location; l != nil {
		d.Map = template.URL("geo:" + strconv.FormatFloat(l.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(l.Lon, 'f', 6, 64))
	}
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
	s.render(w, r, code, "detail", p)
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
	s.render(w, r, code, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_detail"), Message: msg})
}

// change carries out one action from a concern's page; the form's request id
// makes a form sent twice change it once.
func (s *Server) change(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
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
	case "ack":
		err = s.svc.Ack(r.Context(), a, id)
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
	return s.cat.Render(lang, locale.Key(r.Reason), r.Args(lang, id, s.cat.Render(lang, "list_sep"), s.cat.Render(lang, "none"))...)
}

// backTo is where a form goes back to: back when it is a path under prefix (only
// ever into the workbench, never elsewhere), else fallback.
func backTo(back, prefix, fallback string) string {
	if !strings.HasPrefix(back, prefix) || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		return fallback
	}
	return back
}

// forbidden answers a member whose role may not use a page.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, v visit, title locale.Key) {
	lang := v.actor.Lang
	s.render(w, r, http.StatusForbidden, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, title),
		Message: s.cat.Render(lang, "not_allowed")})
}

func joinProblems(p []string) string { return strings.Join(p, " ") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
