package concern

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Shapes that slipped through the masker before issue 13: each row failed at 4611a86.
func TestMaskShapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// width
		{"电话１３８００１３８０００", "电话[手机号]"},
		{"身份证１１０１０１１９９００３０７１２３４", "身份证[身份证号]"},
		{"身份证１１０１０１１９９００３０７１２３Ｘ，已核实", "身份证[身份证号]，已核实"},
		{"号码①③⑧⓪⓪①③⑧⓪⓪⓪", "号码[手机号]"},
		{"号码𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎", "号码[手机号]"},
		{"号码١٣٨٠٠١٣٨٠٠٠", "号码[手机号]"},
		{"电话：１３８ ００１３ ８０００，谢谢", "电话：[手机号]，谢谢"},
		// separators
		{"手机138  0013  8000", "手机[手机号]"},
		{"手机138　0013　8000", "手机[手机号]"},
		{"手机138\u00a00013\u00a08000", "手机[手机号]"},
		{"手机138.0013.8000", "手机[手机号]"},
		{"手机138－0013－8000", "手机[手机号]"},
		{"手机138–0013—8000", "手机[手机号]"},
		{"手机138_0013_8000", "手机[手机号]"},
		{"手机138/0013/8000", "手机[手机号]"},
		{"手机138·0013·8000", "手机[手机号]"},
		{"手机138\u200b0013\u200c80\u200d00", "手机[手机号]"},
		{"手机1\u20603\ufeff8\u200e0013\u202a8000\u202c。", "手机[手机号]\u202c。"},
		{"手机1 3 8 0 0 1 3 8 0 0 0", "手机[手机号]"},
		{"手机138 -0013\u200b.8000", "手机[手机号]"},
		{"手机+86 1380 013 8000", "手机[手机号]"},
		{"手机：+86－138　0013　8000。", "手机：[手机号]。"},
		{"座机(021) 8888-6666", "座机[电话]"},
		{"座机０７３１－８８８８ ６６６６", "座机[电话]"},
		{"座机010 6234 5678", "座机[电话]"},
		// ID cards
		{"身份证110101 19900307 1234", "身份证[身份证号]"},
		{"身份证110101 19900307 123X", "身份证[身份证号]"},
		{"身份证 110101-1990-0307-123x 已登记", "身份证 [身份证号] 已登记"},
		{"旧证号110101 900307 123", "旧证号[身份证号]"},
		// bank cards
		{"银行卡6222 0212 3456 7890", "银行卡[卡号]"},
		{"银行卡6222-0212-3456-7890-123被冻结", "银行卡[卡号]被冻结"},
		{"银行卡６２２２　０２１２　３４５６　７８９０", "银行卡[卡号]"},
		// several numbers in one run
		{"电话138-0013-8000 139.0013.9000都打不通", "电话[手机号] [手机号]都打不通"},
		{"13800138000 110101 19900307 1234", "[手机号] [身份证号]"},
		{"２０２６１１２６-０００７ 1380 013 8000", "２０２６１１２６-０００７ [手机号]"},
		// anything else of 7 digits or more
		{"订单号 1234 5678", "订单号 [号码]"},
		{"门禁卡号0012.3456.7", "门禁卡号[号码]"},
		{"2026-11-27 1234 5678", "2026-11-27 [号码]"},
		// QQ
		{"QQ 12345678", "QQ [QQ号]"},
		{"qq号：123456", "qq号：[QQ号]"},
		{"扣扣是 98765", "扣扣是 [QQ号]"},
		{"Q号:98765432", "Q号:[QQ号]"},
		{"QQ号为１２３４５６７８９０", "QQ号为[QQ号]"},
		{"ＱＱ：５５６６７", "ＱＱ：[QQ号]"},
		// WeChat
		{"微信 zhang_san88", "微信 [微信号]"},
		{"加微信号：abc-12345，谢谢", "加微信号：[微信号]，谢谢"},
		{"vx：Li_Ming_2026", "vx：[微信号]"},
		{"VX Li_Ming", "VX [微信号]"},
		{"wx: wxid_abc123", "wx: [微信号]"},
		{"WX是hello_world", "WX是[微信号]"},
		{"V信 xiaoming", "V信 [微信号]"},
		{"薇信：xiaoming2026", "薇信：[微信号]"},
		{"WeChat: John_Doe9", "WeChat: [微信号]"},
		{"加微信ｚｈａｎｇｓａｎ８８", "加微信[微信号]"},
		{"微信 138.0013.8000", "微信 [手机号]"},
		// email
		{"邮箱 zhang.san＠example.com", "邮箱 [邮箱]"},
		{"13800138000@139.com", "[邮箱]"},
		{"邮箱ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ。", "邮箱[邮箱]。"},
		// names
		{"我叫 张伟，住3栋", "我叫 某某，住3栋"},
		{"我叫　张伟", "我叫　某某"},
		{"我叫\u200b张伟", "我叫\u200b某某"},
		{"姓名: 王小明", "姓名: 某某"},
		{"姓名 :王小明", "姓名 :某某"},
		{"联系人： 李四", "联系人： 某某"},
		{"我叫欧阳娜娜", "我叫某某"},
		{"本人上官婉儿，反映", "本人某某，反映"},
		{"联系人：慕容复兴", "联系人：某某"},
		{"我姓名是王小明", "我姓名是某某"},
		{"我的名字是李娜，", "我的名字是某某，"},
		{"名字叫张三丰", "名字叫某某"},
		{"Hello, my name is John Smith.", "Hello, my name is [name]."},
		{"My name is Li Lei, room 302", "My name is [name], room 302"},
	} {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q)\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}

// Shapes the masker caught already before issue 13, kept as they are.
func TestMaskStillMasks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"手机138 0013 8000", "手机[手机号]"},
		{"手机+86 138 0013 8000", "手机[手机号]"},
		{"电话13800138000 13900139000都打不通", "电话[手机号] [手机号]都打不通"},
		{"13800138000 110101199003071234", "[手机号] [身份证号]"},
		{"微信 138 0013 8000", "微信 [手机号]"},
	} {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q)\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}

// What the masker must leave readable: dates, times, minyi's own concern ids, short numbers.
func TestMaskKeeps(t *testing.T) {
	for _, s := range []string{
		"2026-11-27 上午", "2026.11.27", "2026/11/27", "2026年11月27日08:30",
		"2026-11-27 08:30:00 回访", "2026.11.20-2026.11.27", "已并入20261126-0007，见20261126-12345",
		"20261126-0007 20261127-0012", "3栋2单元1302室", "共计120000元", "qq.com 网站打不开",
		"我的微信坏了", "邮箱满了", "my name is not important", "2026-11-27：13800138000",
	} {
		want := strings.ReplaceAll(s, "13800138000", "[手机号]")
		if got := Mask(s); got != want {
			t.Errorf("Mask(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestMaskNamesAndNotes(t *testing.T) {
	r := &Report{ReporterName: "欧阳娜娜", ResidentName: " 张伟 ",
		Text: "欧阳娜娜反映：张伟家漏水，电话１３８ ００１３ ８０００"}
	if got, want := r.MaskedText(), "某某反映：某某家漏水，电话[手机号]"; got != want {
		t.Errorf("MaskedText = %q, want %q", got, want)
	}
	if got, want := r.MaskedNote("已联系张伟（１３８００１３８０００），已并入20261126-0007"), "已联系某某（[手机号]），已并入20261126-0007"; got != want {
		t.Errorf("MaskedNote = %q, want %q", got, want)
	}
	// MaskNames leaves numbers, MaskPII leaves names
	if got := MaskNames("我叫 张伟，电话13800138000"); got != "我叫 某某，电话13800138000" {
		t.Errorf("MaskNames = %q", got)
	}
	if got := MaskPII("我叫 张伟，电话138 0013 8000"); got != "我叫 张伟，电话[手机号]" {
		t.Errorf("MaskPII = %q", got)
	}
}

// --- the property: a number in any shape never survives ---

// numCase is a generated personal number (as its plain digits, X included) and a text that holds it.
type numCase struct {
	kind, digits, text string
}

var (
	fillHan   = []rune("小区东门路灯坏了一个多月物业不管楼道里堆满杂物消防通道被占居民反映多次无人处理请尽快解决谢谢街道社区网格")
	fillPunct = []rune("，。！？、；：“”（）《》,.!?;:()[]~ ")
	fillLatin = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// digits with a CJK character on each side, as a street address holds them
	fillNums = []string{"第3栋", "第12号楼", "住1302室", "共5户", "约200元"}
	// separators a number may be written with
	genSeps = []string{" ", "\u3000", "\u00a0", ".", "-", "－", "–", "—", "_", "/", "·", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202c", "\u2066", "\u2069", "．", "／", "＿"}
	// extra characters slipped between digits without breaking the run
	genInvisible = []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f"}
)

func genDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func genNumber(r *rand.Rand) (kind, digits, prefix string) {
	date := func(century bool) string {
		s := fmt.Sprintf("%04d%02d%02d", 1900+r.IntN(126), 1+r.IntN(12), 1+r.IntN(28))
		if !century {
			s = s[2:]
		}
		return s
	}
	region := func() string { return string(rune('1'+r.IntN(9))) + genDigits(r, 5) }
	switch r.IntN(4) {
	case 0:
		digits = "1" + string(rune('3'+r.IntN(7))) + genDigits(r, 9)
		prefix = []string{"", "", "+86", "86", "0086", "＋８６"}[r.IntN(6)]
		return "phone", digits, prefix
	case 1:
		last := []string{genDigits(r, 1), "X", "x"}[r.IntN(3)]
		return "id18", region() + date(true) + genDigits(r, 3) + last, ""
	case 2:
		return "id15", region() + date(false) + genDigits(r, 3), ""
	}
	return "card", string(rune('3'+r.IntN(7))) + genDigits(r, 15+r.IntN(4)), ""
}

// render writes digits in a random shape: random groups, random separators,
// each digit half- or full-width (now and then circled or bold), invisible characters slipped in.
func render(r *rand.Rand, prefix, digits string) string {
	var b strings.Builder
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteString(genSeps[r.IntN(len(genSeps))])
	}
	group := 1 + r.IntN(6)
	for i, c := range digits {
		if i > 0 && group == 0 {
			for range 1 + r.IntN(3) {
				b.WriteString(genSeps[r.IntN(len(genSeps))])
			}
			group = 1 + r.IntN(6)
		} else if i > 0 && r.IntN(8) == 0 {
			b.WriteString(genInvisible[r.IntN(len(genInvisible))])
		}
		group--
		switch k := r.IntN(10); {
		case c == 'X' || c == 'x':
			b.WriteString([]string{"X", "x", "Ｘ", "ｘ"}[r.IntN(4)])
		case k < 5:
			b.WriteRune(c)
		case k < 8:
			b.WriteRune(c - '0' + '０')
		case k < 9 && c != '0':
			b.WriteRune(c - '1' + '①')
		default:
			b.WriteRune(c - '0' + '𝟎')
		}
	}
	return b.String()
}

func genFill(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		switch k := r.IntN(20); {
		case k < 10:
			b.WriteRune(fillHan[r.IntN(len(fillHan))])
		case k < 14:
			b.WriteRune(fillPunct[r.IntN(len(fillPunct))])
		case k < 19:
			b.WriteRune(fillLatin[r.IntN(len(fillLatin))])
		default:
			b.WriteString(fillNums[r.IntN(len(fillNums))])
		}
	}
	return b.String()
}

func genCase(r *rand.Rand) numCase {
	kind, digits, prefix := genNumber(r)
	before, after := genFill(r, r.IntN(30)), genFill(r, r.IntN(30))
	// the fill holds no digit next to the number: its numbers have a CJK character on each side
	return numCase{kind: kind, digits: digits, text: before + render(r, prefix, digits) + after}
}

// genStrip folds an output as a reader would see through it: NFKC, then no separators.
func genStrip(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r), unicode.IsSpace(r), strings.ContainsRune(".-_/·–—()+", r):
			return -1
		case r == 'x':
			return 'X'
		}
		return r
	}, norm.NFKC.String(s))
}

// survivor returns a run of 7 of the number's characters that the masked text still shows.
func survivor(c numCase, masked string) string {
	flat := genStrip(masked)
	d := strings.ToUpper(c.digits)
	for i := 0; i+7 <= len(d); i++ {
		if strings.Contains(flat, d[i:i+7]) {
			return d[i : i+7]
		}
	}
	return ""
}

func checkCase(t *testing.T, c numCase) {
	t.Helper()
	out := Mask(c.text)
	if s := survivor(c, out); s != "" {
		t.Fatalf("%s %s: %q survives\n in  %q\n out %q", c.kind, c.digits, s, c.text, out)
	}
}

// A seeded sweep of the same property as FuzzMask, run by every go test.
func TestMaskNumbersNeverSurvive(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	for range 20000 {
		checkCase(t, genCase(r))
	}
}

func FuzzMask(f *testing.F) {
	for i := range uint64(8) {
		f.Add(i, i*7919+13)
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		checkCase(t, genCase(rand.New(rand.NewPCG(s1, s2))))
	})
}

// A 200-character concern, as digests and exports mask them row after row.
const (
	benchPlain = "小区东门的路灯坏了一个多月了，晚上出入很不方便，老人和孩子经过时容易摔倒。物业说这是市政的事情，市政又说归物业管，" +
		"互相推诿，至今没有人来修。楼道里还堆满了杂物，消防通道也被电动车占了，居民反映过多次都没有结果。希望街道和社区能出面协调，" +
		"尽快把路灯修好，清理楼道杂物，保障大家的出行安全。谢谢！"
	benchNumbers = "小区东门的路灯坏了一个多月了，晚上出入很不方便，老人和孩子经过时容易摔倒。物业说这是市政的事情，市政又说归物业管，" +
		"互相推诿，至今没有人来修。楼道里还堆满了杂物，消防通道也被电动车占了，居民反映过多次都没有结果。联系电话１３８ ００１３ ８０００，" +
		"身份证110101 19900307 1234，3栋2单元1302室。谢谢！"
)

func BenchmarkMask(b *testing.B) {
	for name, text := range map[string]string{"plain": benchPlain, "numbers": benchNumbers} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Mask(text, "王建国", "李四")
			}
		})
	}
}

// The fast path answers "nothing to mask" only when the full masker agrees, and
// no text makes the masker panic or break UTF-8.
func FuzzFastPath(f *testing.F) {
	for _, s := range []string{benchPlain, benchNumbers, "我叫 张伟", "ｑｑ１２３４５", "w\u200bx abcdefg", "微\ufe0f信 abcdef",
		"1\u20602\u20603\u20604\u20605", "①②③④⑤", "…1…2…3…4…5", "本⼈张伟", "2026-11-27 08:30", "\xff\xfe12345", "Ｍy name is Li Lei"} {
		f.Add(s, "张伟")
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		for _, what := range []hide{hideNumbers, hideNames, hideNumbers | hideNames} {
			got := maskFolded(text, what, []string{name})
			if plain(text, what, []string{name}) && got != text {
				t.Fatalf("fast path passed %q (%b, name %q), the masker makes it %q", text, what, name, got)
			}
			if utf8.ValidString(text) && utf8.ValidString(name) && !utf8.ValidString(got) {
				t.Fatalf("masking %q broke UTF-8: %q", text, got)
			}
		}
	})
}

// After 我是 and 本人, which mostly lead into other words, only a name that
// starts with a common surname is masked; after 联系人 a word like 电话 is no name.
func TestMaskWeakCues(t *testing.T) {
	for in, want := range map[string]string{
		"我是小区居民，东门路灯坏了":    "我是小区居民，东门路灯坏了",
		"本人认为物业不作为":        "本人认为物业不作为",
		"我是阳光社区的":          "我是阳光社区的",
		"本人于今年3月反映过":       "本人于今年3月反映过",
		"联系人电话13800138000": "联系人电话[手机号]",
		"我是王建国，住5号楼":       "我是某某，住5号楼",
		"本人欧阳娜娜":           "本人某某",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
