package report_test

import (
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/demo"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/report"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

// seed imports n demonstration concerns spread over the year, in batches so
// that the seeding's own memory is gone before the report is measured.
func seed(t testing.TB, st *store.Store, n, year int) {
	t.Helper()
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	const batch = 20000
	for i := 0; i < n; i += batch {
		reports := demo.Reports(demo.Options{Reports: min(batch, n-i), Days: 365, End: time.Date(year, 12, 31, 0, 0, 0, 0, shanghai), Seed: int64(i + 1),
			Grids:  []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格", "和平社区/第二网格", "幸福里社区/第一网格", "滨江社区/第一网格"},
			Sector: tax.SectorOf, Deadline: func(l concern.Level, t time.Time) time.Time { return t.Add(7 * 24 * time.Hour) }})
		bands := make([][]uint64, len(reports))
		for j, r := range reports {
			bands[j] = minhash.Sign(r.Text).RecurBands()
		}
		if err := st.Import(t.Context(), reports, bands); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t testing.TB) *store.Store {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(t.Context(), srv.URL(), store.WithLocation(shanghai))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// On the real store, a year's report counts what the store's own day counters
// count, month by month and in all.
func TestReportAgreesWithTheStore(t *testing.T) {
	st := open(t)
	seed(t, st, 3000, 2025)
	b := report.NewBuilder(st, shanghai, report.WithClock(func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, shanghai) }))
	year, err := b.Build(t.Context(), report.Span{Kind: report.Year, Year: 2025})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for m := 1; m <= 12; m++ {
		sp := report.Span{Kind: report.Month, Year: 2025, N: m}.In(shanghai)
		var days []string
		for _, d := range sp.Days() {
			days = append(days, d.Format("20060102"))
		}
		counts, err := st.DayCounts(t.Context(), days)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, c := range counts {
			want += int(c[store.CountTotal])
		}
		r, err := b.Build(t.Context(), sp)
		if err != nil {
			t.Fatal(err)
		}
		if r.Now.Received != want {
			t.Errorf("2025-%02d: the report counts %d, the store %d", m, r.Now.Received, want)
		}
		if m > 1 && r.Prev.Received == 0 {
			t.Errorf("2025-%02d: nothing in the month before", m)
		}
		total += want
	}
	if year.Now.Received != 3000 || total != 3000 || year.Prev.Received != 0 || year.Now.Closed == 0 || len(year.Communities) != 4 {
		t.Fatalf("the year: %+v (months add up to %d)", year.Now, total)
	}
}

// A yearly report over MINYI_BENCH_CONCERNS concerns (1,000,000 by default) on
// the real store: the time to build it and the peak heap while it is built.
func BenchmarkYearReport(b *testing.B) {
	n := 1000000
	if v, err := strconv.Atoi(os.Getenv("MINYI_BENCH_CONCERNS")); err == nil && v > 0 {
		n = v
	}
	st := open(b)
	start := time.Now()
	seed(b, st, n, 2025)
	b.Logf("%d concerns imported in %v", n, time.Since(start).Round(time.Second))
	builder := report.NewBuilder(st, shanghai, report.WithClock(func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, shanghai) }))
	for b.Loop() {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		peak := base.HeapAlloc
		stop := make(chan struct{})
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // samples the heap while the report is built
			defer wg.Done()
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					metrics.Read(sample) // no stop of the world, unlike ReadMemStats
					peak = max(peak, sample[0].Value.Uint64())
				}
			}
		}()
		t0 := time.Now()
		r, err := builder.Build(b.Context(), report.Span{Kind: report.Year, Year: 2025})
		took := time.Since(t0)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if r.Now.Received != n {
			b.Fatalf("the report counts %d of %d", r.Now.Received, n)
		}
		b.ReportMetric(took.Seconds(), "s/report")
		b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
		b.ReportMetric(float64(base.HeapAlloc)/(1<<20), "MB-heap-before")
	}
}
