package concern

import (
	"regexp"
	"strings"
)

// Patterns of personal data, most specific first. Digit guards are checked by hand
// (Go's regexp has no look-around): a match must not sit inside a longer number.
var piiPatterns = []struct {
	re   *regexp.Regexp
	mask string
}{
	{regexp.MustCompile(`[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]`), "[身份证号]"},
	{regexp.MustCompile(`(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}`), "[手机号]"},
	{regexp.MustCompile(`[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}`), "[身份证号]"}, // the old 15-digit form
	{regexp.MustCompile(`\(?0\d{2,3}\)?[-\s]?[2-9]\d{6,7}`), "[电话]"},
	{regexp.MustCompile(`\d{16,19}`), "[卡号]"},
	{regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`), "[邮箱]"},
}

var (
	namePatterns = regexp.MustCompile(`(我叫|本人|我是|姓名[:：]?|联系人[:：]?)\p{Han}{2,3}`)
	nameCues     = []string{"我叫", "本人", "我是", "姓名", "联系人"}
)

// MaskedText is the concern's text as it may be shown outside the case itself
// (digests, exports, other platforms): personal numbers masked, and people's
// names hidden — the reporter's and resident's as recorded, and a name after
// 我叫, 姓名 and the like.
func (r *Report) MaskedText() string {
	return MaskNames(MaskPII(r.Text), r.ReporterName, r.ResidentName)
}

// MaskNames replaces the given names, and a name after 我叫, 姓名 and the like, with 某某.
func MaskNames(text string, names ...string) string {
	for _, n := range names {
		if n = strings.TrimSpace(n); len([]rune(n)) >= 2 {
			text = strings.ReplaceAll(text, n, "某某")
		}
	}
	for _, cue := range nameCues {
		if strings.Contains(text, cue) {
			return namePatterns.ReplaceAllString(text, "${1}某某")
		}
	}
	return text
}

// MaskPII replaces phone numbers, ID card numbers, bank card numbers and email
// addresses in text, so that it can leave the process or be shown in a digest.
func MaskPII(text string) string {
	if !mayHold(text) {
		return text
	}
	for _, p := range piiPatterns {
		locs := p.re.FindAllStringIndex(text, -1)
		if len(locs) == 0 {
			continue
		}
		var b strings.Builder
		last := 0
		for _, l := range locs {
			if isDigitAt(text, l[0]-1) || isDigitAt(text, l[1]) {
				continue // part of a longer number
			}
			b.WriteString(text[last:l[0]])
			b.WriteString(p.mask)
			last = l[1]
		}
		b.WriteString(text[last:])
		text = b.String()
	}
	return text
}

// mayHold reports whether text could hold anything MaskPII masks: every pattern
// needs seven digits in a run (spaces, dashes and brackets aside) or an @. Most
// concerns have neither, and skip the patterns.
func mayHold(text string) bool {
	run := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			if run++; run >= 7 {
				return true
			}
		case c == '-' || c == ' ' || c == '(' || c == ')' || c == '+':
		case c == '@':
			return true
		default:
			run = 0
		}
	}
	return false
}

func isDigitAt(s string, i int) bool {
	return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9'
}

// Mask hides personal data in text: numbers (MaskPII) and names (MaskNames), the
// given ones and those after a cue such as 我叫 or 姓名. It is the one masker for
// every output that leaves the case itself.
func Mask(text string, names ...string) string {
	return MaskNames(MaskPII(text), names...)
}

// MaskedNote is a staff note of this concern as it may be shown outside the case:
// masked as its text is.
func (r *Report) MaskedNote(note string) string {
	return Mask(note, r.ReporterName, r.ResidentName)
}
