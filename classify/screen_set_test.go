package classify

import (
	"os"
	"testing"
)

func readScreenSet(t testing.TB, path string) []ScreenItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := ReadScreenItems(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return items
}

func newScreener(t testing.TB) *Screener {
	t.Helper()
	s, err := NewScreener(newLexicon(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
