package classify

import (
	"fmt"
	"testing"
)

func TestMatcherDropsContainedWords(t *testing.T) {
	m := newMatcher([]string{"保险", "养老保险", "养老", "老保", "he", "she", "hers", "小区", "区", "村医", "医保"})
	for text, want := range map[string]string{
		"我的养老保险断缴了": "[养老保险]",
		"保险和养老":     "[保险 养老]",
		"ushers":    "[she hers]",
		"小区小区区":     "[小区 小区 区]",
		"没有":        "[]",
		"":          "[]",
		"养老老保险":     "[养老 老保 保险]",
		"村医保漏报":     "[村医 医保]",
	} {
		var got []string
		for _, h := range m.find([]rune(text)) {
			got = append(got, m.words[h.word])
		}
		if fmt.Sprint(got) != want && !(want == "[]" && got == nil) {
			t.Errorf("find(%q) = %v, want %s", text, got, want)
		}
	}
}
