package digest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/demo"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/period"
)

// benchSizes are the digests the targets name: one day of 100,000 concerns, and
// thirty days of 300,000. MINYI_BENCH_SCALE=0.1 runs them a tenth the size.
func benchScale() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("MINYI_BENCH_SCALE"), 64); err == nil && v > 0 {
		return v
	}
	return 1
}

func benchDigest(b *testing.B, reports, days int) {
	st := open(b)
	n := int(float64(reports) * benchScale())
	end := time.Date(2026, 11, 26, 0, 0, 0, 0, sh)
	rs := demo.Reports(demo.Options{Reports: n, Days: days, End: end, Seed: 7,
		Grids:    []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格", "和平社区/第二网格", "幸福里社区/第一网格", "滨江社区/第一网格"},
		Sector:   func(topic, _ string) string { return "社会建设" },
		Deadline: func(l concern.Level, t time.Time) time.Time { return t.Add(7 * 24 * time.Hour) },
	})
	bands := make([][]uint64, len(rs))
	for i, r := range rs {
		bands[i] = minhash.Sign(r.Text).RecurBands()
	}
	for i := 0; i < len(rs); i += 20000 {
		if err := st.Import(context.Background(), rs[i:min(i+20000, len(rs))], bands[i:min(i+20000, len(rs))]); err != nil {
			b.Fatal(err)
		}
	}
	p := period.Period{From: end.AddDate(0, 0, 1-days), To: end}
	bld := NewBuilder(st, sectors, sh, WithClock(func() time.Time { return end.Add(30 * time.Hour) }))
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	go func() { // sample the heap while building
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	var d *Digest
	for i := 0; i < b.N; i++ {
		var err error
		if d, err = bld.Build(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	if d.Counted != n || !d.Reconciled {
		b.Fatalf("counted %d of %d, reconciled %v", d.Counted, n, d.Reconciled)
	}
	b.ReportMetric(float64(n), "concerns")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(d.Groups)), "groups")
	fmt.Fprintf(os.Stderr, "digest of %d concerns over %d days: %d groups\n", n, days, len(d.Groups))
}

func BenchmarkDigestDay100k(b *testing.B)   { benchDigest(b, 100000, 1) }
func BenchmarkDigestMonth300k(b *testing.B) { benchDigest(b, 300000, 30) }
