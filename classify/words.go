package classify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Words cuts runs of Han characters into dictionary words along the most
// probable route, as jieba does (without its HMM for words the dictionary lacks:
// those fall apart into characters, which the character n-grams cover anyway).
// Words give the trained model units that character pairs miss (公积金, 幼儿园,
// 拆迁款) and keep it from reading pairs across word boundaries as evidence.
type Words struct {
	entries map[uint64]dictEntry // hash of a word's or a word beginning's runes
	single  []dictEntry          // the same for one Han character, by rune - hanFirst: read most
	maxLen  int                  // longest word, in runes
	unknown float32              // log probability of a character the dictionary lacks
	digest  string               // of the built-in list, so that a model names the one it was trained with
}

// dictEntry is a word, the beginning of longer words, or both.
type dictEntry struct {
	logp   float32 // log probability; 0 if only a beginning
	word   bool
	prefix bool // longer words begin with it: the route looks further
}

// wordsGz is the built-in dictionary: jieba's (MIT licence) as shipped in
// go-ego/gse, Han words of up to four characters seen at least 5 times. See
// words.NOTICE.
//
//go:embed words.txt.gz
var wordsGz []byte

// BuiltinWords parses the built-in dictionary (about 136,000 words; some 50 ms).
func BuiltinWords() (*Words, error) {
	zr, err := gzip.NewReader(bytes.NewReader(wordsGz))
	if err != nil {
		return nil, fmt.Errorf("built-in dictionary: %w", err)
	}
	d, err := ReadWords(zr)
	if err != nil {
		return nil, fmt.Errorf("built-in dictionary: %w", err)
	}
	sum := sha256.Sum256(wordsGz)
	d.digest = hex.EncodeToString(sum[:6])
	return d, nil
}

// ReadWords reads a dictionary: a "# total N" line giving the corpus size the
// counts come from, then one "word count" per line.
func ReadWords(r io.Reader) (*Words, error) {
	sc := bufio.NewScanner(r)
	d := &Words{entries: make(map[uint64]dictEntry, 1<<18), single: make([]dictEntry, hanLast-hanFirst+1)}
	var total float64
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(text, "# total "); ok {
			n, err := strconv.ParseFloat(rest, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("dictionary line %d: bad total %q", line, rest)
			}
			total = n
			continue
		}
		if strings.HasPrefix(text, "#") {
			continue
		}
		word, count, ok := strings.Cut(text, " ")
		n, err := strconv.ParseFloat(count, 64)
		if !ok || err != nil || n <= 0 || word == "" {
			return nil, fmt.Errorf("dictionary line %d: want \"word count\", got %q", line, text)
		}
		if total == 0 {
			return nil, fmt.Errorf("dictionary line %d: a word before the \"# total N\" line", line)
		}
		h := uint64(wordSeed)
		runes := []rune(word)
		for i, r := range runes {
			if !isHan(r) {
				return nil, fmt.Errorf("dictionary line %d: %q is not all Han characters", line, word)
			}
			h = mix(h, r)
			e := d.entries[h]
			if i == len(runes)-1 {
				e.logp, e.word = float32(math.Log(n/total)), true
			} else {
				e.prefix = true
			}
			d.entries[h] = e
		}
		d.maxLen = max(d.maxLen, len(runes))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	if len(d.entries) == 0 {
		return nil, fmt.Errorf("dictionary: no words")
	}
	d.unknown = float32(math.Log(1 / total))
	for r := rune(hanFirst); r <= hanLast; r++ {
		d.single[r-hanFirst] = d.entries[mix(wordSeed, r)]
	}
	return d, nil
}

const wordSeed = 0x165667b19e3779f9

// The CJK Unified Ideographs block: the characters the dictionary and the model's
// fast path know.
const hanFirst, hanLast = 0x4E00, 0x9FFF

func isHan(r rune) bool { return r >= hanFirst && r <= hanLast }

// wordSpan is where a word lies in a text's runes.
type wordSpan struct{ start, end int }

// spans returns the words of two or more characters in runes, in order.
func (d *Words) spans(runes []rune) []wordSpan {
	var (
		out  []wordSpan
		best []float32
		next []int32
	)
	for a := 0; a < len(runes); {
		if !isHan(runes[a]) {
			a++
			continue
		}
		b := a
		for b < len(runes) && isHan(runes[b]) {
			b++
		}
		best, next = d.route(runes[a:b], best, next)
		for i := 0; i < b-a; {
			j := int(next[i])
			if j-i >= 2 {
				out = append(out, wordSpan{a + i, a + j})
			}
			i = j
		}
		a = b
	}
	return out
}

// route finds, from the end backwards, the most probable way to cut run: next[i]
// is where the word starting at i ends.
func (d *Words) route(run []rune, best []float32, next []int32) ([]float32, []int32) {
	n := len(run)
	if cap(best) < n+1 {
		best, next = make([]float32, n+1), make([]int32, n+1)
	}
	best, next = best[:n+1], next[:n+1]
	best[n] = 0
	for i := n - 1; i >= 0; i-- {
		// run holds Han characters only: the first one is looked up in an array
		e := d.single[run[i]-hanFirst]
		best[i], next[i] = d.unknown+best[i+1], int32(i+1)
		if e.word {
			best[i] = e.logp + best[i+1]
		}
		if !e.prefix {
			continue
		}
		h := mix(wordSeed, run[i])
		for j := i + 1; j < n && j-i < d.maxLen; j++ {
			h = mix(h, run[j])
			e, ok := d.entries[h]
			if !ok {
				break
			}
			if s := e.logp + best[j+1]; e.word && s > best[i] {
				best[i], next[i] = s, int32(j+1)
			}
			if !e.prefix {
				break
			}
		}
	}
	return best, next
}
