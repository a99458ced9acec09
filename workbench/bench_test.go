package workbench

import (
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/demo"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/period"
)

// BenchmarkWorkbench reads the workbench as staff would over 100,000 concerns
// in Redis (MINYI_BENCH_CONCERNS for another number): the list page, the JSON
// list, a keyword search, a filtered page deep in the list, and a concern's
// page, each through HTTP with a signed-in session; it reports p50 and p99 of
// each, and the heap the read model holds.
func BenchmarkWorkbench(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("MINYI_BENCH_CONCERNS")); err == nil && v > 0 {
		n = v
	}
	f := newFixture(b)
	tax, err := classify.DefaultTaxonomy()
	if err != nil {
		b.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	reports := demo.Reports(demo.Options{Reports: n, Days: 365, End: period.Day(time.Now(), sh), Seed: 7,
		Grids:  []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格", "和平社区/第二网格", "幸福里社区/第一网格", "滨江社区/第一网格"},
		Sector: tax.SectorOf, Deadline: func(l concern.Level, t time.Time) time.Time { return t.Add(7 * 24 * time.Hour) }})
	bands := make([][]uint64, len(reports))
	for i, r := range reports {
		bands[i] = minhash.Sign(r.Text).RecurBands()
	}
	start := time.Now()
	for i := 0; i < len(reports); i += 10000 {
		end := min(i+10000, len(reports))
		if err := f.st.Import(b.Context(), reports[i:end], bands[i:end]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d concerns imported in %v", n, time.Since(start).Round(time.Millisecond))
	s := f.signedIn(staffer)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start = time.Now()
	if code, _ := s.get("/staff/concerns"); code != 200 { // the first query builds the read model
		b.Fatalf("list: %d", code)
	}
	b.Logf("read model built in %v", time.Since(start).Round(time.Millisecond))
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("the read model holds %.1f MB of heap (%d concerns)", float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), n)
	id := reports[len(reports)/2].ID
	for _, c := range []struct{ name, path string }{
		{"list-page", "/staff/concerns"},
		{"json-list", "/staff/api/v1/concerns?status=all"},
		{"search", "/staff/concerns?status=all&q=" + url.QueryEscape("路灯")},
		{"search-rare", "/staff/concerns?status=all&q=" + url.QueryEscape("幼儿园门口")},
		{"filtered-deep", "/staff/concerns?status=all&community=" + url.QueryEscape("阳光社区") + "&page=200"},
		{"concern-page", "/staff/concerns/" + id},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if code, body := s.get(c.path); code != 200 {
					b.Fatalf("%s: %d\n%.300s", c.path, code, body)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			at := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.5), "ms-p50")
			b.ReportMetric(at(0.99), "ms-p99")
		})
	}
}
