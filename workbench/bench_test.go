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
// list, keyword searches, a filtered page deep in the list, the deadline order,
// many filters at once, an admin's lookup by phone, a concern's page and the
// XLSX of a month's concerns (about 8,000), each through HTTP with a signed-in session; it reports p50 and p99 of
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
	reports := demo.Reports(demo.Options{Reports: n, Days: 365, End: period.Day(time.Now(), sh), Now: time.Now(), Seed: 7,
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
	admin := f.signedIn(admin)
	month := period.Day(time.Now(), sh).AddDate(0, -1, 0).Format("2006-01-02")
	for _, c := range []struct {
		name, path string
		as         *browser
	}{
		{"list-page", "/staff/concerns", s},
		{"json-list", "/staff/api/v1/concerns?status=all", s},
		{"search", "/staff/concerns?status=all&q=" + url.QueryEscape("路灯"), s},
		{"search-rare", "/staff/concerns?status=all&q=" + url.QueryEscape("幼儿园门口"), s},
		{"filtered-deep", "/staff/concerns?status=all&community=" + url.QueryEscape("阳光社区") + "&page=200", s},
		{"by-deadline", "/staff/concerns?status=all&sort=due", s},
		{"many-filters", "/staff/concerns?status=all&community=" + url.QueryEscape("和平社区") + "&grid=" + url.QueryEscape("第一网格") +
			"&topic=" + url.QueryEscape("城乡建设") + "&from=" + month + "&unacked=1&sort=old", s},
		{"phone-lookup", "/staff/api/v1/concerns?status=all&phone=13800138000", admin},
		{"concern-page", "/staff/concerns/" + id, s},
		{"export-xlsx-month", "/staff/export/xlsx?status=all&from=" + month, s},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if code, body := c.as.get(c.path); code != 200 {
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
