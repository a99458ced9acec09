package workbench

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/info"
)

// concernJSON is a concern in the JSON API, as staff see it.
type concernJSON struct {
	ID         string         `json:"id"`
	ReceivedAt time.Time      `json:"received_at"`
	Status     concern.Status `json:"status"`
	Label      string         `json:"status_label"`
	Level      concern.Level  `json:"level,omitempty"`
	Deadline   *time.Time     `json:"deadline,omitempty"`
	Community  string         `json:"community,omitempty"`
	Grid       string         `json:"grid,omitempty"`
	Sector     string         `json:"sector,omitempty"`
	Topic      string         `json:"topic,omitempty"`
	Unit       string         `json:"unit,omitempty"`
	Urgent     bool           `json:"urgent,omitempty"`
	Sensitive  bool           `json:"sensitive,omitempty"`
	Channel    string         `json:"channel"`
	// Text is masked in lists; a concern read by id is in full, as its page is.
	Text    string        `json:"text"`
	History []historyJSON `json:"history,omitempty"`
}

type historyJSON struct {
	At     time.Time      `json:"at"`
	Status concern.Status `json:"status"`
	By     string         `json:"by,omitempty"`
	Text   string         `json:"text,omitempty"`
}

func toJSON(r *concern.Report, lang string, full bool) concernJSON {
	c := concernJSON{ID: r.ID, ReceivedAt: r.ReceivedAt, Status: r.Status, Label: r.Status.Label(lang), Level: r.Level,
		Community: r.Community, Grid: r.Grid, Sector: r.Sector, Topic: r.Topic, Unit: r.Unit, Urgent: r.Urgent,
		Sensitive: r.Sensitive, Channel: r.Channel, Text: r.MaskedText()}
	if !r.Deadline.IsZero() {
		c.Deadline = &r.Deadline
	}
	if full {
		c.Text = r.Text
		for _, h := range r.History {
			c.History = append(c.History, historyJSON{At: h.At, Status: h.Status, By: h.ByLabel(lang), Text: h.Text(lang)})
		}
	}
	return c
}

// apiList is GET /staff/api/v1/concerns?status=&community=&q=&overdue=1&urgent=1&page=.
func (s *Server) apiList(w http.ResponseWriter, r *http.Request, v visit) {
	f, q := s.filterOf(r, v.actor.Lang)
	if len(f.Problems) > 0 {
		fe, _ := s.filterOf(r, "en")
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": joinProblems(fe.Problems)})
		return
	}
	res, err := s.svc.List(r.Context(), v.actor, q)
	if err != nil {
		s.listFailed(w, r, v, err)
		return
	}
	out := struct {
		Total    int           `json:"total"`
		Page     int           `json:"page"`
		PageSize int           `json:"page_size"`
		Concerns []concernJSON `json:"concerns"`
	}{Total: res.Total, Page: f.Page, PageSize: pageSize, Concerns: []concernJSON{}}
	for i := range res.Reports {
		out.Concerns = append(out.Concerns, toJSON(&res.Reports[i], v.actor.Lang, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiConcern is GET /staff/api/v1/concerns/{id}.
func (s *Server) apiConcern(w http.ResponseWriter, r *http.Request, v visit) {
	rep, err := s.svc.Show(r.Context(), v.actor, r.PathValue("id"))
	if err != nil {
		s.concernFailed(w, r, v, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(rep, v.actor.Lang, true))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// infoSummary is a 信息 in the JSON API's list.
type infoSummary struct {
	ID         int64      `json:"id"`
	Issue      string     `json:"issue,omitempty"`
	Title      string     `json:"title"`
	State      info.State `json:"state"`
	StateLabel string     `json:"state_label"`
	Urgent     bool       `json:"urgent,omitempty"`
	Concerns   int        `json:"concerns"`
	Created    time.Time  `json:"created"`
	SentTo     string     `json:"sent_to,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	// LagS is the seconds from the first concern to 报送, once sent.
	LagS int64 `json:"lag_s,omitempty"`
}

func infoSummaryOf(it *info.Item, lang string) infoSummary {
	out := infoSummary{ID: it.ID, Issue: it.Issue(lang), Title: it.Title, State: it.State, StateLabel: it.State.Label(lang),
		Urgent: it.Urgent, Concerns: len(it.Concerns), Created: it.Created, SentTo: it.SentTo, LagS: int64(it.Lag() / time.Second)}
	if !it.SentAt.IsZero() {
		out.SentAt = &it.SentAt
	}
	return out
}

// infoJSON is one 信息 in the JSON API: the stored item, with its state, issue,
// 基本情况 and warnings worded in the member's language.
type infoJSON struct {
	*info.Item
	StateLabel string   `json:"state_label"`
	Issue      string   `json:"issue,omitempty"`
	Situation  string   `json:"situation"`
	Warnings   []string `json:"warnings,omitempty"`
	LagS       int64    `json:"lag_s,omitempty"`
}

// apiInfos is GET /staff/api/v1/info: the 信息 the member may see, newest first.
func (s *Server) apiInfos(w http.ResponseWriter, r *http.Request, v visit) {
	items, err := s.svc.Infos(r.Context(), v.actor)
	if err != nil {
		s.infoFailed(w, r, v, err)
		return
	}
	out := struct {
		Total int           `json:"total"`
		Items []infoSummary `json:"items"`
	}{Total: len(items), Items: []infoSummary{}}
	for _, it := range items {
		out.Items = append(out.Items, infoSummaryOf(it, v.actor.Lang))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiInfo is GET /staff/api/v1/info/{id}.
func (s *Server) apiInfo(w http.ResponseWriter, r *http.Request, v visit) {
	it, ok := s.pathInfo(w, r, v)
	if !ok {
		return
	}
	lang := v.actor.Lang
	out := infoJSON{Item: it, StateLabel: it.State.Label(lang), Issue: it.Issue(lang), Situation: it.Situation(lang, s.loc),
		LagS: int64(it.Lag() / time.Second)}
	for _, wn := range it.Warnings() {
		out.Warnings = append(out.Warnings, it.Warn(lang, wn))
	}
	writeJSON(w, http.StatusOK, out)
}
