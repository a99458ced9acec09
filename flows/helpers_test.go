package flows

import (
	"testing"
	"time"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func testMachine(t testing.TB, opts ...Option) *Machine {
	t.Helper()
	opts = append([]Option{WithCommunities("阳光社区", "和平社区", "幸福里社区"), WithGrids("和平社区/第一网格", "阳光社区/第一网格", "阳光社区/第二网格"), WithOrgName("幸福街道", "Xingfu Sub-district"), WithLocation(shanghai(t))}, opts...)
	m, err := NewDefault(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
