package flows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
)

// FuzzStep feeds arbitrary inputs to sessions at every step of the report flow:
// the engine must never panic, and must always leave a session that stores and
// loads again with a valid step.
func FuzzStep(f *testing.F) {
	for _, seed := range []struct {
		kind       uint8
		text, data string
	}{
		{0, "/start", ""}, {0, "小区东门的路灯坏了一个多月。", ""}, {1, "", "m:report"},
		{1, "", "f:x:where:c:阳光社区"}, {1, "", "m:../../etc"}, {1, "", "a:yes"}, {1, "", "f::::"},
		{2, "P", ""}, {3, "", ""}, {4, "13800001234", ""}, {5, "sticker", ""}, {0, "/lang en", ""},
		{0, "提交", ""}, {0, "\x00\xff", ""}, {1, "", "l:xx"}, {6, "", ""},
	} {
		f.Add(seed.kind, seed.text, seed.data)
	}
	m, err := NewDefault(WithCommunities("阳光社区", "和平社区"))
	if err != nil {
		f.Fatal(err)
	}
	// sessions parked at each step, and one with a pending question
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var sessions []Session
	s := Session{}
	for i, text := range []string{"/report", "楼道里的灯坏了两周了，请尽快维修。", "跳过", "阳光社区", "匿名", "/status"} {
		s = m.Step(s, Input{ID: string(rune('a' + i)), Time: at, ChatID: 9, UserID: 9, Kind: InputText, Text: text}).Session
		sessions = append(sessions, s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, text, data string) {
		for _, s := range sessions {
			in := Input{ID: "fz", Time: at.Add(time.Minute), ChatID: 9, UserID: 9}
			switch kind % 7 {
			case 0:
				in.Kind, in.Text = InputText, text
			case 1:
				in.Kind, in.Data = InputButton, data
				if s.Flow != nil && strings.HasPrefix(data, "f:x:") {
					in.Data = "f:" + s.Flow.Token + data[3:]
				}
			case 2:
				in.Kind, in.Photo = InputPhoto, text
			case 3:
				in.Kind, in.Location = InputLocation, &concern.Location{Lat: float64(len(text)), Lon: -1}
			case 4:
				in.Kind, in.Contact = InputContact, &Contact{Phone: text, UserID: int64(len(data))}
			case 5:
				in.Kind, in.Other = InputOther, text
			case 6:
				in.Kind, in.Result = InputResult, &EffectResult{Kind: EffectKind(text), Failed: len(data)%2 == 0, ConcernID: data}
			}
			res := m.Run(s, in, func(e Effect) EffectResult { return EffectResult{ConcernID: "20261126-0001"} })
			b, err := json.Marshal(res.Session)
			if err != nil {
				t.Fatal(err)
			}
			var back Session
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if f := back.Flow; f != nil && (f.Step < 0 || f.Step >= len(m.flows[f.Flow].Steps)) {
				t.Fatalf("session left at step %d", f.Step)
			}
			if back.Pending != "" && back.Pending != actionStart && back.Pending != actionReport && back.Pending != actionMine && back.Pending != actionPrivacy {
				t.Fatalf("pending action %q", back.Pending)
			}
			for _, msg := range res.Messages {
				for _, row := range msg.Inline {
					for _, b := range row {
						if len(b.Data) > 64 {
							t.Fatalf("button data over Telegram's 64 bytes: %q", b.Data)
						}
					}
				}
			}
		}
	})
}
