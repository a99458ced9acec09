package workbench

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
)

// compose drafts an item as who, through the service, as a chat's /info new does.
func (f *fixture) compose(who int64, role concern.Role, ids ...string) *info.Item {
	f.t.Helper()
	d, err := f.svc.ComposeInfo(f.t.Context(), cases.Actor{UserID: who, Role: role, Lang: "zh"}, cases.InfoFrom{Concerns: ids})
	if err != nil {
		f.t.Fatal(err)
	}
	return d.Item
}

func (f *fixture) item(id int64) *info.Item {
	f.t.Helper()
	it, err := f.st.Info(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

// fetch is a GET that keeps the headers, for the files.
func (b *browser) fetch(path string) (*http.Response, []byte) {
	b.f.t.Helper()
	resp, err := b.c.Get(b.f.url + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// The 信息 pages, files and JSON as every kind of visitor: they are the
// office's, so grid workers and a community's staff get 403; an item of a
// sensitive concern does not exist outside admins.
func TestInfoEndpointsAsEveryRole(t *testing.T) {
	f := newFixture(t)
	plain := f.compose(staffer, concern.RoleStaff, f.plain, f.other)
	secret := f.compose(admin, concern.RoleAdmin, f.secret)
	visitors := map[string]*browser{"none": f.browser(), "grid": f.signedIn(worker), "staff": f.signedIn(staffer), "admin": f.signedIn(admin),
		"community": f.signedIn(peace)}
	forged := f.browser()
	u, _ := url.Parse(f.url + "/staff/")
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: "1001.made-up", Path: "/staff/"}})
	visitors["resident"] = forged
	p, s := strconv.FormatInt(plain.ID, 10), strconv.FormatInt(secret.ID, 10)
	office := map[string]int{"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200}
	adminsOnly := map[string]int{"none": 401, "resident": 401, "grid": 403, "staff": 404, "community": 403, "admin": 200}
	missing := map[string]int{"none": 401, "resident": 401, "grid": 403, "staff": 404, "community": 403, "admin": 404}
	want := map[string]map[string]int{
		"/staff/info":                     office,
		"/staff/info?state=review":        office,
		"/staff/info/" + p:                office,
		"/staff/info/" + p + "/docx":      office,
		"/staff/info/" + p + "/html":      office,
		"/staff/info/" + s:                adminsOnly,
		"/staff/info/" + s + "/docx":      adminsOnly,
		"/staff/info/" + s + "/html":      adminsOnly,
		"/staff/info/999":                 missing,
		"/staff/info/abc":                 {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/info/" + p + "/pdf":       {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/api/v1/info":              office,
		"/staff/api/v1/info/" + p:         office,
		"/staff/api/v1/info/" + s:         adminsOnly,
		"/staff/api/v1/info/999":          missing,
		"/staff/api/v1/info/" + p + "x":   {"none": 401, "resident": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/concerns/" + f.plain:      {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 404, "admin": 200},
		"/staff/":                         {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
		"/staff/digest?period=today":      {"none": 401, "resident": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200},
		"/staff/concerns?status=all&q=路灯": {"none": 401, "resident": 401, "grid": 200, "staff": 200, "community": 200, "admin": 200},
	}
	for path, codes := range want {
		for who, code := range codes {
			got, body := visitors[who].get(path)
			if got != code {
				t.Errorf("GET %s as %s: %d, want %d\n%s", path, who, got, code, body)
			}
			if who != "admin" && (strings.Contains(body, "贪污") || strings.Contains(body, `href="/staff/info/`+s+`"`)) {
				t.Errorf("GET %s as %s shows the sensitive item:\n%s", path, who, body)
			}
			// the links and buttons of 信息 are for the office's staff and admins only
			links := strings.Contains(body, `href="/staff/info"`) || strings.Contains(body, `action="/staff/info/new"`) || strings.Contains(body, `value="info"`)
			if code == 200 && !strings.HasPrefix(path, "/staff/api/") && !strings.Contains(path, "/docx") && !strings.Contains(path, "/html") && links != (who == "staff" || who == "admin") {
				t.Errorf("GET %s as %s: links to 信息 %v", path, who, links)
			}
		}
	}
	// a community's staff are told why, in the service's words
	if _, body := visitors["community"].get("/staff/info"); !strings.Contains(body, "由街道统一报送") {
		t.Errorf("the community's staff's 403:\n%s", body)
	}
	if _, body := visitors["grid"].get("/staff/api/v1/info"); !strings.Contains(body, `"error":"You may not do this."`) {
		t.Errorf("the grid worker's JSON: %s", body)
	}
	// what each sees listed
	_, staff := visitors["staff"].get("/staff/api/v1/info")
	var list struct {
		Total int           `json:"total"`
		Items []infoSummary `json:"items"`
	}
	if err := json.Unmarshal([]byte(staff), &list); err != nil || list.Total != 1 || list.Items[0].ID != plain.ID || list.Items[0].Concerns != 2 ||
		list.Items[0].StateLabel != "草稿" {
		t.Errorf("staff's list: %v %s", err, staff)
	}
	if _, all := visitors["admin"].get("/staff/api/v1/info"); !strings.Contains(all, `"total":2`) {
		t.Errorf("an admin's list: %s", all)
	}
	// changes: only the office's staff, only with the session's token
	for who, code := range map[string]int{"none": 401, "resident": 401, "grid": 403, "community": 403} {
		b := visitors[who]
		if got, _ := b.post("/staff/info/"+p+"/submit", url.Values{"csrf": {b.csrf}}); got != code {
			t.Errorf("POST submit as %s: %d, want %d", who, got, code)
		}
		if got, _ := b.post("/staff/info/new", url.Values{"csrf": {b.csrf}, "id": {f.fileted}}); got != code {
			t.Errorf("POST new as %s: %d, want %d", who, got, code)
		}
	}
	st := visitors["staff"]
	st.get("/staff/info/" + p)
	if code, body := st.post("/staff/info/"+p+"/submit", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden || !strings.Contains(body, "没有任何改动") {
		t.Errorf("a forged token: %d\n%s", code, body)
	}
	if code, _ := st.post("/staff/info/new", url.Values{"id": {f.plain}}); code != http.StatusForbidden {
		t.Errorf("drafting without a token: %d", code)
	}
	if code, _ := st.post("/staff/info/"+s+"/submit", url.Values{"csrf": {st.csrf}}); code != http.StatusNotFound {
		t.Errorf("staff submitting the sensitive item: %d", code)
	}
	if code, _ := st.post("/staff/info/"+p+"/bogus", url.Values{"csrf": {st.csrf}}); code != http.StatusNotFound {
		t.Errorf("an unknown action: %d", code)
	}
	if code, body := st.post("/staff/info/new", url.Values{"csrf": {st.csrf}, "id": {f.secret}}); code != http.StatusConflict || strings.Contains(body, "贪污") {
		t.Errorf("staff drafting from a sensitive concern: %d\n%s", code, body)
	}
	if it := f.item(plain.ID); it.State != info.Draft {
		t.Errorf("a refused visitor moved the item: %s", it.State)
	}
	if items, _ := f.st.Infos(t.Context()); len(items) != 2 {
		t.Errorf("refused visitors drafted items: %d", len(items))
	}
}

// The whole way of a 信息 through the pages: drafted from two ticked concerns,
// rewritten, submitted, refused to staff's signature, signed by an admin (its
// 期号), sent, a leader's 批示 recorded on the concerns, the reporters told,
// and its Word document read back.
func TestInfoThroughThePages(t *testing.T) {
	f := newFixture(t)
	b := f.signedIn(staffer)
	if _, body := b.get("/staff/concerns"); !strings.Contains(body, `name="action" value="info"`) {
		t.Fatalf("the bulk form has no 生成信息:\n%s", body)
	}
	resp, err := b.c.PostForm(f.url+"/staff/concerns/bulk", url.Values{"csrf": {b.csrf}, "req": {"bulk-info"}, "action": {"info"},
		"id": {f.plain, f.other}, "back": {"/staff/concerns"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^/staff/info/([0-9]+)\?new=1$`).FindStringSubmatch(loc)
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("生成信息: %d %q", resp.StatusCode, loc)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	base := "/staff/info/" + m[1]
	code, page := b.get(loc)
	for _, want := range []string{"已生成第" + m[1] + "号信息草稿", "一、基本情况", "二、群众反映", "三、原因分析", "四、意见建议",
		`href="/staff/concerns/` + f.plain + `"`, `href="/staff/concerns/` + f.other + `"`, "草稿", base + "/docx", base + "/html",
		`action="` + base + `/submit"`, `name="field" value="analysis"`, "电话[手机号]"} {
		if !strings.Contains(page, want) {
			t.Errorf("the new item's page (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(page, "13800001234") || strings.Contains(page, `action="`+base+`/sign"`) || strings.Contains(page, "LLM 草稿") {
		t.Errorf("the item's page shows a phone, staff a 签发 or a template as the LLM's:\n%s", page)
	}
	it := f.item(id)
	if len(it.Concerns) != 2 || it.State != info.Draft {
		t.Fatalf("the item: %+v", it)
	}
	// 原因分析 rewritten
	if code, _ := b.post(base+"/edit", url.Values{"csrf": {b.csrf}, "field": {"analysis"}, "value": {"路灯和垃圾清运责任单位不明确，电话13900001111"}}); code != http.StatusSeeOther {
		t.Fatalf("editing: %d", code)
	}
	if it = f.item(id); it.Analysis != "路灯和垃圾清运责任单位不明确，电话[手机号]" {
		t.Fatalf("the analysis: %q", it.Analysis)
	}
	if code, body := b.post(base+"/edit", url.Values{"csrf": {b.csrf}, "field": {"analysis"}, "value": {" "}}); code != http.StatusConflict || !strings.Contains(body, "不能为空") {
		t.Errorf("an empty analysis: %d\n%s", code, body)
	}
	if code, _ := b.post(base+"/submit", url.Values{"csrf": {b.csrf}, "req": {"s1"}}); code != http.StatusSeeOther {
		t.Fatalf("submitting: %d", code)
	}
	if code, _ := b.post(base+"/submit", url.Values{"csrf": {b.csrf}, "req": {"s1"}}); code != http.StatusSeeOther {
		t.Errorf("the same form again: %d", code)
	}
	if _, dash := b.get("/staff/"); !strings.Contains(dash, `<span class="n">1</span> 待审核信息`) {
		t.Errorf("the dashboard does not count the item awaiting review:\n%s", dash)
	}
	if _, list := b.get("/staff/info?state=review"); !strings.Contains(list, `href="`+base+`"`) || !strings.Contains(list, "待审核") {
		t.Errorf("the list of those awaiting review:\n%s", list)
	}
	// staff may not sign
	code, body := b.post(base+"/sign", url.Values{"csrf": {b.csrf}})
	if code != http.StatusForbidden || !strings.Contains(body, "只有管理员可以签发信息") {
		t.Fatalf("staff signing: %d\n%s", code, body)
	}
	if it = f.item(id); it.State != info.Review || it.Number != 0 {
		t.Fatalf("after staff's signature: %s %d", it.State, it.Number)
	}
	// an admin signs: the year's first issue
	a := f.signedIn(admin)
	if _, page = a.get(base); !strings.Contains(page, `action="`+base+`/sign"`) || !strings.Contains(page, `action="`+base+`/return"`) {
		t.Fatalf("the admin's page has no 签发 or 退回:\n%s", page)
	}
	if code, _ := a.post(base+"/sign", url.Values{"csrf": {a.csrf}, "req": {"g1"}}); code != http.StatusSeeOther {
		t.Fatalf("signing: %d", code)
	}
	it = f.item(id)
	issue := it.Issue("zh")
	if it.State != info.Signed || it.Number != 1 || issue != "〔"+strconv.Itoa(time.Now().UTC().Year())+"〕第1期" {
		t.Fatalf("signed: %s %q", it.State, issue)
	}
	if _, page = a.get(base); !strings.Contains(page, issue) || strings.Contains(page, `name="field"`) || !strings.Contains(page, `action="`+base+`/send"`) {
		t.Errorf("the signed item's page (期号, no more editing, 报送):\n%s", page)
	}
	if code, body := a.post(base+"/edit", url.Values{"csrf": {a.csrf}, "field": {"title"}, "value": {"新标题"}}); code != http.StatusConflict || !strings.Contains(body, "已签发") {
		t.Errorf("editing a signed item: %d\n%s", code, body)
	}
	// sent to 区委办
	if code, body := a.post(base+"/send", url.Values{"csrf": {a.csrf}, "to": {" "}}); code != http.StatusConflict || !strings.Contains(body, "报送给谁") {
		t.Errorf("sending to nobody: %d\n%s", code, body)
	}
	if code, _ := a.post(base+"/send", url.Values{"csrf": {a.csrf}, "req": {"t1"}, "to": {"区委办"}}); code != http.StatusSeeOther {
		t.Fatalf("sending: %d", code)
	}
	if it = f.item(id); it.State != info.Sent || it.SentTo != "区委办" || it.SentAt.IsZero() {
		t.Fatalf("sent: %s %q", it.State, it.SentTo)
	}
	if _, list := b.get("/staff/info"); !strings.Contains(list, issue) || !strings.Contains(list, "已报送") || !strings.Contains(list, "小时") {
		t.Errorf("the list after sending (期号, state, lag):\n%s", list)
	}
	// a leader's 批示, which must say something
	if code, body := a.post(base+"/feedback", url.Values{"csrf": {a.csrf}, "outcome": {"instructed"}}); code != http.StatusConflict || !strings.Contains(body, "批示的内容") {
		t.Errorf("an instruction without its text: %d\n%s", code, body)
	}
	form := url.Values{"csrf": {a.csrf}, "req": {"f1"}, "outcome": {"instructed"}, "text": {"请区住建局牵头抓紧整改"}, "by": {"张书记"}}
	if code, _ := a.post(base+"/feedback", form); code != http.StatusSeeOther {
		t.Fatalf("feedback: %d", code)
	}
	if code, _ := a.post(base+"/feedback", form); code != http.StatusSeeOther {
		t.Errorf("the same feedback again: %d", code)
	}
	it = f.item(id)
	if it.State != info.Instructed || it.Feedback == nil || it.Feedback.Text != "请区住建局牵头抓紧整改" || it.Feedback.By != "张书记" {
		t.Fatalf("the feedback: %s %+v", it.State, it.Feedback)
	}
	for _, cid := range []string{f.plain, f.other} {
		r, _ := f.st.Report(t.Context(), cid)
		n := 0
		for _, h := range r.History {
			if h.Code == concern.HistInfo {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s's history has the 批示 %d times", cid, n)
		}
	}
	if _, page = b.get(base); !strings.Contains(page, "领导批示") || !strings.Contains(page, "张书记") || !strings.Contains(page, "请区住建局牵头抓紧整改") ||
		!strings.Contains(page, "区委办") || !strings.Contains(page, `action="`+base+`/tell"`) {
		t.Errorf("the item's page after the 批示:\n%s", page)
	}
	// the reporters told, through the service's notices
	resp, err = b.c.PostForm(f.url+base+"/tell", url.Values{"csrf": {b.csrf}, "req": {"k1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), base+"?told=") {
		t.Fatalf("telling: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, chat := range []int64{resident, 1002} {
		var heard []flows.Input
		for _, in := range f.told.to(chat) {
			if in.Event != nil && in.Event.Type == flows.EventReported {
				heard = append(heard, in)
			}
		}
		if len(heard) != 1 || heard[0].Event.Info != string(info.Instructed) {
			t.Errorf("chat %d heard: %+v", chat, heard)
		}
	}
	if _, body := b.get(resp.Header.Get("Location")); !strings.Contains(body, "位反映群众或网格员") {
		t.Errorf("the page after telling:\n%s", body)
	}
	trail, _ := f.st.AuditTrail(t.Context(), cases.InfoAuditID(id))
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "info_new info_edit info_submit info_sign info_send info_feedback info_tell" {
		t.Errorf("the audit: %s", got)
	}
	if _, page = b.get(base); !strings.Contains(page, "签发信息") || !strings.Contains(page, "告知群众") {
		t.Errorf("the page's audit trail:\n%s", page)
	}
	// its document, read back
	resp, doc := b.fetch(base + "/docx")
	name := "minyi-info-" + strconv.Itoa(it.Year) + "-001"
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="`+name+`.docx"` {
		t.Fatalf("the document: %d %v", resp.StatusCode, resp.Header)
	}
	paras, err := docx.Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(paras, "\n"); !strings.Contains(text, it.Title) || !strings.Contains(text, issue) || !strings.Contains(text, "责任单位不明确") {
		t.Errorf("the document reads:\n%s", text)
	}
	resp, html := b.fetch(base + "/html")
	if resp.Header.Get("Content-Disposition") != `inline; filename="`+name+`.html"` || !strings.Contains(string(html), it.Title) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("the printable page: %v\n%s", resp.Header, html)
	}
	// the same in JSON
	_, body = b.get("/staff/api/v1/info/" + m[1])
	var got infoJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Item == nil || got.State != info.Instructed || got.Issue != issue ||
		got.SentTo != "区委办" || got.LagS <= 0 || len(got.Concerns) != 2 || got.Situation == "" {
		t.Errorf("the item's JSON: %v %s", err, body)
	}
}

// 起草信息 from a concern's page and from a 共性问题 group of the digest; the
// LLM's draft is marked as one; a bad group is said.
func TestInfoFromAConcernAndADigestGroup(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC().Add(-time.Minute)
	var same []string
	for i, draft := range []string{"g1", "g2", "g3"} {
		r := &concern.Report{DraftID: draft, Text: "阳光社区5号楼电梯又坏了，老人上下楼很困难，请尽快修理", Community: "阳光社区", Grid: "第一网格",
			ReporterID: int64(5000 + i), ReplyChat: int64(5000 + i), ReceivedAt: at, Status: concern.StatusReceived, Channel: "telegram",
			History: []concern.StatusChange{{At: at, Status: concern.StatusReceived}}}
		id, err := f.st.Submit(t.Context(), draft, r, 0)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		if err := f.st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		same = append(same, id)
	}
	b := f.signedIn(staffer)
	// from a concern's page
	_, page := b.get("/staff/concerns/" + f.plain)
	if !strings.Contains(page, `action="/staff/info/new"`) || !strings.Contains(page, "起草信息") {
		t.Fatalf("no 起草信息 on the concern's page:\n%s", page)
	}
	resp, err := b.c.PostForm(f.url+"/staff/info/new", url.Values{"csrf": {b.csrf}, "id": {f.plain}, "back": {"/staff/concerns/" + f.plain}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/staff/info/") {
		t.Fatalf("起草信息 from a concern: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// from the digest's 共性问题
	day := at.Format("2006-01-02")
	code, page := b.get("/staff/digest?period=" + day)
	m := regexp.MustCompile(`name="group" value="(` + day + `#[0-9]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("the digest (%d) offers no group to draft from:\n%s", code, page)
	}
	resp, err = b.c.PostForm(f.url+"/staff/info/new", url.Values{"csrf": {b.csrf}, "group": {m[1]}, "back": {"/staff/digest?period=" + day}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Location"), "/staff/info/"), "?new=1"), 10, 64)
	if resp.StatusCode != http.StatusSeeOther || id == 0 {
		t.Fatalf("起草信息 from a group: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	it := f.item(id)
	if it.Group != m[1] || strings.Join(it.Concerns, " ") != strings.Join(same, " ") {
		t.Errorf("the group's item: %q %v, want %v", it.Group, it.Concerns, same)
	}
	if _, page = b.get("/staff/info/" + strconv.FormatInt(id, 10)); !strings.Contains(page, "来自日报共性问题 "+m[1]) {
		t.Errorf("the item does not say its group:\n%s", page)
	}
	// the LLM's draft is marked, until rewritten
	if _, err := f.st.UpdateInfo(t.Context(), id, func(it *info.Item) error { it.ByModel = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, page = b.get("/staff/info/" + strconv.FormatInt(id, 10)); strings.Count(page, "LLM 草稿，请核实") != 2 {
		t.Errorf("the LLM's draft is not marked:\n%s", page)
	}
	// groups that are not there, or not groups
	for group, says := range map[string]string{day + "#99": "没有共性问题", "2026-13-01#1": "不是诉求编号", "2026-11-01..2026-11-02#0": "不是诉求编号"} {
		if code, body := b.post("/staff/info/new", url.Values{"csrf": {b.csrf}, "group": {group}}); code != http.StatusConflict || !strings.Contains(body, says) {
			t.Errorf("group %s: %d\n%s", group, code, body)
		}
	}
	if from, err := groupFrom("2026-11-01..2026-11-15#2"); err != nil || from.Group != "2026-11-01..2026-11-15#2" {
		t.Errorf("a longer period's group: %+v %v", from, err)
	}
	// English
	b.post("/staff/lang", url.Values{"csrf": {b.csrf}, "lang": {"en"}, "back": {"/staff/info"}})
	if _, list := b.get("/staff/info"); !strings.Contains(list, "Information reports") || !strings.Contains(list, "Draft") {
		t.Errorf("the list in English:\n%s", list)
	}
}
