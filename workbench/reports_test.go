package workbench

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/docx"
	"github.com/minyi-project/minyi/locale"
)

// 综合分析 and the archive as every kind of visitor: the office's, so grid
// workers and a community's staff get 403; a report issued from the page is
// archived with its number and its files come back from the archive.
func TestReportsAndArchive(t *testing.T) {
	f := newFixture(t)
	visitors := map[string]*browser{"none": f.browser(), "grid": f.signedIn(worker), "staff": f.signedIn(staffer), "admin": f.signedIn(admin),
		"community": f.signedIn(peace)}
	now := time.Now().UTC() // the fixture's service runs in UTC
	month := now.Format("2006-01")
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	office := map[string]int{"none": 401, "grid": 403, "staff": 200, "community": 403, "admin": 200}
	bad := map[string]int{"none": 401, "grid": 403, "staff": 400, "community": 403, "admin": 400}
	for path, codes := range map[string]map[string]int{
		"/staff/reports":                           office,
		"/staff/reports?period=" + month:           office,
		"/staff/reports?period=2026-13":            bad,
		"/staff/reports?period=2999":               bad,
		"/staff/reports/file/docx?period=" + month: office,
		"/staff/reports/file/xlsx?period=" + month: office,
		"/staff/reports/file/pdf?period=" + month:  {"none": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
		"/staff/api/v1/reports?period=" + month:    office,
		"/staff/api/v1/archive":                    office,
		"/staff/archive/99/html":                   {"none": 401, "grid": 403, "staff": 404, "community": 403, "admin": 404},
		"/staff/archive/x/html":                    {"none": 401, "grid": 404, "staff": 404, "community": 404, "admin": 404},
	} {
		for who, code := range codes {
			if got, body := visitors[who].get(path); got != code {
				t.Errorf("GET %s as %s: %d, want %d\n%.400s", path, who, got, code, body)
			}
		}
	}
	staff := visitors["staff"]
	_, page := staff.get("/staff/reports?period=" + month)
	if !strings.Contains(page, "尚未结束") || strings.Contains(page, `action="/staff/reports/issue"`) || !strings.Contains(page, "一、总体情况") ||
		!strings.Contains(page, "本期收到诉求") {
		t.Fatalf("this month's page:\n%s", page)
	}
	if _, body := staff.get("/staff/reports?period=2026-13"); !strings.Contains(body, "不是月份、季度或年份") {
		t.Errorf("a bad span is not explained:\n%s", body)
	}
	if _, page = staff.get("/staff/reports?period=" + last); strings.Contains(page, `action="/staff/reports/issue"`) {
		t.Fatalf("staff see the issue button:\n%s", page)
	}
	if code, _ := staff.post("/staff/reports/issue", url.Values{"csrf": {staff.csrf}, "period": {last}}); code != 403 {
		t.Errorf("staff issued: %d", code)
	}
	staff = visitors["admin"] // issuing is an admin's
	if _, page = staff.get("/staff/reports?period=" + last); !strings.Contains(page, `action="/staff/reports/issue"`) {
		t.Fatalf("last month's page has no issue button for an admin:\n%s", page)
	}
	if code, _ := staff.post("/staff/reports/issue", url.Values{"csrf": {"forged"}, "period": {last}}); code != 403 {
		t.Errorf("issued with a forged token: %d", code)
	}
	if code, _ := visitors["grid"].post("/staff/reports/issue", url.Values{"csrf": {visitors["grid"].csrf}, "period": {last}}); code != 403 {
		t.Errorf("a grid worker issued: %d", code)
	}
	staff.get("/staff/reports?period=" + last)
	resp, err := staff.c.PostForm(f.url+"/staff/reports/issue", url.Values{"csrf": {staff.csrf}, "period": {last}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	where := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(where, "/staff/reports?") {
		t.Fatalf("issuing: %d %q", resp.StatusCode, where)
	}
	code, page := staff.get(where)
	year := last[:4]
	if code != 200 || !strings.Contains(page, "已印发并存档：〔"+year+"〕第1期") || !strings.Contains(page, `href="/staff/archive/1/docx"`) {
		t.Fatalf("issued: %d\n%s", code, page)
	}
	// issued again, the same number
	staff.post("/staff/reports/issue", url.Values{"csrf": {staff.csrf}, "period": {last}})
	if _, list := staff.get("/staff/api/v1/archive"); !strings.Contains(list, `"total":1`) || !strings.Contains(list, `"number":1`) {
		t.Errorf("the archive: %s", list)
	}
	resp, doc := staff.fetch("/staff/archive/1/docx")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "minyi-report-"+last+".docx") {
		t.Fatalf("the archived document: %d %v", resp.StatusCode, resp.Header)
	}
	paras, err := docx.Read(doc)
	if err != nil || !strings.Contains(strings.Join(paras, "\n"), "〔"+year+"〕第1期") {
		t.Fatalf("the archived document reads %v %v", paras, err)
	}
	if code, _ := visitors["admin"].get("/staff/archive/1/html"); code != 200 {
		t.Errorf("an admin reads the archive: %d", code)
	}
}

// A concern's answers to the office's own questions (a flow's custom fields) show on its page.
func TestCustomFieldsOnTheConcernPage(t *testing.T) {
	f := newFixture(t)
	if _, err := f.st.UpdateReport(t.Context(), f.plain, func(r *concern.Report) error {
		r.Custom = []concern.CustomField{{Name: "building", Label: locale.Text{"zh": "楼栋号", "en": "Building"}, Value: "3栋2单元"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, page := f.signedIn(staffer).get("/staff/concerns/" + f.plain); !strings.Contains(page, "<dt>楼栋号</dt><dd>3栋2单元</dd>") {
		t.Fatalf("the page lacks the custom field:\n%s", page)
	}
}
