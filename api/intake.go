package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
)

// concernIn is a concern as another channel submits it.
type concernIn struct {
	Channel    string     `json:"channel"`
	ExternalID string     `json:"external_id"`
	Text       string     `json:"text"`
	Community  string     `json:"community"`
	Grid       string     `json:"grid"`
	Address    string     `json:"address"`
	Contact    *contactIn `json:"contact"`
	ReceivedAt string     `json:"received_at"`
}

type contactIn struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// fieldError is a request refused because of one field, which it names.
type fieldError struct {
	Field, Problem string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Problem }

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,19}$`)

// postConcern takes a concern from another channel into the intake queue. The
// same external id again answers with the first concern, not a second one; with
// another text, it is refused as a conflict.
func (a *API) postConcern(w http.ResponseWriter, r *http.Request) {
	channel, ok := a.channelOf(w, r)
	if !ok {
		return
	}
	if ok, wait := a.limits.allow(r.Context(), "api:"+channel, a.cfg.IntakeRate, a.cfg.IntakeBurst); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf(
			"too many concerns from %s: at most %d at once and %s after; try again in %s s", channel, max(a.cfg.IntakeBurst, 1), perTime(a.cfg.IntakeRate), retryAfter(wait))})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("the body is over %d KiB", MaxBody>>10)})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body could not be read"})
		return
	}
	in, ferr := decodeConcern(body)
	if ferr == nil {
		ferr = a.validate(in, channel)
	}
	if ferr != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": ferr.Error(), "field": ferr.Field})
		return
	}
	rep := a.report(in)
	id, fresh, err := a.cases.SubmitExternal(r.Context(), channel, in.ExternalID, rep, a.cfg.Retention)
	if errors.Is(err, store.ErrTextDiffers) {
		writeJSON(w, http.StatusConflict, map[string]any{"id": id, "external_id": in.ExternalID, "error": fmt.Sprintf(
			"external_id %s came before with another text (concern %s); a new concern needs a new external_id", in.ExternalID, id)})
		return
	}
	if err != nil {
		a.log.Warn("intake API: submit failed", "channel", channel, "external_id", in.ExternalID, "err", err)
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the concern could not be stored; try again in a minute"})
		return
	}
	w.Header().Set("Location", "/api/v1/concerns/"+id)
	code := http.StatusCreated
	if !fresh {
		code = http.StatusOK
	} else {
		a.log.Info("concern queued from another channel", "concern", id, "channel", channel, "external_id", in.ExternalID)
	}
	writeJSON(w, code, map[string]any{"id": id, "status": "queued", "duplicate": !fresh, "external_id": in.ExternalID})
}

// channelOf finds the channel a request's key belongs to, or answers that the API
// is off (404) or the key missing, wrong or in the URL (401). A key in the URL
// ends up in the logs of every proxy on the way: it is refused, whatever else
// the request holds, and never logged here.
func (a *API) channelOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	if len(a.cfg.IntakeKeys) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "the intake API is not enabled (set MINYI_API_KEYS)"})
		return "", false
	}
	if r.URL.Query().Has("api_key") {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "send the API key in a header (Authorization: Bearer KEY, or X-API-Key), not in the URL, " +
			"where proxies log it; a key that was sent in a URL may be in such logs now: ask for a new one"})
		return "", false
	}
	channel, ok := keyOf(r, a.cfg.IntakeKeys, false)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid API key is required (Authorization: Bearer KEY, or X-API-Key)"})
	}
	return channel, ok
}

// decodeConcern reads a body, refusing unknown fields, wrong types and text
// that is not UTF-8 by name.
func decodeConcern(body []byte) (*concernIn, *fieldError) {
	if field := badUTF8(body); field != "" {
		return nil, &fieldError{field, "is not valid UTF-8 text"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in concernIn
	err := dec.Decode(&in)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		if dec.More() {
			return nil, &fieldError{"body", "must be one JSON object"}
		}
		return &in, nil
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return nil, &fieldError{"body", "must be a JSON object"}
	case errors.As(err, &typeErr):
		return nil, &fieldError{typeErr.Field, "must be " + jsonType(typeErr.Type.Kind().String())}
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return nil, &fieldError{"body", "is not valid JSON"}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return nil, &fieldError{strings.Trim(name, `"`), "is not a field of a concern (known: channel, external_id, text, community, grid, address, contact.name, contact.phone, received_at)"}
	}
	return nil, &fieldError{"body", "is not a concern: " + err.Error()}
}

// concernFields are a concern's fields in the order their problems are told.
var concernFields = []string{"channel", "external_id", "text", "community", "grid", "address", "contact", "received_at"}

// badUTF8 names the first field of a JSON object whose string is not UTF-8.
// Decoding would quietly make such bytes (and an escaped lone surrogate, such
// as \udc00) U+FFFD, so the raw bytes of each field are looked at, contact's
// within it. A body that is not an object names nothing: decoding says why.
func badUTF8(body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	names := slices.Sorted(maps.Keys(fields))
	slices.SortStableFunc(names, func(x, y string) int { // the known ones first, in their order
		return cmp.Compare(fieldRank(x), fieldRank(y))
	})
	for _, name := range names {
		raw := fields[name]
		if name == "contact" {
			if inner := badUTF8(raw); inner != "" {
				return "contact." + inner
			}
		}
		if badText(raw) {
			return name
		}
	}
	return ""
}

func fieldRank(name string) int {
	if i := slices.Index(concernFields, name); i >= 0 {
		return i
	}
	return len(concernFields)
}

// badText reports whether a JSON value holds bytes that are not UTF-8, or a
// U+FFFD that only a bad escape could have made.
func badText(raw json.RawMessage) bool {
	if !utf8.Valid(raw) {
		return true
	}
	if !bytes.Contains(raw, []byte(`\u`)) {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false // not a string: decoding names the type
	}
	given := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(raw), []byte(`\ufffd`))
	return strings.Count(s, "\uFFFD") > given
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "ptr", "struct":
		return "an object"
	}
	return "a " + kind
}

// clean is text as minyi keeps it: control characters dropped (newlines and
// tabs kept), spaces trimmed.
func clean(s string) string { return strings.TrimSpace(concern.CleanText(s)) }

// validExternalID is 1 to 128 visible ASCII characters: an id to be read back and
// typed, with no look-alikes, spaces or controls.
func validExternalID(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0
}

func (a *API) validate(in *concernIn, channel string) *fieldError {
	in.Text, in.Address, in.Community, in.Grid = clean(in.Text), clean(in.Address), clean(in.Community), clean(in.Grid)
	// the length rules count what shows: zero-width spaces, bidi and combining marks alone do not
	visible, runes := concern.VisibleLen(in.Text), utf8.RuneCountInString(in.Text)
	switch {
	case in.Channel == "":
		return &fieldError{"channel", fmt.Sprintf("is required (this key's channel is %q)", channel)}
	case in.Channel != channel:
		return &fieldError{"channel", fmt.Sprintf("must be %q, the channel of this key", channel)}
	case in.ExternalID == "":
		return &fieldError{"external_id", "is required: the concern's id in your system, so that sending it again does not file it twice"}
	case !validExternalID(in.ExternalID):
		return &fieldError{"external_id", "must be 1 to 128 visible ASCII characters (letters, digits and punctuation; no spaces)"}
	case in.Text == "":
		return &fieldError{"text", "is required"}
	case visible < 10:
		return &fieldError{"text", fmt.Sprintf("must be 10 to 2000 characters, not %d (counting only characters that show)", visible)}
	case runes > 2000:
		return &fieldError{"text", fmt.Sprintf("must be 10 to 2000 characters, not %d", runes)}
	case utf8.RuneCountInString(in.Address) > 200:
		return &fieldError{"address", "must be at most 200 characters"}
	}
	if in.Community != "" || in.Grid != "" {
		grids, known := a.cfg.Grids[in.Community]
		switch {
		case in.Community == "":
			return &fieldError{"community", "is required with grid"}
		case len(a.cfg.Grids) > 0 && !known:
			return &fieldError{"community", fmt.Sprintf("%q is not one of the configured communities", in.Community)}
		case in.Grid != "" && len(grids) > 0 && !slices.Contains(grids, in.Grid):
			return &fieldError{"grid", fmt.Sprintf("%q is not a grid of %s", in.Grid, in.Community)}
		}
	}
	if c := in.Contact; c != nil {
		c.Name, c.Phone = clean(c.Name), clean(c.Phone)
		if utf8.RuneCountInString(c.Name) > 50 {
			return &fieldError{"contact.name", "must be at most 50 characters"}
		}
		if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
			return &fieldError{"contact.phone", "must be a phone number: digits, with +, spaces or - (5 to 20 characters)"}
		}
	}
	if in.ReceivedAt != "" {
		at, err := time.Parse(time.RFC3339, in.ReceivedAt)
		switch {
		case err != nil:
			return &fieldError{"received_at", "must be a time in RFC 3339, such as 2026-11-27T09:30:00+08:00"}
		case at.After(a.now().Add(5 * time.Minute)):
			return &fieldError{"received_at", "is in the future"}
		case a.cfg.Retention > 0 && at.Before(a.now().Add(-a.cfg.Retention)):
			return &fieldError{"received_at", "is older than the concerns kept"}
		}
	}
	return nil
}

// report makes the concern to queue from a valid submission.
func (a *API) report(in *concernIn) *concern.Report {
	// the id and the day are minyi's: the day's numbering is only kept for recent days
	at := a.now()
	r := &concern.Report{
		ReceivedAt: at, Channel: in.Channel, ExternalID: in.ExternalID, Lang: "zh",
		Text: in.Text, Community: in.Community, Grid: in.Grid, Address: in.Address,
		Status:  concern.StatusReceived,
		History: []concern.StatusChange{{At: at, Status: concern.StatusReceived, By: in.Channel}},
	}
	if in.ReceivedAt != "" {
		r.ReportedAt, _ = time.Parse(time.RFC3339, in.ReceivedAt) // validated
	}
	if c := in.Contact; c != nil {
		r.ResidentName, r.ResidentPhone = c.Name, c.Phone
	}
	return r
}

// concernOut is a concern's state as its channel may read it.
type concernOut struct {
	ID          string      `json:"id"`
	Status      string      `json:"status"`
	StatusLabel string      `json:"status_label,omitempty"`
	Channel     string      `json:"channel,omitempty"`
	ExternalID  string      `json:"external_id,omitempty"`
	ReportedAt  *time.Time  `json:"reported_at,omitempty"`
	ReceivedAt  *time.Time  `json:"received_at,omitempty"`
	UpdatedAt   *time.Time  `json:"updated_at,omitempty"`
	Sector      string      `json:"sector,omitempty"`
	Topic       string      `json:"topic,omitempty"`
	Unit        string      `json:"unit,omitempty"`
	Deadline    *time.Time  `json:"deadline,omitempty"`
	History     []changeOut `json:"history,omitempty"`
}

type changeOut struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Label  string    `json:"label"`
	Note   string    `json:"note,omitempty"`
}

// getConcern answers a channel with the state of a concern it submitted; other
// concerns are not found, whether or not they exist.
func (a *API) getConcern(w http.ResponseWriter, r *http.Request) {
	channel, ok := a.channelOf(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	notFound := map[string]string{"error": fmt.Sprintf("no concern %s from %s", id, channel)}
	if !concern.ValidID(id) {
		writeJSON(w, http.StatusNotFound, notFound)
		return
	}
	rep, queued, err := a.cases.ExternalConcern(r.Context(), channel, id)
	_, refused := cases.AsRefusal(err)
	switch {
	case queued:
		writeJSON(w, http.StatusOK, concernOut{ID: id, Status: "queued", StatusLabel: "已接收，待分拣"})
		return
	case refused:
		writeJSON(w, http.StatusNotFound, notFound)
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the store is unavailable; try again in a minute"})
		return
	}
	out := concernOut{ID: rep.ID, Status: string(rep.Status), StatusLabel: rep.Status.Label("zh"), Channel: rep.Channel, ExternalID: rep.ExternalID,
		ReceivedAt: &rep.ReceivedAt, Sector: rep.Sector, Topic: rep.Topic, Unit: rep.Unit}
	if !rep.Deadline.IsZero() {
		out.Deadline = &rep.Deadline
	}
	if !rep.ReportedAt.IsZero() {
		out.ReportedAt = &rep.ReportedAt
	}
	updated := rep.ReceivedAt
	for _, h := range rep.History {
		if h.Internal() {
			continue // the office's own notes stay inside it
		}
		out.History = append(out.History, changeOut{At: h.At, Status: string(h.Status), Label: h.Status.Label("zh"), Note: h.Text("zh")})
		updated = h.At
	}
	out.UpdatedAt = &updated
	writeJSON(w, http.StatusOK, out)
}

// perTime says a rate the way it was most likely set: 2/s, 30/m or 100/h.
func perTime(perSecond float64) string {
	for _, u := range []struct {
		unit string
		secs float64
	}{{"s", 1}, {"m", 60}, {"h", 3600}} {
		if n := perSecond * u.secs; n >= 1 || u.unit == "h" {
			return strconv.FormatFloat(math.Round(n*100)/100, 'f', -1, 64) + "/" + u.unit
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
