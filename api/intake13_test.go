package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/concern"
)

// These tests hold the intake API to issue 13: each failed on the code before it.

func (f *fixture) o311(t *testing.T, path string) (int, []map[string]any, string) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	code, b, _ := f.call(t, http.MethodGet, path+sep+"api_key="+platform, "", "")
	var out []map[string]any
	json.Unmarshal([]byte(b), &out)
	return code, out, b
}

func ids(reqs []map[string]any) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, fmt.Sprint(r["service_request_id"]))
	}
	return out
}

func (f *fixture) readQueued(t *testing.T) []*concern.Report {
	t.Helper()
	if err := f.st.EnsureIntakeGroup(t.Context()); err != nil {
		t.Fatal(err)
	}
	es, err := f.st.ReadIntake(t.Context(), "test", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*concern.Report
	for _, e := range es {
		var r concern.Report
		if err := json.Unmarshal(e.Body, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, &r)
	}
	return out
}

func (f *fixture) post(t *testing.T, key, body string) (int, map[string]any, http.Header) {
	t.Helper()
	code, b, h := f.call(t, http.MethodPost, "/api/v1/concerns", key, body)
	var m map[string]any
	json.Unmarshal([]byte(b), &m)
	return code, m, h
}

// Item 7: control characters are dropped (newline and tab kept), the length
// rules count what shows, invalid UTF-8 is refused naming the field, and an
// external id is visible ASCII.
func TestIntakeCleansText(t *testing.T) {
	f := newFixture(t)
	dirty := `{"channel":"hotline","external_id":"HL-7","text":"\u0000小区东门的路灯\u001b坏了一个多月\u0007，晚上很黑，\r\n老人出门\t不安全。\u007f","community":"阳光社区\u0000","address":"东门\u0008口","contact":{"name":"王\u0000小明"}}`
	if code, m, _ := f.post(t, hotlineKey, dirty); code != 201 {
		t.Errorf("a text with control characters: %d %v, want 201", code, m)
	}
	if q := f.readQueued(t); len(q) != 1 {
		t.Errorf("%d queued, want 1", len(q))
	} else if r := q[0]; r.Text != "小区东门的路灯坏了一个多月，晚上很黑，\n老人出门\t不安全。" || r.Community != "阳光社区" || r.Address != "东门口" || r.ResidentName != "王小明" {
		t.Errorf("queued as %q, %q, %q, %q: control characters kept", r.Text, r.Community, r.Address, r.ResidentName)
	}
	for _, c := range []struct {
		what, body, field string
	}{
		{"zero-width spaces only", `{"channel":"hotline","external_id":"x1","text":"` + strings.Repeat(`\u200b`, 30) + `"}`, "text"},
		{"bidi marks and combining marks only", `{"channel":"hotline","external_id":"x1","text":"` + strings.Repeat(`\u202e\u0301\u200f`, 10) + `"}`, "text"},
		{"nine characters among invisible ones", `{"channel":"hotline","external_id":"x1","text":"路\u200b灯\u200b坏\u200b了\u200b很\u200b久\u200b了\u200b请\u200b修\u200b\u200b\u200b"}`, "text"},
		{"invalid UTF-8 in the text", "{\"channel\":\"hotline\",\"external_id\":\"x1\",\"text\":\"小区东门的路灯坏了\xff\xfe一个多月，晚上很黑。\"}", "text"},
		{"a lone surrogate in the text", `{"channel":"hotline","external_id":"x1","text":"小区东门的路灯坏了\udc00一个多月，晚上很黑。"}`, "text"},
		{"invalid UTF-8 in the address", fmt.Sprintf("{\"channel\":\"hotline\",\"external_id\":\"x1\",\"text\":%q,\"address\":\"东门\xc3\"}", lamp), "address"},
		{"invalid UTF-8 in the contact's name", fmt.Sprintf("{\"channel\":\"hotline\",\"external_id\":\"x1\",\"text\":%q,\"contact\":{\"name\":\"王\xe4\xb8\"}}", lamp), "contact.name"},
		{"a space in the external id", fmt.Sprintf(`{"channel":"hotline","external_id":"HL 0001","text":%q}`, lamp), "external_id"},
		{"Chinese in the external id", fmt.Sprintf(`{"channel":"hotline","external_id":"编号1","text":%q}`, lamp), "external_id"},
		{"a control character in the external id", fmt.Sprintf(`{"channel":"hotline","external_id":"HL\u00000001","text":%q}`, lamp), "external_id"},
	} {
		code, m, _ := f.post(t, hotlineKey, c.body)
		if code != 400 || m["field"] != c.field || !strings.HasPrefix(fmt.Sprint(m["error"]), c.field+": ") {
			t.Errorf("%s: %d %v, want 400 naming %s", c.what, code, m, c.field)
		}
	}
	if q := f.readQueued(t); len(q) != 0 {
		t.Errorf("refused bodies queued %d", len(q))
	}
}

// Item 8: the same external id with another text is a conflict naming the
// concern it has; the same text again (once cleaned) is the duplicate it was.
func TestIntakeSameExternalIDOtherText(t *testing.T) {
	f := newFixture(t)
	body := func(text string) string {
		b, _ := json.Marshal(map[string]string{"channel": "hotline", "external_id": "HL-0100", "text": text})
		return string(b)
	}
	code, first, _ := f.post(t, hotlineKey, body(lamp))
	id, _ := first["id"].(string)
	if code != 201 || id == "" {
		t.Fatalf("first: %d %v", code, first)
	}
	code, m, _ := f.post(t, hotlineKey, body("楼下饭店油烟太大，晚上十点以后还很吵。"))
	if code != 409 || m["id"] != id || m["error"] == nil || m["error"] == "" {
		t.Errorf("the same external id with another text: %d %v, want 409 naming %s", code, m, id)
	}
	code, m, _ = f.post(t, hotlineKey, body("  "+lamp+"\u0007\n"))
	if code != 200 || m["id"] != id || m["duplicate"] != true {
		t.Errorf("the same text again, with spaces and a control character: %d %v, want 200 duplicate of %s", code, m, id)
	}
	if q := f.readQueued(t); len(q) != 1 {
		t.Errorf("%d queued, want 1", len(q))
	}
}

// Item 11: another channel's concern is not found while it is queued either.
func TestIntakeQueuedConcernOfAnotherChannel(t *testing.T) {
	f := newFixture(t)
	code, m, _ := f.post(t, hotlineKey, fmt.Sprintf(`{"channel":"hotline","external_id":"HL-1","text":%q}`, lamp))
	id, _ := m["id"].(string)
	if code != 201 {
		t.Fatalf("post: %d %v", code, m)
	}
	if code, b, _ := f.call(t, http.MethodGet, "/api/v1/concerns/"+id, webformKey, ""); code != 404 || strings.Contains(b, "queued") {
		t.Errorf("another channel reads a queued concern: %d %s, want 404", code, b)
	}
	if code, b, _ := f.call(t, http.MethodGet, "/api/v1/concerns/"+id, hotlineKey, ""); code != 200 || !strings.Contains(b, `"queued"`) {
		t.Errorf("its own channel: %d %s, want 200 queued", code, b)
	}
	// a concern queued from Telegram is no API channel's
	tg := &concern.Report{ReceivedAt: f.now, Channel: concern.ChannelTelegram, Text: lamp, ReplyChat: 5}
	tgID, err := f.st.Submit(t.Context(), "tg-draft-1", tg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if code, b, _ := f.call(t, http.MethodGet, "/api/v1/concerns/"+tgID, hotlineKey, ""); code != 404 {
		t.Errorf("a queued Telegram concern: %d %s, want 404", code, b)
	}
}

// Item 16: the intake API takes its key in a header only; a key in the URL is
// refused, saying to use the header. Open311 keeps its api_key parameter.
func TestIntakeKeyOnlyInHeaders(t *testing.T) {
	f := newFixture(t)
	body := fmt.Sprintf(`{"channel":"hotline","external_id":"HL-2","text":%q}`, lamp)
	for _, c := range []struct {
		method, path, header, body string
	}{
		{http.MethodPost, "/api/v1/concerns?api_key=" + hotlineKey, "", body},
		{http.MethodPost, "/api/v1/concerns?api_key=" + hotlineKey, hotlineKey, body},
		{http.MethodGet, "/api/v1/concerns/20261127-0001?api_key=" + hotlineKey, "", ""},
	} {
		code, b, _ := f.call(t, c.method, c.path, c.header, c.body)
		if code != 401 || !strings.Contains(b, "header") || strings.Contains(b, hotlineKey) {
			t.Errorf("%s %s (header key %v): %d %s, want 401 saying to use the header", c.method, c.path, c.header != "", code, b)
		}
	}
	if q := f.readQueued(t); len(q) != 0 {
		t.Errorf("a concern posted with the key in the URL was queued")
	}
	// X-API-Key still works
	req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/concerns", strings.NewReader(body))
	req.Header.Set("X-API-Key", hotlineKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("X-API-Key: %d", resp.StatusCode)
	}
	if code, _, b := f.o311(t, "/open311/v2/services.json"); code != 200 {
		t.Errorf("Open311 with api_key: %d %s", code, b)
	}
}
