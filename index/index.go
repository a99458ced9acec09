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
// Memory: 483 bytes a concern with the demonstration data (texts of 138 bytes
// of UTF-8 on average, about 46 characters; measured by TestMemoryPerConcern):
// the Row (208), its entry in the sorted list (56), its folded text, its id and
// its place in the map. 30,000 concerns take about 14 MB, 100,000 about 48 MB;
// a longer text adds its length.
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
	Finished, Urgent, Sensitive, Acked                      bool
	text                                                    string // folded (Fold)
	// phones are the reporter's and the resident's numbers, digits only, space
	// separated, for an admin's lookup by phone; never shown
	phones string
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
	// Acked selects concerns whose urgent alert was acknowledged (true) or not.
	Acked *bool
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
	// Phone, when set, is a number (digits only, 7 or more) a reporter's or a
	// resident's phone ends with.
	Phone string
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

	run   sync.Mutex // held by the one sync running; guards built and mark
	built bool
	mark  int64 // the next changed mark to ask for

	mu     sync.RWMutex // guards what follows: syncs write, queries read
	rows   map[string]*Row
	sorted []entry           // by received, then id
	codes  map[string]uint32 // interned values and their codes; "" is 0
	names  []string          // by code
}

// entry is a row's place in the sorted list, with what filters look at most
// held in it, as codes: a scan then reads memory in order, and follows the
// pointer to the row only for the rest (text, filer, Visible).
type entry struct {
	received, deadline                                    int64
	row                                                   *Row
	status, topic, sector, community, grid, unit, channel uint32
	flags                                                 uint8
}

const (
	finished uint8 = 1 << iota
	urgent
	sensitive
	filed
	acked // an urgent concern's alert acknowledged
)

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
		rows: map[string]*Row{}, codes: map[string]uint32{"": 0}, names: []string{""}}
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
	sorted := make([]entry, 0, len(ids))
	for lo := 0; lo < len(ids); lo += x.chunk {
		got, err := x.read(ctx, ids[lo:min(lo+x.chunk, len(ids))])
		if err != nil {
			return err
		}
		x.mu.Lock() // the codes are shared with queries
		for _, r := range got {
			if _, dup := rows[r.ID]; !dup {
				rows[r.ID] = r
				sorted = append(sorted, x.entryOf(r))
			}
		}
		x.mu.Unlock()
	}
	slices.SortFunc(sorted, compareEntries)
	x.mu.Lock()
	x.rows, x.sorted = rows, sorted
	x.mu.Unlock()
	x.built, x.mark = true, newest+1
	x.log.Info("concern index built", "concerns", len(sorted), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// read reads records and makes their rows (not yet interned); ids not found have none.
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
		row := &Row{
			ID: r.ID, Received: r.ReceivedAt.UnixMilli(), FiledBy: r.FiledBy, Status: r.Status, Level: r.Level,
			Sector: r.Sector, Topic: r.Topic, Subtopic: r.Subtopic, Community: r.Community, Grid: r.Grid, Unit: r.Unit, Channel: r.Channel,
			Finished: r.Status.Finished(), Urgent: r.Urgent, Sensitive: r.Sensitive, Acked: r.Ack != nil,
			text: Fold(r.Text), phones: PhoneDigits(r.Phone, r.ResidentPhone),
		}
		if !r.Deadline.IsZero() {
			row.Deadline = r.Deadline.UnixMilli()
		}
		out[r.ID] = row
	}
	return out, nil
}

// entryOf interns a row's values (so that rows share them) and makes its entry.
// It runs with mu held.
func (x *Index) entryOf(r *Row) entry {
	code := func(s *string) uint32 {
		c, ok := x.codes[*s]
		if !ok {
			c = uint32(len(x.names))
			x.codes[*s] = c
			x.names = append(x.names, *s)
		}
		*s = x.names[c]
		return c
	}
	e := entry{received: r.Received, deadline: r.Deadline, row: r}
	status := string(r.Status)
	e.status = code(&status)
	r.Status = concern.Status(status)
	level := string(r.Level)
	code(&level)
	r.Level = concern.Level(level)
	e.topic, e.sector, e.community = code(&r.Topic), code(&r.Sector), code(&r.Community)
	e.grid, e.unit, e.channel = code(&r.Grid), code(&r.Unit), code(&r.Channel)
	code(&r.Subtopic)
	if r.Finished {
		e.flags |= finished
	}
	if r.Urgent {
		e.flags |= urgent
	}
	if r.Sensitive {
		e.flags |= sensitive
	}
	if r.FiledBy != 0 {
		e.flags |= filed
	}
	if r.Acked {
		e.flags |= acked
	}
	return e
}

// apply puts the rows read for ids in place, and drops those of ids no longer
// found. It runs with mu held.
func (x *Index) apply(ids []string, got map[string]*Row) {
	var fresh []entry
	for _, id := range ids {
		row, found := got[id]
		old, had := x.rows[id]
		switch {
		case !found && had:
			x.remove(old)
		case found && had && old.Received == row.Received:
			*old = *row
			if i, ok := x.find(old); ok {
				x.sorted[i] = x.entryOf(old)
			}
		case found:
			if had {
				x.remove(old)
			}
			x.rows[id] = row
			fresh = append(fresh, x.entryOf(row))
		}
	}
	if len(fresh) > 64 { // many at once (an import): sorting once is cheaper than inserting each
		x.sorted = append(x.sorted, fresh...)
		slices.SortFunc(x.sorted, compareEntries)
		return
	}
	for _, e := range fresh {
		i, _ := slices.BinarySearchFunc(x.sorted, e, compareEntries)
		x.sorted = slices.Insert(x.sorted, i, e)
	}
}

func (x *Index) find(r *Row) (int, bool) {
	return slices.BinarySearchFunc(x.sorted, entry{received: r.Received, row: r}, compareEntries)
}

func (x *Index) remove(old *Row) {
	delete(x.rows, old.ID)
	if i, ok := x.find(old); ok {
		x.sorted = slices.Delete(x.sorted, i, i+1)
	}
}

func compareEntries(a, b entry) int {
	if c := cmp.Compare(a.received, b.received); c != 0 {
		return c
	}
	return strings.Compare(a.row.ID, b.row.ID)
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

// PhoneDigits keeps the digits of each number given (full-width ones folded),
// space separated.
func PhoneDigits(numbers ...string) string {
	var parts []string
	for _, n := range numbers {
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, norm.NFKC.String(n))
		if d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, " ")
}

// hasPhone reports whether one of phones ends with digits (so that 138… finds +86 138…).
func hasPhone(phones, digits string) bool {
	for p := range strings.FieldsSeq(phones) {
		if strings.HasSuffix(p, digits) {
			return true
		}
	}
	return false
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
	offset, limit := max(q.Offset, 0), max(q.Limit, 0)
	end := offset + limit
	if end < offset { // overflow
		end = math.MaxInt
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	m, known := x.matcher(&q, now)
	if !known {
		return Page{}, nil
	}
	span := x.span(q.From, q.To)
	var page Page
	take := func(e *entry) {
		if page.Total >= offset && page.Total < end {
			page.IDs = append(page.IDs, e.row.ID)
		}
		page.Total++
	}
	switch q.Sort {
	case ReceivedDesc:
		for i := len(span) - 1; i >= 0; i-- {
			if m.match(&span[i]) {
				take(&span[i])
			}
		}
	case DeadlineAsc:
		var matched []*entry
		for i := range span {
			if m.match(&span[i]) {
				matched = append(matched, &span[i])
			}
		}
		slices.SortFunc(matched, func(a, b *entry) int {
			switch {
			case a.deadline == b.deadline:
				return compareEntries(*a, *b)
			case a.deadline == 0:
				return 1
			case b.deadline == 0:
				return -1
			}
			return cmp.Compare(a.deadline, b.deadline)
		})
		for _, e := range matched {
			take(e)
		}
	default:
		for i := range span {
			if m.match(&span[i]) {
				take(&span[i])
			}
		}
	}
	return page, nil
}

// span is the entries received in [from, to), by binary search.
func (x *Index) span(from, to time.Time) []entry {
	lo, hi := 0, len(x.sorted)
	at := func(e entry, t int64) int { return cmp.Compare(e.received, t) }
	if !from.IsZero() {
		lo, _ = slices.BinarySearchFunc(x.sorted, from.UnixMilli(), at)
	}
	if !to.IsZero() {
		hi, _ = slices.BinarySearchFunc(x.sorted, to.UnixMilli(), at)
	}
	if hi < lo {
		hi = lo
	}
	return x.sorted[lo:hi]
}

// matcher is a query turned into codes. A list none of whose values the index
// has seen matches nothing (known is false).
type matcher struct {
	statuses, topics, sectors, communities, grids, units, channels []uint32
	mask, want                                                     uint8 // flags that must be as wanted
	overdue                                                        bool
	now                                                            int64
	filedBy                                                        int64
	text, phone                                                    string
	visible                                                        func(*Row) bool
}

func (x *Index) matcher(q *Query, now time.Time) (*matcher, bool) {
	m := &matcher{overdue: q.Overdue, now: now.UnixMilli(), filedBy: q.FiledBy, text: Fold(q.Text), phone: q.Phone, visible: q.Visible}
	known := true
	codes := func(values []string) []uint32 {
		if len(values) == 0 {
			return nil
		}
		out := []uint32{}
		for _, v := range values {
			if c, ok := x.codes[v]; ok {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			known = false
		}
		return out
	}
	m.statuses, m.topics, m.sectors = codes(q.Statuses), codes(q.Topics), codes(q.Sectors)
	m.communities, m.grids, m.units, m.channels = codes(q.Communities), codes(q.Grids), codes(q.Units), codes(q.Channels)
	flag := func(p *bool, f uint8) {
		if p != nil {
			m.mask |= f
			if *p {
				m.want |= f
			}
		}
	}
	flag(q.Urgent, urgent)
	flag(q.Sensitive, sensitive)
	flag(q.Finished, finished)
	flag(q.Filed, filed)
	flag(q.Acked, acked)
	return m, known
}

func (m *matcher) match(e *entry) bool {
	in := func(set []uint32, c uint32) bool { return set == nil || slices.Contains(set, c) }
	switch {
	case e.flags&m.mask != m.want,
		!in(m.topics, e.topic), !in(m.statuses, e.status), !in(m.sectors, e.sector),
		!in(m.communities, e.community), !in(m.grids, e.grid), !in(m.units, e.unit), !in(m.channels, e.channel),
		m.overdue && (e.flags&finished != 0 || e.deadline == 0 || e.deadline >= m.now),
		// the row itself only for what the entry does not hold
		m.filedBy != 0 && m.filedBy != e.row.FiledBy,
		m.text != "" && !strings.Contains(e.row.text, m.text),
		m.phone != "" && !hasPhone(e.row.phones, m.phone),
		m.visible != nil && !m.visible(e.row):
		return false
	}
	return true
}
