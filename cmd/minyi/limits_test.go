package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const (
	limitsHotlineKey = "hotline-key-for-the-limits-test-0001"
	limitsReaderKey  = "reader-key-for-the-limits-test-00001"
)

// Issue 13, item 4: with the default limits, a channel's key that floods the
// intake API, and a platform's key that floods Open311, are answered 429 with
// Retry-After in whole seconds and the API's own error body, while what a
// hotline or a platform sends in a normal day passes.
func TestKeyedAPIsAreLimitedByDefault(t *testing.T) {
	srv.Flush(t)
	startFleet(t, srv.URL())
	t.Setenv("MINYI_WEBHOOK_URL", "")
	addr := freeAddr(t)
	t.Setenv("MINYI_HTTP_ADDR", addr)
	t.Setenv("MINYI_API_KEYS", "hotline="+limitsHotlineKey)
	t.Setenv("MINYI_OPEN311_KEYS", "reader="+limitsReaderKey)
	startInstance(t, "limits", "")
	waitListening(t, addr)

	type answer struct {
		code       int
		retryAfter string
		body       string
	}
	do := func(req *http.Request) answer {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
	}

	// a flood of 100 concerns from one channel as fast as it can send
	var created, limited int
	var last answer
	for i := range 100 {
		body := fmt.Sprintf(`{"channel":"hotline","external_id":"FLOOD-%d","text":"小区%d号楼门口的路灯坏了一个多月，晚上很黑。"}`, i, i)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/concerns", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+limitsHotlineKey)
		a := do(req)
		switch a.code {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
			limited++
			last = a
		default:
			t.Fatalf("concern %d: %d %s", i, a.code, a.body)
		}
	}
	if created < 50 || limited < 20 {
		t.Errorf("a flood of 100 concerns: %d created, %d refused; want the burst in and the rest refused", created, limited)
	}
	var m map[string]any
	if secs, err := strconv.Atoi(last.retryAfter); err != nil || secs < 1 || json.Unmarshal([]byte(last.body), &m) != nil || m["error"] == nil {
		t.Errorf("429 from the intake API: Retry-After %q, body %s; want whole seconds and {\"error\":…}", last.retryAfter, last.body)
	}

	// a platform asking for 60 pages at once
	var pages, refused int
	var lastO answer
	for range 60 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/open311/v2/requests.json?page_size=1&api_key="+limitsReaderKey, nil)
		a := do(req)
		switch a.code {
		case http.StatusOK:
			pages++
		case http.StatusTooManyRequests:
			refused++
			lastO = a
		default:
			t.Fatalf("Open311: %d %s", a.code, a.body)
		}
	}
	if pages < 10 || refused < 20 {
		t.Errorf("60 pages at once: %d served, %d refused; want the burst served and the rest refused", pages, refused)
	}
	var errs []map[string]any
	if secs, err := strconv.Atoi(lastO.retryAfter); err != nil || secs < 1 || json.Unmarshal([]byte(lastO.body), &errs) != nil || len(errs) != 1 || errs[0]["code"] != float64(429) {
		t.Errorf("429 from Open311: Retry-After %q, body %s; want whole seconds and the spec's error list", lastO.retryAfter, lastO.body)
	}
}
