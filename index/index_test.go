package index

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/demo"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	quiet       = slog.New(slog.DiscardHandler)
	end         = time.Date(2026, 11, 27, 0, 0, 0, 0, shanghai)
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(context.Background(), srv.URL(), store.WithLocation(shanghai), store.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var demoGrids = []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格", "幸福里社区/第一网格"}

func demoReports(n int, seed int64) []*concern.Report {
	reps := demo.Reports(demo.Options{Reports: n, Days: 14, End: end, Grids: demoGrids, Seed: seed,
		Sector: func(topic, _ string) string {
			return map[string]string{"环境保护": "生态文明建设", "纪检监察": "党的建设"}[topic]
		},
		Deadline: func(_ concern.Level, at time.Time) time.Time { return at.Add(72 * time.Hour) },
	})
	for i, r := range reps {
		if i%7 == 0 {
			r.Unit = []string{"城管科", "环保科", "民政科"}[i%3]
		}
		if i%11 == 0 {
			r.Channel = "hotline"
		}
		if i%5 == 0 { // as residents type them: spaces, full-width digits, +86
			r.Phone = fmt.Sprintf([]string{"138 0013 %04d", "+86 139%08d", "１３７００１３%04d"}[i%3], i%40)
		}
		if r.Urgent && i%2 == 0 {
			r.Ack = &concern.Ack{By: 3001, At: r.ReceivedAt.Add(time.Minute)}
		}
	}
	return reps
}

// counting is a store that counts what the index asks of it.
type counting struct {
	Source
	changed atomic.Int64 // ChangedSince calls
	read    atomic.Int64 // records asked for
	biggest atomic.Int64 // the most asked for at once
}

func (c *counting) ChangedSince(ctx context.Context, ms int64) ([]string, int64, error) {
	c.changed.Add(1)
	return c.Source.ChangedSince(ctx, ms)
}

func (c *counting) RawReports(ctx context.Context, ids []string) ([][]byte, error) {
	c.read.Add(int64(len(ids)))
	for {
		b := c.biggest.Load()
		if int64(len(ids)) <= b || c.biggest.CompareAndSwap(b, int64(len(ids))) {
			break
		}
	}
	return c.Source.RawReports(ctx, ids)
}

func ptr[T any](v T) *T { return &v }

// brute answers q from every record, as the index must.
func brute(reps []*concern.Report, q Query) Page {
	now := q.Now
	folded := Fold(q.Text)
	var m []*concern.Report
	for _, r := range reps {
		row := Row{ID: r.ID, Received: r.ReceivedAt.UnixMilli(), FiledBy: r.FiledBy, Status: r.Status, Level: r.Level, Sector: r.Sector,
			Topic: r.Topic, Subtopic: r.Subtopic, Community: r.Community, Grid: r.Grid, Unit: r.Unit, Channel: r.Channel,
			Finished: r.Status.Finished(), Urgent: r.Urgent, Sensitive: r.Sensitive}
		if !r.Deadline.IsZero() {
			row.Deadline = r.Deadline.UnixMilli()
		}
		in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
		if !in(q.Statuses, string(r.Status)) || !in(q.Topics, r.Topic) || !in(q.Sectors, r.Sector) || !in(q.Communities, r.Community) ||
			!in(q.Grids, r.Grid) || !in(q.Units, r.Unit) || !in(q.Channels, r.Channel) ||
			(q.Urgent != nil && *q.Urgent != r.Urgent) || (q.Sensitive != nil && *q.Sensitive != r.Sensitive) ||
			(q.Finished != nil && *q.Finished != r.Status.Finished()) || (q.Filed != nil && *q.Filed != (r.FiledBy != 0)) ||
			(q.FiledBy != 0 && q.FiledBy != r.FiledBy) || (q.Acked != nil && *q.Acked != (r.Ack != nil)) ||
			(q.Phone != "" && !strings.HasSuffix(digitsOf(r.Phone), q.Phone) && !strings.HasSuffix(digitsOf(r.ResidentPhone), q.Phone)) ||
			(q.Overdue && (r.Status.Finished() || r.Deadline.IsZero() || !r.Deadline.Before(now))) ||
			(!q.From.IsZero() && r.ReceivedAt.UnixMilli() < q.From.UnixMilli()) || (!q.To.IsZero() && r.ReceivedAt.UnixMilli() >= q.To.UnixMilli()) ||
			!strings.Contains(Fold(r.Text), folded) || (q.Visible != nil && !q.Visible(&row)) {
			continue
		}
		m = append(m, r)
	}
	byReceived := func(a, b *concern.Report) int {
		return cmp.Or(cmp.Compare(a.ReceivedAt.UnixMilli(), b.ReceivedAt.UnixMilli()), strings.Compare(a.ID, b.ID))
	}
	switch q.Sort {
	case ReceivedAsc:
		slices.SortFunc(m, byReceived)
	case ReceivedDesc:
		slices.SortFunc(m, func(a, b *concern.Report) int { return byReceived(b, a) })
	case DeadlineAsc:
		slices.SortFunc(m, func(a, b *concern.Report) int {
			da, db := a.Deadline.UnixMilli(), b.Deadline.UnixMilli()
			if a.Deadline.IsZero() {
				da = math.MaxInt64
			}
			if b.Deadline.IsZero() {
				db = math.MaxInt64
			}
			return cmp.Or(cmp.Compare(da, db), byReceived(a, b))
		})
	}
	p := Page{Total: len(m)}
	lo := min(max(q.Offset, 0), len(m))
	hi := len(m)
	if q.Limit <= 0 {
		hi = lo
	} else if q.Limit < len(m)-lo {
		hi = lo + q.Limit
	}
	for _, r := range m[lo:hi] {
		p.IDs = append(p.IDs, r.ID)
	}
	return p
}

// digitsOf keeps a number's digits, full-width ones as ASCII.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		}
	}
	return b.String()
}

func randomQuery(rnd *rand.Rand, now time.Time) Query {
	pick := func(options ...string) []string {
		var out []string
		for _, o := range options {
			if rnd.Intn(3) == 0 {
				out = append(out, o)
			}
		}
		return out
	}
	tri := func() *bool {
		switch rnd.Intn(3) {
		case 0:
			return ptr(true)
		case 1:
			return ptr(false)
		}
		return nil
	}
	q := Query{Sort: Sort(rnd.Intn(3)), Offset: rnd.Intn(60), Limit: rnd.Intn(40), Now: now}
	switch rnd.Intn(12) {
	case 0:
		q.Statuses = pick("received", "accepted", "in_progress", "closed", "rejected")
	case 1:
		q.Topics = pick("城乡建设", "环境保护", "劳动和社会保障", "纪检监察")
	case 2:
		q.Communities, q.Grids = pick("阳光社区", "和平社区"), pick("第一网格", "第二网格")
	case 3:
		q.Urgent, q.Sensitive = tri(), tri()
	case 4:
		q.Finished, q.Filed = tri(), tri()
	case 5:
		q.Overdue = true
	case 6:
		q.Text = []string{"路灯", "ＡＢＣ", "电梯", "油烟", "请"}[rnd.Intn(5)]
	case 7:
		q.Units, q.Channels = pick("城管科", "环保科"), pick("hotline", "telegram")
	case 8:
		q.Sectors = pick("生态文明建设", "党的建设", "")
	case 9:
		q.Visible = func(r *Row) bool { return r.Community == "阳光社区" && !r.Sensitive }
	case 10:
		q.FiledBy = int64(2000 + rnd.Intn(20))
	case 11:
		q.Urgent, q.Acked = tri(), tri()
		q.Phone = []string{"", "00130030", "13900000010", "13700130005"}[rnd.Intn(4)]
	}
	if rnd.Intn(2) == 0 {
		q.From = end.AddDate(0, 0, -rnd.Intn(15))
		q.To = q.From.Add(time.Duration(rnd.Intn(7*24)) * time.Hour)
	}
	return q
}

func reread(t *testing.T, st *store.Store) []*concern.Report {
	t.Helper()
	ids, _, err := st.ChangedSince(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	reps, err := st.Reports(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

// The index answers every filter, order and page as a brute force over the
// records does, as built and after every kind of change, reading only what
// changed: nothing when nothing did.
func TestIndexAgreesWithTheRecords(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	reps := demoReports(2000, 1)
	if err := st.Import(ctx, reps, nil); err != nil {
		t.Fatal(err)
	}
	src := &counting{Source: st}
	x := New(src, WithLogger(quiet))
	rnd := rand.New(rand.NewSource(2))
	now := end.Add(-2 * 24 * time.Hour)
	check := func(what string) {
		t.Helper()
		all := reread(t, st)
		for range 300 {
			q := randomQuery(rnd, now)
			got, err := x.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if want := brute(all, q); got.Total != want.Total || !slices.Equal(got.IDs, want.IDs) {
				t.Fatalf("%s: %+v:\n got %d %v\nwant %d %v", what, q, got.Total, got.IDs, want.Total, want.IDs)
			}
		}
	}
	check("as built")
	// the lookup by phone finds numbers however they were typed
	for _, c := range []struct {
		digits string
		some   bool
	}{{"13800130030", true}, {"13900000010", true}, {"13700130005", true}, {"0013 0030", false}} {
		got, err := x.Query(ctx, Query{Phone: c.digits})
		if err != nil {
			t.Fatal(err)
		}
		if want := brute(reps, Query{Phone: c.digits}); got.Total != want.Total || (got.Total > 0) != c.some {
			t.Errorf("phone %q: %d concerns, want %d (some: %v)", c.digits, got.Total, want.Total, c.some)
		}
	}
	if n := src.read.Load(); n != 2000 || src.biggest.Load() > chunk {
		t.Errorf("the build read %d records, at most %d at once; want 2000 in chunks of %d", n, src.biggest.Load(), chunk)
	}
	if x.Len() != 2000 {
		t.Errorf("Len %d", x.Len())
	}

	// nothing changed: one question, no record read
	calls, read := src.changed.Load(), src.read.Load()
	if _, err := x.Query(ctx, Query{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if c, r := src.changed.Load()-calls, src.read.Load()-read; c != 1 || r != 0 {
		t.Errorf("a query with nothing changed asked %d times and read %d records; want once and none", c, r)
	}

	// staff work: statuses, units, sensitivity; new concerns, many at once and one by one
	read = src.read.Load()
	for i, r := range reps[:150] {
		if _, err := st.UpdateReport(ctx, r.ID, func(c *concern.Report) error {
			switch i % 4 {
			case 0:
				c.Status = concern.StatusClosed
			case 1:
				c.Unit = "新单位"
			case 2:
				c.Sensitive = !c.Sensitive
			case 3:
				c.Deadline = time.Time{}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	more := demoReports(300, 3)
	if err := st.Import(ctx, more, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		r := &concern.Report{ID: fmt.Sprintf("20261126-%04d", 9000+i), ReceivedAt: end.Add(-time.Duration(i) * time.Hour), Channel: "hotline",
			Text: "ＡＢＣ小区的电梯坏了", Status: concern.StatusReceived, Topic: "城乡建设"}
		if err := st.SaveReport(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	check("after changes")
	if n := src.read.Load() - read; n != 150+300+10 {
		t.Errorf("the changes re-read %d records, want %d", n, 150+300+10)
	}
	if x.Len() != 2310 {
		t.Errorf("Len %d after changes", x.Len())
	}
}

// A query sees every write that finished before it began, however many
// queries and writes run at once (they share syncs).
func TestQueriesSeeWritesBeforeThem(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	if err := st.Import(ctx, demoReports(500, 4), nil); err != nil {
		t.Fatal(err)
	}
	src := &counting{Source: st}
	x := New(src, WithLogger(quiet))
	var wg sync.WaitGroup
	var queries atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("20261126-%04d", 5000+w*100+i)
				r := &concern.Report{ID: id, ReceivedAt: end.Add(-time.Hour), Channel: "hotline", Text: "写后即读 " + id, Status: concern.StatusReceived}
				if err := st.SaveReport(ctx, r, nil); err != nil {
					t.Error(err)
					return
				}
				p, err := x.Query(ctx, Query{Text: id, Limit: 5})
				queries.Add(1)
				if err != nil || p.Total != 1 || p.IDs[0] != id {
					t.Errorf("just written %s: %+v %v", id, p, err)
					return
				}
			}
		})
	}
	for range 8 { // readers only
		wg.Go(func() {
			for range 50 {
				if _, err := x.Query(ctx, Query{Sort: DeadlineAsc, Limit: 20}); err != nil {
					t.Error(err)
				}
				queries.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d queries shared %d syncs", queries.Load(), src.changed.Load())
	if src.changed.Load() > queries.Load() {
		t.Errorf("%d syncs for %d queries", src.changed.Load(), queries.Load())
	}
}

// A caller whose context ends stops waiting; the sync goes on for the others.
func TestQueryHonoursItsContext(t *testing.T) {
	st := openStore(t)
	x := New(st, WithLogger(quiet))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := x.Query(ctx, Query{}); err == nil {
		t.Fatal("a cancelled query answered")
	}
	if _, err := x.Query(t.Context(), Query{}); err != nil {
		t.Fatal(err)
	}
}

// With Redis gone the query says so; it comes back with Redis.
func TestQueryWithRedisDown(t *testing.T) {
	st := openStore(t)
	x := New(st, WithLogger(quiet))
	if _, err := x.Query(t.Context(), Query{}); err != nil {
		t.Fatal(err)
	}
	srv.Down()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	_, err := x.Query(ctx, Query{})
	cancel()
	if err == nil {
		t.Error("no error with Redis down")
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := x.Query(t.Context(), Query{}); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after Redis came back: %v", err)
		}
	}
}

// memory is a Source held in memory, for measuring the index alone.
type memory struct {
	ids  []string
	recs map[string][]byte
}

func newMemory(reps []*concern.Report) *memory {
	m := &memory{recs: map[string][]byte{}}
	for i, r := range reps {
		r.ID = fmt.Sprintf("%s-%06d", r.ReceivedAt.In(shanghai).Format("20060102"), i)
		b, _ := json.Marshal(r)
		m.ids = append(m.ids, r.ID)
		m.recs[r.ID] = b
	}
	return m
}

func (m *memory) BackfillChanged(context.Context) (int, error) { return 0, nil }

func (m *memory) ChangedSince(_ context.Context, ms int64) ([]string, int64, error) {
	if ms > 1 {
		return nil, 0, nil
	}
	return m.ids, 1, nil
}

func (m *memory) RawReports(_ context.Context, ids []string) ([][]byte, error) {
	out := make([][]byte, 0, len(ids))
	for _, id := range ids {
		if b, ok := m.recs[id]; ok {
			out = append(out, b)
		}
	}
	return out, nil
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// The index's memory per concern, with the demonstration data (the figure in
// the package comment).
func TestMemoryPerConcern(t *testing.T) {
	const n = 30000
	reps := demoReports(n, 5)
	var text int
	for _, r := range reps {
		text += len(r.Text)
	}
	src := newMemory(reps)
	reps = nil
	before := heap()
	x := New(src, WithLogger(quiet))
	if err := x.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	per := float64(heap()-before) / n
	runtime.KeepAlive(x)
	t.Logf("index: %.0f bytes a concern over %d concerns (texts average %d bytes of UTF-8)", per, n, text/n)
	if per > 1024 {
		t.Errorf("%.0f bytes a concern", per)
	}
}

// BenchmarkQuery100k: queries of every kind over 100,000 concerns, with the
// p99 of one query reported.
func BenchmarkQuery100k(b *testing.B) {
	x := New(newMemory(demoReports(100000, 6)), WithLogger(quiet))
	if err := x.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(7))
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		q := randomQuery(rnd, end)
		q.Offset = rnd.Intn(50000)
		q.Limit = 50
		began := time.Now()
		if _, err := x.Query(b.Context(), q); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(began))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
