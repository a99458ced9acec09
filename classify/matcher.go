package classify

import "sort"

// matcher finds dictionary words in text in one pass (Aho–Corasick over runes).
type matcher struct {
	next  []map[rune]int32
	fail  []int32
	word  []int32 // the word ending at a node, or -1
	dict  []int32 // the nearest node down the fail chain that ends a word, or -1
	lens  []int   // length in runes of each word
	words []string
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
	return m
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
	var all []hit
	n := int32(0)
	for i, c := range text {
		for {
			if nx, ok := m.next[n][c]; ok {
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
	sort.Slice(all, func(a, b int) bool {
		if all[a].start != all[b].start {
			return all[a].start < all[b].start
		}
		return all[a].end > all[b].end
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
