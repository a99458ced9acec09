// Package index is an in-memory read model of every concern for listing,
// filtering, paging and keyword search, kept in step with Redis.
//
// It holds one compact Row per concern: what lists filter and sort by, and a
// folded copy of the text for substring search, never the record itself. Before
// each query it asks the store what changed since it last looked (the changed
// index: one round trip when nothing did) and reads only those records again; so
// a page is counted and cut from memory, and the caller reads only that page's
// records (store.Reports). Every instance keeps its own copy; they agree because
// each follows the same changed index.
//
// Memory: 433 bytes a concern with the demonstration data (texts of 138 bytes
// of UTF-8 on average, about 46 characters; measured by TestMemoryPerConcern):
// the Row (208), its folded text, its id, and its places in the map and the
// sorted list. 30,000 concerns take about 13 MB, 100,000 about 43 MB; a longer
// text adds its length.
package index

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/minyi-project/minyi/concern"
)

// Source is where the index reads concerns: the store.
type Source interface {
	// BackfillChanged puts the concerns recorded before the changed index into it, once.
	BackfillChanged(ctx context.Context) (int, error)
	// ChangedSince lists the concerns written at or after ms, and the newest mark.
	ChangedSince(ctx context.Context, ms int64) ([]string, int64, error)
	// RawReports reads records as stored, leaving out missing ones.
	RawReports(ctx context.Context, ids []string) ([][]byte, error)
}

// Row is what the index keeps of one concern. Rows belong to the index: read
// them only inside a Visible function, during the query.
type Row struct {
	ID string
	// Received and Deadline are Unix milliseconds; Deadline 0 is none.
	Received, Deadline int64
	// FiledBy is the grid worker who filed it for a resident (0: the resident did).
	FiledBy int64
	Status  concern.Status
	Level   concern.Level
	// the strings below are shared between rows (interned)
	Sector, Topic, Subtopic, Community, Grid, Unit, Channel string
	Finished, Urgent, Sensitive                             bool
	text                                                    string // folded (Fold)
}

// Sort is the order of a query's results.
type Sort int

// The orders: by when received, oldest or newest first; by deadline, soonest
// first (those without one last). Ties go by received, then id.
const (
	ReceivedAsc Sort = iota
	ReceivedDesc
	DeadlineAsc
)

// Query selects and orders concerns. An empty list or a nil pointer does not
// filter; a list matches any of its values.
type Query struct {
	Statuses, Topics, Sectors, Communities, Grids, Units, Channels []string
	Urgent, Sensitive                                              *bool
	// Finished selects finished (closed, rejected, duplicate) or running concerns.
	Finished *bool
	// Filed selects concerns filed by a grid worker (true) or by residents (false);
	// FiledBy, when not 0, those filed by that grid worker.
	Filed   *bool
	FiledBy int64
	// Overdue selects running concerns whose deadline passed before Now (zero: the index's clock).
	Overdue bool
	Now     time.Time
	// From and To bound when they were received: From ≤ received < To; zero is unbounded.
	From, To time.Time
	// Text is a substring of the text, matched folded (Fold) on both sides.
	Text string
	// Visible, when set, decides which concerns the asker may see at all.
	Visible func(*Row) bool
	Sort    Sort
	// Offset and Limit cut the page; a Limit of 0 or less counts only.
	Offset, Limit int
}

// Page is a query's answer: how many concerns match, and the ids of the page, in order.
type Page struct {
	Total int
	IDs   []string
}

// Index is the read model. Its methods are safe for concurrent use.
type Index struct {
	src   Source
	log   *slog.Logger
	now   func() time.Time
	chunk int

	fmu  sync.Mutex // guards next
	next *flight    // the sync that later arrivals will share, not yet begun

	run   sync.Mutex // held by the one sync running; guards built, mark and strs
	built bool
	mark  int64             // the next changed mark to ask for
	strs  map[string]string // interned values

	mu     sync.RWMutex // guards what follows: syncs write, queries read
	rows   map[string]*Row
	sorted []*Row // by received, then id
}

type flight struct {
	done chan struct{}
	err  error
}

// Option configures an Index.
type Option func(*Index)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(x *Index) { x.log = l } }

// WithClock sets the clock that decides what is overdue.
func WithClock(now func() time.Time) Option { return func(x *Index) { x.now = now } }

// chunk is how many records one pipeline reads: 500 bounds both the reply and
// what is decoded at once.
const chunk = 500

// syncTimeout bounds one sync, which runs apart from any one caller's context
// since others may be waiting for it; a first build of 100,000 concerns takes a
// few seconds.
const syncTimeout = 2 * time.Minute

// New makes an index over src; it is built by the first Sync or Query.
func New(src Source, opts ...Option) *Index {
	x := &Index{src: src, log: slog.Default(), now: time.Now, chunk: chunk,
		rows: map[string]*Row{}, strs: map[string]string{}}
	for _, o := range opts {
		o(x)
	}
	return x
}

// Sync brings the index up to date with every write that Redis had taken when
// it was called. Callers at the same time share one sync: one that arrives while
// a sync runs waits for the next, which starts when that one ends.
func (x *Index) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x.fmu.Lock()
	f, lead := x.next, false
	if f == nil {
		f, lead = &flight{done: make(chan struct{})}, true
		x.next = f
	}
	x.fmu.Unlock()
	if lead {
		x.run.Lock()
		x.fmu.Lock()
		x.next = nil // from now on, arrivals need a sync that starts after them
		x.fmu.Unlock()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), syncTimeout)
		f.err = x.sync(sctx)
		cancel()
		x.run.Unlock()
		close(f.done)
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sync runs with run held.
func (x *Index) sync(ctx context.Context) error {
	if !x.built {
		return x.build(ctx)
	}
	ids, newest, err := x.src.ChangedSince(ctx, x.mark)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	for lo := 0; lo < len(ids); lo += x.chunk {
		part := ids[lo:min(lo+x.chunk, len(ids))]
		got, err := x.read(ctx, part)
		if err != nil {
			return err
		}
		x.mu.Lock()
		x.apply(part, got)
		x.mu.Unlock()
	}
	x.mark = newest + 1
	return nil
}

// build reads every concern, a chunk at a time: only the rows stay.
func (x *Index) build(ctx context.Context) error {
	began := time.Now()
	if _, err := x.src.BackfillChanged(ctx); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	ids, newest, err := x.src.ChangedSince(ctx, 0)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	rows := make(map[string]*Row, len(ids))
	sorted := make([]*Row, 0, len(ids))
	for lo := 0; lo < len(ids); lo += x.chunk {
		got, err := x.read(ctx, ids[lo:min(lo+x.chunk, len(ids))])
		if err != nil {
			return err
		}
		for _, r := range got {
			if _, dup := rows[r.ID]; !dup {
				rows[r.ID] = r
				sorted = append(sorted, r)
			}
		}
	}
	slices.SortFunc(sorted, compareRows)
	x.mu.Lock()
	x.rows, x.sorted = rows, sorted
	x.mu.Unlock()
	x.built, x.mark = true, newest+1
	x.log.Info("concern index built", "concerns", len(sorted), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// read reads records and makes their rows; ids not found have none.
func (x *Index) read(ctx context.Context, ids []string) (map[string]*Row, error) {
	raw, err := x.src.RawReports(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	out := make(map[string]*Row, len(raw))
	for _, b := range raw {
		var r concern.Report
		if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
			x.log.Warn("concern index: a record cannot be read; left out", "err", err)
			continue
		}
		out[r.ID] = x.rowOf(&r)
	}
	return out, nil
}

func (x *Index) rowOf(r *concern.Report) *Row {
	row := &Row{
		ID: r.ID, Received: r.ReceivedAt.UnixMilli(), FiledBy: r.FiledBy,
		Status: concern.Status(x.intern(string(r.Status))), Level: concern.Level(x.intern(string(r.Level))),
		Sector: x.intern(r.Sector), Topic: x.intern(r.Topic), Subtopic: x.intern(r.Subtopic),
		Community: x.intern(r.Community), Grid: x.intern(r.Grid), Unit: x.intern(r.Unit), Channel: x.intern(r.Channel),
		Finished: r.Status.Finished(), Urgent: r.Urgent, Sensitive: r.Sensitive,
		text: Fold(r.Text),
	}
	if !r.Deadline.IsZero() {
		row.Deadline = r.Deadline.UnixMilli()
	}
	return row
}

// intern returns the index's copy of s, so that rows share repeated values. The
// values are few (sectors, topics, places, units, channels, statuses).
func (x *Index) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := x.strs[s]; ok {
		return v
	}
	s = strings.Clone(s) // not a slice of a record being dropped
	x.strs[s] = s
	return s
}

// apply puts the rows read for ids in place, and drops those of ids no longer found.
func (x *Index) apply(ids []string, got map[string]*Row) {
	var fresh []*Row
	for _, id := range ids {
		row, found := got[id]
		old, had := x.rows[id]
		switch {
		case !found && had:
			x.remove(old)
		case found && had && old.Received == row.Received:
			*old = *row
		case found:
			if had {
				x.remove(old)
			}
			x.rows[id] = row
			fresh = append(fresh, row)
		}
	}
	if len(fresh) > 64 { // many at once (an import): sorting once is cheaper than inserting each
		x.sorted = append(x.sorted, fresh...)
		slices.SortFunc(x.sorted, compareRows)
		return
	}
	for _, row := range fresh {
		i, _ := slices.BinarySearchFunc(x.sorted, row, compareRows)
		x.sorted = slices.Insert(x.sorted, i, row)
	}
}

func (x *Index) remove(old *Row) {
	delete(x.rows, old.ID)
	if i, ok := slices.BinarySearchFunc(x.sorted, old, compareRows); ok {
		x.sorted = slices.Delete(x.sorted, i, i+1)
	}
}

func compareRows(a, b *Row) int {
	return cmp.Or(cmp.Compare(a.Received, b.Received), strings.Compare(a.ID, b.ID))
}

// Len is the number of concerns the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.sorted)
}

// Fold is text as the index compares it: NFKC (full-width letters and digits
// become ASCII, the ideographic space a space) and lower case.
func Fold(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

// Query syncs the index and answers q from it.
func (x *Index) Query(ctx context.Context, q Query) (Page, error) {
	if err := x.Sync(ctx); err != nil {
		return Page{}, err
	}
	now := q.Now
	if now.IsZero() {
		now = x.now()
	}
	m := matcher{q: &q, now: now.UnixMilli(), text: Fold(q.Text)}
	offset, limit := max(q.Offset, 0), max(q.Limit, 0)
	end := offset + limit
	if end < offset { // overflow
		end = math.MaxInt
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	span := x.span(q.From, q.To)
	var page Page
	take := func(r *Row) {
		if page.Total >= offset && page.Total < end {
			page.IDs = append(page.IDs, r.ID)
		}
		page.Total++
	}
	switch q.Sort {
	case ReceivedDesc:
		for i := len(span) - 1; i >= 0; i-- {
			if m.match(span[i]) {
				take(span[i])
			}
		}
	case DeadlineAsc:
		var matched []*Row
		for _, r := range span {
			if m.match(r) {
				matched = append(matched, r)
			}
		}
		slices.SortFunc(matched, func(a, b *Row) int {
			switch {
			case a.Deadline == b.Deadline:
				return compareRows(a, b)
			case a.Deadline == 0:
				return 1
			case b.Deadline == 0:
				return -1
			}
			return cmp.Compare(a.Deadline, b.Deadline)
		})
		for _, r := range matched {
			take(r)
		}
	default:
		for _, r := range span {
			if m.match(r) {
				take(r)
			}
		}
	}
	return page, nil
}

// span is the rows received in [from, to), by binary search.
func (x *Index) span(from, to time.Time) []*Row {
	lo, hi := 0, len(x.sorted)
	if !from.IsZero() {
		f := from.UnixMilli()
		lo, _ = slices.BinarySearchFunc(x.sorted, f, func(r *Row, t int64) int { return cmp.Compare(r.Received, t) })
	}
	if !to.IsZero() {
		t := to.UnixMilli()
		hi, _ = slices.BinarySearchFunc(x.sorted, t, func(r *Row, t int64) int { return cmp.Compare(r.Received, t) })
	}
	if hi < lo {
		hi = lo
	}
	return x.sorted[lo:hi]
}

type matcher struct {
	q    *Query
	now  int64
	text string
}

func (m *matcher) match(r *Row) bool {
	q := m.q
	switch {
	case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, string(r.Status)),
		len(q.Topics) > 0 && !slices.Contains(q.Topics, r.Topic),
		len(q.Sectors) > 0 && !slices.Contains(q.Sectors, r.Sector),
		len(q.Communities) > 0 && !slices.Contains(q.Communities, r.Community),
		len(q.Grids) > 0 && !slices.Contains(q.Grids, r.Grid),
		len(q.Units) > 0 && !slices.Contains(q.Units, r.Unit),
		len(q.Channels) > 0 && !slices.Contains(q.Channels, r.Channel),
		q.Urgent != nil && *q.Urgent != r.Urgent,
		q.Sensitive != nil && *q.Sensitive != r.Sensitive,
		q.Finished != nil && *q.Finished != r.Finished,
		q.Filed != nil && *q.Filed != (r.FiledBy != 0),
		q.FiledBy != 0 && q.FiledBy != r.FiledBy,
		q.Overdue && (r.Finished || r.Deadline == 0 || r.Deadline >= m.now),
		m.text != "" && !strings.Contains(r.text, m.text),
		q.Visible != nil && !q.Visible(r):
		return false
	}
	return true
}
