package docx

import (
	"strings"
	"testing"
)

// A document reads back: its paragraphs in order, a tab and a line break as
// written, a table's cells as paragraphs; text that XML would misread survives.
func TestDocumentReadsBack(t *testing.T) {
	d := &Document{Title: "标题 & <测试>", Paragraphs: []Paragraph{
		{Align: Center, Runs: []Run{{Text: "社情民意信息", Font: "方正小标宋简体", Size: 36, Color: "C00000"}}},
		{RightTab: true, RuleBelow: "C00000", Runs: []Run{{Text: "报送单位：阳光街道党工委"}, {Text: "2026年12月3日", Tab: true}}},
		{Indent: 2, Line: 28, Runs: []Run{{Text: "第一行\n第二行 <b>&amp;", Size: 16}}},
		{Table: [][]string{{"社区", "收到"}, {"阳光社区", "12"}, {"和平社区"}}},
		{Runs: []Run{{Text: "完"}}},
	}}
	data, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	paras, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"社情民意信息", "报送单位：阳光街道党工委\t2026年12月3日", "第一行\n第二行 <b>&amp;", "社区", "收到", "阳光社区", "12", "和平社区", "", "", "完"}
	if strings.Join(paras, "|") != strings.Join(want, "|") {
		t.Fatalf("read back\n%q\nwant\n%q", paras, want)
	}
	body := d.body()
	for _, part := range []string{`w:firstLine="640" w:firstLineChars="200"`, `<w:tblHeader/>`, `w:eastAsia="方正小标宋简体"`, `<w:color w:val="C00000"/>`,
		`<w:pgSz w:w="11906" w:h="16838"/>`} {
		if !strings.Contains(body, part) {
			t.Errorf("the document lacks %s", part)
		}
	}
}
