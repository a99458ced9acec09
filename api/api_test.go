package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

const (
	hotlineKey = "hotline-key-0123456789abcdef"
	webformKey = "webform-key-0123456789abcdef"
	platform   = "open311-key-0123456789abcdef"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	quiet       = slog.New(slog.DiscardHandler)
)

// fixture is the APIs over a clean store, served by a test server.
type fixture struct {
	st      *store.Store
	tax     *classify.Taxonomy
	url     string
	now     time.Time
	handler http.Handler // what the server serves, to call directly
	api     *API
}

func newFixture(t testing.TB, configure ...func(*Config)) *fixture {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL(), store.WithLocation(shanghai))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, tax: tax, now: time.Date(2026, 11, 27, 10, 0, 0, 0, shanghai)}
	cfg := Config{
		IntakeKeys:  map[string]string{hotlineKey: "hotline", webformKey: "webform"},
		Open311Keys: map[string]string{platform: "citizen-platform"},
		Grids:       map[string][]string{"阳光社区": {"第一网格", "第二网格"}, "和平社区": nil},
		Location:    shanghai, Retention: 1095 * 24 * time.Hour, Agency: "某某街道党工委",
	}
	for _, c := range configure {
		c(&cfg)
	}
	svc := cases.New(st, nil, cases.Config{Location: shanghai}, cases.WithClock(func() time.Time { return f.now }), cases.WithLogger(quiet))
	a := New(st, svc, tax, cfg, WithClock(func() time.Time { return f.now }), WithLogger(quiet))
	f.api = a
	mux := http.NewServeMux()
	a.Register(mux)
	f.handler = mux
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	f.url = s.URL
	return f
}

// call makes a request with a key (in the given header, or none) and returns the
// status and body.
func (f *fixture) call(t *testing.T, method, path, key, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

const lamp = "小区东门的路灯坏了一个多月，晚上很黑，老人出门不安全。"

func TestIntakeAPI(t *testing.T) {
	f := newFixture(t)
	post := func(key, body string) (int, map[string]any, http.Header) {
		code, b, h := f.call(t, http.MethodPost, "/api/v1/concerns", key, body)
		var m map[string]any
		json.Unmarshal([]byte(b), &m)
		return code, m, h
	}
	body := fmt.Sprintf(`{"channel":"hotline","external_id":"HL-0001","text":%q,"community":"阳光社区","grid":"第一网格","contact":{"name":"王小明","phone":"138 0013 8000"}}`, lamp)

	// keys
	if code, m, _ := post("", body); code != 401 || !strings.Contains(fmt.Sprint(m["error"]), "API key") {
		t.Fatalf("without a key: %d %v", code, m)
	}
	if code, _, _ := post("not-a-key-0123456789abcdefgh", body); code != 401 {
		t.Fatalf("with a wrong key: %d", code)
	}

	// a new concern, then the same external id again, then another
	code, first, h := post(hotlineKey, body)
	id, _ := first["id"].(string)
	if code != 201 || !concern.ValidID(id) || first["duplicate"] != false || h.Get("Location") != "/api/v1/concerns/"+id {
		t.Fatalf("first post: %d %v %v", code, first, h)
	}
	code, again, _ := post(hotlineKey, body)
	if code != 200 || again["id"] != id || again["duplicate"] != true {
		t.Fatalf("same external id again: %d %v, want 200 with %s", code, again, id)
	}
	code, other, _ := post(hotlineKey, strings.Replace(body, "HL-0001", "HL-0002", 1))
	if code != 201 || other["id"] == id {
		t.Fatalf("another external id: %d %v", code, other)
	}
	// another channel's external ids are its own
	code, web, _ := post(webformKey, strings.Replace(body, `"hotline"`, `"webform"`, 1))
	if code != 201 || web["id"] == id {
		t.Fatalf("the same external id from another channel: %d %v", code, web)
	}
	q, err := f.st.QueueStatus(t.Context(), time.Now(), 0)
	if err != nil || q.Length != 3 {
		t.Fatalf("queued: %+v %v, want 3", q, err)
	}

	// bad bodies, each refused with the field named, nothing queued
	for _, c := range []struct{ body, field string }{
		{`{"channel":"hotline","external_id":"x1"}`, "text"},
		{`{"channel":"hotline","external_id":"x1","text":"太短了"}`, "text"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q}`, strings.Repeat("长", 2001)), "text"},
		{fmt.Sprintf(`{"channel":"hotline","text":%q}`, lamp), "external_id"},
		{fmt.Sprintf(`{"external_id":"x1","text":%q}`, lamp), "channel"},
		{fmt.Sprintf(`{"channel":"webform","external_id":"x1","text":%q}`, lamp), "channel"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","txt":%q}`, lamp), "txt"},
		{`{"channel":"hotline","external_id":"x1","text":12345678901}`, "text"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"community":"幸福社区"}`, lamp), "community"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"community":"阳光社区","grid":"第九网格"}`, lamp), "grid"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"grid":"第一网格"}`, lamp), "community"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"contact":{"phone":"call me"}}`, lamp), "contact.phone"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"contact":"王小明"}`, lamp), "contact"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"received_at":"yesterday"}`, lamp), "received_at"},
		{fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q,"received_at":"2027-01-01T00:00:00+08:00"}`, lamp), "received_at"},
		{`{"channel":"hotline",`, "body"},
		{`[1,2]`, "body"},
	} {
		code, m, _ := post(hotlineKey, c.body)
		if code != 400 || m["field"] != c.field || !strings.HasPrefix(fmt.Sprint(m["error"]), c.field+": ") {
			t.Errorf("%.60s: %d %v, want 400 naming %s", c.body, code, m, c.field)
		}
	}
	// over 64 KiB
	big := fmt.Sprintf(`{"channel":"hotline","external_id":"x1","text":%q}`, strings.Repeat("a", MaxBody))
	if code, m, _ := post(hotlineKey, big); code != 413 {
		t.Errorf("a body over 64 KiB: %d %v", code, m)
	}
	if q2, _ := f.st.QueueStatus(t.Context(), time.Now(), 0); q2.Length != 3 {
		t.Errorf("refused bodies queued something: %d in the queue", q2.Length)
	}

	// reported to the hotline ten days ago: numbered and counted on the day minyi took
	// it (older days' numbering is not kept), with the hotline's time kept beside it
	old := fmt.Sprintf(`{"channel":"hotline","external_id":"HL-0003","text":%q,"received_at":"2026-11-17T09:00:00+08:00"}`, lamp)
	code, late, _ := post(hotlineKey, old)
	lateID, _ := late["id"].(string)
	if code != 201 || !strings.HasPrefix(lateID, "20261127-") {
		t.Fatalf("a concern reported ten days ago: %d %v, want today's numbering", code, late)
	}

	// its status: queued, then (through the same intake worker as Telegram's) classified
	get := func(key, id string) (int, map[string]any) {
		code, b, _ := f.call(t, http.MethodGet, "/api/v1/concerns/"+id, key, "")
		var m map[string]any
		json.Unmarshal([]byte(b), &m)
		return code, m
	}
	if code, m := get(hotlineKey, id); code != 200 || m["status"] != "queued" {
		t.Fatalf("status before the worker: %d %v", code, m)
	}
	lex, err := classify.NewLexicon(f.tax, "城乡建设")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { intake.New(f.st, lex, intake.WithLogger(quiet)).Run(ctx); close(done) }()
	var m, lm map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, m = get(hotlineKey, id)
		_, lm = get(hotlineKey, lateID)
		if code == 200 && m["status"] == "received" && lm["status"] == "received" || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	<-done
	if m["status"] != "received" || m["sector"] == "" || m["topic"] == "" || m["channel"] != "hotline" || m["external_id"] != "HL-0001" {
		t.Fatalf("status after the worker: %v", m)
	}
	rep, err := f.st.Report(t.Context(), id)
	if err != nil || rep.ResidentName != "王小明" || rep.Community != "阳光社区" || rep.Grid != "第一网格" || rep.Channel != "hotline" {
		t.Fatalf("stored: %+v %v", rep, err)
	}
	if lm["reported_at"] != "2026-11-17T09:00:00+08:00" || !strings.HasPrefix(fmt.Sprint(lm["received_at"]), "2026-11-27T10:00:00") {
		t.Errorf("the late concern: %v", lm)
	}
	// another channel cannot read it; an unknown id is not found
	if code, _ := get(webformKey, id); code != 404 {
		t.Errorf("another channel's concern: %d, want 404", code)
	}
	if code, _ := get(hotlineKey, "20261127-9999"); code != 404 {
		t.Errorf("an unknown concern: %d, want 404", code)
	}
	if code, _ := get("", id); code != 401 {
		t.Errorf("status without a key: %d, want 401", code)
	}
}

// seed stores three recorded concerns: an open one with a phone and a name in it,
// a closed one with a note, and a sensitive one.
func (f *fixture) seed(t testing.TB) []*concern.Report {
	t.Helper()
	day := f.now.Add(-2 * time.Hour)
	reps := []*concern.Report{
		{ID: "20261127-0001", ReceivedAt: day, Channel: "telegram", Text: "我叫王小明，电话13800138000，" + lamp, ReporterName: "王小明",
			Community: "阳光社区", Grid: "第一网格", Sector: "社会建设", Topic: "城乡建设", Status: concern.StatusInProgress, Level: concern.LevelGeneral,
			Deadline: day.Add(7 * 24 * time.Hour), Unit: "城管科",
			History: []concern.StatusChange{{At: day, Status: concern.StatusReceived}, {At: day.Add(time.Hour), Status: concern.StatusInProgress, Note: "已派人查看"},
				// the office's own note and its words to the reporter: never published
				{At: day.Add(time.Hour), Status: concern.StatusInProgress, Code: concern.HistNote, Note: "内部：该户曾多次投诉"},
				{At: day.Add(time.Hour), Status: concern.StatusInProgress, Code: concern.HistReplied, Note: "王先生您好，明天上午上门"}}},
		{ID: "20261127-0002", ReceivedAt: day.Add(time.Minute), Channel: "hotline", Text: "楼下饭店油烟太大，晚上十点以后还很吵。", Community: "和平社区",
			Sector: "生态文明建设", Topic: "环境保护", Status: concern.StatusClosed, Level: concern.LevelGeneral, Deadline: day.Add(7 * 24 * time.Hour),
			History: []concern.StatusChange{{At: day.Add(time.Minute), Status: concern.StatusReceived}, {At: day.Add(3 * time.Hour), Status: concern.StatusClosed, Note: "已约谈店主整改，联系电话13900139000"},
				{At: day.Add(3 * time.Hour), Status: concern.StatusClosed, Code: concern.HistNote, Note: "内部：店主是某局亲戚"}}},
		{ID: "20261127-0003", ReceivedAt: day.Add(2 * time.Minute), Channel: "telegram", Text: "反映某干部收受好处的问题。", Sensitive: true,
			Sector: "党的建设", Topic: "城乡建设", Status: concern.StatusReceived, Level: concern.LevelGeneral, Deadline: day.Add(7 * 24 * time.Hour)},
	}
	for _, r := range reps {
		if err := f.st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		// as submitted: in the day's received set
		srv.Do(t, "ZADD", "minyi:{intake}:recv:20261127", fmt.Sprint(r.ReceivedAt.UnixMilli()), r.ID)
	}
	return reps
}

// the fields of a service request in GeoReport v2, in the spec's order
var requestFields = []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
	"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
	"address", "address_id", "zipcode", "lat", "long", "media_url"}

type xmlRequests struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []struct {
		Fields []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"request"`
}

type xmlErrors struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

func TestOpen311(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	get := func(path string) (int, string) {
		code, b, _ := f.call(t, http.MethodGet, path, "", "")
		return code, b
	}
	withKey := func(path string) string {
		if strings.Contains(path, "?") {
			return path + "&api_key=" + platform
		}
		return path + "?api_key=" + platform
	}

	// services, both formats
	code, b := get(withKey("/open311/v2/services.json"))
	var services []map[string]any
	if err := json.Unmarshal([]byte(b), &services); code != 200 || err != nil || len(services) != len(f.tax.Topics) {
		t.Fatalf("services.json: %d %v %d services", code, err, len(services))
	}
	for _, s := range services {
		for _, k := range []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} {
			if _, ok := s[k]; !ok {
				t.Fatalf("service lacks %s: %v", k, s)
			}
		}
		if s["metadata"] != false || s["type"] != "realtime" || s["service_code"] == "" {
			t.Fatalf("service: %v", s)
		}
	}
	code, b = get(withKey("/open311/v2/services.xml"))
	var sx struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			Code     string `xml:"service_code"`
			Name     string `xml:"service_name"`
			Metadata string `xml:"metadata"`
			Type     string `xml:"type"`
			Group    string `xml:"group"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal([]byte(b), &sx); code != 200 || err != nil || len(sx.Services) != len(services) ||
		sx.Services[0].Code != services[0]["service_code"] || sx.Services[0].Group != services[0]["group"] || sx.Services[0].Metadata != "false" {
		t.Fatalf("services.xml: %d %v %+v", code, err, sx)
	}

	// requests: every field of the spec, masked text, status mapped, dates W3C; the
	// sensitive concern is not published at all (issue 13)
	code, b = get(withKey("/open311/v2/requests.json"))
	var reqs []map[string]any
	if err := json.Unmarshal([]byte(b), &reqs); code != 200 || err != nil || len(reqs) != 2 {
		t.Fatalf("requests.json: %d %v %s", code, err, b)
	}
	for _, r := range reqs {
		var keys []string
		for k := range r {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := slices.Clone(requestFields)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Fatalf("request fields %v, want the spec's %v", keys, want)
		}
		for _, k := range []string{"requested_datetime", "updated_datetime", "expected_datetime"} {
			if _, err := time.Parse(time.RFC3339, r[k].(string)); err != nil {
				t.Errorf("%s %q is not a W3C datetime", k, r[k])
			}
		}
	}
	first, second := reqs[0], reqs[1]
	checks := []struct {
		what      string
		got, want any
	}{
		{"id", first["service_request_id"], "20261127-0001"},
		{"open", first["status"], "open"},
		{"closed", second["status"], "closed"},
		{"service", first["service_code"], "城乡建设"},
		{"service name", first["service_name"], "城乡建设"},
		{"agency: the unit holding it", first["agency_responsible"], "城管科"},
		{"agency: the office otherwise", second["agency_responsible"], "某某街道党工委"},
		{"notes: the last note", first["status_notes"], "办理中：已派人查看"},
		{"notes masked", second["status_notes"], "已办结：已约谈店主整改，联系电话[手机号]"},
		{"requested", first["requested_datetime"], "2026-11-27T08:00:00+08:00"},
		{"updated", first["updated_datetime"], "2026-11-27T09:00:00+08:00"},
		{"expected", first["expected_datetime"], "2026-12-04T08:00:00+08:00"},
		{"address: community and grid only", first["address"], "阳光社区 第一网格"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if d := first["description"].(string); strings.Contains(d, "13800138000") || strings.Contains(d, "王小明") || !strings.Contains(d, "路灯") {
		t.Errorf("description not masked: %q", d)
	}

	// the same in XML, field by field
	code, b = get(withKey("/open311/v2/requests.xml"))
	var rx xmlRequests
	if err := xml.Unmarshal([]byte(b), &rx); code != 200 || err != nil || len(rx.Requests) != 2 || !strings.HasPrefix(b, xml.Header) {
		t.Fatalf("requests.xml: %d %v %s", code, err, b)
	}
	for i, r := range rx.Requests {
		seen := map[string]string{}
		for _, fld := range r.Fields {
			seen[fld.XMLName.Local] = fld.Value
		}
		for _, k := range requestFields {
			jv, _ := reqs[i][k].(string)
			if k == "lat" || k == "long" {
				continue // no exact place is published
			}
			if xv, ok := seen[k]; !ok || xv != jv {
				t.Errorf("request %d, %s: XML %q, JSON %q", i, k, xv, jv)
			}
		}
	}

	// filters
	for _, c := range []struct {
		query string
		ids   []string
	}{
		{"status=closed", []string{"20261127-0002"}},
		{"status=open", []string{"20261127-0001"}},
		{"status=open,closed", []string{"20261127-0001", "20261127-0002"}},
		{"service_code=环境保护", []string{"20261127-0002"}},
		{"start_date=2026-11-27T08:30:00%2B08:00&end_date=2026-11-27T10:00:00%2B08:00", nil},
		{"start_date=2026-11-20T00:00:00%2B08:00&end_date=2026-11-27T23:59:59%2B08:00", []string{"20261127-0001", "20261127-0002"}},
		{"start_date=2026-11-27T08:01:00%2B08:00", []string{"20261127-0002"}},
		{"end_date=2026-11-27T08:00:00%2B08:00", []string{"20261127-0001"}},
		{"page_size=1&page=2", []string{"20261127-0002"}},
		{"page_size=2&page=2", nil},
	} {
		code, b := get(withKey("/open311/v2/requests.json?" + c.query))
		var got []map[string]any
		json.Unmarshal([]byte(b), &got)
		var ids []string
		for _, r := range got {
			ids = append(ids, r["service_request_id"].(string))
		}
		if code != 200 || !slices.Equal(ids, c.ids) {
			t.Errorf("%s: %d %v, want %v", c.query, code, ids, c.ids)
		}
	}

	// one request
	code, b = get(withKey("/open311/v2/requests/20261127-0002.json"))
	var one []map[string]any
	if err := json.Unmarshal([]byte(b), &one); code != 200 || err != nil || len(one) != 1 || one[0]["service_request_id"] != "20261127-0002" {
		t.Fatalf("requests/ID.json: %d %v %s", code, err, b)
	}
	code, b = get(withKey("/open311/v2/requests/20261127-0002.xml"))
	rx = xmlRequests{}
	if err := xml.Unmarshal([]byte(b), &rx); code != 200 || err != nil || len(rx.Requests) != 1 {
		t.Fatalf("requests/ID.xml: %d %v %s", code, err, b)
	}

	// errors in the spec's format: a list of code and description
	for _, c := range []struct {
		path string
		code int
		says string
	}{
		{"/open311/v2/requests.json", 401, "api_key is required"},
		{"/open311/v2/requests.json?api_key=wrong-key-0123456789abcdefgh", 403, "api_key is not valid"},
		{withKey("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-27T00:00:00Z"), 400, "at most 90 days"},
		{withKey("/open311/v2/requests.json?start_date=2026-11-27&end_date=2026-11-01"), 400, "before start_date"},
		{withKey("/open311/v2/requests.json?start_date=last+week"), 400, "start_date"},
		{withKey("/open311/v2/requests.json?status=pending"), 400, "status"},
		{withKey("/open311/v2/requests.json?service_code=nope"), 400, "service_code"},
		{withKey("/open311/v2/requests/20261127-0099.json"), 404, "no service request"},
	} {
		code, b := get(c.path)
		var errs []map[string]any
		if err := json.Unmarshal([]byte(b), &errs); code != c.code || err != nil || len(errs) != 1 ||
			errs[0]["code"] != float64(c.code) || !strings.Contains(errs[0]["description"].(string), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.path, code, b, c.code, c.says)
		}
		xmlPath := strings.Replace(c.path, ".json", ".xml", 1)
		code, b = get(xmlPath)
		var xe xmlErrors
		if err := xml.Unmarshal([]byte(b), &xe); code != c.code || err != nil || len(xe.Errors) != 1 || xe.Errors[0].Code != c.code ||
			!strings.Contains(xe.Errors[0].Description, c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", xmlPath, code, b, c.code, c.says)
		}
	}
}

// The office's internal notes never leave it: not in Open311 (nor its words to
// one reporter), not in the intake API's read-back to the channel that sent the concern.
func TestInternalNotesStayInside(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	for _, path := range []string{"/open311/v2/requests.json?api_key=" + platform, "/open311/v2/requests.xml?api_key=" + platform,
		"/open311/v2/requests/20261127-0001.json?api_key=" + platform, "/open311/v2/requests/20261127-0002.json?api_key=" + platform} {
		code, b, _ := f.call(t, http.MethodGet, path, "", "")
		if code != 200 || strings.Contains(b, "内部") || strings.Contains(b, "王先生") {
			t.Errorf("GET %s: %d\n%s", path, code, b)
		}
	}
	code, b, _ := f.call(t, http.MethodGet, "/api/v1/concerns/20261127-0002", hotlineKey, "")
	if code != 200 || strings.Contains(b, "内部") || !strings.Contains(b, "已约谈店主整改") {
		t.Errorf("the hotline reads back: %d\n%s", code, b)
	}
}
