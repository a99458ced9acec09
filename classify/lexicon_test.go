package classify

import (
	"context"
	"strings"
	"testing"
)

func newLexicon(t testing.TB) *Lexicon {
	t.Helper()
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	lex, err := NewLexicon(tax, "城乡建设")
	if err != nil {
		t.Fatal(err)
	}
	return lex
}

func TestLexiconTagsAndExplains(t *testing.T) {
	lex := newLexicon(t)
	ctx := context.Background()
	right := 0
	items := fixture(t)
	for _, it := range items {
		res, _ := lex.Classify(ctx, it.Text)
		if res.Topic == it.Label {
			right++
		}
	}
	// hand-written fixture sentences, none from the evaluation data
	if right < len(items)*9/10 {
		t.Fatalf("lexicon got %d of %d fixture concerns", right, len(items))
	}
	res, _ := lex.Classify(ctx, "小区东门的路灯坏了一个多月，物业不管")
	if res.Topic != "城乡建设" || res.Subtopic != "城市建设和市政管理" || res.Sector != "社会建设" || res.Classifier != "lexicon" {
		t.Fatalf("result: %+v", res)
	}
	if !strings.Contains(res.Reason, "路灯") || !strings.Contains(res.Reason, "物业") {
		t.Fatalf("reason does not list the words: %q", res.Reason)
	}
	if res.Confidence <= 0 || res.Confidence > 1 || len(res.Ranking) == 0 || res.Ranking[0].Topic != res.Topic {
		t.Fatalf("confidence %v, ranking %v", res.Confidence, res.Ranking)
	}
	// contained words count once: 养老保险 is not also 保险 (经济管理)
	res, _ = lex.Classify(ctx, "我的养老保险断缴了")
	if res.Topic != "劳动和社会保障" || len(res.Ranking) != 1 {
		t.Fatalf("养老保险: %+v", res.Ranking)
	}
	// full-width and upper-case letters match too
	res, _ = lex.Classify(ctx, "手机５Ｇ信号太差")
	if res.Topic != "科技与信息产业" {
		t.Fatalf("５Ｇ: %+v", res)
	}
}

func TestLexiconNeverLeavesUntagged(t *testing.T) {
	lex := newLexicon(t)
	res, err := lex.Classify(context.Background(), "你好")
	if err != nil || res.Topic != "城乡建设" || res.Confidence != 0 || !strings.Contains(res.Reason, "待人工核定") {
		t.Fatalf("no match: %+v %v", res, err)
	}
}

func TestLexiconFileErrors(t *testing.T) {
	tax, _ := DefaultTaxonomy()
	for name, c := range map[string]struct{ file, want string }{
		"twice in a topic": {"version: 1\ntopics:\n  城乡建设:\n    城乡规划:\n      3: [违建]\n    工程质量:\n      2: [违建]\n", `"违建" is listed twice under 城乡建设`},
		"unknown topic":    {"version: 1\ntopics:\n  火星建设:\n    _:\n      3: [飞船]\n", `topic "火星建设" is not in the taxonomy`},
		"unknown subtopic": {"version: 1\ntopics:\n  城乡建设:\n    月球规划:\n      3: [飞船]\n", `城乡建设 has no subtopic "月球规划"`},
		"bad weight":       {"version: 1\ntopics:\n  城乡建设:\n    _:\n      9: [路灯]\n", "weight 9 is not 1..5"},
		"unknown key":      {"version: 1\nwords: [x]\n", "field words not found"},
	} {
		if _, err := ParseLexicon([]byte(c.file), "lex.yaml", tax, "城乡建设"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if _, err := NewLexicon(tax, "不存在"); err == nil {
		t.Error("a fallback outside the taxonomy was accepted")
	}
}

// Issue 14's lexicon mistakes: place words are no topic evidence; 12345 inside a
// longer number is not the hotline; 红包 taken by an official is discipline, not
// the health service.
func TestLexiconMistakesOfIssue14(t *testing.T) {
	lex := newLexicon(t)
	r := lex.classify("燃气管道有泄漏的味道，在和平社区5号楼一单元，非常浓！")
	for _, w := range []string{"社区", "单元", "小区", "楼"} {
		if strings.Contains(strings.TrimPrefix(r.Reason, "关键词："), w) {
			t.Errorf("a place word counts as topic evidence: %s", r.Reason)
		}
	}
	if r := lex.classify("我的银行卡号是6222021234512345678，被人盗刷了两万块"); r.Topic == "党务政务" || strings.Contains(r.Reason, "12345") {
		t.Errorf("12345 inside a card number is taken for the hotline: %s %s", r.Topic, r.Reason)
	}
	if r := lex.classify("打12345热线反映了三次都没人回复"); !strings.Contains(r.Reason, "12345") {
		t.Errorf("the hotline itself is no longer found: %s", r.Reason)
	}
	if r := lex.classify("村支书收受红包，低保名额给了自己亲戚"); r.Topic != "纪检监察" {
		t.Errorf("村支书收受红包 → %s (%s), want 纪检监察", r.Topic, r.Reason)
	}
	if r := lex.classify("医院的医生做手术前收红包，不给就拖着不安排"); r.Topic != "卫生计生" {
		t.Errorf("a doctor's 红包 → %s (%s), want 卫生计生", r.Topic, r.Reason)
	}
}
