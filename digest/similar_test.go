package digest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/minyi-project/minyi/minhash"
)

func TestGroupFindsNearDuplicatesInTheSameCommunityOrTopic(t *testing.T) {
	texts := []struct{ text, community, topic string }{
		{"阳光社区东门的路灯坏了一个多月了，晚上很黑，老人出门不安全。", "阳光社区", "城乡建设"},
		{"阳光社区东门路灯坏了一个多月了，晚上很黑，老人出门很不安全。", "阳光社区", "城乡建设"},
		{"东门的路灯坏了一个多月了，晚上很黑，老人出门不安全，请修。", "阳光社区", "城乡建设"},
		{"化工厂夜里偷排废气，气味刺鼻，周边居民睡不着觉。", "和平社区", "环境保护"},
		{"化工厂夜里偷排废气，气味刺鼻，周边居民都睡不着觉。", "幸福里社区", "环境保护"},
		// similar words, but another community and another topic: not grouped
		{"阳光社区东门的路灯坏了一个多月了，晚上很黑，老人出门不安全。", "和平社区", "交通运输"},
		{"公司拖欠三个月工资不发。", "和平社区", "劳动和社会保障"},
	}
	var ms []member
	for _, x := range texts {
		ms = append(ms, member{sig: minhash.Sign(x.text), community: x.community, topic: x.topic})
	}
	var got []string
	for _, g := range group(ms) {
		sort.Ints(g)
		got = append(got, fmt.Sprint(g))
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[[0 1 2] [3 4]]" {
		t.Fatalf("groups %v", got)
	}
}

// Grouping compares a bounded number of pairs per concern, however many there
// are: linear, not quadratic. (Its speed is measured in BenchmarkGroup.)
func TestGroupIsNotQuadratic(t *testing.T) {
	bound := perBucket * minhash.Bins / 2
	for _, n := range []int{1000, 10000, 50000} {
		groups, compared := groupCounting(synthetic(n))
		if compared > bound*n {
			t.Errorf("%d concerns: %d comparisons, more than %d per concern", n, compared, bound)
		}
		if len(groups) == 0 {
			t.Errorf("%d concerns: no groups found among the near-duplicates", n)
		}
		t.Logf("%d concerns: %d comparisons (%.1f each), %d groups", n, compared, float64(compared)/float64(n), len(groups))
	}
}

// synthetic makes n concerns: a tenth of them near-duplicates of a few themes.
func synthetic(n int) []member {
	themes := []string{"路灯坏了很久没人修", "垃圾站垃圾没人清运", "楼上漏水物业不管", "化工厂偷排废气", "公司拖欠工资"}
	ms := make([]member, n)
	for i := range ms {
		text := fmt.Sprintf("第%d件：居民反映%s，地点在第%d栋附近，已经持续%d天，编号%x", i, themes[i%len(themes)], i%97, i%30, i*7919)
		if i%10 == 0 {
			text = "居民反映" + themes[i%len(themes)] + "，已经持续一个多月，请尽快处理"
		}
		ms[i] = member{sig: minhash.Sign(text), community: fmt.Sprintf("社区%d", i%12), topic: fmt.Sprintf("话题%d", i%7)}
	}
	return ms
}

func BenchmarkGroup(b *testing.B) {
	ms := synthetic(100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		group(ms)
	}
}
