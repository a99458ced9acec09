package api

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func limited(intake, open311 float64, burst int) func(*Config) {
	return func(c *Config) {
		c.IntakeRate, c.IntakeBurst, c.Open311Rate, c.Open311Burst = intake, burst, open311, burst
	}
}

// Item 4: each intake channel and each Open311 key has a bucket; past it, 429
// with Retry-After in whole seconds and the API's own error body. Two instances
// on one Redis share the buckets.
func TestKeyedAPIsAreRateLimited(t *testing.T) {
	f := newFixture(t, limited(0.5, 0.5, 3))
	// a second instance of the APIs over the same Redis
	other := New(f.st, f.api.cases, f.tax, Config{IntakeKeys: map[string]string{hotlineKey: "hotline", webformKey: "webform"},
		Open311Keys: map[string]string{platform: "citizen-platform"}, IntakeRate: 0.5, IntakeBurst: 3, Open311Rate: 0.5, Open311Burst: 3},
		WithClock(func() time.Time { return f.now }), WithLogger(quiet))
	mux := http.NewServeMux()
	other.Register(mux)
	second := httptest.NewServer(mux)
	t.Cleanup(second.Close)

	post := func(url, key string, i int) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/concerns",
			strings.NewReader(fmt.Sprintf(`{"channel":%q,"external_id":"E-%d","text":%q}`, map[string]string{hotlineKey: "hotline", webformKey: "webform"}[key], i, lamp)))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for i, url := range []string{f.url, second.URL, f.url} {
		if code, b, _ := post(url, hotlineKey, i); code != 201 {
			t.Fatalf("concern %d of a burst of 3: %d %s", i, code, b)
		}
	}
	code, b, h := post(second.URL, hotlineKey, 3)
	var m map[string]any
	if code != 429 || h.Get("Retry-After") != "2" || json.Unmarshal([]byte(b), &m) != nil || !strings.Contains(fmt.Sprint(m["error"]), "too many") {
		t.Fatalf("the 4th at once: %d Retry-After %q %s; want 429, 2 s (one every 2 s), an error body", code, h.Get("Retry-After"), b)
	}
	if code, b, _ := post(f.url, webformKey, 4); code != 201 {
		t.Errorf("another channel is limited by this one's bucket: %d %s", code, b)
	}
	// reading a concern's status is not a submission
	if code, _, _ := f.call(t, http.MethodGet, "/api/v1/concerns/20261127-0001", hotlineKey, ""); code != 200 {
		t.Errorf("status read of a limited channel: %d", code)
	}

	// Open311: the spec's error list, JSON and XML
	for range 3 {
		if code, _, b := f.o311(t, "/open311/v2/services.json"); code != 200 {
			t.Fatalf("Open311 within the burst: %d %s", code, b)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, second.URL+"/open311/v2/requests.json?api_key="+platform, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var errs []open311Error
	json.NewDecoder(resp.Body).Decode(&errs)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || len(errs) != 1 || errs[0].Code != 429 {
		t.Errorf("Open311 past the burst, on the other instance: %d %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), errs)
	}
	code, _, xb := f.o311(t, "/open311/v2/requests.xml")
	var xe xmlErrors
	if code != 429 || xml.Unmarshal([]byte(xb), &xe) != nil || len(xe.Errors) != 1 || xe.Errors[0].Code != 429 {
		t.Errorf("Open311 XML past the burst: %d %s", code, xb)
	}
}

// With Redis down the limits hold per instance: what is within them goes on (an
// Open311 services list needs no Redis), a flood is still refused.
func TestRateLimitsWithRedisDown(t *testing.T) {
	f := newFixture(t, limited(0.5, 0.5, 3))
	srv.Down()
	t.Cleanup(func() { srv.Up() })
	for i := range 3 {
		if code, _, b := f.o311(t, "/open311/v2/services.json"); code != 200 {
			t.Fatalf("request %d within the burst, Redis down: %d %s", i, code, b)
		}
	}
	if code, _, b := f.o311(t, "/open311/v2/services.json"); code != 429 {
		t.Errorf("past the burst, Redis down: %d %s; want 429 from this instance's own bucket", code, b)
	}
}

// Requests queries run in a few slots at once, so that a flood of them leaves
// the CPU to the webhook; one that waits too long for a slot is told to come
// back (503, Retry-After), in the spec's error format.
func TestOpen311RequestsWaitForASlot(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Open311Slots = 1 })
	f.seed(t)
	f.api.slotWait = 100 * time.Millisecond
	f.api.slots <- struct{}{} // another request holds the only slot
	code, _, b := f.o311(t, "/open311/v2/requests.json")
	var errs []open311Error
	if code != 503 || json.Unmarshal([]byte(b), &errs) != nil || len(errs) != 1 || errs[0].Code != 503 {
		t.Errorf("with every slot taken: %d %s, want 503 in the spec's format", code, b)
	}
	if code, _, _ := f.o311(t, "/open311/v2/requests/20261127-0001.json"); code != 200 {
		t.Errorf("one request by id needs no slot: %d", code)
	}
	<-f.api.slots
	if code, reqs, b := f.o311(t, "/open311/v2/requests.json"); code != 200 || len(reqs) != 2 {
		t.Errorf("with the slot free: %d %s", code, b)
	}
	if len(f.api.slots) != 0 {
		t.Errorf("a request kept its slot")
	}
}
