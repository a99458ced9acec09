package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// These tests hold Open311 to issue 13: each failed on the code before it.

// Item 1: a sensitive concern is not in Open311 at all, and the notes of the
// others are masked as their text is (names too, not only numbers).
func TestOpen311WithholdsSensitiveConcerns(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	day := f.now.Add(-time.Hour)
	named := &concern.Report{ID: "20261127-0004", ReceivedAt: day, Channel: "telegram", Text: "我叫王建国，" + lamp, ReporterName: "王建国",
		Community: "阳光社区", Sector: "社会建设", Topic: "城乡建设", Status: concern.StatusInProgress, Level: concern.LevelGeneral,
		History: []concern.StatusChange{{At: day, Status: concern.StatusReceived}, {At: day.Add(time.Minute), Status: concern.StatusInProgress, Note: "已电话联系王建国，明日到场查看"}}}
	if err := f.st.SaveReport(t.Context(), named, nil); err != nil {
		t.Fatal(err)
	}
	// a sensitive concern whose note names people, as in the issue
	secret := &concern.Report{ID: "20261127-0005", ReceivedAt: day, Channel: "telegram", Text: "反映张建国书记收受红包的问题。", Sensitive: true,
		Sector: "党的建设", Topic: "纪检监察", Status: concern.StatusTransferred, Unit: "纪工委",
		History: []concern.StatusChange{{At: day, Status: concern.StatusReceived}, {At: day.Add(time.Minute), Status: concern.StatusTransferred, Note: "举报人王强已联系，张建国收红包一事已立案"}}}
	if err := f.st.SaveReport(t.Context(), secret, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/open311/v2/requests.json", "/open311/v2/requests.json?status=open", "/open311/v2/requests.json?service_code=纪检监察",
		"/open311/v2/requests.json?page_size=1&page=3", "/open311/v2/requests.xml"} {
		code, reqs, b := f.o311(t, path)
		if code != 200 || strings.Contains(b, "20261127-0003") || strings.Contains(b, "20261127-0005") || strings.Contains(b, "张建国") || strings.Contains(b, "限制公开") {
			t.Errorf("%s: %d %v: a sensitive concern is listed", path, code, ids(reqs))
		}
	}
	for _, id := range []string{"20261127-0003", "20261127-0005"} {
		for _, ext := range []string{"json", "xml"} {
			code, _, b := f.o311(t, "/open311/v2/requests/"+id+"."+ext)
			if code != 404 || !strings.Contains(b, "no service request "+id) || strings.Contains(b, "张建国") {
				t.Errorf("requests/%s.%s: %d %s, want 404 as for a concern that does not exist", id, ext, code, b)
			}
		}
	}
	code, reqs, _ := f.o311(t, "/open311/v2/requests/20261127-0004.json")
	if code != 200 || len(reqs) != 1 {
		t.Fatalf("requests/20261127-0004.json: %d %v", code, reqs)
	}
	if n := fmt.Sprint(reqs[0]["status_notes"]); strings.Contains(n, "王建国") || !strings.Contains(n, "明日到场查看") {
		t.Errorf("status_notes %q: the reporter's name is not masked as in the description", n)
	}
	if d := fmt.Sprint(reqs[0]["description"]); strings.Contains(d, "王建国") {
		t.Errorf("description %q not masked", d)
	}
}

// many makes n recorded concerns over the 14 days before now, of several
// topics and statuses, in random order of recording.
func (f *fixture) many(t *testing.T, n int, rnd *rand.Rand) []*concern.Report {
	t.Helper()
	topics := []string{"城乡建设", "环境保护", "交通运输", "民政"}
	statuses := []concern.Status{concern.StatusReceived, concern.StatusInProgress, concern.StatusClosed, concern.StatusRejected}
	var reps []*concern.Report
	for i := range n {
		at := f.now.Add(-time.Duration(rnd.Int63n(int64(14 * 24 * time.Hour))))
		reps = append(reps, &concern.Report{ReceivedAt: at, Channel: "telegram", Text: fmt.Sprintf("第%d件：%s", i, lamp),
			Topic: topics[rnd.Intn(len(topics))], Sector: "社会建设", Status: statuses[rnd.Intn(len(statuses))],
			Sensitive: rnd.Intn(20) == 0, Level: concern.LevelGeneral, Deadline: at.Add(7 * 24 * time.Hour)})
	}
	if err := f.st.Import(t.Context(), reps, nil); err != nil {
		t.Fatal(err)
	}
	return reps
}

// expect is what a requests query should list, worked out from every concern.
func expect(reps []*concern.Report, from, to time.Time, topic, status string, page, size int) []string {
	var m []*concern.Report
	for _, r := range reps {
		if r.Sensitive || r.ReceivedAt.Before(from) || r.ReceivedAt.After(to) || (topic != "" && r.Topic != topic) ||
			(status != "" && openOrClosed(r.Status) != status) {
			continue
		}
		m = append(m, r)
	}
	slices.SortStableFunc(m, func(x, y *concern.Report) int {
		return cmp.Or(x.ReceivedAt.Compare(y.ReceivedAt), strings.Compare(x.ID, y.ID))
	})
	var out []string
	for _, r := range m[min((page-1)*size, len(m)):min(page*size, len(m))] {
		out = append(out, r.ID)
	}
	return out
}

// Item 3: a page is read from the index, not from the whole window: once the
// index is built, asking for one request reads one record, and the pages agree
// with the concerns as they change.
func TestOpen311ReadsOnlyThePage(t *testing.T) {
	f := newFixture(t)
	rnd := rand.New(rand.NewSource(13))
	reps := f.many(t, 1200, rnd)
	if code, _, b := f.o311(t, "/open311/v2/requests.json?page_size=1"); code != 200 {
		t.Fatalf("first page: %d %s", code, b)
	}
	_, before := f.st.Traffic()
	code, got, b := f.o311(t, "/open311/v2/requests.json?page_size=1&page=7")
	_, after := f.st.Traffic()
	want := expect(reps, f.now.Add(-maxRange), f.now, "", "", 7, 1)
	if code != 200 || !slices.Equal(ids(got), want) {
		t.Fatalf("page 7 of 1: %d %v, want %v (%s)", code, ids(got), want, b)
	}
	t.Logf("one request of page_size=1 sent %d Redis commands", after-before)
	if n := after - before; n > 10 {
		t.Errorf("one request of page_size=1 sent %d Redis commands; the page needs a handful, not the whole window", n)
	}

	check := func(what string) {
		t.Helper()
		for range 40 {
			topic := []string{"", "城乡建设", "环境保护", "民政"}[rnd.Intn(4)]
			status := []string{"", "open", "closed"}[rnd.Intn(3)]
			size := []int{1, 7, 50, 200}[rnd.Intn(4)]
			page := 1 + rnd.Intn(max(1, 1200/size/3))
			from := f.now.Add(-time.Duration(rnd.Intn(16*24)) * time.Hour)
			to := from.Add(time.Duration(1+rnd.Intn(10*24)) * time.Hour)
			q := fmt.Sprintf("start_date=%s&end_date=%s&page=%d&page_size=%d", from.Format("2006-01-02T15:04:05Z07:00"), to.Format("2006-01-02T15:04:05Z07:00"), page, size)
			q = strings.ReplaceAll(q, "+", "%2B")
			if topic != "" {
				q += "&service_code=" + topic
			}
			if status != "" {
				q += "&status=" + status
			}
			code, got, b := f.o311(t, "/open311/v2/requests.json?"+q)
			if w := expect(reps, from, to, topic, status, page, size); code != 200 || !slices.Equal(ids(got), w) {
				t.Fatalf("%s: %s: %d %v, want %v (%.200s)", what, q, code, ids(got), w, b)
			}
		}
	}
	check("as imported")

	// staff close some, others become sensitive, new ones are recorded
	for _, r := range reps[:300] {
		var changed *concern.Report
		changed, err := f.st.UpdateReport(t.Context(), r.ID, func(c *concern.Report) error {
			if rnd.Intn(2) == 0 {
				c.Status = concern.StatusClosed
			} else {
				c.Sensitive = !c.Sensitive
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		*r = *changed
	}
	for i := range 50 {
		r := &concern.Report{ID: fmt.Sprintf("20261127-%04d", 5000+i), ReceivedAt: f.now.Add(-time.Duration(i) * time.Minute), Channel: "hotline",
			Text: lamp, Topic: "环境保护", Status: concern.StatusReceived}
		if err := f.st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	check("after changes")
}

// Item 5: page and page_size have bounds; an absurd one is refused in the
// spec's error format, never a panic.
func TestOpen311PagingBounds(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	for _, q := range []string{"page=4611686018427387904", "page=9223372036854775807&page_size=1000", "page=-1", "page=0", "page=abc", "page=1e3",
		"page=100001", "page_size=0", "page_size=-5", "page_size=1001", "page_size=99999999999999999999", "page=%00"} {
		for _, ext := range []string{"json", "xml"} {
			path := "/open311/v2/requests." + ext + "?" + q + "&api_key=" + platform
			req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %v (did the server panic?)", path, err)
				continue
			}
			buf, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(buf)
			if resp.StatusCode != 400 || !strings.Contains(body, "page") {
				t.Errorf("%s: %d %s, want 400 naming the parameter", path, resp.StatusCode, body)
			}
			if ext == "json" {
				var errs []open311Error
				if json.Unmarshal(buf, &errs) != nil || len(errs) != 1 || errs[0].Code != 400 {
					t.Errorf("%s: %s is not the spec's error list", path, body)
				}
			}
		}
	}
	// the largest page there may be is just empty
	if code, got, b := f.o311(t, "/open311/v2/requests.json?page=100000&page_size=1000"); code != 200 || len(got) != 0 {
		t.Errorf("page 100000: %d %s", code, b)
	}
}

// Item 5: whatever the query string of requests.json, no panic and no 5xx.
func FuzzOpen311Requests(f *testing.F) {
	fx := newFixture(f)
	fx.seed(f)
	for _, s := range []string{"", "page=4611686018427387904", "page=-1&page_size=-1", "page_size=1&page=2", "status=open,closed&service_code=城乡建设",
		"start_date=2026-11-01&end_date=2026-11-27", "start_date=0001-01-01&end_date=9999-12-31", "end_date=-292277022657-01-27T08:29:52Z",
		"page=9223372036854775807&page_size=9223372036854775807", "page=%ff%fe", "status=%00", "service_code=,,,", "page=1;page_size=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		// called directly, so that a panic fails the target instead of being caught by a server
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/open311/v2/requests.json", nil)
		req.URL.RawQuery = query + "&api_key=" + platform
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("?%s: %d %s", query, rec.Code, rec.Body.String())
		}
	})
}
