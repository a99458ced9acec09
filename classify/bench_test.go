package classify

import (
	"context"
	"os"
	"strings"
	"testing"
)

func fixture(t testing.TB) []Item {
	f, err := os.Open("testdata/concerns.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := ReadItems(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// longTexts are the fixture's long messages (title and body, about 300 characters).
func longTexts(t testing.TB) []string {
	var out []string
	for _, it := range fixture(t) {
		if strings.Contains(it.Text, "\n") {
			out = append(out, it.Text)
		}
	}
	return out
}

func benchmark(b *testing.B, c Classifier) {
	texts := longTexts(b)
	ctx := context.Background()
	var chars int
	for _, t := range texts {
		chars += len([]rune(t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Classify(ctx, texts[i%len(texts)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(chars)/float64(len(texts)), "chars/msg")
}

func BenchmarkLexicon(b *testing.B) {
	tax, _ := DefaultTaxonomy()
	lex, err := NewLexicon(tax, "城乡建设")
	if err != nil {
		b.Fatal(err)
	}
	benchmark(b, lex)
}

func BenchmarkModel(b *testing.B) {
	tax, _ := DefaultTaxonomy()
	m, err := Train(fixture(b), tax, TrainOptions{Epochs: 5})
	if err != nil {
		b.Fatal(err)
	}
	benchmark(b, m)
}
