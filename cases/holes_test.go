package cases

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// Issue 13 item 4: past AlertStorm urgent alerts a minute from one channel, the
// rest of that minute's come as one alert saying how many, with their ids; it
// repeats until acknowledged, and acknowledging it acknowledges them all.
func TestAlertStormIsGrouped(t *testing.T) {
	svc, st, box, c := setup(t, Config{StaffChat: -100, AlertEvery: 15 * time.Minute, AlertStorm: 5})
	var ids []string
	for i := range 20 {
		r := saved(t, st, &concern.Report{DraftID: fmt.Sprintf("ext:hotline:%d", i), ReceivedAt: c.t, Channel: "hotline",
			Text: "小区发洪水了，水淹到一楼", Urgent: true, UrgentReason: "紧急情形：洪水", Status: concern.StatusReceived})
		if err := svc.RaiseAlert(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		c.t = c.t.Add(time.Second)
	}
	// a resident's alert in the same minute is of another channel: not grouped
	own := saved(t, st, &concern.Report{DraftID: "tg", ReceivedAt: c.t, Channel: "telegram", Text: "着火了", Urgent: true, Status: concern.StatusReceived})
	svc.RaiseAlert(t.Context(), own)
	if got := box.to(-100); len(got) != 6 {
		t.Fatalf("%d alerts sent at once, want 5 of the hotline's and the resident's", len(got))
	}
	c.t = c.t.Add(time.Minute)
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := box.to(-100)
	if len(got) != 7 {
		t.Fatalf("%d alerts after the minute, want one more (the group)", len(got))
	}
	g := got[6].Event
	if len(g.Members) != 15 || g.Channel != "hotline" || g.Members[0] != ids[5] || g.Members[14] != ids[19] {
		t.Fatalf("grouped alert: %+v", g)
	}
	c.t = c.t.Add(16 * time.Minute)
	svc.Tick(t.Context())
	if n := len(box.to(-100)); n != 7+7 {
		t.Fatalf("%d alerts after 16 minutes, want every one repeated once (group included)", n)
	}
	res, _ := svc.Execute(t.Context(), flows.Input{ID: "tg:1", ChatID: -100, UserID: 3001, Role: concern.RoleStaff},
		"zh", flows.Effect{Kind: flows.EffectCommand, Command: "ack", Args: []string{g.Concern}})
	if res.Failed || res.Refused != "" {
		t.Fatalf("ack of the group: %+v", res)
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
