package classify

import (
	"slices"
	"strings"
	"testing"
)

// cut returns the words Cut finds in s.
func cut(d *Words, s string) []string {
	runes := normalizeForModel(s, nil)
	var out []string
	for _, w := range d.spans(runes) {
		out = append(out, string(runes[w.start:w.end]))
	}
	return out
}

func TestWordsTakeTheMostProbableRoute(t *testing.T) {
	// 研究生/命/起源 uses fewer words, but 研究/生命/起源 is far more probable
	d, err := ReadWords(strings.NewReader("# total 100\n研究 10\n研究生 5\n生命 10\n命 1\n起源 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cut(d, "研究生命起源"); !slices.Equal(got, []string{"研究", "生命", "起源"}) {
		t.Fatalf("研究生命起源 → %v", got)
	}
	// with 生命 rare, 研究生 wins; a character the dictionary lacks stands alone
	d, err = ReadWords(strings.NewReader("# total 100\n研究 10\n研究生 10\n生命 1\n命 10\n起源 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cut(d, "研究生命起源。A5区，研究"); !slices.Equal(got, []string{"研究生", "起源", "研究"}) {
		t.Fatalf("→ %v", got)
	}
}

func TestBuiltinWords(t *testing.T) {
	d, err := BuiltinWords()
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]string{
		"小区东门的路灯坏了一个多月，晚上很黑": {"小区", "东门", "路灯", "一个多月", "晚上"},
		"住房公积金提取需要什么材料":      {"住房", "公积金", "提取", "需要", "什么", "材料"},
		"幼儿园收费标准不合理":         {"幼儿园", "收费", "标准", "不合理"},
		"":                   nil,
		"ABC 123 😀":          nil,
	} {
		if got := cut(d, text); !slices.Equal(got, want) {
			t.Errorf("%q → %v, want %v", text, got, want)
		}
	}
}

func TestReadWordsRefusesBadFiles(t *testing.T) {
	for file, want := range map[string]string{
		"":                           "no words",
		"# total x\n":                "line 1: bad total",
		"研究 10\n":                    "line 1: a word before",
		"# total 100\n\n研究\n":        "line 3: want \"word count\"",
		"# total 100\n研究 -1\n":       "line 2: want",
		"# total 100\nwifi密码 3\n":    "line 2: \"wifi密码\" is not all Han",
		"# a comment\n# total 100\n": "no words",
	} {
		_, err := ReadWords(strings.NewReader(file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", file, err, want)
		}
	}
}
