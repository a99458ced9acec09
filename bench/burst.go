package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The Bot API's own limits, as Telegram states them: about 30 messages a second
// in all, about one a second into one chat (short bursts pass), 20 a minute into
// a group. The fake answers a call past them with 429 and retry_after, as
// Telegram does, when the cap is on (a run with -rate-cap 0 measures CPU only).
const (
	telegramGlobalPerSecond = 30
	telegramChatBurst       = 3
	telegramGroupPerMinute  = 20
)

// benchStaffChat is the staff group of a run: where urgent alerts go.
const benchStaffChat = -100777

// telegramLimits decides, as Telegram would, whether a message may be sent now.
type telegramLimits struct {
	mu     sync.Mutex
	global []time.Time         // the last sends, at most telegramGlobalPerSecond
	chats  map[int64]time.Time // each private chat's GCRA: when its bucket is full again
	groups map[int64][]time.Time
}

func newTelegramLimits() *telegramLimits {
	return &telegramLimits{chats: map[int64]time.Time{}, groups: map[int64][]time.Time{}}
}

// allow takes one message to chat now, or says how long until Telegram would take it.
func (l *telegramLimits) allow(chat int64, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	if len(l.global) >= telegramGlobalPerSecond {
		if d := l.global[len(l.global)-telegramGlobalPerSecond].Add(time.Second).Sub(now); d > 0 {
			wait = d
		}
	}
	if chat < 0 {
		g := l.groups[chat]
		if len(g) >= telegramGroupPerMinute {
			if d := g[len(g)-telegramGroupPerMinute].Add(time.Minute).Sub(now); d > wait {
				wait = d
			}
		}
	} else {
		tat := l.chats[chat]
		if tat.Before(now) {
			tat = now
		}
		if d := tat.Sub(now) - (telegramChatBurst-1)*time.Second; d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return false, wait
	}
	l.global = append(l.global, now)
	if len(l.global) > 2*telegramGlobalPerSecond {
		l.global = append(l.global[:0], l.global[len(l.global)-telegramGlobalPerSecond:]...)
	}
	if chat < 0 {
		g := append(l.groups[chat], now)
		if len(g) > 2*telegramGroupPerMinute {
			g = append(g[:0], g[len(g)-telegramGroupPerMinute:]...)
		}
		l.groups[chat] = g
	} else {
		tat := l.chats[chat]
		if tat.Before(now) {
			tat = now
		}
		l.chats[chat] = tat.Add(time.Second)
	}
	return true, 0
}

// step is one thing a resident does: types a text or presses a button, then
// waits for the words (or a button label) that answer it.
type step struct {
	name, typed, press, want string
}

// The report flow as a resident walks it. startReport begins with /report, as
// the flow always allowed; startDescribe begins with the description itself.
var (
	openStep     = step{name: "report", typed: "/report", want: "第1步"}
	describeStep = step{name: "describe", typed: "小区%d号楼门口的路灯坏了一个多月，晚上很黑，老人出门不安全。", want: "跳过"}
	urgentText   = "燃气管道有泄漏的味道，在和平社区%d号楼一单元，非常浓！"
	restSteps    = []step{
		{name: "photos", press: "跳过", want: "阳光社区"},
		{name: "where", press: "阳光社区", want: "匿名"},
		{name: "contact", press: "匿名", want: "提交"},
		{name: "confirm", press: "提交", want: "编号"},
	}
)

// path is the steps of one walk: from /report or from the description.
func path(start string) []step {
	p := []step{describeStep}
	if start == "report" {
		p = append([]step{openStep}, p...)
	}
	return append(p, restSteps...)
}

// walker takes residents through the report flow.
type walker struct {
	fake  *fakeAPI
	post  func(int, []byte) error
	limit *rate.Limiter
	think time.Duration
	// repeatAfter is how long a resident waits in silence before doing the last
	// thing again (0: they wait patiently)
	repeatAfter time.Duration
	// patience bounds the wait for one step's answer
	patience time.Duration
	// until ends every walk (zero: none)
	until time.Time
	steps []step
}

// walkResult is one resident's walk.
type walkResult struct {
	updates  int // updates sent, repeats included
	repeats  int
	finished bool
	stepTime []time.Duration // from the first try of each step to its answer
	submit   time.Time       // when the resident first pressed 提交
}

// walk takes one resident through the first n steps; urgent residents report a gas leak.
func (w *walker) walk(chat int64, n int, urgent bool) walkResult {
	var res walkResult
	for i, s := range w.steps[:n] {
		if w.think > 0 {
			time.Sleep(w.think)
		}
		if w.limit != nil {
			w.limit.Wait(context.Background())
		}
		u, err := w.update(chat, s, urgent)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return res
		}
		first := time.Now()
		if s.press == "提交" {
			res.submit = first
		}
		if err := w.offer(chat, i, u, s.want, false); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return res
		}
		res.updates++
		deadline := first.Add(w.patience)
		if !w.until.IsZero() && w.until.Before(deadline) {
			deadline = w.until
		}
		for {
			wait := time.Until(deadline)
			if w.repeatAfter > 0 {
				// silence is counted from the last thing heard, or done
				wait = min(wait, time.Until(w.fake.chat(chat).quietSince().Add(w.repeatAfter)))
			}
			if w.fake.wait(chat, max(wait, time.Millisecond)) {
				res.stepTime = append(res.stepTime, time.Since(first))
				break
			}
			if !time.Now().Before(deadline) {
				if w.until.IsZero() {
					fmt.Fprintf(os.Stderr, "bench: resident %d waited %v at step %q for %q\n", chat, w.patience, s.name, s.want)
				}
				return res
			}
			c := w.fake.chat(chat)
			if w.repeatAfter > 0 && time.Since(c.quietSince()) >= w.repeatAfter {
				if again, err := w.again(chat, s, u); err == nil {
					if err := w.offer(chat, i, again, s.want, true); err != nil {
						fmt.Fprintln(os.Stderr, "bench:", err)
						return res
					}
					res.updates++
					res.repeats++
				}
			}
		}
	}
	res.finished = true
	return res
}

// update makes what the resident sends at step s.
func (w *walker) update(chat int64, s step, urgent bool) (map[string]any, error) {
	if s.typed != "" {
		text := s.typed
		if s.name == "describe" && urgent {
			text = urgentText
		}
		if strings.Contains(text, "%d") {
			text = fmt.Sprintf(text, chat%1000)
		}
		return typed(chat, text), nil
	}
	return w.fake.press(chat, s.press)
}

// again makes the same action once more: the same words, or the same button of
// the same message pressed again (a new callback query, as Telegram makes one
// for each press).
func (w *walker) again(chat int64, s step, u map[string]any) (map[string]any, error) {
	if s.typed != "" {
		m := u["message"].(map[string]any)
		return typed(chat, m["text"].(string)), nil
	}
	cq, ok := u["callback_query"].(map[string]any)
	if !ok { // a keyboard button: typed again
		m := u["message"].(map[string]any)
		return typed(chat, m["text"].(string)), nil
	}
	w.fake.mu.Lock()
	w.fake.pressSeq++
	n := w.fake.pressSeq
	w.fake.mu.Unlock()
	next := map[string]any{}
	for k, v := range cq {
		next[k] = v
	}
	next["id"] = fmt.Sprintf("%v-again%d", cq["id"], n)
	return map[string]any{"callback_query": next}, nil
}

// offer hands the update to the bot (polling or webhook); a repeat leaves the
// resident's wait as it was.
func (w *walker) offer(chat int64, turn int, u map[string]any, want string, repeat bool) error {
	c := w.fake.chat(chat)
	c.mu.Lock()
	c.done = time.Now()
	c.mu.Unlock()
	if repeat {
		w.fake.repeats.Add(1)
		if w.post == nil {
			w.fake.enqueue(u)
			return nil
		}
		return w.fake.postRaw(w.post, int(chat)+turn, u)
	}
	if w.post == nil {
		w.fake.offer(chat, u, want)
		return nil
	}
	return w.fake.postTo(w.post, int(chat)+turn, chat, u, want)
}

// burstFigures are what a run with the cap on (or with repeats) measured.
type burstFigures struct {
	Start       string  `json:"start"`
	RateCap     float64 `json:"rate_cap_per_s"`
	RepeatAfter float64 `json:"repeat_after_s"`
	// PathMessages is m: the bot messages a patient resident gets on the path,
	// walked alone before the burst
	PathMessages int `json:"messages_on_path"`
	// Deadline is 1.3 × residents × m ÷ cap
	Deadline       float64        `json:"deadline_s"`
	WithinDeadline float64        `json:"share_with_receipt_within_deadline"`
	Receipts       int            `json:"residents_with_a_receipt"`
	Double         int            `json:"residents_with_two_receipts"`
	Goodput        float64        `json:"receipts_per_s"`
	ReceiptAt      lat            `json:"receipt_at_s"`
	PerConcern     float64        `json:"messages_per_concern"`
	Messages       int64          `json:"messages_to_residents"`
	Answers        int64          `json:"callback_answers"`
	Repeats        int64          `json:"repeats"`
	TooMany        int64          `json:"answered_429"`
	Steps          map[string]lat `json:"step_ms"`
	Alert          lat            `json:"staff_alert_ms"`
	Alerts         int            `json:"urgent_reports"`
	AlertsMissing  int            `json:"alerts_not_arrived"`
	// past the storm limit (MINYI_ALERT_STORM a minute from one channel) the rest of
	// the minute's come as one alert at its end: counted and timed apart
	Grouped     int                `json:"alerts_grouped"`
	GroupedWait lat                `json:"grouped_alert_ms"`
	StepCounts  map[string]int     `json:"steps_answered"`
	Methods     map[string]float64 `json:"-"`
}

var concernID = regexp.MustCompile(`编号 (\d{8}-\d{4,})`)

// burst gathers the figures of the run's residents.
func (f *fakeAPI) burst(results []walkResult, urgent []bool, base int64, began time.Time, b *burstFigures, steps []step) {
	per := map[string][]time.Duration{}
	var at []time.Duration
	for i, r := range results {
		for j, d := range r.stepTime {
			per[steps[j].name] = append(per[steps[j].name], d)
		}
		c := f.chats[i]
		c.mu.Lock()
		n, first := c.receipts, c.firstReceipt
		c.mu.Unlock()
		if n > 0 {
			b.Receipts++
			at = append(at, first.Sub(began))
			if first.Sub(began).Seconds() <= b.Deadline {
				b.WithinDeadline++
			}
		}
		if n > 1 {
			b.Double++
		}
	}
	if len(results) > 0 {
		b.WithinDeadline = round(b.WithinDeadline/float64(len(results)), 3)
	}
	b.Steps, b.StepCounts = map[string]lat{}, map[string]int{}
	for name, s := range per {
		b.Steps[name] = percentiles(s)
		b.StepCounts[name] = len(s)
	}
	secs := percentiles(at)
	b.ReceiptAt = lat{P50: round(secs.P50/1000, 1), P90: round(secs.P90/1000, 1), P99: round(secs.P99/1000, 1), Max: round(secs.Max/1000, 1)}
	if len(at) > 0 {
		b.Goodput = round(float64(len(at))/slices.Max(at).Seconds(), 2)
	}
	b.PerConcern = round(float64(b.Messages)/math.Max(float64(b.Receipts), 1), 2)
	// staff alerts: from the urgent resident's press of 提交 to the alert in the staff chat
	var alerts, grouped []time.Duration
	for i, r := range results {
		if !urgent[i] || r.submit.IsZero() {
			continue
		}
		b.Alerts++
		c := f.chats[i]
		c.mu.Lock()
		id := c.concern
		c.mu.Unlock()
		when, group, ok := f.alertFor(id)
		switch {
		case id == "" || !ok:
			b.AlertsMissing++
		case group:
			b.Grouped++
			grouped = append(grouped, when.Sub(r.submit))
		default:
			alerts = append(alerts, when.Sub(r.submit))
		}
	}
	b.Alert, b.GroupedWait = percentiles(alerts), percentiles(grouped)
}

// awaitAlerts waits (at most d) until the staff chat was told of every urgent
// resident's concern: a storm group is sent only after its minute.
func (f *fakeAPI) awaitAlerts(results []walkResult, urgent []bool, d time.Duration) {
	deadline := time.Now().Add(d)
	for i := range results {
		if !urgent[i] {
			continue
		}
		c := f.chats[i]
		for time.Now().Before(deadline) {
			c.mu.Lock()
			id := c.concern
			c.mu.Unlock()
			if _, _, ok := f.alertFor(id); id == "" || ok {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// alertFor is when the staff chat was first told of concern id, and whether in a
// storm group.
func (f *fakeAPI) alertFor(id string) (time.Time, bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.staff {
		if strings.Contains(m.text, id) && strings.Contains(m.text, "紧急") {
			return m.at, strings.Contains(m.text, "激增"), true
		}
	}
	return time.Time{}, false, false
}
