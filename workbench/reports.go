package workbench

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/locale"
)

// reportKeys are the catalog messages the 综合分析 pages word themselves with in Go.
var reportKeys = []locale.Key{"web_reports", "web_report_issued", "web_report_so_far", "archive_kind_digest", "archive_kind_report", "rp_issue"}

// reportsView is the 综合分析与存档 page's data.
type reportsView struct {
	Period string // as typed
	Title  string
	Body   template.HTML
	// Files link the report's files; Ended says it may be issued.
	Files   map[string]string
	Ended   bool
	Issued  string // the issue it was just given
	Archive []archiveRow
}

// archiveRow is one issued digest or report.
type archiveRow struct {
	ID               int64
	Kind, Period     string
	Issue, When      string
	HTML, XLSX, DOCX string
}

// reportsPage is 综合分析: a month's, quarter's or year's analysis in the page
// with its files, a button that issues one that has ended, and the archive of
// everything issued.
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	title := s.cat.Render(lang, "web_reports")
	list, err := s.svc.Archive(r.Context(), v.actor, "")
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	view := reportsView{Period: strings.TrimSpace(r.URL.Query().Get("period"))}
	for _, e := range list {
		row := archiveRow{ID: e.ID, Kind: s.cat.Render(lang, locale.Key("archive_kind_"+e.Kind)), Period: e.Period,
			Issue: s.cat.Render(lang, "rp_issue", "year", strconv.Itoa(e.Year), "n", strconv.Itoa(e.Number)),
			When:  e.Issued.In(s.loc).Format("2006-01-02 15:04")}
		base := "/staff/archive/" + strconv.FormatInt(e.ID, 10) + "/"
		row.HTML, row.XLSX = base+"html", base+"xlsx"
		if e.Kind == cases.ArchiveReport {
			row.DOCX = base + "docx"
		}
		view.Archive = append(view.Archive, row)
	}
	p := page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: title}
	if n := r.URL.Query().Get("issued"); n != "" {
		p.Message = s.cat.Render(lang, "web_report_issued", "issue", n)
	}
	if _, ok := r.URL.Query()["period"]; ok {
		sp, err := s.svc.ParseSpan(view.Period)
		if err != nil {
			s.reportRefused(w, r, v, p, view, err)
			return
		}
		rep, err := s.svc.Report(r.Context(), v.actor, sp, false)
		if err != nil {
			s.reportRefused(w, r, v, p, view, err)
			return
		}
		view.Period, view.Title = sp.String(), rep.Title(lang)
		view.Body = template.HTML(rep.Body(lang, s.loc)) // escaped by the report
		q := url.Values{"period": {sp.String()}}.Encode()
		view.Files = map[string]string{"html": "/staff/reports/file/html?" + q, "xlsx": "/staff/reports/file/xlsx?" + q, "docx": "/staff/reports/file/docx?" + q}
		view.Ended = !sp.End().After(s.now())
		if !view.Ended {
			p.Message = s.cat.Render(lang, "web_report_so_far", "span", sp.Title(lang))
		}
	}
	p.Data = view
	s.render(w, r, http.StatusOK, "reports", p)
}

// reportRefused shows the page with what the case service refused, as a bad request.
func (s *Server) reportRefused(w http.ResponseWriter, r *http.Request, v visit, p page, view reportsView, err error) {
	ref, ok := cases.AsRefusal(err)
	if !ok || ref.Reason == cases.NotAllowed || ref.Reason == cases.DigestWholeOffice {
		s.listFailed(w, r, v, err)
		return
	}
	p.Error, p.Data = s.refusal(v.actor.Lang, "", ref), view
	s.render(w, r, http.StatusBadRequest, "reports", p)
}

// reportIssue issues a span that has ended: archived with its number.
func (s *Server) reportIssue(w http.ResponseWriter, r *http.Request, v visit) {
	if !checkCSRF(r, v) {
		s.badCSRF(w, r, v)
		return
	}
	sp, err := s.svc.ParseSpan(r.PostFormValue("period"))
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	if sp.End().After(s.now()) {
		http.Redirect(w, r, "/staff/reports?"+url.Values{"period": {sp.String()}}.Encode(), http.StatusSeeOther)
		return
	}
	rep, err := s.svc.Report(r.Context(), v.actor, sp, true)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/staff/reports?"+url.Values{"period": {sp.String()}, "issued": {rep.Issue(v.actor.Lang)}}.Encode(), http.StatusSeeOther)
}

// reportFile is a span's report as a file (not issued: what it says now).
func (s *Server) reportFile(w http.ResponseWriter, r *http.Request, v visit) {
	format := r.PathValue("format")
	if format != "html" && format != "xlsx" && format != "docx" {
		http.NotFound(w, r)
		return
	}
	sp, err := s.svc.ParseSpan(r.URL.Query().Get("period"))
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	rep, err := s.svc.Report(r.Context(), v.actor, sp, false)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	lang := v.actor.Lang
	var data []byte
	switch format {
	case "html":
		data = rep.HTML(lang, s.loc)
	case "xlsx":
		data, err = rep.XLSX(lang, s.loc)
	case "docx":
		data, err = rep.Document(lang, s.loc).Bytes()
	}
	if err != nil {
		s.log.Warn("workbench: report file not made", "err", err)
		s.failed(w, r, lang)
		return
	}
	s.sendFile(w, "minyi-report-"+sp.String()+"."+format, data)
}

// archiveFile is an issued digest's or report's file, as it was issued.
func (s *Server) archiveFile(w http.ResponseWriter, r *http.Request, v visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	format := r.PathValue("format")
	if err != nil || id < 1 || (format != "html" && format != "xlsx" && format != "docx") {
		http.NotFound(w, r)
		return
	}
	_, files, err := s.svc.Archived(r.Context(), v.actor, id, v.actor.Lang)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	for _, f := range files {
		if strings.HasSuffix(f.Name, "."+format) {
			s.sendFile(w, f.Name, f.Data)
			return
		}
	}
	http.NotFound(w, r)
}

// sendFile hands over a file: a page inline with nothing from elsewhere, the rest as attachments.
func (s *Server) sendFile(w http.ResponseWriter, name string, data []byte) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case strings.HasSuffix(name, ".html"):
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
		h.Set("Content-Disposition", `inline; filename="`+name+`"`)
	case strings.HasSuffix(name, ".xlsx"):
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	default:
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	w.Write(data)
}

// apiReport is a span's report as JSON (not issued).
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request, v visit) {
	sp, err := s.svc.ParseSpan(r.URL.Query().Get("period"))
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	rep, err := s.svc.Report(r.Context(), v.actor, sp, false)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// apiArchive lists what was issued.
func (s *Server) apiArchive(w http.ResponseWriter, r *http.Request, v visit) {
	list, err := s.svc.Archive(r.Context(), v.actor, r.URL.Query().Get("kind"))
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(list), "items": list})
}
