package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
)

// /consult new takes the consultation pasted on the lines after it, as its file would hold it.
func TestConsultNewFromChat(t *testing.T) {
	m, reg, fake := engine(t)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, m.Location())
	text := "/consult new\ntitle: 停车位规划\naudience: subscribers\nopens: 2026-11-27 09:00\ncloses: 2026-12-03 18:00\nquestions:\n  - {kind: rating, text: 您对停车位规划的满意度}\n"
	in := flows.Input{ID: "c1", Time: at, ChatID: 3001, UserID: 3001, Kind: flows.InputText, Text: text, Role: concern.RoleStaff}
	var trace strings.Builder
	fake.Trace = &trace
	res := m.Run(flows.Session{}, in, func(e flows.Effect) flows.EffectResult { return reg.Run(context.Background(), in, "zh", e) })
	if len(res.Messages) != 1 || !strings.Contains(res.Messages[0].Text, "已新建第4号征求意见「停车位规划」，2026-11-27 09:00 开始时自动发出") ||
		!strings.Contains(trace.String(), `call CreateConsult "停车位规划 1"`) {
		t.Fatalf("said %+v; calls %s", res.Messages, trace.String())
	}
}
