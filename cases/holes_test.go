package cases

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/tasks"
)

// Issue 13 item 4: past AlertStorm urgent alerts a minute from one channel, the
// rest of that minute's come as one alert saying how many, with their ids — sent
// once it has gathered, and once more after the minute when more joined; it
// repeats until acknowledged, and acknowledging it acknowledges them all.
func TestAlertStormIsGrouped(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, AlertEvery: 15 * time.Minute, AlertStorm: 5})
	var ids []string
	raise := func(n int) {
		for range n {
			r := saved(t, st, &concern.Report{DraftID: fmt.Sprintf("ext:hotline:%d", len(ids)), ReceivedAt: c.t, Channel: "hotline",
				Text: "小区发洪水了，水淹到一楼", Urgent: true, UrgentReason: "紧急情形：洪水", Status: concern.StatusReceived})
			if err := svc.RaiseAlert(t.Context(), r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
			c.t = c.t.Add(time.Second)
		}
	}
	raise(7) // five alone, then two past the limit begin a group
	if got := box.to(-100); len(got) != 5 {
		t.Fatalf("%d alerts sent at once, want the first 5", len(got))
	}
	// the group is due stormGather after its first member: the surge is told at once
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := box.to(-100)
	if len(got) != 6 || len(got[5].Event.Members) != 2 || got[5].Event.Members[0] != ids[5] {
		t.Fatalf("%d alerts after the group gathered, want 6 (the group of 2): %+v", len(got), got[len(got)-1].Event)
	}
	raise(13) // the surge goes on in the same minute: they join the group sent already
	// a resident's alert in the same minute is of another channel: not grouped
	own := saved(t, st, &concern.Report{DraftID: "tg", ReceivedAt: c.t, Channel: "telegram", Text: "着火了", Urgent: true, Status: concern.StatusReceived})
	svc.RaiseAlert(t.Context(), own)
	if got := box.to(-100); len(got) != 7 {
		t.Fatalf("%d alerts sent, want 7 (the resident's added; the group waits for its minute)", len(got))
	}
	c.t = c.t.Add(time.Minute)
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	got = box.to(-100)
	if len(got) != 8 {
		t.Fatalf("%d alerts after the minute, want one more (the group, grown)", len(got))
	}
	g := got[7].Event
	if len(g.Members) != 15 || g.Channel != "hotline" || g.Members[0] != ids[5] || g.Members[14] != ids[19] || g.Concern != got[5].Event.Concern {
		t.Fatalf("grouped alert: %+v", g)
	}
	c.t = c.t.Add(time.Minute)
	svc.Tick(t.Context())
	if n := len(box.to(-100)); n != 8 {
		t.Fatalf("%d alerts: the group came again without growing", n)
	}
	c.t = c.t.Add(16 * time.Minute)
	svc.Tick(t.Context())
	if n := len(box.to(-100)); n != 8+7 {
		t.Fatalf("%d alerts after 16 minutes, want every one repeated once (group included)", n)
	}
	ackErr := svc.Ack(t.Context(), ActorOf(flows.Input{ID: "tg:1", ChatID: -100, UserID: 3001, Role: concern.RoleStaff}, "zh"), g.Concern)
	if ackErr != nil {
		t.Fatalf("ack of the group: %v", ackErr)
	}
	if trail, _ := st.AuditTrail(t.Context(), ids[10]); len(trail) != 1 || trail[0].Action != "ack" {
		t.Fatalf("a grouped concern's trail: %+v", trail)
	}
	before := len(box.to(-100))
	c.t = c.t.Add(16 * time.Minute)
	svc.Tick(t.Context())
	for _, in := range box.to(-100)[before:] {
		if in.Event.Concern == g.Concern || strings.HasPrefix(in.Event.Concern, "G") {
			t.Fatalf("the acknowledged group came again: %+v", in.Event)
		}
	}
}

// A surge is told when its group has gathered, a couple of seconds after the
// first alert past the limit, not at the next tick or the minute's end.
func TestStormGroupToldAtOnce(t *testing.T) {
	_, st, box, _ := setup(t, Config{})
	side := tasks.New()
	defer side.Stop(time.Second)
	svc := New(st, box, Config{StaffChat: -100, AlertEvery: 15 * time.Minute, AlertStorm: 2}, WithLogger(quiet), WithTasks(side))
	began := time.Now()
	for i := range 4 {
		r := saved(t, st, &concern.Report{DraftID: fmt.Sprintf("ext:hotline:%d", i), ReceivedAt: time.Now(), Channel: "hotline",
			Text: "煤气味很浓，好几户都闻到了", Urgent: true, UrgentReason: "燃气", Status: concern.StatusReceived})
		if err := svc.RaiseAlert(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(box.to(-100)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the group of the surge not sent within 10 s; sent %d", len(box.to(-100)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	g := box.to(-100)[2].Event
	if len(g.Members) != 2 {
		t.Fatalf("group: %+v", g)
	}
	if took := time.Since(began); took < stormGather || took > stormGather+2*time.Second {
		t.Fatalf("the group came %v after the surge began; it gathers for %v", took, stormGather)
	}
}
