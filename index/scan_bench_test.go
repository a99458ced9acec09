package index

import (
	"testing"
	"time"
)

func BenchmarkOpen311Like30k(b *testing.B) {
	x := New(newMemory(demoReports(30000, 6)), WithLogger(quiet))
	if err := x.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	q := Query{Topics: []string{"城乡建设"}, Finished: ptr(false), Sensitive: ptr(false), From: end.AddDate(0, 0, -90), To: end.Add(48 * time.Hour), Offset: 100, Limit: 50}
	for b.Loop() {
		if _, err := x.Query(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}
