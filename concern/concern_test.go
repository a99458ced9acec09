package concern

import (
	"testing"
	"time"
)

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13800001234":       "138****1234",
		"+8613800001234":    "138****1234",
		"+86 138-0000-1234": "138****1234",
		"02188886666":       "021****6666",
		"12345":             "*****",
		"":                  "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIDs(t *testing.T) {
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if got := FormatID(day, 7); got != "20261126-0007" {
		t.Fatalf("FormatID = %q", got)
	}
	if got := FormatID(day, 12345); got != "20261126-12345" || !ValidID(got) {
		t.Fatalf("FormatID past 9999 = %q", got)
	}
	for _, bad := range []string{"", "2026-11-26", "20261126-7", "../20261126-0001", "20261126-0001x"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt("小区  东门\n路灯坏了", 7); got != "小区 东门 路…" {
		t.Fatalf("Excerpt = %q", got)
	}
	if got := Excerpt("短", 6); got != "短" {
		t.Fatalf("Excerpt = %q", got)
	}
}
