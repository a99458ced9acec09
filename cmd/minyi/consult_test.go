package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/store"
)

// A consultation to 1,000 residents who agreed, through the fake Bot API with
// the sending cap on (25 a second): the cap respected (from the fake's log),
// nobody asked twice, nobody who did not agree or who left with /unsubscribe,
// answers counted exactly, a changed answer counted once.
func TestConsultationToAThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand invitations take about 40 s at Telegram's rate; -short skips them")
	}
	srv.Flush(t)
	api := startFleet(t, srv.URL())
	t.Setenv("MINYI_TELEGRAM_RATE", "25")
	t.Setenv("MINYI_ADMINS", "9000")
	first, agreed, leaving := int64(700001), 1000, int64(10)
	if n, err := strconv.Atoi(os.Getenv("MINYI_TEST_CONSULT_RESIDENTS")); err == nil && n >= 200 {
		agreed = n // fewer, when looking into a failure
	}
	st, err := store.Open(t.Context(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for chat := first; chat < first+int64(agreed)+leaving; chat++ {
		if err := st.Subscribe(t.Context(), store.Subscriber{Chat: chat, Community: "阳光社区", Since: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	plan := filepath.Join(t.TempDir(), "park.yaml")
	opens := time.Now().Add(-time.Hour).In(mustShanghai(t)).Format("2006-01-02 15:04")
	closes := time.Now().Add(72 * time.Hour).In(mustShanghai(t)).Format("2006-01-02 15:04")
	if err := os.WriteFile(plan, []byte(`title: 阳光社区口袋公园改造征求意见
audience: subscribers
community: 阳光社区
opens: `+opens+`
closes: `+closes+`
questions:
  - kind: single
    text: 您是否赞成把东门空地改造为口袋公园？
    options: [赞成, 不赞成, 无所谓]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	startInstance(t, "consult", "")
	// ten leave before it is sent; twenty who never agreed talk to the bot
	for chat := first + int64(agreed); chat < first+int64(agreed)+leaving; chat++ {
		api.push(typedBy(chat, "/unsubscribe"))
	}
	for chat := int64(800001); chat <= 800020; chat++ {
		api.push(typedBy(chat, "/whoami"))
	}
	for chat := first + int64(agreed); chat < first+int64(agreed)+leaving; chat++ {
		if _, err := api.waitFor(chat, 0, "已为您退订"); err != nil {
			t.Fatal(err)
		}
	}
	// made once they have left (its opening has come: the schedule may send it before staff do)
	var out, errOut bytes.Buffer
	if code := run([]string{"consult", "create", "--file", plan, "--admin", "9000"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("consult create: %d\n%s", code, errOut.String())
	}
	// sent by staff, or by the schedule at its opening (which has come): either way each once
	api.push(typedBy(9000, "/consult send 1"))
	if _, err := api.waitFor(9000, 0, "第1号征求意见已发出"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	invited := func() (n int) {
		api.mu.Lock()
		defer api.mu.Unlock()
		for chat := first; chat < first+int64(agreed); chat++ {
			for _, m := range api.messages[chat] {
				if strings.Contains(m.text, "征求意见：阳光社区口袋公园改造") {
					n++
				}
			}
		}
		return n
	}
	for invited() < agreed {
		if time.Since(start) > 3*time.Minute {
			t.Fatalf("%d of %d invited after 3 minutes", invited(), agreed)
		}
		time.Sleep(200 * time.Millisecond)
	}
	took := time.Since(start)
	// a third answer 赞成, a fifth 不赞成 and then change to 赞成, a tenth 无所谓
	want := map[string]int{"赞成": 0, "不赞成": 0, "无所谓": 0}
	var last []int64
	for i := range 200 {
		chat := first + int64(i)
		var presses []string
		switch {
		case i < 100:
			presses = []string{"赞成"}
		case i < 150:
			presses = []string{"不赞成", "赞成"}
		default:
			presses = []string{"无所谓"}
		}
		want[presses[len(presses)-1]]++
		for _, p := range presses {
			u, err := api.pressIn(chat, p, map[string]any{"id": chat, "is_bot": false, "first_name": "居民", "language_code": "zh-hans"})
			if err != nil {
				t.Fatal(err)
			}
			api.push(u)
		}
		last = append(last, chat)
	}
	for _, chat := range last {
		if _, err := api.waitFor(chat, 0, "已记录第1题"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second) // the changed answers' second press
	out.Reset()
	if code := run([]string{"consult", "results", "1", "--format", "csv"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("results: %d\n%s", code, errOut.String())
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[1]] = r[2]
	}
	if got["赞成"] != "150" || got["不赞成"] != "0" || got["无所谓"] != "50" {
		t.Fatalf("counted %v, want %v\n%s", got, want, out.String())
	}

	// the log: nobody twice, nobody who did not agree or left; the cap kept
	api.mu.Lock()
	defer api.mu.Unlock()
	var sent []time.Time
	for chat, msgs := range api.messages {
		n := 0
		for i, m := range msgs {
			sent = append(sent, m.at)
			if i > 0 && m.at.Sub(msgs[i-1].at) < 900*time.Millisecond {
				t.Errorf("chat %d got two messages %v apart: Telegram takes about one a second into a chat", chat, m.at.Sub(msgs[i-1].at))
			}
			if strings.Contains(m.text, "征求意见：阳光社区口袋公园改造") {
				n++
			}
		}
		switch {
		case chat >= first && chat < first+int64(agreed) && n != 1:
			t.Errorf("chat %d invited %d times", chat, n)
		case (chat < first || chat >= first+int64(agreed)) && n != 0:
			t.Errorf("chat %d, who had not agreed or had left, was invited", chat)
		}
	}
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	worst := 0
	for i, j := 0, 0; i < len(sent); i++ {
		for sent[i].Sub(sent[j]) >= time.Second {
			j++
		}
		worst = max(worst, i-j+1)
	}
	// the budget is 25 a second, a little more in a burst: Telegram's own limit is about 30
	if worst > 30 {
		t.Errorf("%d messages within one second: past Telegram's limit", worst)
	}
	t.Logf("%d invitations in %v (%.1f a second); at most %d messages in any one second; %d messages in all",
		agreed, took.Round(time.Millisecond), float64(agreed)/took.Seconds(), worst, len(sent))
}
