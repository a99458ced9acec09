package workbench

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/export"
)

// exporting is the export page's data.
type exporting struct {
	Filter  filter
	Options options
	Admin   bool
	Limit   int
}

// exportPage is 导出: the list's filter, and CSV or XLSX of what it selects.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, v visit) {
	lang := v.actor.Lang
	if !v.actor.Staff() {
		s.forbidden(w, r, v, "web_export")
		return
	}
	f, _ := s.filterOf(r, lang)
	s.render(w, r, http.StatusOK, "export", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_export"),
		Error: joinProblems(f.Problems), Data: exporting{Filter: f, Options: s.options(), Admin: v.actor.Role == concern.RoleAdmin, Limit: s.svc.ExportLimit()}})
}

// export writes every concern the filter selects as CSV or XLSX, masked as the
// office's exports are (no names, phones, accounts or addresses; sensitive texts
// withheld; internal notes left out); the service audits it with the filter.
func (s *Server) export(w http.ResponseWriter, r *http.Request, v visit) {
	format := r.PathValue("format")
	if format != "csv" && format != "xlsx" {
		http.NotFound(w, r)
		return
	}
	lang := v.actor.Lang
	f, q := s.filterOf(r, lang)
	if len(f.Problems) > 0 {
		s.render(w, r, http.StatusBadRequest, "message", page{Lang: lang, Actor: v.actor, CSRF: v.csrf, Title: s.cat.Render(lang, "web_export"),
			Error: joinProblems(f.Problems)})
		return
	}
	reports, err := s.svc.Export(r.Context(), v.actor, q, format+" "+f.describe())
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	var b bytes.Buffer
	if err := export.Write(&b, format, reports, export.Options{Location: s.loc}); err != nil {
		s.log.Warn("workbench: export not written", "format", format, "err", err)
		s.failed(w, r, lang)
		return
	}
	kind := "text/csv; charset=utf-8"
	if format == "xlsx" {
		kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	name := "minyi-" + s.now().In(s.loc).Format("20060102-1504") + "-" + strconv.Itoa(len(reports)) + "." + format
	h := w.Header()
	h.Set("Content-Type", kind)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(b.Bytes())
}
