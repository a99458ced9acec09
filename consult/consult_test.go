package consult

import (
	"strings"
	"testing"
	"time"
)

const plan = `
title: 阳光社区口袋公园改造征求意见
intro: 社区拟将东门空地改造为口袋公园，请您提出意见。
audience: subscribers
community: 阳光社区
opens: 2026-12-05 09:00
closes: 2026-12-12 18:00
questions:
  - kind: single
    text: 您是否赞成改造？
    options: [赞成, 不赞成, 无所谓]
  - kind: multi
    text: 您希望增加哪些设施？
    options: [座椅, 健身器材, 儿童游乐, 绿化]
  - kind: rating
    text: 您对社区环境的满意度（1—5分）
  - kind: text
    text: 其他意见和建议
`

var sh = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

func TestParse(t *testing.T) {
	c, err := Parse([]byte(plan), sh)
	if err != nil {
		t.Fatal(err)
	}
	if c.Title == "" || len(c.Questions) != 4 || c.Opens != time.Date(2026, 12, 5, 9, 0, 0, 0, sh) || c.Audience != Subscribers {
		t.Fatalf("parsed %+v", c)
	}
	for _, bad := range []struct{ from, to, want string }{
		{"kind: rating", "kind: stars", `kind "stars" is not single, multi, rating or text`},
		{"options: [赞成, 不赞成, 无所谓]", "options: [赞成]", "a single question needs 2 to 8 options"},
		{"closes: 2026-12-12 18:00", "closes: 2026-12-01 18:00", "closes must be after opens"},
		{"opens: 2026-12-05 09:00", "opens: 下周一", `opens: "下周一" is not a time like 2026-12-05 09:00`},
		{"audience: subscribers", "audience: everyone", `audience: "everyone" is not`},
		{"title: 阳光社区口袋公园改造征求意见", "titel: x", "field titel not found"},
	} {
		_, err := Parse([]byte(strings.Replace(plan, bad.from, bad.to, 1)), sh)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.to, err, bad.want)
		}
	}
}

// Each participant counts once, as they last answered; a multi press toggles;
// free text is masked and grouped.
func TestResults(t *testing.T) {
	c, _ := Parse([]byte(plan), sh)
	set := func(a *Answer, q int, v string) {
		t.Helper()
		if err := c.Set(a, q, v); err != nil {
			t.Fatalf("q%d %q: %v", q, v, err)
		}
	}
	a, b, d := &Answer{Chat: 1}, &Answer{Chat: 2}, &Answer{Chat: 3}
	set(a, 0, "1") // 不赞成 …
	set(a, 0, "0") // … changed to 赞成: counted once
	set(b, 0, "0")
	set(d, 0, "2")
	set(a, 1, "0")
	set(a, 1, "3")
	set(a, 1, "0") // taken away again
	set(b, 1, "3")
	set(a, 2, "5")
	set(b, 2, "4")
	set(a, 3, "小区东门空地希望多种些树，夏天有树荫可以乘凉")
	set(b, 3, "小区东门空地希望多种些树，夏天有树荫乘凉")
	set(d, 3, "晚上要有路灯，我是张三，电话13800001234")
	for _, v := range []struct {
		q int
		v string
	}{{0, "3"}, {0, "x"}, {2, "0"}, {2, "6"}, {3, "  "}, {9, "1"}} {
		if err := c.Set(&Answer{}, v.q, v.v); err != ErrBadAnswer {
			t.Errorf("q%d %q taken: %v", v.q, v.v, err)
		}
	}
	r := c.Results([]Answer{*a, *b, *d})
	if r[0].Answered != 3 || r[0].Counts[0] != 2 || r[0].Counts[1] != 0 || r[0].Counts[2] != 1 || r[0].Shares[0] != 2.0/3 {
		t.Fatalf("single: %+v", r[0])
	}
	if r[1].Answered != 2 || r[1].Counts[0] != 0 || r[1].Counts[3] != 2 {
		t.Fatalf("multi: %+v", r[1])
	}
	if r[2].Answered != 2 || *r[2].Mean != 4.5 || r[2].Counts[4] != 1 || r[2].Counts[3] != 1 {
		t.Fatalf("rating: %+v", r[2])
	}
	g := r[3].Groups
	if r[3].Answered != 3 || len(g) != 2 || g[0].N != 2 || strings.Contains(g[1].Answers[0], "13800001234") || strings.Contains(g[1].Answers[0], "张三") {
		t.Fatalf("text: %+v", r[3])
	}
}
