package cases

import (
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/flows"
)

func resident(chat int64) Actor {
	return Actor{UserID: chat, Chat: chat, Role: concern.RoleResident, Lang: "zh", Request: "tg:" + time.Now().String()}
}

// A consultation asks those who agreed — of its community, or of all — each
// once however often it is sent; nobody who did not agree or who left; each
// answer counted once as last given; results masked; what came of it told to
// those who took part and still agree.
func TestConsultation(t *testing.T) {
	svc, st, box, c := setup(t, Config{Location: time.UTC})
	for chat, community := range map[int64]string{101: "阳光社区", 102: "阳光社区", 103: "和平社区", 104: "", 105: "阳光社区"} {
		if err := svc.Subscribe(t.Context(), resident(chat), community); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Unsubscribe(t.Context(), resident(105)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Subscribe(t.Context(), Actor{UserID: 1, Chat: -1001, Role: concern.RoleResident}, ""); reason(err) != NotAllowed {
		t.Fatalf("a group subscribed: %v", err)
	}
	plan := &consult.Consultation{Title: "口袋公园改造征求意见", Audience: consult.Subscribers, Community: "阳光社区",
		Opens: c.t.Add(-time.Hour), Closes: c.t.Add(72 * time.Hour), Questions: []consult.Question{
			{Kind: consult.Single, Text: "您是否赞成改造？", Options: []string{"赞成", "不赞成"}},
			{Kind: consult.Text, Text: "其他意见"}}}
	if _, err := svc.CreateConsult(t.Context(), resident(101), plan); reason(err) != NotAllowed {
		t.Fatalf("a resident made one: %v", err)
	}
	if _, err := svc.CreateConsult(t.Context(), Actor{UserID: 5, Role: concern.RoleStaff, Community: "和平社区"}, plan); reason(err) != ConsultCommunity {
		t.Fatalf("another community's staff made one: %v", err)
	}
	cq, err := svc.CreateConsult(t.Context(), staffer, plan)
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.SendConsult(t.Context(), req(staffer, "s1"), cq.ID)
	if err != nil || n != 3 {
		t.Fatalf("sent to %d: %v", n, err)
	}
	asked := map[int64]int{}
	for _, in := range box.got {
		if in.Event != nil && in.Event.Type == flows.EventConsult {
			asked[in.ChatID]++
			if in.Event.Consult.ID != cq.ID || len(in.Event.Consult.Ask) != 2 {
				t.Fatalf("the invitation: %+v", in.Event.Consult)
			}
		}
	}
	if len(asked) != 3 || asked[101] != 1 || asked[102] != 1 || asked[104] != 1 {
		t.Fatalf("asked %v (103 is 和平社区's, 105 left)", asked)
	}
	if n, _ = svc.SendConsult(t.Context(), req(staffer, "s2"), cq.ID); n != 0 {
		t.Fatalf("sent again to %d", n)
	}
	if err := svc.Subscribe(t.Context(), resident(106), "阳光社区"); err != nil {
		t.Fatal(err)
	}
	if n, _ = svc.SendConsult(t.Context(), req(staffer, "s3"), cq.ID); n != 1 {
		t.Fatalf("the newcomer: %d", n)
	}

	answer := func(chat int64, q int, v string) Reason {
		t.Helper()
		_, _, err := svc.AnswerConsult(t.Context(), resident(chat), cq.ID, q, v)
		if err != nil {
			if r := reason(err); r != "" {
				return r
			}
			t.Fatal(err)
		}
		return ""
	}
	for _, a := range []struct {
		chat int64
		q    int
		v    string
		want Reason
	}{
		{101, 0, "1", ""}, {101, 0, "0", ""}, // changed: counted once, as 赞成
		{102, 0, "0", ""}, {104, 0, "1", ""},
		{101, 1, "希望多种树，我是张三，电话13800001234", ""},
		{103, 0, "0", ConsultNotInvited}, // not of its community
		{105, 0, "0", ConsultNotInvited}, // left
		{102, 0, "7", ConsultBadAnswer},
	} {
		if got := answer(a.chat, a.q, a.v); got != a.want {
			t.Errorf("%d answers q%d %q: %q, want %q", a.chat, a.q, a.v, got, a.want)
		}
	}
	if _, err := svc.Unsubscribe(t.Context(), resident(104)); err != nil { // leaves after answering: no longer counted
		t.Fatal(err)
	}
	_, tallies, people, err := svc.ConsultResults(t.Context(), staffer, cq.ID)
	if err != nil || people != 2 || tallies[0].Counts[0] != 2 || tallies[0].Counts[1] != 0 {
		t.Fatalf("results: %d people, %+v, %v", people, tallies, err)
	}
	if g := tallies[1].Groups; len(g) != 1 || strings.Contains(g[0].Answers[0], "13800001234") || strings.Contains(g[0].Answers[0], "张三") {
		t.Fatalf("free text: %+v", g)
	}
	// the results as evidence of a 信息, masked, shown under 群众反映
	rs := lamps(t, st, c.t.Add(-72*time.Hour))
	d, err := svc.ComposeInfo(t.Context(), req(staffer, "i1"), InfoFrom{Concerns: ids(rs)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := svc.LinkConsult(t.Context(), req(staffer, "i2"), cq.ID, d.Item.ID)
	if err != nil || len(it.Evidence) != 1 || !strings.Contains(it.Evidence[0], "2人参与") || !strings.Contains(it.Evidence[0], "赞成100.0%") {
		t.Fatalf("evidence: %+v %v", it, err)
	}
	if text := it.Text("zh", c.t, time.UTC); !strings.Contains(text, "征求意见情况：「口袋公园改造征求意见」") {
		t.Fatalf("the item does not show it:\n%s", text)
	}
	if _, err := svc.ConsultOutcome(t.Context(), staffer, cq.ID, "将于明年开工"); reason(err) != ConsultStillOpen {
		t.Fatalf("outcome while open: %v", err)
	}
	if _, err := svc.CloseConsult(t.Context(), staffer, cq.ID); err != nil {
		t.Fatal(err)
	}
	if got := answer(102, 0, "1"); got != ConsultClosed {
		t.Fatalf("answered after closing: %q", got)
	}
	told, err := svc.ConsultOutcome(t.Context(), staffer, cq.ID, "多数居民赞成，将于明年3月开工")
	if err != nil || told != 2 {
		t.Fatalf("told %d: %v", told, err)
	}
	for _, in := range box.got {
		if in.Event != nil && in.Event.Type == flows.EventOutcome && in.ChatID != 101 && in.ChatID != 102 {
			t.Errorf("the outcome went to %d", in.ChatID)
		}
	}
}

// A consultation made before its opening goes out by itself once it opens, once.
func TestConsultationSentAtItsOpening(t *testing.T) {
	svc, _, box, c := setup(t, Config{Location: time.UTC})
	if err := svc.Subscribe(t.Context(), resident(201), ""); err != nil {
		t.Fatal(err)
	}
	cq, err := svc.CreateConsult(t.Context(), staffer, &consult.Consultation{Title: "停车位规划", Audience: consult.Subscribers,
		Opens: c.t.Add(time.Hour), Closes: c.t.Add(48 * time.Hour), Questions: []consult.Question{{Kind: consult.Rating, Text: "满意度"}}})
	if err != nil {
		t.Fatal(err)
	}
	invitations := func() (n int) {
		for _, in := range box.got {
			if in.Event != nil && in.Event.Type == flows.EventConsult {
				n++
			}
		}
		return n
	}
	if err := svc.Tick(t.Context()); err != nil || invitations() != 0 {
		t.Fatalf("before its opening: %d sent, %v", invitations(), err)
	}
	c.t = c.t.Add(2 * time.Hour)
	for range 2 {
		if err := svc.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := svc.Consult(t.Context(), staffer, cq.ID); invitations() != 1 || got.State != consult.Open || got.Invited != 1 {
		t.Fatalf("at its opening: %d sent, %+v", invitations(), got)
	}
}
