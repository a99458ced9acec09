package workbench

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/period"
)

// infoKeys are the catalog messages the 信息 pages word themselves with in Go.
var infoKeys = []locale.Key{"web_info", "web_info_item", "web_info_made", "web_info_compose_failed", "web_info_told",
	"web_info_not_found", "web_info_review_tile", "web_info_lag_days", "dur_minutes", "dur_hours"}

// infoDesk says whether the 信息 links are shown to a: the office's staff and
// admins. Only for the links: the case service decides who may.
func infoDesk(a cases.Actor) bool {
	return a.Staff() && (a.Role == concern.RoleAdmin || a.Community == "")
}

// infoID reads the {id} of /staff/info/{id}: a positive number, else none.
func infoID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// pathInfo reads the item /staff/info/{id} names, as the actor may see it; when
// it may not (or the id is none), it answers the refusal and reports false.
func (s *Server) pathInfo(w http.ResponseWriter, r *http.Request, v visit) (*info.Item, bool) {
	id, ok := infoID(r)
	if !ok {
		s.infoFailed(w, r, v, &cases.Refusal{Reason: cases.InfoNotFound, ID: r.PathValue("id")})
		return nil, false
	}
	it, err := s.svc.Info(r.Context(), v.actor, id)
	if err != nil {
		s.infoFailed(w, r, v, err)
		return nil, false
	}
	return it, true
}

// infoRow is one line of the list.
type infoRow struct {
	ID                 int64
	Issue, Title       string
	State              info.State
	StateLabel         string
	Urgent             bool
	Concerns           int
	Lag, Created, Sent string
}

// infoListing is the list page's data.
type infoListing struct {
	Rows   []infoRow
	State  info.State // the state the list shows, empty for all
	States []stateLink
}

type stateLink struct {
	Label, Link string
	Current     bool
}

// lag words the time from the first concern to 报送: minutes, hours and
// minutes, then days and hours.
func (s *Server) lag(lang string, d time.Duration) string {
	if d <= 0 {
		return ""
	}
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return s.cat.Render(lang, "dur_minutes", "n", strconv.Itoa(m))
	case m < 24*60:
		return s.cat.Render(lang, "dur_hours", "h", strconv.Itoa(m/60), "m", strconv.Itoa(m%60))
	}
	h := int(d.Round(time.Hour) / time.Hour)
	return s.cat.Render(lang, "web_info_lag_days", "d", strconv.Itoa(h/24), "h", strconv.Itoa(h%24))
}

// infoList is GET /staff/info[?state=review]: the 信息 the case service lets
// the member see, newest first.
func (s *Server) infoList(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	items, err := s.svc.Infos(r.Context(), v.actor)
	if err != nil {
		s.infoFailed(w, r, v, err)
		return
	}
	l := infoListing{State: info.State(r.URL.Query().Get("state"))}
	if !slices.Contains(info.States, l.State) {
		l.State = ""
	}
	l.States = append(l.States, stateLink{Label: s.cat.Render(lang, "web_info_all"), Link: "/staff/info", Current: l.State == ""})
	for _, st := range info.States {
		l.States = append(l.States, stateLink{Label: st.Label(lang), Link: "/staff/info?state=" + string(st), Current: l.State == st})
	}
	for _, it := range items {
		if l.State != "" && it.State != l.State {
			continue
		}
		row := infoRow{ID: it.ID, Issue: it.Issue(lang), Title: it.Title, State: it.State, StateLabel: it.State.Label(lang),
			Urgent: it.Urgent, Concerns: len(it.Concerns), Lag: s.lag(lang, it.Lag()), Created: s.when(it.Created)}
		if !it.SentAt.IsZero() {
			row.Sent = s.when(it.SentAt)
		}
		l.Rows = append(l.Rows, row)
	}
	s.render(w, r, http.StatusOK, "infos", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_info"), Data: l})
}

// infoView is an item's page data.
type infoView struct {
	Item       *info.Item
	Issue      string
	StateLabel string
	Situation  string
	Warnings   []string
	History    []historyLine
	Audit      []concern.AuditEntry
	Lag        string
	QuoteIDs   string // the concerns the quotes come from, to edit them
	Request    string
	// what the member may do now, as the states allow (the service decides again)
	Editable, Submit, Return, Sign, Send, Feedback, Tell bool
	Outcomes                                             []info.State
	Docx, HTML                                           string
}

// infoPage is GET /staff/info/{id}.
func (s *Server) infoPage(w http.ResponseWriter, r *http.Request, v visit) {
	q := r.URL.Query()
	msg := ""
	switch {
	case q.Get("new") != "":
		msg = s.cat.Render(v.actor.Lang, "web_info_made", "n", r.PathValue("id"))
	case q.Get("told") != "":
		n, _ := strconv.Atoi(q.Get("told"))
		msg = s.cat.Render(v.actor.Lang, "web_info_told", "n", strconv.Itoa(max(n, 0)))
	case q.Get("done") != "":
		msg = s.cat.Render(v.actor.Lang, "web_done")
	}
	s.showInfo(w, r, v, http.StatusOK, msg, "")
}

func (s *Server) showInfo(w http.ResponseWriter, r *http.Request, v visit, code int, msg, problem string) {
	lang := v.actor.Lang
	it, ok := s.pathInfo(w, r, v)
	if !ok {
		return
	}
	id := it.ID
	trail, err := s.svc.InfoAudit(r.Context(), v.actor, id)
	if err != nil {
		s.infoFailed(w, r, v, err)
		return
	}
	admin := v.actor.Role == concern.RoleAdmin
	d := infoView{Item: it, Issue: it.Issue(lang), StateLabel: it.State.Label(lang), Situation: it.Situation(lang, s.loc),
		Audit: trail, Lag: s.lag(lang, it.Lag()), Request: newToken(), Editable: it.Editable(),
		Submit: info.CanMove(it.State, info.Review, admin) == nil, Return: info.CanMove(it.State, info.Draft, admin) == nil,
		Sign: admin && info.CanMove(it.State, info.Signed, admin) == nil, Send: info.CanMove(it.State, info.Sent, admin) == nil,
		Feedback: it.State == info.Sent, Tell: it.State == info.Sent || it.Feedback != nil, Outcomes: info.Outcomes}
	for _, wn := range it.Warnings() {
		d.Warnings = append(d.Warnings, it.Warn(lang, wn))
	}
	for _, h := range it.History {
		by := ""
		if h.By != 0 {
			by = strconv.FormatInt(h.By, 10)
		}
		d.History = append(d.History, historyLine{At: s.when(h.At), Status: h.State.Label(lang), By: by, Text: h.Note})
	}
	var ids []string
	for _, qt := range it.Quotes {
		ids = append(ids, qt.Concern)
	}
	d.QuoteIDs = strings.Join(ids, " ")
	base := "/staff/info/" + strconv.FormatInt(id, 10)
	d.Docx, d.HTML = base+"/docx", base+"/html"
	title := s.cat.Render(lang, "web_info_item", "n", strconv.FormatInt(id, 10))
	s.render(w, r, code, "info", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: title, Message: msg, Error: problem, Data: d})
}

// infoFailed answers what the case service refused to show: not for the role
// (grid workers; a community's staff, in the service's words) 403, an item
// not there or not the member's to see 404.
func (s *Server) infoFailed(w http.ResponseWriter, r *http.Request, v visit, err error) {
	lang := v.actor.Lang
	ref, ok := cases.AsRefusal(err)
	if !ok {
		s.log.Warn("workbench: 信息 not read", "err", err)
		s.failed(w, r, lang)
		return
	}
	code := http.StatusConflict
	msg, en := s.refusal(lang, r.PathValue("id"), ref), s.refusal("en", r.PathValue("id"), ref)
	switch ref.Reason {
	case cases.NotAllowed, cases.InfoOffice, cases.InfoSignAdmin:
		code = http.StatusForbidden
	case cases.InfoNotFound:
		code = http.StatusNotFound
		msg, en = s.cat.Render(lang, "web_info_not_found", "id", ref.ID), s.cat.Render("en", "web_info_not_found", "id", ref.ID)
	case cases.DigestUnavailable:
		code = http.StatusServiceUnavailable
	}
	if isAPI(r) {
		writeJSON(w, code, map[string]string{"error": en})
		return
	}
	s.render(w, r, code, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_info"), Message: msg})
}

// infoFile is GET /staff/info/{id}/docx or /html: the item as a Word document
// or a printable page, as the chat's /info doc sends them.
func (s *Server) infoFile(w http.ResponseWriter, r *http.Request, v visit) {
	file := r.PathValue("file")
	if file != "docx" && file != "html" {
		http.NotFound(w, r)
		return
	}
	it, ok := s.pathInfo(w, r, v)
	if !ok {
		return
	}
	id, lang := it.ID, v.actor.Lang
	name := fmt.Sprintf("minyi-info-%d", id)
	if it.Number > 0 {
		name = fmt.Sprintf("minyi-info-%d-%03d", it.Year, it.Number)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if file == "html" {
		page, err := it.HTML(lang, s.now(), s.loc)
		if err != nil {
			s.log.Warn("workbench: 信息 page not made", "info", id, "err", err)
			s.failed(w, r, lang)
			return
		}
		// its own styles only: nothing from elsewhere, not even from here
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("Content-Disposition", `inline; filename="`+name+`.html"`)
		w.Write(page)
		return
	}
	doc, err := it.Document(lang, s.now(), s.loc).Bytes()
	if err != nil {
		s.log.Warn("workbench: 信息 document not made", "info", id, "err", err)
		s.failed(w, r, lang)
		return
	}
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.docx"`)
	w.Write(doc)
}

// infoNew is POST /staff/info/new: an item drafted from a concern (id) or a
// 共性问题 group of a digest (group, PERIOD#N), from the buttons 起草信息.
func (s *Server) infoNew(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	r.ParseForm()
	back := backTo(r.PostFormValue("back"), "/staff/", "/staff/info")
	var from cases.InfoFrom
	var err error
	if g := strings.TrimSpace(r.PostFormValue("group")); g != "" {
		from, err = groupFrom(g)
	} else {
		from, err = cases.ParseInfoFrom(strings.Join(r.PostForm["id"], " "))
	}
	if err != nil {
		s.composeFailed(w, r, v, err, back)
		return
	}
	s.compose(w, r, v, from, back)
}

// groupFrom reads a 共性问题 group's key: DAY#N as the chat takes it, or
// FROM..TO#N for a group of a longer period's digest, which the service
// rebuilds the same way.
func groupFrom(key string) (cases.InfoFrom, error) {
	if from, err := cases.ParseInfoFrom(key); err == nil {
		return from, nil
	}
	bad := &cases.Refusal{Reason: cases.InfoBadFrom, Value: key}
	days, n, ok := strings.Cut(key, "#")
	a, b, ranged := strings.Cut(days, "..")
	if !ok || !ranged {
		return cases.InfoFrom{}, bad
	}
	for _, d := range []string{a, b} {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return cases.InfoFrom{}, bad
		}
	}
	if k, err := strconv.Atoi(n); err != nil || k < 1 {
		return cases.InfoFrom{}, bad
	}
	return cases.InfoFrom{Group: key}, nil
}

// compose drafts the item through the case service and opens it.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, v visit, from cases.InfoFrom, back string) {
	a := v.actor
	if req := r.PostFormValue("req"); req != "" && len(req) <= 64 {
		a.Request = "web:" + strconv.FormatInt(a.UserID, 10) + ":" + req
	}
	d, err := s.svc.ComposeInfo(r.Context(), a, from)
	if err != nil && d.Item == nil {
		s.composeFailed(w, r, v, err, back)
		return
	}
	if err != nil {
		// drafted and stored; only its audit line failed, which the log keeps
		s.log.Warn("workbench: 信息 drafted, not audited", "info", d.Item.ID, "err", err)
	}
	http.Redirect(w, r, "/staff/info/"+strconv.FormatInt(d.Item.ID, 10)+"?new=1", http.StatusSeeOther)
}

// composeFailed says why no item was drafted, with the way back.
func (s *Server) composeFailed(w http.ResponseWriter, r *http.Request, v visit, err error, back string) {
	lang := v.actor.Lang
	ref, ok := cases.AsRefusal(err)
	if !ok {
		s.log.Warn("workbench: 信息 not drafted", "err", err)
		s.failed(w, r, lang)
		return
	}
	code := http.StatusConflict
	switch ref.Reason {
	case cases.NotAllowed, cases.InfoOffice:
		code = http.StatusForbidden
	case cases.DigestUnavailable:
		code = http.StatusServiceUnavailable
	}
	s.render(w, r, code, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_info_compose_failed"),
		Error: s.refusal(lang, ref.ID, ref), Data: back})
}

// infoAction is POST /staff/info/{id}/{action}: one step of the item, through
// the case service; a refused one is said on the item's page.
func (s *Server) infoAction(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	id, ok := infoID(r)
	if !ok {
		s.infoFailed(w, r, v, &cases.Refusal{Reason: cases.InfoNotFound, ID: r.PathValue("id")})
		return
	}
	a := v.actor
	if req := r.PostFormValue("req"); req != "" && len(req) <= 64 {
		// the form sent twice: the audit and the concerns' histories get it once
		a.Request = "web:" + strconv.FormatInt(a.UserID, 10) + ":" + req
	}
	ctx, text := r.Context(), strings.TrimSpace(r.PostFormValue("text"))
	next := "/staff/info/" + strconv.FormatInt(id, 10) + "?done=1"
	var err error
	switch r.PathValue("action") {
	case "edit":
		_, err = s.svc.EditInfo(ctx, a, id, r.PostFormValue("field"), r.PostFormValue("value"))
	case "submit":
		_, err = s.svc.SubmitInfo(ctx, a, id)
	case "return":
		_, err = s.svc.ReturnInfo(ctx, a, id, text)
	case "sign":
		_, err = s.svc.SignInfo(ctx, a, id)
	case "send":
		_, err = s.svc.SendInfo(ctx, a, id, r.PostFormValue("to"))
	case "feedback":
		outcome, ok := info.ParseOutcome(r.PostFormValue("outcome"))
		if !ok {
			err = &cases.Refusal{Reason: cases.InfoBadOutcome, Value: r.PostFormValue("outcome")}
			break
		}
		_, err = s.svc.InfoFeedback(ctx, a, id, outcome, text, r.PostFormValue("by"))
	case "tell":
		var n int
		n, err = s.svc.TellInfo(ctx, a, id)
		next = "/staff/info/" + strconv.FormatInt(id, 10) + "?told=" + strconv.Itoa(n)
	default:
		http.NotFound(w, r)
		return
	}
	var ref *cases.Refusal
	switch {
	case errors.As(err, &ref) && ref.Reason == cases.InfoBadMove && ref.InfoFrom == ref.InfoTo:
		// already where the form would move it: the same form sent again
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.As(err, &ref) && (ref.Reason == cases.NotAllowed || ref.Reason == cases.InfoOffice || ref.Reason == cases.InfoNotFound):
		s.infoFailed(w, r, v, err)
	case errors.As(err, &ref):
		code := http.StatusConflict
		if ref.Reason == cases.InfoSignAdmin {
			code = http.StatusForbidden
		}
		// said on the item's page, in the reader's language, as the chat says it
		s.showInfo(w, r, v, code, "", s.refusal(v.actor.Lang, strconv.FormatInt(id, 10), ref))
	case err != nil:
		s.log.Warn("workbench: 信息 action failed", "action", r.PathValue("action"), "info", id, "err", err)
		s.failed(w, r, v.actor.Lang)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// groupLink is a 共性问题 group of the digest page, with the key that drafts
// an item from it.
type groupLink struct {
	Key, Line, Excerpt string
}

// digestGroups are the digest's 共性问题 with their keys (PERIOD#N, as the
// digest's 待研判线索 name them).
func (s *Server) digestGroups(lang string, p period.Period, groups []digest.Group) []groupLink {
	none := s.cat.Render(lang, "none")
	out := make([]groupLink, 0, len(groups))
	for i, g := range groups {
		key := p.String() + "#" + strconv.Itoa(i+1)
		out = append(out, groupLink{Key: key, Excerpt: g.Excerpt,
			Line: s.cat.Render(lang, "web_info_group_line", "key", key, "n", strconv.Itoa(g.Count), "community", cmpOr(g.Community, none),
				"topic", cmpOr(g.Topic, none))})
	}
	return out
}
