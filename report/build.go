package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/info"
)

// Source is what a report reads (the store): each day's recorded concerns, their
// records, and the 信息.
type Source interface {
	RecordedIDs(ctx context.Context, days []string) ([]string, error)
	RawReports(ctx context.Context, ids []string) ([][]byte, error)
	Infos(ctx context.Context) ([]*info.Item, error)
}

// Figures are what a span's concerns add up to.
type Figures struct {
	Received  int `json:"received"`
	Direct    int `json:"direct"`
	Filed     int `json:"filed"`
	Urgent    int `json:"urgent"`
	Sensitive int `json:"sensitive"`
	Closed    int `json:"closed"`
	Rejected  int `json:"rejected"`
	Duplicate int `json:"duplicate"`
	Open      int `json:"open"`
	// Overdue are the concerns that passed their deadline unfinished: closed
	// late, or still open after it.
	Overdue int `json:"overdue"`
	// Rates are shares from 0 to 1, nil with nothing to count over (as the digest's).
	ResponseRate     *float64 `json:"response_rate"`
	ResolutionRate   *float64 `json:"resolution_rate"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	// MedianCloseH is the median time from receipt to 办结, in hours.
	MedianCloseH *float64 `json:"median_close_h"`
	// Urgent response: alerts acknowledged, the median and worst time to that, and those never acknowledged.
	Acked      int      `json:"acked"`
	AckMedianS *float64 `json:"ack_median_s"`
	AckWorstS  *float64 `json:"ack_worst_s"`
	Unacked    int      `json:"unacked"`
}

// Rank is one community's, grid's or unit's figures.
type Rank struct {
	Name string `json:"name"`
	Figures
}

// Count is a topic's or sector's count against the span before and a year before.
type Count struct {
	Name    string `json:"name"`
	N       int    `json:"n"`
	Prev    int    `json:"prev"`
	YearAgo int    `json:"year_ago"`
}

// Problem is one of the span's main shared problems: a topic in one community
// that many concerns were about, on many days.
type Problem struct {
	Topic     string `json:"topic"`
	Subtopic  string `json:"subtopic,omitempty"`
	Community string `json:"community"`
	N         int    `json:"n"`
	Days      int    `json:"days"`
	Closed    int    `json:"closed"`
	Excerpt   string `json:"excerpt"` // masked, of the latest concern
}

// InfoWork is the span's 信息 work: items by what happened to them in the span.
type InfoWork struct {
	Drafted    int `json:"drafted"`
	Signed     int `json:"signed"`
	Sent       int `json:"sent"`
	Adopted    int `json:"adopted"`
	Instructed int `json:"instructed"`
	// MedianLagH is the median time from the first concern to 报送 of the items sent in the span, in hours.
	MedianLagH *float64   `json:"median_lag_h"`
	Items      []InfoLine `json:"items"`
}

// InfoLine is a 信息 sent in the span.
type InfoLine struct {
	ID     int64 `json:"id"`
	Year   int   `json:"year"`
	Number int   `json:"number"`
	// Title is empty for an item of sensitive concerns: a report travels further than admins.
	Title  string     `json:"title"`
	State  info.State `json:"state"`
	SentAt time.Time  `json:"sent_at"`
	LagH   float64    `json:"lag_h"`
}

// Report is a span's analysis.
type Report struct {
	Span      Span      `json:"-"`
	Period    string    `json:"period"` // as Parse reads it
	Org       string    `json:"org"`
	Number    int       `json:"number,omitempty"` // issue of the year once archived
	Generated time.Time `json:"generated"`

	Now     Figures `json:"now"`
	Prev    Figures `json:"prev"`
	YearAgo Figures `json:"year_ago"`

	Sectors     []Count   `json:"sectors"`
	Topics      []Count   `json:"topics"`
	Communities []Rank    `json:"communities"`
	Grids       []Rank    `json:"grids"`
	Units       []Rank    `json:"units"`
	Problems    []Problem `json:"problems"`
	Info        InfoWork  `json:"info"`
	// Unassigned counts concerns handled without a unit named (no 转办).
	Unassigned int `json:"unassigned"`
}

// Builder builds reports.
type Builder struct {
	src   Source
	loc   *time.Location
	now   func() time.Time
	org   string
	chunk int
}

// Option configures a Builder.
type Option func(*Builder)

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(b *Builder) { b.now = now } }

// WithOrg names the office that issues the reports.
func WithOrg(org string) Option { return func(b *Builder) { b.org = org } }

// NewBuilder makes a Builder reading src, in loc.
func NewBuilder(src Source, loc *time.Location, opts ...Option) *Builder {
	b := &Builder{src: src, loc: loc, now: time.Now, chunk: 2000}
	for _, o := range opts {
		o(b)
	}
	return b
}

// rec is what a report reads of a stored concern. Records are decoded with the
// json v2 prototype (go-json-experiment/json), which reads them about three
// times as fast as encoding/json: a year of a busy office is a million.
type rec struct {
	ID         string         `json:"id"`
	ReceivedAt time.Time      `json:"received_at"`
	FiledBy    int64          `json:"filed_by"`
	Community  string         `json:"community"`
	Grid       string         `json:"grid"`
	Sector     string         `json:"sector"`
	Topic      string         `json:"topic"`
	Subtopic   string         `json:"subtopic"`
	Urgent     bool           `json:"urgent"`
	Sensitive  bool           `json:"sensitive"`
	AdminsOnly bool           `json:"admins_only"`
	Status     concern.Status `json:"status"`
	Unit       string         `json:"unit"`
	Deadline   time.Time      `json:"deadline"`
	Rating     concern.Rating `json:"rating"`
	Ack        *struct {
		After int64 `json:"after"` // nanoseconds, as concern.Ack writes a time.Duration
	} `json:"ack"`
	History []struct {
		At     time.Time      `json:"at"`
		Status concern.Status `json:"status"`
	} `json:"history"`
	Text         string `json:"text"`
	ReporterName string `json:"reporter_name"`
	ResidentName string `json:"resident_name"`
}

// Build makes the report of a span, reading its concerns and those of the span
// before and of a year before one day at a time.
func (b *Builder) Build(ctx context.Context, s Span) (*Report, error) {
	s = s.In(b.loc)
	now := b.now()
	cur, err := b.read(ctx, s, now, true)
	if err != nil {
		return nil, err
	}
	prev, err := b.read(ctx, s.Prev(), now, false)
	if err != nil {
		return nil, err
	}
	ago := prev
	if s.Kind != Year { // a year's 环比 and 同比 are both the year before
		if ago, err = b.read(ctx, s.YearAgo(), now, false); err != nil {
			return nil, err
		}
	}
	r := &Report{Span: s, Period: s.String(), Org: b.org, Generated: now,
		Now: cur.all.figures(), Prev: prev.all.figures(), YearAgo: ago.all.figures()}
	r.Sectors = counts(cur.sectors, prev.sectors, ago.sectors)
	r.Topics = counts(cur.topics, prev.topics, ago.topics)
	r.Communities, r.Grids, r.Units = ranks(cur.communities), ranks(cur.grids), ranks(cur.units)
	r.Unassigned = cur.unassigned
	r.Problems = cur.problems()
	infos, err := b.src.Infos(ctx)
	if err != nil {
		return nil, err
	}
	r.Info = infoWork(infos, s)
	return r, nil
}

// spanTally is a span's tallies, overall and by what the report breaks them down by.
type spanTally struct {
	all                       tally
	sectors, topics           map[string]int
	communities, grids, units map[string]*tally
	unassigned                int
	probs                     map[[3]string]*problem
}

type problem struct {
	n, closed int
	days      map[int]bool
	latest    time.Time
	text      string
	names     []string
}

func newSpanTally() *spanTally {
	return &spanTally{sectors: map[string]int{}, topics: map[string]int{}, communities: map[string]*tally{}, grids: map[string]*tally{},
		units: map[string]*tally{}, probs: map[[3]string]*problem{}}
}

// read tallies a span's concerns a day at a time: one goroutine reads the next
// chunk from the store while two decode and count, so that reading and
// decoding overlap and nothing but the tallies outlives a chunk.
func (b *Builder) read(ctx context.Context, s Span, now time.Time, detail bool) (*spanTally, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan [][]byte, 2)
	var readErr error
	go func() {
		defer close(chunks)
		for _, d := range s.Days() {
			ids, err := b.src.RecordedIDs(ctx, []string{d.Format("20060102")})
			if err != nil {
				readErr = err
				return
			}
			for lo := 0; lo < len(ids); lo += b.chunk {
				raw, err := b.src.RawReports(ctx, ids[lo:min(lo+b.chunk, len(ids))])
				if err != nil {
					readErr = err
					return
				}
				select {
				case chunks <- raw:
				case <-ctx.Done():
					readErr = ctx.Err()
					return
				}
			}
		}
	}()
	const workers = 2
	parts := make([]*spanTally, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		parts[w] = newSpanTally()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for raw := range chunks {
				for _, data := range raw {
					var r rec
					if err := jsonv2.Unmarshal(data, &r); err != nil {
						errs[w] = fmt.Errorf("report: a record: %w", err)
						cancel()
						continue // drain, so that the reader ends
					}
					parts[w].add(&r, now, detail, b.loc)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if readErr != nil {
		return nil, fmt.Errorf("report %s: %w", s, readErr)
	}
	for _, p := range parts[1:] {
		parts[0].merge(p)
	}
	return parts[0], nil
}

func (t *spanTally) add(r *rec, now time.Time, detail bool, loc *time.Location) {
	t.all.add(r, now)
	t.sectors[r.Sector]++
	t.topics[r.Topic]++
	if !detail {
		return
	}
	at := func(m map[string]*tally, k string) *tally {
		x := m[k]
		if x == nil {
			x = &tally{}
			m[k] = x
		}
		return x
	}
	at(t.communities, r.Community).add(r, now)
	at(t.grids, r.Community+"/"+r.Grid).add(r, now)
	if r.Unit != "" {
		at(t.units, r.Unit).add(r, now)
	} else if r.Status != concern.StatusReceived {
		t.unassigned++
	}
	if r.Sensitive || r.AdminsOnly || r.Topic == "" { // a sensitive concern's words, or one for admins only, stay with admins
		return
	}
	k := [3]string{r.Topic, r.Subtopic, r.Community}
	p := t.probs[k]
	if p == nil {
		p = &problem{days: map[int]bool{}}
		t.probs[k] = p
	}
	p.n++
	if r.Status == concern.StatusClosed {
		p.closed++
	}
	p.days[r.ReceivedAt.In(loc).YearDay()] = true
	if r.ReceivedAt.After(p.latest) {
		p.latest, p.text, p.names = r.ReceivedAt, r.Text, []string{r.ReporterName, r.ResidentName}
	}
}

func (t *spanTally) merge(o *spanTally) {
	t.all.merge(&o.all)
	for k, v := range o.sectors {
		t.sectors[k] += v
	}
	for k, v := range o.topics {
		t.topics[k] += v
	}
	for _, m := range []struct{ to, from map[string]*tally }{{t.communities, o.communities}, {t.grids, o.grids}, {t.units, o.units}} {
		for k, v := range m.from {
			if x := m.to[k]; x != nil {
				x.merge(v)
			} else {
				m.to[k] = v
			}
		}
	}
	t.unassigned += o.unassigned
	for k, v := range o.probs {
		x := t.probs[k]
		if x == nil {
			t.probs[k] = v
			continue
		}
		x.n += v.n
		x.closed += v.closed
		for d := range v.days {
			x.days[d] = true
		}
		if v.latest.After(x.latest) {
			x.latest, x.text, x.names = v.latest, v.text, v.names
		}
	}
}

// problems are the ten topics-in-a-community with the most concerns.
func (t *spanTally) problems() []Problem {
	var out []Problem
	for k, p := range t.probs {
		if p.n < 2 {
			continue
		}
		out = append(out, Problem{Topic: k[0], Subtopic: k[1], Community: k[2], N: p.n, Days: len(p.days), Closed: p.closed,
			Excerpt: concern.Excerpt(concern.Mask(p.text, p.names...), 60)})
	}
	slices.SortFunc(out, func(a, b Problem) int {
		return cmp.Or(b.N-a.N, b.Days-a.Days, cmp.Compare(a.Community+a.Topic+a.Subtopic, b.Community+b.Topic+b.Subtopic))
	})
	return out[:min(10, len(out))]
}

// tally adds up concerns; durations are kept as seconds for the medians.
type tally struct {
	f                      Figures
	responded, rated, good int
	closeS, ackS           []int32
}

func (t *tally) add(r *rec, now time.Time) {
	f := &t.f
	f.Received++
	if r.FiledBy != 0 {
		f.Filed++
	} else {
		f.Direct++
	}
	if r.Urgent {
		f.Urgent++
		if r.Ack != nil {
			t.ackS = append(t.ackS, int32(min(time.Duration(r.Ack.After).Seconds(), 1<<30)))
		} else {
			f.Unacked++
		}
	}
	if r.Sensitive {
		f.Sensitive++
	}
	done := time.Time{} // when it was finished, if it is
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].Status == r.Status {
			done = r.History[i].At
			break
		}
	}
	switch r.Status {
	case concern.StatusClosed:
		f.Closed++
		if !done.IsZero() {
			t.closeS = append(t.closeS, int32(min(done.Sub(r.ReceivedAt).Seconds(), 1<<30)))
		}
	case concern.StatusRejected:
		f.Rejected++
	case concern.StatusDuplicate:
		f.Duplicate++
	default:
		f.Open++
		done = time.Time{}
	}
	if !r.Deadline.IsZero() && ((done.IsZero() && now.After(r.Deadline)) || done.After(r.Deadline)) {
		f.Overdue++
	}
	if r.Status != concern.StatusReceived {
		t.responded++
	}
	if r.Rating != "" {
		t.rated++
		if r.Rating != concern.Unsatisfied {
			t.good++
		}
	}
}

func (t *tally) merge(o *tally) {
	a, b := &t.f, &o.f
	a.Received += b.Received
	a.Direct += b.Direct
	a.Filed += b.Filed
	a.Urgent += b.Urgent
	a.Sensitive += b.Sensitive
	a.Closed += b.Closed
	a.Rejected += b.Rejected
	a.Duplicate += b.Duplicate
	a.Open += b.Open
	a.Overdue += b.Overdue
	a.Unacked += b.Unacked
	t.responded += o.responded
	t.rated += o.rated
	t.good += o.good
	t.closeS = append(t.closeS, o.closeS...)
	t.ackS = append(t.ackS, o.ackS...)
}

func (t *tally) figures() Figures {
	f := t.f
	f.ResponseRate = ratio(t.responded, f.Received)
	f.ResolutionRate = ratio(f.Closed, f.Received-f.Rejected-f.Duplicate)
	f.SatisfactionRate = ratio(t.good, t.rated)
	if m, ok := median(t.closeS); ok {
		h := m / 3600
		f.MedianCloseH = &h
	}
	f.Acked = len(t.ackS)
	if m, ok := median(t.ackS); ok {
		worst := float64(slices.Max(t.ackS))
		f.AckMedianS, f.AckWorstS = &m, &worst
	}
	return f
}

func ratio(n, of int) *float64 {
	if of <= 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

func median(xs []int32) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2]), true
	}
	return (float64(s[len(s)/2-1]) + float64(s[len(s)/2])) / 2, true
}

// counts are the span's counts by name against the two spans compared, most first.
func counts(now, prev, ago map[string]int) []Count {
	var out []Count
	for name, n := range now {
		out = append(out, Count{Name: name, N: n, Prev: prev[name], YearAgo: ago[name]})
	}
	for name, n := range prev { // what was there before and is gone is news too
		if _, ok := now[name]; !ok {
			out = append(out, Count{Name: name, Prev: n, YearAgo: ago[name]})
		}
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(b.N-a.N, b.Prev-a.Prev, cmp.Compare(a.Name, b.Name)) })
	return out
}

// ranks orders communities, grids or units by resolution rate, then by the
// median time to close and by how many they had.
func ranks(m map[string]*tally) []Rank {
	var out []Rank
	for name, t := range m {
		out = append(out, Rank{Name: name, Figures: t.figures()})
	}
	val := func(p *float64, none float64) float64 {
		if p == nil {
			return none
		}
		return *p
	}
	slices.SortFunc(out, func(a, b Rank) int {
		return cmp.Or(cmp.Compare(val(b.ResolutionRate, -1), val(a.ResolutionRate, -1)),
			cmp.Compare(val(a.MedianCloseH, 1e18), val(b.MedianCloseH, 1e18)), b.Received-a.Received, cmp.Compare(a.Name, b.Name))
	})
	return out
}

// infoWork counts the span's 信息 by the steps taken in it.
func infoWork(items []*info.Item, s Span) InfoWork {
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(s.From()) && t.Before(s.End()) }
	var w InfoWork
	var lags []int32
	for _, it := range items {
		if in(it.Created) {
			w.Drafted++
		}
		for _, st := range it.History {
			if !in(st.At) {
				continue
			}
			switch st.State {
			case info.Signed:
				w.Signed++
			case info.Adopted:
				w.Adopted++
			case info.Instructed:
				w.Instructed++
			}
		}
		if in(it.SentAt) {
			w.Sent++
			lag := it.Lag()
			lags = append(lags, int32(min(lag.Seconds(), 1<<30)))
			l := InfoLine{ID: it.ID, Year: it.Year, Number: it.Number, Title: it.Title, State: it.State, SentAt: it.SentAt, LagH: lag.Hours()}
			if it.AdminsOnly {
				l.Title = ""
			}
			w.Items = append(w.Items, l)
		}
	}
	if m, ok := median(lags); ok {
		h := m / 3600
		w.MedianLagH = &h
	}
	slices.SortFunc(w.Items, func(a, b InfoLine) int { return a.SentAt.Compare(b.SentAt) })
	return w
}

// JSON is the report as the archive keeps it.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b, nil
}

// Load reads a report back from the archive, in loc.
func Load(data []byte, loc *time.Location) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	s, err := Parse(r.Period, time.Time{}, loc)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.Span = s
	return &r, nil
}
