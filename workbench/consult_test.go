package workbench

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
)

// The consultation pages: the office's staff send, follow and close one; its
// results are counted and masked; grid workers get 403.
func TestConsultationPages(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, chat := range []int64{7001, 7002} {
		if err := f.svc.Subscribe(ctx, cases.Actor{UserID: chat, Chat: chat, Role: concern.RoleResident}, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	c, err := f.svc.CreateConsult(ctx, cases.Actor{UserID: admin, Role: concern.RoleAdmin}, &consult.Consultation{Title: "口袋公园改造征求意见",
		Audience: consult.Subscribers, Opens: now.Add(-time.Hour), Closes: now.Add(time.Hour), Questions: []consult.Question{
			{Kind: consult.Single, Text: "是否赞成？", Options: []string{"赞成", "不赞成"}}, {Kind: consult.Text, Text: "其他意见"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(c.ID, 10)
	staff, grid := f.signedIn(staffer), f.signedIn(worker)
	// made in the page from its YAML; a mistake said, nothing made
	staff.get("/staff/consults")
	plan := "title: 停车位规划\naudience: subscribers\nopens: " + now.Add(time.Hour).Format("2006-01-02 15:04") + "\ncloses: " +
		now.Add(48*time.Hour).Format("2006-01-02 15:04") + "\nquestions:\n  - {kind: rating, text: 满意度}\n"
	if code, body := staff.post("/staff/consults/new", url.Values{"csrf": {staff.csrf}, "plan": {strings.Replace(plan, "rating", "stars", 1)}}); code != 400 || !strings.Contains(body, "征求意见格式有误") {
		t.Errorf("a bad plan: %d\n%.500s", code, body)
	}
	if code, _ := staff.post("/staff/consults/new", url.Values{"csrf": {staff.csrf}, "plan": {plan}}); code != 303 {
		t.Errorf("a plan: %d", code)
	}
	if code, _ := grid.post("/staff/consults/new", url.Values{"csrf": {grid.csrf}, "plan": {plan}}); code != 403 {
		t.Errorf("a grid worker made one: %d", code)
	}
	if list, _ := f.svc.Consults(ctx, cases.Actor{UserID: admin, Role: concern.RoleAdmin}); len(list) != 2 {
		t.Fatalf("%d consultations", len(list))
	}
	for path, want := range map[string][2]int{"/staff/consults": {200, 403}, "/staff/consults/" + id: {200, 403}, "/staff/consults/" + id + "/csv": {200, 403},
		"/staff/consults/99": {404, 403}, "/staff/consults/" + id + "/pdf": {404, 404}} {
		if code, body := staff.get(path); code != want[0] {
			t.Errorf("staff GET %s: %d\n%.300s", path, code, body)
		}
		if code, _ := grid.get(path); code != want[1] {
			t.Errorf("grid GET %s: %d", path, code)
		}
	}
	staff.get("/staff/consults/" + id)
	if code, _ := staff.post("/staff/consults/"+id+"/send", url.Values{"csrf": {"forged"}}); code != 403 {
		t.Errorf("sent with a forged token: %d", code)
	}
	resp, err := staff.c.PostForm(f.url+"/staff/consults/"+id+"/send", url.Values{"csrf": {staff.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if where := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasSuffix(where, "?sent=2") {
		t.Fatalf("send: %d %q", resp.StatusCode, where)
	}
	for chat, v := range map[int64]string{7001: "0", 7002: "1"} {
		if _, _, err := f.svc.AnswerConsult(ctx, cases.Actor{Chat: chat, UserID: chat, Role: concern.RoleResident}, c.ID, 0, v); err != nil {
			t.Fatal(err)
		}
	}
	f.svc.AnswerConsult(ctx, cases.Actor{Chat: 7001, UserID: 7001, Role: concern.RoleResident}, c.ID, 1, "多种树，我叫张三，电话13800001234")
	_, page := staff.get("/staff/consults/" + id)
	if !strings.Contains(page, "2人参与") || !strings.Contains(page, "50.0%") || strings.Contains(page, "13800001234") || strings.Contains(page, "张三") {
		t.Fatalf("the results page:\n%s", page)
	}
	if _, csv := staff.get("/staff/consults/" + id + "/csv"); !strings.Contains(csv, "赞成") || strings.Contains(csv, "13800001234") {
		t.Fatalf("the CSV:\n%s", csv)
	}
	if code, _ := staff.post("/staff/consults/"+id+"/outcome", url.Values{"csrf": {staff.csrf}, "text": {"将于明年开工"}}); code != 409 {
		t.Errorf("an outcome while open: %d", code)
	}
	if code, _ := staff.post("/staff/consults/"+id+"/close", url.Values{"csrf": {staff.csrf}}); code != 303 {
		t.Errorf("close: %d", code)
	}
	if code, _ := staff.post("/staff/consults/"+id+"/outcome", url.Values{"csrf": {staff.csrf}, "text": {"将于明年开工"}}); code != 303 {
		t.Errorf("the outcome: %d", code)
	}
	if _, page = staff.get("/staff/consults/" + id); !strings.Contains(page, "将于明年开工") {
		t.Fatalf("the outcome is not shown:\n%s", page)
	}
}
