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

func TestMaskPII(t *testing.T) {
	for in, want := range map[string]string{
		"我的电话13800001234，请回电":                "我的电话[手机号]，请回电",
		"手机 +86 138-0000-1234 随时联系":          "手机 [手机号] 随时联系",
		"身份证号430102199003071234，姓名张三":        "身份证号[身份证号]，姓名张三",
		"身份证 43010219900307123X":             "身份证 [身份证号]",
		"旧证号430102900307123":                 "旧证号[身份证号]",
		"座机0731-88886666或(010)62345678":      "座机[电话]或[电话]",
		"银行卡6222021234567890123被冻结":          "银行卡[卡号]被冻结",
		"邮箱 zhang.san@example.com":           "邮箱 [邮箱]",
		"小区3栋2单元1302室，2026年11月26日，共计120000元": "小区3栋2单元1302室，2026年11月26日，共计120000元",
		"订单号138000012345678不是手机号":            "订单号[号码]不是手机号", // any 7 digits or more: privacy first
	} {
		if got := MaskPII(in); got != want {
			t.Errorf("MaskPII(%q)\n got  %q\n want %q", in, got, want)
		}
	}
}

// Who may see and handle a concern in full: staff and admins; a sensitive one, admins only.
func TestMayHandle(t *testing.T) {
	plain, sensitive := &Report{}, &Report{Sensitive: true}
	for _, c := range []struct {
		role             Role
		plain, sensitive bool
	}{
		{RoleResident, false, false}, {RoleGrid, false, false}, {RoleStaff, true, false}, {RoleAdmin, true, true}, {"", false, false},
	} {
		if c.role.MayHandle(plain) != c.plain || c.role.MayHandle(sensitive) != c.sensitive {
			t.Errorf("%q: plain %v, sensitive %v", c.role, c.role.MayHandle(plain), c.role.MayHandle(sensitive))
		}
	}
}

func TestCleanTextAndVisibleLen(t *testing.T) {
	if got := CleanText("路灯\x00坏了\x1b[31m\a\r\n第二行\t!\rx"); got != "路灯坏了[31m\n第二行\t!\nx" {
		t.Errorf("CleanText = %q", got)
	}
	for s, want := range map[string]int{
		"\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b": 0,
		"\u202e\u202d\u2066\u2069\u200f\u200e\ufeff":                         0,
		"\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301":       0,
		"　 \t\n":          0,
		"路灯坏了":            4,
		"e\u0301te\u0301": 3,
		"a\u200bb\u200bc": 3,
	} {
		if got := VisibleLen(s); got != want {
			t.Errorf("VisibleLen(%q) = %d, want %d", s, got, want)
		}
	}
}
