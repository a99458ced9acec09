package workbench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var (
	srv   *storetest.Server
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

// told keeps what the service put in chats' inboxes.
type told struct {
	mu  sync.Mutex
	got []flows.Input
}

func (t *told) Ingest(_ context.Context, in ...flows.Input) ([]bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.got = append(t.got, in...)
	return make([]bool, len(in)), nil
}

func (t *told) to(chat int64) []flows.Input {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []flows.Input
	for _, in := range t.got {
		if in.ChatID == chat {
			out = append(out, in)
		}
	}
	return out
}

// The people of the tests, by role.
const (
	admin    = int64(9001)
	staffer  = int64(3001)
	worker   = int64(2001) // a grid worker of 阳光社区/第一网格
	resident = int64(1001)
	peace    = int64(3002) // staff of 和平社区 only
)

// photos is the Bot API's files, as the service fetches them.
type photos struct{}

func (photos) Photo(_ context.Context, id string) (io.ReadCloser, string, error) {
	if id != "P1" {
		return nil, "", errors.New("no such file")
	}
	return io.NopCloser(strings.NewReader("\x89PNG\r\n\x1a\nphoto")), "image/png", nil
}

type fixture struct {
	t       testing.TB
	st      *store.Store
	svc     *cases.Service
	url     string
	told    *told
	plain   string // a concern of 阳光社区/第一网格, reported by resident
	other   string // of 和平社区
	secret  string // sensitive
	fileted string // filed by the grid worker, in 和平社区
	urgent  string // urgent, in 阳光社区, its alert raised
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, told: &told{}}
	f.svc = cases.New(st, f.told, cases.Config{Admins: []int64{admin}, StaffChat: -100}, cases.WithLogger(quiet), cases.WithIndex(index.New(st)),
		cases.WithFiles(photos{}), cases.WithDigests(digest.NewBuilder(st, []string{"城乡建设"}, time.UTC)))
	for _, m := range []concern.Member{{UserID: staffer, Role: concern.RoleStaff}, {UserID: worker, Role: concern.RoleGrid, Community: "阳光社区", Grid: "第一网格"},
		{UserID: peace, Role: concern.RoleStaff, Community: "和平社区"}} {
		if err := st.SetMember(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(-time.Hour)
	save := func(r *concern.Report) string {
		r.ReceivedAt, r.Status, r.Channel = at, concern.StatusReceived, "telegram"
		r.History = []concern.StatusChange{{At: at, Status: concern.StatusReceived}}
		id, err := st.Submit(t.Context(), r.DraftID, r, 0)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		if err := st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.plain = save(&concern.Report{DraftID: "d1", Text: "小区东门的路灯坏了一个多月，电话13800001234", Community: "阳光社区", Grid: "第一网格",
		ReporterID: resident, ReporterName: "张三", Phone: "13800001234", ReplyChat: resident, Photos: []string{"P1"},
		Location: &concern.Location{Lat: 31.2304, Lon: 121.4737}})
	f.other = save(&concern.Report{DraftID: "d2", Text: "和平社区的垃圾站没人清运", Community: "和平社区", Grid: "第一网格", ReplyChat: 1002})
	f.secret = save(&concern.Report{DraftID: "d3", Text: "举报村干部贪污扶贫款", Community: "阳光社区", Grid: "第一网格", Sensitive: true, SensitiveReason: "反腐"})
	f.fileted = save(&concern.Report{DraftID: "d4", Text: "代居民反映：和平社区楼道灯坏了", Community: "和平社区", Grid: "第二网格", FiledBy: worker})
	f.urgent = save(&concern.Report{DraftID: "d5", Text: "阳光社区3号楼有煤气味，很浓", Community: "阳光社区", Grid: "第二网格", Urgent: true, UrgentReason: "燃气"})
	if r, err := st.Report(t.Context(), f.urgent); err != nil {
		t.Fatal(err)
	} else if err := f.svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	cat, err := locale.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	wb, err := New(f.svc, cat, WithLogger(quiet), WithUnits("区住建局"), WithGrids("阳光社区/第一网格", "和平社区/第一网格"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	wb.Register(mux)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	f.url = s.URL
	return f
}

// browser is one person's browser: its cookies, and the page last read.
type browser struct {
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a browser signed in as user through a link the bot would give.
func (f *fixture) signedIn(user int64) *browser {
	f.t.Helper()
	b := f.browser()
	a := cases.Actor{UserID: user, Role: concern.RoleStaff, Lang: "zh"}
	switch user {
	case admin:
		a.Role = concern.RoleAdmin
	case worker:
		a.Role = concern.RoleGrid
	case peace:
		a.Community = "和平社区"
	}
	code, _, err := f.svc.SignInLink(f.t.Context(), a)
	if err != nil {
		f.t.Fatal(err)
	}
	if code, _ := b.post("/staff/signin", url.Values{"code": {code}}); code != http.StatusSeeOther {
		f.t.Fatalf("sign-in answered %d", code)
	}
	return b
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (int, string) {
	b.f.t.Helper()
	resp, err := b.c.Get(b.f.url + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfPattern.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.f.t.Helper()
	resp, err := b.c.PostForm(b.f.url+path, form)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Every page and JSON endpoint as every kind of visitor: nobody signed in,
// someone holding a resident's would-be cookie, a grid worker, staff, an admin.
// Each gets what they may and 401, 403 or 404 otherwise; a sensitive concern
// does not exist outside admins.
func TestEveryEndpointAsEveryRole(t *testing.T) {
	f := newFixture(t)
	visitors := map[string]*browser{"none": f.browser(), "grid": f.signedIn(worker), "staff": f.signedIn(staffer), "admin": f.signedIn(admin),
		"community": f.signedIn(peace)}
	forged := f.browser()
	u, _ := url.Parse(f.url + "/staff/")
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: "1001.made-up", Path: "/staff/"}})
	visitors["resident"] = forged
	want := map[string]map[string]int{
		"/staff/":                                   {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/concerns":                           {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/concerns/" + f.plain:                {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 404, "admin": 200},
		"/staff/concerns/" + f.other:                {"none": 401, "resident": 401, "grid": 404, "staff": 200, "community": 200, "admin": 200},
		"/staff/concerns/" + f.secret:               {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 200},
		"/staff/concerns/" + f.fileted:              {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/concerns/20261126-9999":             {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/concerns/" + f.plain + "/photos/1":  {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 404, "admin": 200},
		"/staff/concerns/" + f.plain + "/photos/2":  {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/concerns/" + f.secret + "/photos/1": {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/api/v1/concerns":                    {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/api/v1/concerns/" + f.secret:        {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 200},
		"/staff/api/v1/concerns/" + f.other:         {"none": 401, "resident": 401, "grid": 404, "staff": 200, "community": 200, "admin": 200},
		"/staff/api/v1/concerns/" + f.plain:         {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 404, "admin": 200},
		"/staff/concerns?status=all&q=" + "贪污":      {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/api/v1/concerns?status=all&q=贪污":    {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/api/v1/concerns?phone=13800001234":  {"none": 401, "resident": 401, "grid": 403, "staff": 403, "community": 403, "admin": 200},
		"/staff/api/v1/concerns?sensitive=1":        {"none": 401, "resident": 401, "grid": 403, "staff": 403, "community": 403, "admin": 200},
		"/staff/api/v1/concerns?from=2026-13-01":    {"none": 401, "resident": 401, "grid": 400, "staff": 400, "community": 400, "admin": 400},
		"/staff/export":                             {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 200, "admin": 200},
		"/staff/export/csv?status=all":              {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 200, "admin": 200},
		"/staff/export/xlsx?status=all":             {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 200, "admin": 200},
		"/staff/export/pdf":                         {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/digest?period=today":                {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200},
		"/staff/digest?period=2026-02-30":           {"none": 401, "resident": 401, "grid": 400, "staff": 400, "community": 400, "admin": 400},
		"/staff/digest/brief.html?period=today":     {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200},
		"/staff/digest/workbook.xlsx?period=today":  {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200},
		"/staff/digest/other.txt?period=today":      {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
	}
	for path, codes := range want {
		for who, code := range codes {
			got, body := visitors[who].get(path)
			if got != code {
				t.Errorf("GET %s as %s: %d, want %d", path, who, got, code)
			}
			// the digest names sensitive concerns by number only, as in chat, for admins to take up
			named := strings.Contains(path, f.secret) || strings.HasPrefix(path, "/staff/digest")
			if who != "admin" && (strings.Contains(body, "贪污扶贫款") || strings.Contains(body, f.secret) && !named) {
				t.Errorf("GET %s as %s shows the sensitive concern:\n%s", path, who, body)
			}
		}
	}
	// what each sees listed
	_, grid := visitors["grid"].get("/staff/api/v1/concerns")
	if !strings.Contains(grid, f.plain) || !strings.Contains(grid, f.fileted) || strings.Contains(grid, f.other) {
		t.Errorf("the grid worker's list: %s", grid)
	}
	_, staff := visitors["staff"].get("/staff/api/v1/concerns")
	if !strings.Contains(staff, `"total":4`) || strings.Contains(staff, "13800001234") {
		t.Errorf("staff's list (4 concerns, phone masked in lists): %s", staff)
	}
	_, peace := visitors["community"].get("/staff/api/v1/concerns")
	if !strings.Contains(peace, `"total":2`) || !strings.Contains(peace, f.other) || !strings.Contains(peace, f.fileted) {
		t.Errorf("和平社区's staff's list (its 2 concerns): %s", peace)
	}
	_, found := visitors["admin"].get("/staff/api/v1/concerns?status=all&phone=" + url.QueryEscape("138 0000 1234"))
	if !strings.Contains(found, `"total":1`) || !strings.Contains(found, f.plain) {
		t.Errorf("an admin's lookup by phone: %s", found)
	}
	// changes: only staff, and only with the session's token
	id := f.plain
	for who, wantCode := range map[string]int{"none": 401, "resident": 401, "grid": 403, "community": 404} {
		b := visitors[who]
		if code, _ := b.post("/staff/concerns/"+id+"/accept", url.Values{"csrf": {b.csrf}}); code != wantCode {
			t.Errorf("POST accept as %s: %d, want %d", who, code, wantCode)
		}
	}
	if r, _ := f.st.Report(t.Context(), id); r.Status != concern.StatusReceived {
		t.Fatalf("a refused visitor changed the concern: %s", r.Status)
	}
}

// A change needs the session's CSRF token; with it, it goes through the case
// service: the reporter is told, the audit has it, and the same form sent twice
// changes the concern once.
func TestChangesNeedTheirTokenAndAreDoneOnce(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(staffer)
	id := f.plain
	if code, _ := b.get("/staff/concerns/" + id); code != 200 || b.csrf == "" {
		t.Fatalf("the page: %d, token %q", code, b.csrf)
	}
	if code, body := b.post("/staff/concerns/"+id+"/accept", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden || !strings.Contains(body, "没有任何改动") {
		t.Fatalf("a forged token: %d\n%s", code, body)
	}
	if code, _ := b.post("/staff/concerns/"+id+"/accept", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("no token: %d", code)
	}
	form := url.Values{"csrf": {b.csrf}, "req": {"form-1"}, "text": {"区住建局"}}
	for range 2 {
		if code, _ := b.post("/staff/concerns/"+id+"/assign", form); code != http.StatusSeeOther {
			t.Fatalf("assign: %d", code)
		}
	}
	r, _ := f.st.Report(t.Context(), id)
	if r.Status != concern.StatusTransferred || r.Unit != "区住建局" || len(r.History) != 2 {
		t.Fatalf("after assigning twice: %s %q, %d steps", r.Status, r.Unit, len(r.History))
	}
	if n := len(f.told.to(resident)); n != 1 {
		t.Fatalf("the reporter was told %d times", n)
	}
	// closing without the result is refused on the page, in words, changing nothing
	code, body := b.post("/staff/concerns/"+id+"/status", url.Values{"csrf": {b.csrf}, "req": {"form-2"}, "status": {"closed"}})
	if code != http.StatusConflict || !strings.Contains(body, "必须写明办理结果") {
		t.Fatalf("closing without a note: %d\n%s", code, body)
	}
	if code, _ := b.post("/staff/concerns/"+id+"/status", url.Values{"csrf": {b.csrf}, "req": {"form-3"}, "status": {"closed"}, "text": {"路灯已修复"}}); code != http.StatusSeeOther {
		t.Fatalf("closing: %d", code)
	}
	if code, _ := b.post("/staff/concerns/"+id+"/note", url.Values{"csrf": {b.csrf}, "req": {"form-4"}, "text": {"已回访"}}); code != http.StatusSeeOther {
		t.Fatalf("a note: %d", code)
	}
	trail, _ := f.st.AuditTrail(t.Context(), id)
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "signin") && !strings.Contains(got, "assign") || !strings.Contains(got, "status") || !strings.Contains(got, "note") {
		t.Fatalf("audit: %s", got)
	}
	if told := f.told.to(resident); len(told) != 2 || told[1].Event.Note != "路灯已修复" {
		t.Fatalf("the reporter heard: %+v", told)
	}
	_, page := b.get("/staff/concerns/" + id)
	for _, want := range []string{"路灯已修复", "内部备注；已回访", "区住建局"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// A sign-in link works once; a session ends by signing out, by idling out, and
// — every one of the member's — when their role is revoked.
func TestLinksAndSessions(t *testing.T) {
	f := newFixture(t)
	code, _, err := f.svc.SignInLink(t.Context(), cases.Actor{UserID: staffer, Role: concern.RoleStaff, Lang: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SignInLink(t.Context(), cases.Actor{UserID: resident, Role: concern.RoleResident}); err == nil {
		t.Fatal("a resident got a sign-in link")
	}
	b := f.browser()
	if got, body := b.get("/staff/signin?code=" + code); got != 200 || !strings.Contains(body, code) {
		t.Fatalf("the link's page (which must not use it up): %d", got)
	}
	if got, _ := b.post("/staff/signin", url.Values{"code": {code}}); got != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", got)
	}
	resp, _ := b.c.Get(f.url + "/staff/")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after sign-in: %d", resp.StatusCode)
	}
	again := f.browser()
	if got, body := again.post("/staff/signin", url.Values{"code": {code}}); got != http.StatusUnauthorized || !strings.Contains(body, "登录链接无效") {
		t.Fatalf("a used link: %d", got)
	}
	if got, _ := again.post("/staff/signin", url.Values{"code": {"made-up"}}); got != http.StatusUnauthorized {
		t.Fatalf("a made-up link: %d", got)
	}
	// signing out ends this session only
	other := f.signedIn(staffer)
	b.get("/staff/")
	if got, _ := b.post("/staff/signout", url.Values{"csrf": {b.csrf}}); got != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", got)
	}
	if got, _ := b.get("/staff/"); got != http.StatusUnauthorized {
		t.Fatalf("after signing out: %d", got)
	}
	if got, _ := other.get("/staff/"); got != 200 {
		t.Fatalf("the other session after signing out of one: %d", got)
	}
	// idle: the session's key runs out
	idle := f.signedIn(staffer)
	u, _ := url.Parse(f.url + "/staff/")
	cookies := idle.c.Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != cookieName {
		t.Fatalf("cookies: %v", cookies)
	}
	user, token, _ := strings.Cut(cookies[0].Value, ".")
	if got := srv.Do(t, "PEXPIRE", "minyi:web:{"+user+"}:sess:"+token, "1"); !strings.HasSuffix(got, "1") {
		t.Fatalf("PEXPIRE: %s", got)
	}
	time.Sleep(20 * time.Millisecond)
	if got, _ := idle.get("/staff/"); got != http.StatusUnauthorized {
		t.Fatalf("an idle session: %d", got)
	}
	// revoked: every session of the member ends at once
	one, two := f.signedIn(staffer), f.signedIn(staffer)
	if _, err := f.svc.Revoke(t.Context(), cases.Actor{UserID: admin, Role: concern.RoleAdmin, Request: "r1"}, staffer); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*browser{one, two} {
		if got, _ := s.get("/staff/"); got != http.StatusUnauthorized {
			t.Fatalf("a revoked member's session: %d", got)
		}
	}
	if n := srv.Do(t, "EXISTS", "minyi:web:{3001}:sessions"); !strings.HasSuffix(n, "0") {
		t.Fatalf("the revoked member's sessions are still listed: %s", n)
	}
}

// Several concerns at once: each goes through the service as if done alone, a
// refused one is listed with why, and the form sent twice changes nothing more.
func TestBulkActions(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(staffer)
	b.get("/staff/concerns")
	form := url.Values{"csrf": {b.csrf}, "req": {"bulk-1"}, "action": {"assign"}, "text": {"区住建局"},
		"id": {f.plain, f.other, f.secret, "20261126-9999", "not-an-id"}, "back": {"/staff/concerns?status=all"}}
	for range 2 {
		code, body := b.post("/staff/concerns/bulk", form)
		if code != 200 || !strings.Contains(body, "已办理 2 件") || !strings.Contains(body, "2 件没有办理") || strings.Contains(body, "贪污") {
			t.Fatalf("bulk assign: %d\n%s", code, body)
		}
	}
	for _, id := range []string{f.plain, f.other} {
		r, _ := f.st.Report(t.Context(), id)
		if r.Unit != "区住建局" || len(r.History) != 2 {
			t.Errorf("%s after the bulk form twice: %q, %d steps", id, r.Unit, len(r.History))
		}
	}
	if r, _ := f.st.Report(t.Context(), f.secret); r.Unit != "" {
		t.Errorf("staff referred a sensitive concern: %q", r.Unit)
	}
	if n := len(f.told.to(resident)); n != 1 {
		t.Errorf("the reporter was told %d times", n)
	}
	// duplicates of one concern
	code, body := b.post("/staff/concerns/bulk", url.Values{"csrf": {b.csrf}, "req": {"bulk-2"}, "action": {"dup"}, "other": {f.plain},
		"id": {f.fileted, f.plain}})
	if code != 200 || !strings.Contains(body, "已办理 1 件") {
		t.Fatalf("bulk duplicates: %d\n%s", code, body)
	}
	if r, _ := f.st.Report(t.Context(), f.fileted); r.DuplicateOf != f.plain || r.Status != concern.StatusDuplicate {
		t.Errorf("the duplicate: %s of %q", r.Status, r.DuplicateOf)
	}
	// refused before anything: nothing ticked, no unit, no token, a grid worker
	for _, c := range []struct {
		who  *browser
		form url.Values
		code int
		says string
	}{
		{b, url.Values{"csrf": {b.csrf}, "action": {"assign"}, "text": {"x"}}, 400, "没有勾选"},
		{b, url.Values{"csrf": {b.csrf}, "action": {"assign"}, "id": {f.other}}, 400, "不能为空"},
		{b, url.Values{"csrf": {b.csrf}, "action": {"dup"}, "id": {f.other}, "other": {"abc"}}, 400, "原诉求的编号"},
		{b, url.Values{"action": {"assign"}, "text": {"x"}, "id": {f.other}}, 403, "没有任何改动"},
	} {
		if code, body := c.who.post("/staff/concerns/bulk", c.form); code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%v: %d\n%s", c.form, code, body)
		}
	}
	g := f.signedIn(worker)
	g.get("/staff/concerns")
	if code, _ := g.post("/staff/concerns/bulk", url.Values{"csrf": {g.csrf}, "action": {"assign"}, "text": {"x"}, "id": {f.plain}}); code != 403 {
		t.Errorf("a grid worker's bulk action: %d", code)
	}
}

// An export is the filter's concerns, masked: no name, phone or sensitive text,
// no internal note; it is audited with its filter.
func TestExportOfTheFilter(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(admin)
	b.get("/staff/concerns/" + f.plain)
	b.post("/staff/concerns/"+f.plain+"/note", url.Values{"csrf": {b.csrf}, "req": {"n1"}, "text": {"联系了张三本人"}})
	code, body := b.get("/staff/export/csv?status=all&community=" + url.QueryEscape("阳光社区"))
	if code != 200 {
		t.Fatalf("export: %d\n%s", code, body)
	}
	for _, leak := range []string{"13800001234", "张三", "贪污扶贫款", "联系了"} {
		if strings.Contains(body, leak) {
			t.Errorf("the export holds %q:\n%s", leak, body)
		}
	}
	if !strings.HasPrefix(body, "\uFEFF编号") || !strings.Contains(body, f.plain) || !strings.Contains(body, "电话[手机号]") ||
		!strings.Contains(body, "（敏感事项，内容限制查阅）") || strings.Contains(body, f.other) {
		t.Errorf("the export:\n%s", body)
	}
	// the office's audit stream has it, with the filter
	last := "local r = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1) return r[1][2][2]"
	if stream := srv.Do(t, "EVAL", last, "1", "minyi:audit"); !strings.Contains(stream, `"action":"export"`) ||
		!strings.Contains(stream, "3 csv community=阳光社区 status=all") {
		t.Errorf("the export is not audited with its filter: %s", stream)
	}
	resp, err := b.c.Get(f.url + "/staff/export/xlsx?status=all")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), ".xlsx") {
		t.Errorf("the workbook's headers: %v", resp.Header)
	}
}

// The concern's page: its photo through the workbench (an image, never a
// Telegram link), its point as a map link, 已知悉 on its urgent alert; the
// list's order, its problems in words, and the language switch.
func TestConcernPageAndListTools(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(staffer)
	_, page := b.get("/staff/concerns/" + f.plain)
	for _, want := range []string{`<img src="/staff/concerns/` + f.plain + `/photos/1"`, `href="geo:31.230400,121.473700"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "api.telegram.org") || strings.Contains(page, "P1") {
		t.Errorf("the page shows the Telegram file")
	}
	resp, err := b.c.Get(f.url + "/staff/concerns/" + f.plain + "/photos/1")
	if err != nil {
		t.Fatal(err)
	}
	photo, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Content-Security-Policy") != "default-src 'none'" || !strings.HasSuffix(string(photo), "photo") {
		t.Errorf("the photo: %v %q", resp.Header, photo)
	}

	// 已知悉
	_, page = b.get("/staff/concerns/" + f.urgent)
	if !strings.Contains(page, "/staff/concerns/"+f.urgent+"/ack") {
		t.Fatalf("no 已知悉 on an urgent concern's page:\n%s", page)
	}
	_, dash := b.get("/staff/")
	if !strings.Contains(dash, `<span class="n">1</span> 紧急未确认`) {
		t.Errorf("the dashboard does not count the alert waiting:\n%s", dash)
	}
	if code, _ := b.post("/staff/concerns/"+f.urgent+"/ack", url.Values{"csrf": {b.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("已知悉: %d", code)
	}
	if r, _ := f.st.Report(t.Context(), f.urgent); r.Ack == nil || r.Ack.By != staffer {
		t.Fatalf("the acknowledgement: %+v", r.Ack)
	}
	if _, dash = b.get("/staff/"); !strings.Contains(dash, `<span class="n">0</span> 紧急未确认`) {
		t.Errorf("the dashboard after 已知悉:\n%s", dash)
	}
	// the community's staff may not acknowledge outside their community
	p := f.signedIn(peace)
	p.get("/staff/")
	if code, _ := p.post("/staff/concerns/"+f.urgent+"/ack", url.Values{"csrf": {p.csrf}}); code != 404 {
		t.Errorf("和平社区's staff acknowledged 阳光社区's alert: %d", code)
	}

	// orders: oldest first is the reverse of newest first
	order := func(path string) []string {
		_, body := b.get(path)
		return regexp.MustCompile(`<td><a href="/staff/concerns/([0-9-]+)">`).FindAllStringSubmatch(body, -1)[0][1:]
	}
	first, last := order("/staff/concerns?status=all")[0], order("/staff/concerns?status=all&sort=old")[0]
	if first == last {
		t.Errorf("newest and oldest first begin alike: %s", first)
	}
	// a number in the search box opens the concern; a bad date is said, and left out
	if resp, _ := b.c.Get(f.url + "/staff/concerns?q=" + f.other); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/concerns/"+f.other {
		t.Errorf("looking up by number: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, body := b.get("/staff/concerns?status=bogus&from=2026-1-1"); code != 200 || !strings.Contains(body, "“2026-1-1”不是日期") || !strings.Contains(body, "没有“bogus”这个状态") {
		t.Errorf("a bad filter: %d\n%s", code, body)
	}
	// English, kept for the session's browser; back where it was
	b.get("/staff/concerns?status=all")
	code, _ := b.post("/staff/lang", url.Values{"csrf": {b.csrf}, "lang": {"en"}, "back": {"/staff/concerns?status=all"}})
	if code != http.StatusSeeOther {
		t.Fatalf("the language switch: %d", code)
	}
	if _, body := b.get("/staff/concerns?status=all"); !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Concerns") || !strings.Contains(body, "中文") {
		t.Errorf("the list in English:\n%s", body)
	}
	if code, _ := b.post("/staff/lang", url.Values{"csrf": {b.csrf}, "lang": {"zh"}, "back": {"https://evil.example/"}}); code != http.StatusSeeOther {
		t.Fatalf("the language switch: %d", code)
	}
	resp, _ = b.c.PostForm(f.url+"/staff/lang", url.Values{"csrf": {b.csrf}, "lang": {"zh"}, "back": {"//evil.example/"}})
	if loc := resp.Header.Get("Location"); loc != "/staff/" {
		t.Errorf("the switch went back to %q", loc)
	}
}
