package concern

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// What the masker puts in place of what it hides.
const (
	labelMobile   = "[手机号]"
	labelIDCard   = "[身份证号]"
	labelLandline = "[电话]"
	labelCard     = "[卡号]"
	labelNumber   = "[号码]"
	labelEmail    = "[邮箱]"
	labelQQ       = "[QQ号]"
	labelWeChat   = "[微信号]"
	labelName     = "某某"
	labelNameEn   = "[name]"
)

// MaskedText is the concern's text as it may be shown outside the case itself
// (digests, exports, other platforms): personal numbers masked, and people's
// names hidden — the reporter's and resident's as recorded, and a name after
// 我叫, 姓名 and the like.
func (r *Report) MaskedText() string {
	return Mask(r.Text, r.ReporterName, r.ResidentName)
}

// MaskedNote is a staff note of this concern as it may be shown outside the case:
// masked as its text is.
func (r *Report) MaskedNote(note string) string {
	return Mask(note, r.ReporterName, r.ResidentName)
}

// Mask hides personal data in text: numbers (MaskPII) and names (MaskNames), the
// given ones and those after a cue such as 我叫 or 姓名. It is the one masker for
// every output that leaves the case itself.
func Mask(text string, names ...string) string {
	return mask(text, hideNumbers|hideNames, names)
}

// MaskNames replaces the given names, and a name after 我叫, 姓名 and the like, with 某某.
func MaskNames(text string, names ...string) string {
	return mask(text, hideNames, names)
}

// MaskPII replaces phone numbers, ID card numbers, bank card numbers, other long
// numbers, email addresses and QQ and WeChat ids in text, so that it can leave
// the process or be shown in a digest. Dates, times and concern ids stay.
func MaskPII(text string) string {
	return mask(text, hideNumbers, nil)
}

type hide uint8

const (
	hideNumbers hide = 1 << iota // numbers, emails, QQ and WeChat ids
	hideNames
)

func mask(text string, what hide, names []string) string {
	if plain(text, what, names) {
		return text
	}
	return maskFolded(text, what, names)
}

// maskFolded is mask without the fast path.
func maskFolded(text string, what hide, names []string) string {
	f := fold(text)
	spans := make([]span, 0, 4)
	if what&hideNumbers != 0 {
		spans = f.numberSpans(spans)
		spans = f.idSpans(spans)
	}
	if what&hideNames != 0 {
		spans = f.nameSpans(spans, names)
	}
	return f.replace(text, spans)
}

// --- the fast path ---

// plain reports, without folding, that text holds nothing mask would hide: no
// run of 5 digits (any width, separators between), no @, no cue word, none of
// the given names, and nothing that folding could turn into one of these.
// Most concerns are plain, and masking runs on every row of digests and exports.
func plain(text string, what hide, names []string) bool {
	if what&hideNames != 0 {
		for _, n := range names {
			if n = foldName(n); n != "" && (!simpleName(n) || strings.Contains(text, n)) {
				return false
			}
		}
	}
	run := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case '0' <= c && c <= '9':
				if run++; run >= 5 && what&hideNumbers != 0 {
					return false
				}
			case c == '@':
				if what&hideNumbers != 0 {
					return false
				}
			case isSep(rune(c)):
			case 'a' <= c|0x20 && c|0x20 <= 'z':
				run = 0
				if latinCue(text[i:], what) {
					return false
				}
			default:
				run = 0
			}
			i++
			continue
		}
		r, size := decodeRune(text, i)
		switch {
		case 0x4E00 <= r && r <= 0x9FFF: // CJK unified ideographs: NFKC leaves them
			run = 0
			if hanCue(r, text[i+size:], what) {
				return false
			}
		case 0xFF10 <= r && r <= 0xFF19: // full-width digits
			if run++; run >= 5 && what&hideNumbers != 0 {
				return false
			}
		case 0xFF01 <= r && r <= 0xFF5E: // full-width ASCII: as the ASCII it folds to
			switch a := rune(r - 0xFEE0); {
			case a == '@' || 'a' <= a|0x20 && a|0x20 <= 'z':
				return false
			case !isSep(a):
				run = 0
			}
		case 0x3001 <= r && r <= 0x3011, 0x2018 <= r && r <= 0x201D: // CJK punctuation, quotes
			run = 0
		case isSep(r) || r == '…' || r == '‥' || r == '\u3000' || r == '\u00a0':
		case r == utf8.RuneError && size == 1:
			run = 0
		default:
			// anything rarer: plain only if NFKC leaves it and it is no digit, mark or format character
			if norm.NFKC.QuickSpanString(text[i:i+size]) != size || unicode.In(r, unicode.N, unicode.Cf, unicode.Mn, unicode.Me) {
				return false
			}
			run = 0
		}
		i += size
	}
	return true
}

// decodeRune is utf8.DecodeRuneInString(s[i:]), quicker for the three-byte
// characters (Chinese, full-width punctuation) that most of a concern is.
func decodeRune(s string, i int) (rune, int) {
	if c := s[i]; 0xE1 <= c && c <= 0xEF && c != 0xED && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
		return rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s[i:])
}

// latinCue reports whether s starts with a cue of a QQ or WeChat id (qq, q号, vx,
// v信, wx, wechat) or of a name (my name), in any case.
func latinCue(s string, what hide) bool {
	if len(s) < 2 {
		return false
	}
	a, b := s[0]|0x20, s[1]|0x20
	if what&hideNames != 0 && a == 'm' && b == 'y' {
		return true
	}
	if what&hideNumbers == 0 {
		return false
	}
	switch a {
	case 'q':
		return b == 'q' || strings.HasPrefix(s[1:], "号")
	case 'v':
		return b == 'x' || strings.HasPrefix(s[1:], "信")
	case 'w':
		return b == 'x' || b == 'e' && len(s) >= 6 && strings.EqualFold(s[:6], "wechat")
	}
	return false
}

// hanCue reports whether r and what follows it start a cue word.
func hanCue(r rune, rest string, what hide) bool {
	if what&hideNames != 0 {
		switch r {
		case '我':
			return strings.HasPrefix(rest, "叫") || strings.HasPrefix(rest, "是")
		case '本':
			return strings.HasPrefix(rest, "人")
		case '姓':
			return strings.HasPrefix(rest, "名")
		case '联':
			return strings.HasPrefix(rest, "系人")
		case '名':
			return strings.HasPrefix(rest, "字")
		}
	}
	if what&hideNumbers != 0 {
		switch r {
		case '微', '薇':
			return strings.HasPrefix(rest, "信")
		case '扣':
			return strings.HasPrefix(rest, "扣")
		}
	}
	return false
}

// --- folding ---

// folded is text folded for matching: NFKC (full-width and circled digits,
// full-width letters and punctuation, U+3000 become ASCII), other decimal digits
// made ASCII, and format characters and marks (zero-width spaces, bidi marks)
// dropped, so that they neither split a number nor join one. from maps each byte
// of s to the start of the original character it came from, so that the output
// keeps the original text outside what is masked.
type folded struct {
	s    string
	from []int32
}

func fold(text string) folded {
	b := make([]byte, 0, len(text))
	from := make([]int32, 0, len(text))
	var scratch [32]byte
	for i := 0; i < len(text); {
		var r rune
		size := 1
		if c := text[i]; c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = decodeRune(text, i)
		}
		n := len(b)
		switch {
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		// what NFKC does to the common characters of a concern, without asking it
		case 0x4E00 <= r && r <= 0x9FFF, 0x3001 <= r && r <= 0x3011, 0x2018 <= r && r <= 0x201D:
			b = append(b, text[i:i+size]...)
		case 0xFF01 <= r && r <= 0xFF5E:
			b = append(b, byte(r-0xFEE0))
		case r == '\u3000':
			b = append(b, ' ')
		case r == utf8.RuneError && size == 1:
			b = append(b, text[i])
		default:
			// one character at a time: what is matched (digits, letters,
			// separators) is not composed across characters
			for _, r := range string(norm.NFKC.AppendString(scratch[:0], text[i:i+size])) {
				b = foldRune(b, r)
			}
		}
		for range len(b) - n {
			from = append(from, int32(i))
		}
		i += size
	}
	return folded{s: string(b), from: from}
}

// foldRune appends r as it is matched: decimal digits of any script as ASCII,
// format characters and marks left out.
func foldRune(b []byte, r rune) []byte {
	switch {
	case r < utf8.RuneSelf:
		return append(b, byte(r))
	case unicode.IsDigit(r):
		return append(b, byte('0'+digitValue(r)))
	case 0x2776 <= r && r <= 0x2793: // dingbat circled digits ❶..❿ ➀..➉ ➊..➓, which NFKC keeps
		if v := (r - 0x2776) % 10; v == 9 {
			return append(b, '1', '0')
		} else {
			return append(b, byte('1'+v))
		}
	case r == 0x24FF: // ⓿
		return append(b, '0')
	case 0x24F5 <= r && r <= 0x24FE: // ⓵..⓾
		if v := r - 0x24F5; v == 9 {
			return append(b, '1', '0')
		} else {
			return append(b, byte('1'+v))
		}
	case 0x24EB <= r && r <= 0x24F4: // ⓫..⓴
		v := r - 0x24EB + 11
		return append(b, byte('0'+v/10), byte('0'+v%10))
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me):
		return b
	}
	return utf8.AppendRune(b, r)
}

// digitValue is the value of a decimal digit: Unicode encodes each script's ten
// digits in a row, from zero.
func digitValue(r rune) int {
	z := r
	for unicode.IsDigit(z - 1) {
		z--
	}
	return int(r-z) % 10
}

// isSep reports whether r (folded) may stand between the digits of one number:
// spaces, dots, dashes, underscores, slashes, middle dots, brackets.
func isSep(r rune) bool {
	switch r {
	case ' ', '\t', '.', '-', '_', '/', '(', ')',
		'·', '‐', '‑', '‒', '–', '—', '―', '−', '・', '‧', '•', '∙', '⋅', '⸺', '⸻':
		return true
	}
	return false
}

// --- spans ---

// span is a stretch of the folded text to replace by label; of two that start
// together the longer wins, then the one of higher prio.
type span struct {
	lo, hi int
	label  string
	prio   int
}

// replace writes text with the spans (of the folded text) replaced by their labels.
func (f *folded) replace(text string, spans []span) string {
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.lo != b.lo {
			return a.lo - b.lo
		}
		if a.hi != b.hi {
			return b.hi - a.hi
		}
		return b.prio - a.prio
	})
	var out strings.Builder
	out.Grow(len(text))
	last := 0 // in text
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].lo < cur.hi; i++ {
			cur.hi = max(cur.hi, spans[i].hi) // overlapping: one mask over both
		}
		lo := int(f.from[cur.lo])
		_, size := utf8.DecodeRuneInString(text[f.from[cur.hi-1]:])
		hi := int(f.from[cur.hi-1]) + size
		if hi <= last { // two spans in one original character (⑩ folds to 10): one label
			continue
		}
		lo = max(lo, last)
		out.WriteString(text[last:lo])
		out.WriteString(cur.label)
		last = hi
	}
	out.WriteString(text[last:])
	return out.String()
}

// --- numbers ---

// group is a stretch of digits in the folded text, within a run of digits and
// separators; an ID card's closing X counts as a digit.
type group struct{ lo, hi int }

// numberSpans finds every run of digits and separators and masks the numbers in
// it: a run may hold several numbers (two phones, a date and a phone), so it is
// read group by group, each time taking the longest stretch of groups that has a
// known shape; digits left over, 7 or more together, are masked as [号码].
func (f *folded) numberSpans(spans []span) []span {
	s := f.s
	groups := make([]group, 0, 8)
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		groups = groups[:0]
		end := i
		for j := i; j < len(s); {
			r, size := utf8.DecodeRuneInString(s[j:])
			switch {
			case isDigit(s[j]):
				k := j
				for k < len(s) && isDigit(s[k]) {
					k++
				}
				groups = append(groups, group{j, k})
				j, end = k, k
				continue
			case isSep(r):
				j += size
				continue
			}
			break
		}
		groups = f.closingX(groups, end)
		spans = f.runSpans(spans, groups)
		i = groups[len(groups)-1].hi
	}
	return spans
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// closingX adds an X (or x) after a run long enough to end in an ID card number,
// even when a word follows (11010119900307123Xabc): only an ID card's shape takes it.
func (f *folded) closingX(groups []group, end int) []group {
	s, n := f.s, 0
	for _, g := range groups {
		n += g.hi - g.lo
	}
	if n < 14 {
		return groups
	}
	j := end
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isSep(r) || r == '(' || r == ')' {
			break
		}
		j += size
	}
	if j < len(s) && s[j]|0x20 == 'x' {
		groups = append(groups, group{j, j + 1})
	}
	return groups
}

func isWordByte(c byte) bool {
	return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' || c == '_' || c == '-'
}

// maxShape is the most digits a known shape holds (a bank card).
const maxShape = 19

func (f *folded) runSpans(spans []span, groups []group) []span {
	s := f.s
	var buf [maxShape + 1]byte
	left := -1 // first group of the leftover digits before i, or -1
	flush := func(to int) {
		if left < 0 {
			return
		}
		n := 0
		for _, g := range groups[left:to] {
			n += countDigits(s[g.lo:g.hi])
		}
		if last := to - 1; n >= 7 {
			if s[groups[last].lo]|0x20 == 'x' {
				last-- // an X that no ID card took stays
			}
			spans = append(spans, f.numberSpan(groups, left, last, labelNumber))
		}
		left = -1
	}
	for i := 0; i < len(groups); {
		best, bestLabel, keep := -1, "", false
		d := buf[:0]
		for j := i; j < len(groups); j++ {
			g := groups[j]
			if len(d)+g.hi-g.lo > maxShape {
				break
			}
			d = append(d, s[g.lo:g.hi]...)
			if label := numberShape(string(d), groups[i:j+1]); label != "" {
				best, bestLabel, keep = j, label, false
			} else if f.readable(groups, i, j) {
				best, bestLabel, keep = j, "", true
			}
		}
		if best < 0 {
			if left < 0 {
				left = i
			}
			i++
			continue
		}
		flush(i)
		if !keep {
			spans = append(spans, f.numberSpan(groups, i, best, bestLabel))
		}
		i = best + 1
	}
	flush(len(groups))
	return spans
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// numberSpan covers groups i..j, with a + or an opening bracket just before them
// (+86, (021) 8888-6666).
func (f *folded) numberSpan(groups []group, i, j int, label string) span {
	s := f.s
	lo, hi := groups[i].lo, groups[j].hi
	if lo > 0 && (s[lo-1] == '+' || s[lo-1] == '(' && strings.IndexByte(s[lo:hi], ')') >= 0) {
		lo--
	}
	return span{lo: lo, hi: hi, label: label}
}

// numberShape names the kind of personal number d (the digits of groups) is, or "".
func numberShape(d string, groups []group) string {
	switch {
	case isMobile(d):
		return labelMobile
	case isIDCard(d):
		return labelIDCard
	case isLandline(d):
		return labelLandline
	case len(d) >= 16 && d[0] >= '3' && countDigits(d) == len(d):
		// bank cards start with 3 to 9 (UnionPay 62, Visa 4, 9558…), which no
		// date or concern id does. A card is written whole or in fours; any other
		// grouping of so many digits is still masked, without claiming to know
		// what it is
		for k, g := range groups {
			if k < len(groups)-1 && g.hi-g.lo != 4 || g.hi-g.lo > 4 && len(groups) > 1 {
				return labelNumber
			}
		}
		return labelCard
	}
	return ""
}

func isMobile(d string) bool {
	switch {
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	}
	return len(d) == 11 && d[0] == '1' && '3' <= d[1] && d[1] <= '9' && countDigits(d) == 11
}

// isIDCard: a resident ID card number, 18 characters (the last a digit or X) or
// the old 15 digits, with a valid-looking date of birth.
func isIDCard(d string) bool {
	switch len(d) {
	case 18:
		century := d[6:8]
		return d[0] != '0' && countDigits(d[:17]) == 17 && (isDigit(d[17]) || d[17]|0x20 == 'x') &&
			(century == "18" || century == "19" || century == "20") && monthDay(d[10:12], d[12:14])
	case 15:
		return d[0] != '0' && countDigits(d) == 15 && monthDay(d[8:10], d[10:12])
	}
	return false
}

func monthDay(m, d string) bool {
	mm, dd := atoi(m), atoi(d)
	return 1 <= mm && mm <= 12 && 1 <= dd && dd <= 31
}

// atoi reads a short string of ASCII digits; -1 if it is not one.
func atoi(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isLandline: 0, an area code, and a 7 or 8 digit number not starting with 0 or
// 1; or the same after 86 / 0086 without the 0.
func isLandline(d string) bool {
	if countDigits(d) != len(d) {
		return false
	}
	rest := func(d string, area ...int) bool {
		for _, a := range area {
			if n := len(d) - a; (n == 7 || n == 8) && d[a] >= '2' {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(d, "0086"):
		return len(d) > 5 && d[4] != '0' && rest(d[4:], 2, 3)
	case strings.HasPrefix(d, "86"):
		return len(d) > 3 && d[2] != '0' && rest(d[2:], 2, 3)
	case strings.HasPrefix(d, "0"):
		return rest(d, 3, 4)
	}
	return false
}

// readable reports whether groups i..j are something the reader needs and no
// one's number: a date (2026-11-27, 2026.11.27, 2026/11/27), a year range
// (2021-2025), minyi's concern id (20261126-0007), an amount with decimals
// (35000.50), or the hour or minutes of a time (2026-11-27 08:30).
func (f *folded) readable(groups []group, i, j int) bool {
	s := f.s
	digits := func(k int) string { return s[groups[k].lo:groups[k].hi] }
	sep := func(k int) string { return s[groups[k-1].hi:groups[k].lo] }
	switch j - i {
	case 0:
		g := groups[i]
		if g.hi-g.lo > 2 {
			return false
		}
		// 08 before :30, or 30 after 08:
		if j == len(groups)-1 && g.hi+2 < len(s) && s[g.hi] == ':' && isDigit(s[g.hi+1]) && atoi(digits(i)) < 24 {
			return true
		}
		return i == 0 && g.lo >= 2 && s[g.lo-1] == ':' && isDigit(s[g.lo-2]) && atoi(digits(i)) < 60
	case 1:
		a, b, sp := digits(i), digits(j), sep(j)
		switch {
		case len(a) == 8 && sp == "-" && 4 <= len(b) && len(b) <= 6:
			return isDate(a[:4], a[4:6], a[6:8], 2000)
		case len(a) == 4 && len(b) == 4 && (sp == "-" || sp == "–" || sp == "—"):
			y1, y2 := atoi(a), atoi(b)
			return 1900 <= y1 && y1 < y2 && y2 <= 2099
		case sp == "." && len(b) <= 2 && len(a) <= 9 && i == 0 && j == len(groups)-1:
			return true // an amount only when it is all the run holds: 0012.3456.7 is none
		}
	case 2:
		y, m, d := digits(i), digits(i+1), digits(j)
		sp := sep(i + 1)
		return len(y) == 4 && len(m) <= 2 && len(d) <= 2 && sp == sep(j) &&
			(sp == "-" || sp == "." || sp == "/") && isDate(y, m, d, 1900)
	}
	return false
}

func isDate(y, m, d string, from int) bool {
	yy := atoi(y)
	return from <= yy && yy <= 2099 && monthDay(m, d)
}

// --- ids with a cue: QQ, WeChat; emails ---

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	// a QQ number follows its cue directly; the number itself is read as a run
	qqRe = regexp.MustCompile(`(?:(?i:qq)|(?i:q)号|扣扣)(?:号码|号)?[ \t:是为]*`)
	// a WeChat id: a letter, then 5 to 19 letters, digits, - or _
	weChatRe = regexp.MustCompile(`(?:微信|薇信|(?i:v)信|(?i:vx|wx|wechat))(?:号码|号|(?i: ?id))?[ \t:是为]*([A-Za-z][-_A-Za-z0-9]{5,19})`)
)

// idSpans masks emails, and QQ and WeChat ids after their cue.
func (f *folded) idSpans(spans []span) []span {
	s := f.s
	if strings.IndexByte(s, '@') >= 0 {
		for _, m := range emailRe.FindAllStringIndex(s, -1) {
			spans = append(spans, span{lo: m[0], hi: m[1], label: labelEmail, prio: 1})
		}
	}
	lower := strings.IndexAny(s, "qQvVwW") >= 0
	if lower || strings.Contains(s, "扣扣") {
		for _, m := range qqRe.FindAllStringIndex(s, -1) {
			if afterLetter(s, m[0]) || m[1] >= len(s) || !isDigit(s[m[1]]) {
				continue
			}
			end, n := m[1], 0
			for j := m[1]; j < len(s); {
				r, size := utf8.DecodeRuneInString(s[j:])
				if isDigit(s[j]) {
					n++
					end = j + 1
				} else if !isSep(r) {
					break
				}
				j += size
			}
			if 5 <= n && n <= 12 {
				spans = append(spans, span{lo: m[1], hi: end, label: labelQQ, prio: 2})
			}
		}
	}
	if lower || strings.Contains(s, "微信") || strings.Contains(s, "薇信") {
		for _, m := range weChatRe.FindAllStringSubmatchIndex(s, -1) {
			if afterLetter(s, m[0]) || m[3] < len(s) && isWordByte(s[m[3]]) {
				continue
			}
			spans = append(spans, span{lo: m[2], hi: m[3], label: labelWeChat, prio: 2})
		}
	}
	return spans
}

// afterLetter: a Latin cue inside a word (faqq, swx) is no cue.
func afterLetter(s string, i int) bool {
	return i > 0 && s[i] < utf8.RuneSelf && 'a' <= s[i-1]|0x20 && s[i-1]|0x20 <= 'z'
}

// --- names ---

var (
	// a name after a cue: a compound surname and one or two characters, or two or
	// three characters (which may take a following character along: privacy
	// first)
	nameRe = regexp.MustCompile(`(?:我叫|姓名(?:是|为)?|联系人(?:是|为)?|名字(?:叫|是))[ \t:]*` +
		`((?:` + compoundSurnames + `)\p{Han}{1,2}|\p{Han}{2,3})`)
	// after 我是 and 本人, which mostly lead into other words (我是小区居民, 本人认为),
	// only what starts with a common surname is taken for a name
	weakNameRe = regexp.MustCompile(`(?:本人|我是)[ \t:]*((?:` + compoundSurnames + `)\p{Han}{1,2}|[` + commonSurnames + `]\p{Han}{1,2})`)
	nameEnRe   = regexp.MustCompile(`(?i:my[ \t]+name[ \t]+is)[ \t:]+([A-Z][A-Za-z'-]*(?:[ \t]+[A-Z][A-Za-z'-]*){0,2})`)
)

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// foldName is a given name as it is looked for in folded text, or "" when it is
// too short to look for (one character would hide too much).
func foldName(n string) string {
	if !simpleName(n) {
		n = strings.TrimSpace(fold(n).s)
	}
	if utf8.RuneCountInString(n) < 2 {
		return ""
	}
	return n
}

// simpleName: a name of Chinese characters and Latin letters only. Folding leaves
// it, and only folds other characters into what it does not hold (spaces,
// punctuation, digits), so in text the fast path passes, it is found as written.
func simpleName(n string) bool {
	for _, r := range n {
		if !(0x4E00 <= r && r <= 0x9FFF || 'a' <= r|0x20 && r|0x20 <= 'z') {
			return false
		}
	}
	return true
}

var nameCues = []string{"我叫", "本人", "我是", "姓名", "联系人", "名字"}

const (
	compoundSurnames = `欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|轩辕|令狐|端木|南宫|西门|独孤|申屠|` +
		`呼延|澹台|太史|万俟|闻人|钟离|宗政|濮阳|淳于|单于|赫连|拓跋`
	// the most common surnames, less those that mostly start other words (于 高 方 白 万 向 常 金 石 夏…)
	commonSurnames = `王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范廖贾韦付邹孟熊秦邱尹薛闫段雷侯陶黎贺顾郝龚邵钱覃戴莫孔汤`
)

// notAName are words that follow 联系人 and the like without being a name.
var notAName = []string{"电话", "手机", "方式", "号码", "地址", "信息"}

func (f *folded) nameSpans(spans []span, names []string) []span {
	s := f.s
	for _, n := range names {
		if n = foldName(n); n == "" {
			continue
		}
		for at := 0; ; {
			k := strings.Index(s[at:], n)
			if k < 0 {
				break
			}
			spans = append(spans, span{lo: at + k, hi: at + k + len(n), label: labelName})
			at += k + len(n)
		}
	}
	for _, cue := range nameCues {
		if strings.Contains(s, cue) {
			for _, re := range []*regexp.Regexp{nameRe, weakNameRe} {
				for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
					if hasAnyPrefix(s[m[2]:m[3]], notAName) {
						continue
					}
					spans = append(spans, span{lo: m[2], hi: m[3], label: labelName})
				}
			}
			break
		}
	}
	if strings.IndexAny(s, "mM") >= 0 {
		for _, m := range nameEnRe.FindAllStringSubmatchIndex(s, -1) {
			spans = append(spans, span{lo: m[2], hi: m[3], label: labelNameEn})
		}
	}
	return spans
}
