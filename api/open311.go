package api

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/store"
)

// Open311 GeoReport v2, read only: topics are the services; each concern is a
// service request with its masked text as the description. See
// https://wiki.open311.org/GeoReport_v2/.

// maxRange is the longest period one requests query may cover, as the spec has it.
const maxRange = 90 * 24 * time.Hour

// pageSize is how many requests one answer holds unless page_size asks for fewer
// (an extension: the spec has no paging). Pages run from 1 to maxPage: far more
// than any window holds, and small enough that no product of the two overflows.
const (
	pageSize    = 200
	maxPageSize = 1000
	maxPage     = 100000
)

type service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type serviceRequest struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	Requested         string   `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string   `json:"updated_datetime" xml:"updated_datetime"`
	Expected          string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
}

type open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// format is the answer's format, from the requested file's extension.
func format(file string) (name, ext string, ok bool) {
	if name, ok := strings.CutSuffix(file, ".json"); ok {
		return name, "json", true
	}
	if name, ok := strings.CutSuffix(file, ".xml"); ok {
		return name, "xml", true
	}
	return file, "json", false
}

// open311 serves services.{json,xml} and requests.{json,xml}.
func (a *API) open311(w http.ResponseWriter, r *http.Request) {
	name, ext, ok := format(r.PathValue("file"))
	if !ok || (name != "services" && name != "requests") {
		a.o311Error(w, ext, http.StatusNotFound, "no such resource: try services.json, services.xml, requests.json or requests.xml")
		return
	}
	if !a.o311Allowed(w, r, ext) {
		return
	}
	if name == "services" {
		a.services(w, ext)
		return
	}
	a.requests(w, r, ext)
}

// open311Request serves requests/{id}.{json,xml}.
func (a *API) open311Request(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := format(r.PathValue("file"))
	if !ok {
		a.o311Error(w, ext, http.StatusNotFound, "ask for requests/ID.json or requests/ID.xml")
		return
	}
	if !a.o311Allowed(w, r, ext) {
		return
	}
	notFound := fmt.Sprintf("no service request %s", id)
	if !concern.ValidID(id) {
		a.o311Error(w, ext, http.StatusNotFound, notFound)
		return
	}
	rep, err := a.st.Report(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.o311Error(w, ext, http.StatusNotFound, notFound)
	case err != nil:
		a.o311Error(w, ext, http.StatusServiceUnavailable, "the store is unavailable; try again in a minute")
	case rep.Sensitive:
		// not published at all: answered as if it did not exist, so that not even its id says it does
		a.o311Error(w, ext, http.StatusNotFound, notFound)
	default:
		a.o311Write(w, ext, http.StatusOK, "service_requests", []serviceRequest{a.serviceRequest(rep)})
	}
}

func (a *API) o311Allowed(w http.ResponseWriter, r *http.Request, ext string) bool {
	if len(a.cfg.Open311Keys) == 0 {
		a.o311Error(w, ext, http.StatusNotFound, "the Open311 API is not enabled (set MINYI_OPEN311_KEYS)")
		return false
	}
	who, ok := keyOf(r, a.cfg.Open311Keys, true)
	if !ok {
		code, why := http.StatusForbidden, "api_key is not valid"
		if r.URL.Query().Get("api_key") == "" && r.Header.Get("X-API-Key") == "" && r.Header.Get("Authorization") == "" {
			code, why = http.StatusUnauthorized, "api_key is required"
		}
		a.o311Error(w, ext, code, why)
		return false
	}
	if ok, wait := a.limits.allow(r.Context(), "open311:"+who, a.cfg.Open311Rate, a.cfg.Open311Burst); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		a.o311Error(w, ext, http.StatusTooManyRequests, fmt.Sprintf("too many requests with this api_key: at most %d at once and %s after; try again in %s s",
			max(a.cfg.Open311Burst, 1), perTime(a.cfg.Open311Rate), retryAfter(wait)))
		return false
	}
	return true
}

func (a *API) services(w http.ResponseWriter, ext string) {
	var out []service
	for _, t := range a.tax.Topics {
		out = append(out, service{
			Code: t.Name, Name: t.Name, Metadata: false, Type: "realtime", Group: t.Sector,
			Description: fmt.Sprintf("%s · %s", t.Sector, strings.Join(t.Subtopics, "、")),
			Keywords:    strings.Join(t.Subtopics, ", "),
		})
	}
	a.o311Write(w, ext, http.StatusOK, "services", out)
}

func (a *API) requests(w http.ResponseWriter, r *http.Request, ext string) {
	q := r.URL.Query()
	now := a.now()
	end, start := now, now.Add(-maxRange)
	var err error
	if v := q.Get("end_date"); v != "" {
		if end, err = parseDate(v); err != nil {
			a.o311Error(w, ext, http.StatusBadRequest, "end_date: "+err.Error())
			return
		}
		start = end.Add(-maxRange)
	}
	if v := q.Get("start_date"); v != "" {
		if start, err = parseDate(v); err != nil {
			a.o311Error(w, ext, http.StatusBadRequest, "start_date: "+err.Error())
			return
		}
		if q.Get("end_date") == "" && start.Add(maxRange).Before(now) {
			end = start.Add(maxRange)
		}
	}
	switch {
	case end.Before(start):
		a.o311Error(w, ext, http.StatusBadRequest, "end_date is before start_date")
		return
	case end.Sub(start) > maxRange:
		a.o311Error(w, ext, http.StatusBadRequest, "start_date and end_date may be at most 90 days apart")
		return
	}
	var finished *bool
	var open, closed bool
	for s := range strings.SplitSeq(q.Get("status"), ",") {
		switch strings.TrimSpace(s) {
		case "":
		case "open":
			open = true
		case "closed":
			closed = true
		default:
			a.o311Error(w, ext, http.StatusBadRequest, "status must be open, closed or both (open,closed)")
			return
		}
	}
	if open != closed {
		finished = &closed
	}
	var codes []string
	for c := range strings.SplitSeq(q.Get("service_code"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			if _, ok := a.tax.Topic(c); !ok {
				a.o311Error(w, ext, http.StatusBadRequest, fmt.Sprintf("service_code %q is not a service (see services.%s)", c, ext))
				return
			}
			codes = append(codes, c)
		}
	}
	page, size := 1, pageSize
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > maxPage {
			a.o311Error(w, ext, http.StatusBadRequest, fmt.Sprintf("page must be a whole number from 1 to %d", maxPage))
			return
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > maxPageSize {
			a.o311Error(w, ext, http.StatusBadRequest, fmt.Sprintf("page_size must be a whole number from 1 to %d", maxPageSize))
			return
		}
	}
	body, code, why := a.requestsPage(r.Context(), ext, codes, finished, start, end, page, size)
	if code != http.StatusOK {
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		a.o311Error(w, ext, code, why)
		return
	}
	// written after the slot is given back: a slow reader holds only its own request
	w.Header().Set("Content-Type", contentType(ext))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// requestsPage makes a requests answer, encoded, in one of the slots that bound
// how many run at once: Open311 is a bulk read for other systems, and a
// platform (or sixteen) asking as fast as it can must not take the CPU the
// webhook and the intake API need. A request that waits too long for a slot is
// 503 with Retry-After. The page is counted and cut from the index and only its
// records are read; sensitive concerns are not published at all.
func (a *API) requestsPage(ctx context.Context, ext string, codes []string, finished *bool, start, end time.Time, page, size int) ([]byte, int, string) {
	wait := time.NewTimer(a.slotWait)
	defer wait.Stop()
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-wait.C:
		return nil, http.StatusServiceUnavailable, "busy with other requests; try again in a second"
	case <-ctx.Done():
		return nil, http.StatusServiceUnavailable, "the request ended"
	}
	found, err := a.ix.Query(ctx, index.Query{
		Topics: codes, Finished: finished, Sensitive: new(false),
		From: start, To: end.Add(time.Millisecond), // the end is inclusive
		Sort: index.ReceivedAsc, Offset: (page - 1) * size, Limit: size,
	})
	if err != nil {
		a.log.Warn("Open311: the concern index cannot be brought up to date", "err", err)
		return nil, http.StatusServiceUnavailable, "the store is unavailable; try again in a minute"
	}
	reps, err := a.st.Reports(ctx, found.IDs)
	if err != nil {
		return nil, http.StatusServiceUnavailable, "the store is unavailable; try again in a minute"
	}
	out := []serviceRequest{}
	for _, rep := range reps {
		if rep.Sensitive { // made sensitive since the index looked
			continue
		}
		out = append(out, a.serviceRequest(rep))
	}
	var b bytes.Buffer
	encode(&b, ext, "service_requests", out)
	return b.Bytes(), http.StatusOK, ""
}

// parseDate reads a W3C datetime (2026-11-01T00:00:00+08:00), or a date alone.
func parseDate(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a W3C datetime such as 2026-11-01T00:00:00+08:00", v)
}

func openOrClosed(s concern.Status) string {
	if s.Finished() {
		return "closed"
	}
	return "open"
}

// serviceRequest shows a concern as Open311 does: its masked text only, the place
// by community and grid, no one's name, phone or chat. Sensitive concerns never
// come here.
func (a *API) serviceRequest(r *concern.Report) serviceRequest {
	w3c := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(a.cfg.Location).Format(time.RFC3339)
	}
	notes := r.Status.Label("zh")
	updated := r.ReceivedAt
	for _, h := range r.History {
		updated = h.At
		if h.Internal() || h.Personal() {
			continue // the office's notes and its words to one reporter are not published
		}
		if text := h.Text("zh"); text != "" {
			// masked as the text is: numbers, and the reporter's and resident's names
			notes = h.Status.Label("zh") + "：" + r.MaskedNote(text)
		}
	}
	description := r.MaskedText()
	if r.Forgotten {
		description = "（反映人已要求删除其个人信息）" + description
	}
	place := strings.Trim(r.Community+" "+r.Grid, " ")
	return serviceRequest{
		ID: r.ID, Status: openOrClosed(r.Status), StatusNotes: notes,
		ServiceName: r.Topic, ServiceCode: r.Topic, Description: description,
		AgencyResponsible: cmpOr(r.Unit, a.cfg.Agency), ServiceNotice: r.Level.Label("zh"),
		Requested: w3c(r.ReceivedAt), Updated: w3c(updated), Expected: w3c(r.Deadline),
		Address: place,
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// o311Write answers in the requested format: a JSON array, or an XML document
// whose root (services, service_requests, errors) holds the items.
func (a *API) o311Write(w http.ResponseWriter, ext string, code int, root string, items any) {
	w.Header().Set("Content-Type", contentType(ext))
	w.WriteHeader(code)
	encode(w, ext, root, items)
}

func contentType(ext string) string {
	if ext == "xml" {
		return "text/xml; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

func encode(w io.Writer, ext, root string, items any) {
	if ext == "xml" {
		fmt.Fprint(w, xml.Header)
		enc := xml.NewEncoder(w)
		enc.Indent("", "  ")
		enc.Encode(struct {
			XMLName xml.Name
			Items   any
		}{XMLName: xml.Name{Local: root}, Items: items})
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(items)
}

// o311Error answers with the spec's error format: a list of code and description.
func (a *API) o311Error(w http.ResponseWriter, ext string, code int, description string) {
	a.o311Write(w, ext, code, "errors", []open311Error{{Code: code, Description: description}})
}
