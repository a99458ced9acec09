package classify

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

type screenItem struct {
	ID     string `json:"id"`
	Lang   string `json:"lang"`
	Urgent bool   `json:"urgent"`
	Hazard string `json:"hazard"`
	Text   string `json:"text"`
}

func readScreenSet(t testing.TB, path string) []screenItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []screenItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var it screenItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

func newScreener(t testing.TB) *Screener {
	t.Helper()
	s, err := NewScreener(newLexicon(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
