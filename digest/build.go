// Package digest builds the digests the committee reviews: what came in over a
// period, how it is being handled, what many residents share, what is urgent,
// sensitive or late, reconciled against everything the office accepted. It renders
// them as Telegram text, a printable HTML brief, an XLSX workbook and JSON.
package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/period"
)

// Source is where a digest reads from (the store).
type Source interface {
	ReceivedIDs(ctx context.Context, days []string) ([]string, error)
	RecordedIDs(ctx context.Context, days []string) ([]string, error)
	RawReports(ctx context.Context, ids []string) ([][]byte, error)
	DayCounts(ctx context.Context, days []string) ([]map[string]int64, error)
	BandDays(ctx context.Context, days []string, sets [][]uint64) ([]int, error)
	Overdue(ctx context.Context, now time.Time, limit int64) ([]*concern.Report, int64, error)
}

// Summarizer writes a short brief from digest facts (an LLM); the facts hold no personal data.
type Summarizer interface {
	Summarize(ctx context.Context, facts string) (string, error)
}

// Builder builds digests.
type Builder struct {
	src     Source
	sectors []string
	loc     *time.Location
	now     func() time.Time
	sum     Summarizer
	unsure  float64
	log     *slog.Logger

	reported  Reported
	leadRules LeadRules
	org       string
}

// Option configures a Builder.
type Option func(*Builder)

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(b *Builder) { b.now = now } }

// WithSummarizer adds a brief written by an LLM.
func WithSummarizer(s Summarizer) Option { return func(b *Builder) { b.sum = s } }

// WithUnsure sets the confidence under which a tag awaits a person (待人工核定).
func WithUnsure(c float64) Option { return func(b *Builder) { b.unsure = c } }

// WithOrg names the office that issues the digests.
func WithOrg(org string) Option { return func(b *Builder) { b.org = org } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(b *Builder) { b.log = l } }

// NewBuilder makes a Builder reading src, counting by the given sectors, in loc.
func NewBuilder(src Source, sectors []string, loc *time.Location, opts ...Option) *Builder {
	b := &Builder{src: src, sectors: sectors, loc: loc, now: time.Now, unsure: 0.3, log: slog.Default()}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Count is one line of a breakdown: a sector, topic, community or grid.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	// Before is the daily average over the 7 days before the period.
	Before float64 `json:"before"`
	// Change is the period's daily average against Before (0.5: half as many again); nil when Before is 0.
	Change *float64 `json:"change,omitempty"`
}

// Group is a set of near-duplicate concerns: what many residents share.
type Group struct {
	Count     int      `json:"count"`
	Excerpt   string   `json:"excerpt"`
	IDs       []string `json:"ids"`
	Topic     string   `json:"topic"`
	Community string   `json:"community"`
	// Recurring counts the days of the week before on which such concerns came in too.
	Recurring int `json:"recurring"`
}

// Item is one concern in a list of the digest.
type Item struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	Community string    `json:"community,omitempty"`
	Topic     string    `json:"topic,omitempty"`
	Excerpt   string    `json:"excerpt"`
	Reason    string    `json:"reason,omitempty"`
	Unit      string    `json:"unit,omitempty"`
	Deadline  time.Time `json:"deadline,omitzero"`
	Status    string    `json:"status,omitempty"`
}

// Row is one concern of the period, for the workbook.
type Row struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	Channel   string    `json:"channel"`
	Filed     bool      `json:"filed,omitempty"`
	Community string    `json:"community,omitempty"`
	Grid      string    `json:"grid,omitempty"`
	Sector    string    `json:"sector,omitempty"`
	Topic     string    `json:"topic,omitempty"`
	Subtopic  string    `json:"subtopic,omitempty"`
	Urgent    bool      `json:"urgent,omitempty"`
	Sensitive bool      `json:"sensitive,omitempty"`
	Level     string    `json:"level,omitempty"`
	Status    string    `json:"status"`
	Unit      string    `json:"unit,omitempty"`
	Rating    string    `json:"rating,omitempty"`
	Text      string    `json:"text"` // masked

	ExternalID string    `json:"external_id,omitempty"`
	ReportedAt time.Time `json:"reported_at,omitzero"`
	Deadline   time.Time `json:"deadline,omitzero"`

	// history (or, read from the store, its JSON, decoded only when the workbook
	// is written: most digests never are) and names are for the workbook's 办理经过,
	// masked as the export masks it; never in the JSON, which holds no personal data.
	history    []concern.StatusChange
	rawHistory json.RawMessage
	names      [2]string
}

// report is the row as a concern, for the export's columns; its text is the
// row's, already masked.
func (r Row) report() *concern.Report {
	if r.history == nil && len(r.rawHistory) > 0 {
		// the record decoded, so this is JSON; a history of another shape is left out
		if err := json.Unmarshal(r.rawHistory, &r.history); err != nil {
			r.history = nil
		}
	}
	var filed int64
	if r.Filed {
		filed = 1 // the columns ask only whether a grid worker filed it
	}
	return &concern.Report{ID: r.ID, ReceivedAt: r.At, Channel: r.Channel, ExternalID: r.ExternalID, ReportedAt: r.ReportedAt,
		FiledBy: filed, Community: r.Community, Grid: r.Grid, Sector: r.Sector, Topic: r.Topic, Subtopic: r.Subtopic,
		Urgent: r.Urgent, Sensitive: r.Sensitive, Level: concern.Level(r.Level), Deadline: r.Deadline, Status: concern.Status(r.Status),
		Unit: r.Unit, Rating: concern.Rating(r.Rating), Text: r.Text, History: r.history, ReporterName: r.names[0], ResidentName: r.names[1]}
}

// rowOf is a stored concern as a row of the workbook.
func rowOf(r *concern.Report) Row {
	text := r.MaskedText()
	if r.Sensitive {
		text = restricted
	}
	return Row{ID: r.ID, At: r.ReceivedAt, Channel: r.Channel, Filed: r.FiledBy != 0, Community: r.Community, Grid: r.Grid,
		Sector: r.Sector, Topic: r.Topic, Subtopic: r.Subtopic, Urgent: r.Urgent, Sensitive: r.Sensitive, Level: string(r.Level),
		Status: string(r.Status), Unit: r.Unit, Rating: string(r.Rating), Text: text,
		ExternalID: r.ExternalID, ReportedAt: r.ReportedAt, Deadline: r.Deadline, history: r.History, names: [2]string{r.ReporterName, r.ResidentName}}
}

// Digest is everything a digest says.
type Digest struct {
	Period    period.Period `json:"-"`
	From, To  string        // yyyy-mm-dd
	Generated time.Time     `json:"generated"`
	Late      bool          `json:"late,omitempty"`
	// Org is the office that issues the digest (MINYI_ORG_NAME); Number is its
	// issue number of the year once archived as issued (0 before).
	Org    string `json:"org,omitempty"`
	Number int    `json:"number,omitempty"`

	Received  int `json:"received"`
	Direct    int `json:"direct"`
	Filed     int `json:"filed"`
	Closed    int `json:"closed"`
	Rejected  int `json:"rejected"`
	Duplicate int `json:"duplicate"`
	Overdue   int `json:"overdue"` // of the period's concerns
	Open      int `json:"open"`
	// Rates are shares from 0 to 1; nil when nothing to count them over.
	ResponseRate     *float64 `json:"response_rate"`
	ResolutionRate   *float64 `json:"resolution_rate"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`

	BySector    []Count `json:"by_sector"`
	ByTopic     []Count `json:"by_topic"`
	ByCommunity []Count `json:"by_community"`
	ByGrid      []Count `json:"by_grid"`
	Rising      []Count `json:"rising"`
	Groups      []Group `json:"groups"`

	Urgent []Item `json:"urgent"`
	// Of the period's urgent concerns: how many had their alert acknowledged, the
	// median and worst time from the alert to that (seconds), and how many still wait.
	Acked      int      `json:"acked"`
	AckMedianS *float64 `json:"ack_median_s,omitempty"`
	AckWorstS  *float64 `json:"ack_worst_s,omitempty"`
	Unacked    int      `json:"unacked"`
	Sensitive  []Item   `json:"sensitive"`
	Unsure     []Item   `json:"unsure"`
	// OverdueNow lists the first concerns past their deadline now, whenever
	// received (OverdueShown of them, the sensitive left out); OverdueNowTotal
	// counts them all, and OverdueRows holds them all (up to OverdueRowsMax),
	// sensitive ones withheld, for the workbook.
	OverdueNow      []Item `json:"overdue_now"`
	OverdueNowTotal int    `json:"overdue_now_total"`
	OverdueRows     []Row  `json:"overdue_rows,omitempty"`

	// Reconciliation: the concerns accepted in the period against those counted here.
	Accepted   int      `json:"accepted"`
	Counted    int      `json:"counted"`
	Missing    []string `json:"missing,omitempty"`
	Reconciled bool     `json:"reconciled"`

	// TrendDays and Trend give each sector's daily counts over the 14 days up to the period's end.
	TrendDays []string           `json:"trend_days"`
	Trend     map[string][]int64 `json:"trend"`

	// Leads are the 待研判线索: what may want a 信息 and has none sent (only with WithLeads).
	Leads []Lead `json:"leads,omitempty"`
	// LeadsChecked is set when the leads were looked for (WithLeads).
	LeadsChecked bool `json:"leads_checked,omitempty"`

	Rows []Row `json:"rows"`

	Summary       string `json:"summary,omitempty"`
	SummaryFailed bool   `json:"summary_failed,omitempty"`
}

// record is what a digest reads of a stored concern.
type record struct {
	ID              string          `json:"id"`
	ReceivedAt      time.Time       `json:"received_at"`
	Channel         string          `json:"channel"`
	ReporterName    string          `json:"reporter_name"`
	ResidentName    string          `json:"resident_name"`
	FiledBy         int64           `json:"filed_by"`
	Community       string          `json:"community"`
	Grid            string          `json:"grid"`
	Text            string          `json:"text"`
	Sector          string          `json:"sector"`
	Topic           string          `json:"topic"`
	Subtopic        string          `json:"subtopic"`
	Confidence      float64         `json:"confidence"`
	Reason          string          `json:"reason"`
	Urgent          bool            `json:"urgent"`
	UrgentReason    string          `json:"urgent_reason"`
	AdminsOnly      bool            `json:"admins_only"`
	Sensitive       bool            `json:"sensitive"`
	SensitiveReason string          `json:"sensitive_reason"`
	Status          concern.Status  `json:"status"`
	Unit            string          `json:"unit"`
	Level           concern.Level   `json:"level"`
	Deadline        time.Time       `json:"deadline"`
	Rating          concern.Rating  `json:"rating"`
	Ack             *concern.Ack    `json:"ack"`
	ExternalID      string          `json:"external_id"`
	ReportedAt      time.Time       `json:"reported_at"`
	History         json.RawMessage `json:"history"`

	masked string
	sig    minhash.Signature
}

// Build makes the digest of a period.
func (b *Builder) Build(ctx context.Context, p period.Period) (*Digest, error) {
	now := b.now()
	days := keys(p.Each())
	accepted, err := b.src.ReceivedIDs(ctx, days)
	if err != nil {
		return nil, err
	}
	ids, err := b.src.RecordedIDs(ctx, days)
	if err != nil {
		return nil, err
	}
	recs, err := b.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	d := &Digest{Period: p, From: p.From.Format("2006-01-02"), To: p.To.Format("2006-01-02"), Generated: now, Org: b.org, Trend: map[string][]int64{}}
	b.reconcile(d, accepted, recs)
	b.headline(d, recs, now)
	if err := b.breakdowns(ctx, d, recs, p); err != nil {
		return nil, err
	}
	if err := b.groups(ctx, d, recs, p); err != nil {
		return nil, err
	}
	b.lists(d, recs)
	if b.reported != nil {
		if err := b.leads(ctx, d, recs, p); err != nil {
			return nil, err
		}
	}
	// every overdue concern for the workbook, the first of them for the brief
	overdue, total, err := b.src.Overdue(ctx, now, OverdueRowsMax)
	if err != nil {
		return nil, fmt.Errorf("digest: overdue concerns: %w", err)
	}
	d.OverdueNowTotal = int(total)
	for _, r := range overdue {
		d.OverdueRows = append(d.OverdueRows, rowOf(r))
		if r.Sensitive || len(d.OverdueNow) == OverdueShown {
			continue // restricted: staff see these through /overdue as admins allow
		}
		d.OverdueNow = append(d.OverdueNow, Item{ID: r.ID, At: r.ReceivedAt, Community: r.Community, Topic: r.Topic,
			Excerpt: excerpt(r.MaskedText()), Unit: r.Unit, Deadline: r.Deadline, Status: string(r.Status)})
	}
	for _, r := range recs {
		d.Rows = append(d.Rows, Row{ID: r.ID, At: r.ReceivedAt, Channel: r.Channel, Filed: r.FiledBy != 0, Community: r.Community, Grid: r.Grid,
			Sector: r.Sector, Topic: r.Topic, Subtopic: r.Subtopic, Urgent: r.Urgent, Sensitive: r.Sensitive, Level: string(r.Level),
			Status: string(r.Status), Unit: r.Unit, Rating: string(r.Rating), Text: r.masked,
			ExternalID: r.ExternalID, ReportedAt: r.ReportedAt, Deadline: r.Deadline, rawHistory: r.History, names: [2]string{r.ReporterName, r.ResidentName}})
	}
	return d, nil
}

// OverdueShown is how many overdue concerns the brief lists; OverdueRowsMax how
// many the workbook holds (all, in any office that is not in crisis).
const (
	OverdueShown   = 50
	OverdueRowsMax = 10000
)

// restricted is what stands for a sensitive concern's text: it is handled by
// admins, and a digest that travels further does not carry it.
const restricted = "（敏感事项，限管理员查看）"

// Summarize adds the LLM's brief, written from the already-masked digest; when the
// LLM fails, the digest says so and goes out without it.
func (b *Builder) Summarize(ctx context.Context, d *Digest) {
	if b.sum == nil {
		return
	}
	text, err := b.sum.Summarize(ctx, Facts(d))
	if err != nil {
		b.log.Warn("digest summary failed; sent without it", "err", err)
		d.SummaryFailed = true
		return
	}
	d.Summary = concern.Mask(strings.TrimSpace(text))
}

func keys(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = period.Key(d)
	}
	return out
}

// load reads and decodes the records, a few chunks at a time on every core.
func (b *Builder) load(ctx context.Context, ids []string) ([]*record, error) {
	const chunk = 2000
	type part struct {
		recs []*record
		err  error
	}
	parts := make([]part, (len(ids)+chunk-1)/chunk)
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			lo, hi := i*chunk, min((i+1)*chunk, len(ids))
			raw, err := b.src.RawReports(ctx, ids[lo:hi])
			if err != nil {
				parts[i].err = err
				return
			}
			for _, bs := range raw {
				var r record
				if err := json.Unmarshal(bs, &r); err != nil {
					b.log.Error("unreadable concern left out of the digest", "err", err)
					continue
				}
				r.masked = concern.Mask(r.Text, r.ReporterName, r.ResidentName)
				r.sig = minhash.Sign(r.masked)
				if r.Sensitive {
					r.masked = restricted
				}
				parts[i].recs = append(parts[i].recs, &r)
			}
		})
	}
	wg.Wait()
	var out []*record
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		out = append(out, p.recs...)
	}
	return out, nil
}

// reconcile compares what was accepted with what is counted; the difference, if
// any, is listed by id (still in the queue, or lost).
func (b *Builder) reconcile(d *Digest, accepted []string, recs []*record) {
	counted := make(map[string]bool, len(recs))
	for _, r := range recs {
		counted[r.ID] = true
	}
	d.Accepted, d.Counted = len(accepted), len(recs)
	for _, id := range accepted {
		if !counted[id] {
			d.Missing = append(d.Missing, id)
		}
	}
	sort.Strings(d.Missing)
	d.Reconciled = len(d.Missing) == 0 && d.Accepted == d.Counted
}

func ratio(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

func (b *Builder) headline(d *Digest, recs []*record, now time.Time) {
	var responded, good, rated int
	for _, r := range recs {
		d.Received++
		if r.FiledBy != 0 {
			d.Filed++
		} else {
			d.Direct++
		}
		switch r.Status {
		case concern.StatusClosed:
			d.Closed++
		case concern.StatusRejected:
			d.Rejected++
		case concern.StatusDuplicate:
			d.Duplicate++
		default:
			d.Open++
			if !r.Deadline.IsZero() && now.After(r.Deadline) {
				d.Overdue++
			}
		}
		if r.Status != concern.StatusReceived {
			responded++
		}
		if r.Rating != "" {
			rated++
			if r.Rating != concern.Unsatisfied {
				good++
			}
		}
	}
	d.ResponseRate = ratio(responded, d.Received)
	d.ResolutionRate = ratio(d.Closed, d.Received-d.Rejected-d.Duplicate)
	d.SatisfactionRate = ratio(good, rated)
}

// breakdowns counts by sector, topic, community and grid, against the daily
// average of the 7 days before, and the 14-day trend of each sector.
func (b *Builder) breakdowns(ctx context.Context, d *Digest, recs []*record, p period.Period) error {
	before := keys(p.Before(7).Each())
	trendFrom := p.To.AddDate(0, 0, -13)
	trend := keys(period.Period{From: trendFrom, To: p.To}.Each())
	counts, err := b.src.DayCounts(ctx, append(before, trend...))
	if err != nil {
		return err
	}
	prev := map[string]int64{}
	for _, c := range counts[:len(before)] {
		for k, v := range c {
			prev[k] += v
		}
	}
	now := map[string]int{}
	for _, r := range recs {
		now["sector:"+r.Sector]++
		now["topic:"+r.Topic]++
		if r.Community != "" {
			now["community:"+r.Community]++
			if r.Grid != "" {
				now["grid:"+r.Community+"/"+r.Grid]++
			}
		}
	}
	days := float64(p.Days())
	breakdown := func(prefix string, names []string) []Count {
		seen := map[string]bool{}
		for _, n := range names {
			seen[n] = true
		}
		for k := range now {
			if n, ok := strings.CutPrefix(k, prefix); ok && !seen[n] {
				names = append(names, n)
				seen[n] = true
			}
		}
		var out []Count
		for _, n := range names {
			c := Count{Name: n, N: now[prefix+n], Before: float64(prev[prefix+n]) / 7}
			if c.Before > 0 {
				ch := (float64(c.N)/days - c.Before) / c.Before
				c.Change = &ch
			}
			if c.N > 0 || c.Before > 0 || prefix == "sector:" { // the six sectors always show
				out = append(out, c)
			}
		}
		return out
	}
	d.BySector = breakdown("sector:", slices.Clone(b.sectors))
	d.ByTopic = sortByN(breakdown("topic:", nil))
	d.ByCommunity = sortByN(breakdown("community:", nil))
	d.ByGrid = sortByN(breakdown("grid:", nil))
	for _, c := range d.ByTopic {
		if c.N >= 3 && c.Name != "" && float64(c.N)/days > c.Before {
			d.Rising = append(d.Rising, c)
		}
	}
	// the three that gained most a day, shown in the order of their figure
	sort.SliceStable(d.Rising, func(i, j int) bool {
		return float64(d.Rising[i].N)/days-d.Rising[i].Before > float64(d.Rising[j].N)/days-d.Rising[j].Before
	})
	d.Rising = d.Rising[:min(3, len(d.Rising))]
	sortRising(d.Rising)
	for _, day := range trend {
		d.TrendDays = append(d.TrendDays, day)
	}
	for _, s := range b.sectors {
		series := make([]int64, len(trend))
		for i, c := range counts[len(before):] {
			series[i] = c["sector:"+s]
		}
		d.Trend[s] = series
	}
	return nil
}

// sortRising orders rising topics by their change, the largest first (a topic new
// this period, with nothing before to compare, before any), then by count.
func sortRising(cs []Count) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i].Change, cs[j].Change
		switch {
		case (a == nil) != (b == nil):
			return a == nil
		case a != nil && *a != *b:
			return *a > *b
		case cs[i].N != cs[j].N:
			return cs[i].N > cs[j].N
		}
		return cs[i].Name < cs[j].Name
	})
}

func sortByN(cs []Count) []Count {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].N != cs[j].N {
			return cs[i].N > cs[j].N
		}
		return cs[i].Name < cs[j].Name
	})
	return cs
}

// groups finds what many residents share, marking groups seen in the week before.
func (b *Builder) groups(ctx context.Context, d *Digest, recs []*record, p period.Period) error {
	ms := make([]member, len(recs))
	for i, r := range recs {
		ms[i] = member{sig: r.sig, community: r.Community, topic: r.Topic}
		if r.Sensitive || r.AdminsOnly { // kept out of shared problems (admins handle these): no community or topic to match on
			ms[i] = member{sig: r.sig}
		}
	}
	found := group(ms)
	sort.Slice(found, func(i, j int) bool {
		if len(found[i]) != len(found[j]) {
			return len(found[i]) > len(found[j])
		}
		return recs[found[i][0]].ID < recs[found[j][0]].ID
	})
	found = found[:min(len(found), 20)]
	var sets [][]uint64
	for _, g := range found {
		rep := medoid(recs, g)
		ids := make([]string, len(g))
		for i, k := range g {
			ids[i] = recs[k].ID
		}
		sort.Strings(ids)
		d.Groups = append(d.Groups, Group{Count: len(g), Excerpt: excerpt(recs[rep].masked), IDs: ids, Topic: recs[rep].Topic, Community: recs[rep].Community})
		sets = append(sets, recs[rep].sig.RecurBands())
	}
	if len(sets) == 0 {
		return nil
	}
	seen, err := b.src.BandDays(ctx, keys(p.Before(7).Each()), sets)
	if err != nil {
		return err
	}
	for i := range d.Groups {
		d.Groups[i].Recurring = seen[i]
	}
	return nil
}

// medoid picks the member most like the others (among the first 20), for the excerpt.
func medoid(recs []*record, g []int) int {
	cand := g[:min(len(g), 20)]
	best, bestScore := cand[0], -1.0
	for _, i := range cand {
		score := 0.0
		for _, j := range cand {
			score += recs[i].sig.Similarity(recs[j].sig)
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// acks measures how quickly the period's urgent concerns were acknowledged.
func acks(d *Digest, recs []*record) {
	var after []time.Duration
	for _, r := range recs {
		switch {
		case !r.Urgent:
		case r.Ack == nil:
			d.Unacked++
		default:
			after = append(after, r.Ack.After)
		}
	}
	d.Acked = len(after)
	if len(after) == 0 {
		return
	}
	slices.Sort(after)
	mid := after[len(after)/2]
	if len(after)%2 == 0 {
		mid = (after[len(after)/2-1] + mid) / 2
	}
	median, worst := mid.Seconds(), after[len(after)-1].Seconds()
	d.AckMedianS, d.AckWorstS = &median, &worst
}

func (b *Builder) lists(d *Digest, recs []*record) {
	acks(d, recs)
	for _, r := range recs {
		it := Item{ID: r.ID, At: r.ReceivedAt, Community: r.Community, Topic: r.Topic, Excerpt: excerpt(r.masked), Status: string(r.Status)}
		// collective action is urgent for admins only: a digest that reaches the staff
		// group lists it among the sensitive, by id, as any restricted concern
		if r.Urgent && !r.AdminsOnly {
			it.Reason = r.UrgentReason
			d.Urgent = append(d.Urgent, it)
		}
		if r.Sensitive {
			it.Reason, it.Excerpt = r.SensitiveReason, "" // the digest names it; admins /show the rest
			d.Sensitive = append(d.Sensitive, it)
		}
		if r.Topic == "" || r.Confidence < b.unsure {
			it.Reason = r.Reason
			d.Unsure = append(d.Unsure, it)
		}
	}
}

// excerpt is the start of an already-masked text, on one line.
func excerpt(masked string) string { return concern.Excerpt(masked, 60) }

// Facts is the digest told in a few lines, for an LLM to write a brief from; it
// holds counts and masked excerpts only.
func Facts(d *Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "期间：%s 至 %s。收到诉求 %d 件（居民直接反映 %d，网格员代为反映 %d），已办结 %d，超期 %d，未办结 %d。\n",
		d.From, d.To, d.Received, d.Direct, d.Filed, d.Closed, d.Overdue, d.Open)
	b.WriteString("按领域：")
	for _, c := range d.BySector {
		fmt.Fprintf(&b, "%s %d；", c.Name, c.N)
	}
	b.WriteString("\n按类别（前五）：")
	for _, c := range d.ByTopic[:min(5, len(d.ByTopic))] {
		fmt.Fprintf(&b, "%s %d；", c.Name, c.N)
	}
	b.WriteString("\n共性问题：")
	for _, g := range d.Groups[:min(5, len(d.Groups))] {
		fmt.Fprintf(&b, "%d件：%s；", g.Count, g.Excerpt)
	}
	fmt.Fprintf(&b, "\n紧急 %d 件，敏感 %d 件。", len(d.Urgent), len(d.Sensitive))
	return b.String()
}
