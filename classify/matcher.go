package classify

import (
	"slices"
	"sort"
)

// matcher finds dictionary words in text in one pass (Aho–Corasick over runes).
type matcher struct {
	next []map[rune]int32 // while building; frozen into root and the edges after
	// root holds the root's children by rune (most of a text's runes start no
	// word and come back to the root), edges every other node's, sorted by rune
	root     []int32
	rootHigh map[rune]int32 // runes past root's range
	edgeAt   []int32        // node n's edges are keys/vals[edgeAt[n]:edgeAt[n+1]]
	keys     []rune
	vals     []int32
	fail     []int32
	word     []int32 // the word ending at a node, or -1
	dict     []int32 // the nearest node down the fail chain that ends a word, or -1
	lens     []int   // length in runes of each word
	words    []string
}

type hit struct {
	word       int
	start, end int // rune offsets, end exclusive
}

func newMatcher(words []string) *matcher {
	m := &matcher{words: words}
	m.addNode()
	for i, w := range words {
		n := int32(0)
		r := []rune(w)
		for _, c := range r {
			nx, ok := m.next[n][c]
			if !ok {
				nx = m.addNode()
				m.next[n][c] = nx
			}
			n = nx
		}
		m.word[n] = int32(i)
		m.lens = append(m.lens, len(r))
	}
	// breadth first: a node's fail link is the longest proper suffix that is a prefix
	queue := []int32{}
	for _, child := range m.next[0] {
		queue = append(queue, child)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for c, child := range m.next[n] {
			f := m.fail[n]
			for {
				if nx, ok := m.next[f][c]; ok && nx != child {
					m.fail[child] = nx
					break
				}
				if f == 0 {
					break
				}
				f = m.fail[f]
			}
			fc := m.fail[child]
			if m.word[fc] >= 0 {
				m.dict[child] = fc
			} else {
				m.dict[child] = m.dict[fc]
			}
			queue = append(queue, child)
		}
	}
	m.freeze()
	return m
}

// rootRange is how many runes the root's table covers: the Basic Multilingual
// Plane, which holds every Chinese character and Latin letter minyi's words use.
const rootRange = 0x10000

// freeze turns the building maps into the lookup tables.
func (m *matcher) freeze() {
	m.root = make([]int32, rootRange)
	m.rootHigh = map[rune]int32{}
	for c, n := range m.next[0] {
		if c < rootRange {
			m.root[c] = n
		} else {
			m.rootHigh[c] = n
		}
	}
	m.edgeAt = make([]int32, len(m.next)+1)
	for n, children := range m.next {
		m.edgeAt[n] = int32(len(m.keys))
		if n == 0 {
			continue
		}
		start := len(m.keys)
		for c := range children {
			m.keys = append(m.keys, c)
		}
		ks := m.keys[start:]
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
		for _, c := range ks {
			m.vals = append(m.vals, children[c])
		}
	}
	m.edgeAt[len(m.next)] = int32(len(m.keys))
	m.next = nil
}

// child is node n's child by rune c.
func (m *matcher) child(n int32, c rune) (int32, bool) {
	if n == 0 {
		if c < rootRange {
			v := m.root[c]
			return v, v > 0
		}
		v, ok := m.rootHigh[c]
		return v, ok
	}
	lo, hi := int(m.edgeAt[n]), int(m.edgeAt[n+1])
	if hi-lo <= 8 {
		for i := lo; i < hi; i++ {
			if m.keys[i] == c {
				return m.vals[i], true
			}
		}
		return 0, false
	}
	for lo < hi {
		mid := (lo + hi) / 2
		switch k := m.keys[mid]; {
		case k == c:
			return m.vals[mid], true
		case k < c:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (m *matcher) addNode() int32 {
	m.next = append(m.next, map[rune]int32{})
	m.fail = append(m.fail, 0)
	m.word = append(m.word, -1)
	m.dict = append(m.dict, -1)
	return int32(len(m.next) - 1)
}

// find returns the words in text, leaving out any word that lies inside a longer
// one found there (养老保险 is not also 保险; 村医保 still gives 村医 and 医保).
func (m *matcher) find(text []rune) []hit {
	all := make([]hit, 0, len(text)/4+4)
	n := int32(0)
	for i, c := range text {
		for {
			if nx, ok := m.child(n, c); ok {
				n = nx
				break
			}
			if n == 0 {
				break
			}
			n = m.fail[n]
		}
		for o := n; o > 0; o = m.dict[o] {
			if w := m.word[o]; w >= 0 {
				all = append(all, hit{word: int(w), start: i + 1 - m.lens[w], end: i + 1})
			}
			if m.dict[o] < 0 {
				break
			}
		}
	}
	if len(all) < 2 {
		return all
	}
	slices.SortFunc(all, func(a, b hit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := all[:0]
	maxEnd := -1
	for _, h := range all {
		// sorted by start, longest first: an earlier hit reaching this far contains it
		if h.end <= maxEnd {
			continue
		}
		out = append(out, h)
		maxEnd = h.end
	}
	return out
}
