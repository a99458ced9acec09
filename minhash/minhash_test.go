package minhash

import "testing"

func TestSignatureSimilarity(t *testing.T) {
	a := Sign("阳光社区东门的路灯坏了一个多月了，晚上很黑，老人出门不安全，请尽快维修。")
	b := Sign("阳光社区东门路灯坏了一个多月了，晚上很黑，老人出门不安全，请尽快修理！电话13800001234")
	c := Sign("化工厂夜里偷排废气，气味刺鼻，周边居民睡不着觉，请环保部门查处。")
	if s := a.Similarity(b); s < 0.5 {
		t.Errorf("near-duplicates scored %.2f", s)
	}
	if s := a.Similarity(c); s > 0.2 {
		t.Errorf("unrelated texts scored %.2f", s)
	}
	if a != Sign("阳光社区东门的路灯坏了一个多月了，晚上很黑，老人出门不安全，请尽快维修。") {
		t.Error("signing is not deterministic")
	}
	short := Sign("路灯坏了")
	if short == (Signature{}) {
		t.Error("a short text has an empty signature")
	}
}

func BenchmarkSign(b *testing.B) {
	text := "阳光社区东门的路灯坏了一个多月了，晚上很黑，老人出门不安全，请尽快维修。我们多次向物业反映，物业说路灯属于市政管理，井盖属于排水公司，互相推诿，一直没有人来处理。"
	for i := 0; i < b.N; i++ {
		Sign(text)
	}
}
