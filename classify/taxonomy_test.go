package classify

import (
	"strings"
	"testing"
)

func TestDefaultTaxonomy(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	if len(tax.Sectors) != 6 || len(tax.Topics) != 15 {
		t.Fatalf("%d sectors, %d topics", len(tax.Sectors), len(tax.Topics))
	}
	for topic, sector := range map[string]string{
		"城乡建设": "社会建设", "环境保护": "生态文明建设", "教育文体": "文化建设", "纪检监察": "党的建设",
		"交通运输": "经济建设", "政法": "政治建设", "党务政务": "政治建设",
	} {
		if got := tax.SectorOf(topic, ""); got != sector {
			t.Errorf("SectorOf(%s) = %s, want %s", topic, got, sector)
		}
	}
	if got := tax.SectorOf("党务政务", "党的建设"); got != "党的建设" {
		t.Errorf("the 党的建设 subtopic of 党务政务 belongs to %s", got)
	}
	if got := tax.SectorOf("不存在", ""); got != "" {
		t.Errorf("unknown topic has sector %q", got)
	}
}

func TestTaxonomyErrorsSayWhere(t *testing.T) {
	good := `sectors: [甲, 乙]
topics:
  - name: 城建
    sector: 甲
    subtopics: [路灯, 其他]
  - name: 环保
    sector: 乙
    subtopics: [污染]
`
	cases := map[string]struct{ from, to, want string }{
		"malformed":         {"topics:", "topics: [", "mine.yaml: yaml:"},
		"no sector":         {"    sector: 乙\n", "", "mine.yaml:6: topic \"环保\" has no sector"},
		"unknown sector":    {"sector: 乙", "sector: 丙", `mine.yaml:6: topic "环保" names sector "丙"`},
		"duplicate topic":   {"name: 环保", "name: 城建", `mine.yaml:6: topic "城建" is listed twice`},
		"duplicate sub":     {"[路灯, 其他]", "[路灯, 路灯]", `mine.yaml:3: topic "城建" lists subtopic "路灯" twice`},
		"duplicate sector":  {"[甲, 乙]", "[甲, 乙, 甲]", `sector "甲" is empty or listed twice`},
		"override unknown":  {"    subtopics: [污染]\n", "    subtopics: [污染]\n    sector_overrides: {噪音: 甲}\n", `overrides the sector of "噪音"`},
		"override bad sect": {"    subtopics: [污染]\n", "    subtopics: [污染]\n    sector_overrides: {污染: 丁}\n", `unknown sector "丁"`},
	}
	if _, err := ParseTaxonomy([]byte(good), "mine.yaml"); err != nil {
		t.Fatalf("good file refused: %v", err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(good, c.from, c.to, 1)
			if bad == good {
				t.Fatal("case changes nothing")
			}
			_, err := ParseTaxonomy([]byte(bad), "mine.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}
