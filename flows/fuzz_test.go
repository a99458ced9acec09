package flows

import (
	"encoding/json"
	"fmt"
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
			if back.Pending != "" && back.Pending != actionStart && back.Pending != "report" && back.Pending != actionMine && back.Pending != actionPrivacy {
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

// FuzzSequence plays any sequence of updates (typed texts and commands, the buttons
// last shown or forged ones, photos, places, contacts, stickers, effect outcomes
// and events, from residents, grid workers and staff, with time passing) through
// one session: the engine never panics, every session stores and loads again at a
// valid step, a submit is asked for only from a confirmed draft, and every button
// fits Telegram.
func FuzzSequence(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 8, 0, 8, 0, 8, 1, 8, 0})
	f.Add([]byte{0, 9, 1, 3, 5, 0, 4, 1, 8, 2, 6, 0, 7, 1})
	f.Add([]byte{0, 12, 8, 0, 8, 0, 0, 11, 3, 200, 8, 0})
	f.Add([]byte("\x00\x01\x01\x02\x08\x00\x08\x00\x08\x01\x08\x00\x0a\x00"))
	m := testMachine(f)
	texts := []string{"/start", "/report", "楼道里的灯坏了两周了，请尽快维修。", "跳过", "阳光社区", "匿名", "提交", "修改", "/cancel",
		"/file", "/status", "/mine", "/lang en", "/help", "/forget", "王大爷", "13900001111", "短", "/digest 7d", "/show 20261126-0001"}
	roles := []concern.Role{concern.RoleResident, concern.RoleGrid, concern.RoleStaff, concern.RoleAdmin}
	f.Fuzz(func(t *testing.T, ops []byte) {
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		s := Session{}
		var last []Message
		next := func(i *int) byte {
			if *i >= len(ops) {
				return 0
			}
			*i++
			return ops[*i-1]
		}
		for i, n := 0, 0; i < len(ops) && n < 64; n++ {
			op, arg := next(&i), next(&i)
			in := Input{ID: fmt.Sprintf("fz%d", n), Time: at, ChatID: 9, UserID: 9, Kind: InputText,
				Role: roles[op>>6], Community: "和平社区", Grid: "第一网格"}
			switch op % 11 {
			case 0, 1:
				in.Text = texts[int(arg)%len(texts)]
			case 2:
				in.Text = string(ops[i:min(len(ops), i+int(arg)%40)])
			case 3:
				in.Kind, in.Photo = InputPhoto, "photo"
			case 4:
				in.Kind, in.Location = InputLocation, &concern.Location{Lat: 31.2, Lon: 121.5}
			case 5:
				in.Kind, in.Contact = InputContact, &Contact{Phone: "+8613800001234", UserID: int64(9 + int(arg)%2)}
			case 6:
				in.Kind, in.Other = InputOther, "sticker"
			case 7:
				in.Kind, in.Event = InputEvent, &Event{Type: []EventType{EventStatus, EventAlert, EventRole, EventDigest, EventDeadLetter}[int(arg)%5],
					Concern: "20261126-0001", Status: concern.StatusClosed, Rate: arg%2 == 0, Member: concern.Member{Role: roles[int(arg)%len(roles)]}}
			case 8, 9: // press a button of the last reply, or a forged one
				in.Kind, in.Data = InputButton, "f:forged:confirm:submit"
				var all []Button
				for _, msg := range last {
					for _, row := range msg.Inline {
						all = append(all, row...)
					}
				}
				if len(all) > 0 && op%11 == 8 {
					in.Data = all[int(arg)%len(all)].Data
				}
			case 10:
				at = at.Add(time.Duration(arg) * time.Minute) // time passes (drafts expire after 30 minutes)
				continue
			}
			in.Time = at
			res := m.Run(s, in, func(e Effect) EffectResult {
				if e.Kind == EffectSubmit && (e.Draft == nil || e.Draft.ID == "") {
					t.Fatalf("submit without a draft after %d ops", n)
				}
				return EffectResult{ConcernID: "20261126-0001", Failed: arg%7 == 0}
			})
			b, err := json.Marshal(res.Session)
			if err != nil {
				t.Fatal(err)
			}
			s = Session{}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if fl := s.Flow; fl != nil && (fl.Step < 0 || fl.Step >= len(m.flows[fl.Flow].Steps)) {
				t.Fatalf("session left at step %d of %s", fl.Step, fl.Flow)
			}
			for _, msg := range res.Messages {
				if msg.Text == "" && msg.Document == nil {
					t.Fatalf("an empty message after %+v", in)
				}
				for _, row := range msg.Inline {
					for _, b := range row {
						if len(b.Data) > 64 || b.Data == "" {
							t.Fatalf("button data %q", b.Data)
						}
					}
				}
			}
			last = res.Messages
		}
	})
}
