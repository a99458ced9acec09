package concern

import (
	"strings"
	"unicode"
)

// CleanText drops control characters (NUL, ESC, BEL…) from text that comes in
// from any channel, keeping newlines and tabs; a lone CR becomes a newline.
// Invalid UTF-8 becomes U+FFFD.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// VisibleLen counts the characters of s that show: not spaces, control or
// format characters (zero-width spaces, bidi marks) nor combining marks alone.
// The length rules count these, so that a text of invisible characters is too short.
func VisibleLen(s string) int {
	n := 0
	for _, r := range s {
		if visible(r) {
			n++
		}
	}
	return n
}

func visible(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsControl(r) &&
		!unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Zs, unicode.Zl, unicode.Zp) &&
		r != '\uFFFD'
}
