package digest

import "github.com/minyi-project/minyi/minhash"

// member is what grouping needs to know of a concern.
type member struct {
	sig       minhash.Signature
	community string
	topic     string
}

// minSimilar is the estimated similarity above which two concerns are near-duplicates.
const minSimilar = 0.5

// group finds groups of near-duplicate concerns that share a community or a topic.
// Candidates come from shared LSH bands, and each is checked against at most a few
// earlier members of its bucket, so the work grows with the number of concerns,
// not its square.
func group(ms []member) [][]int {
	out, _ := groupCounting(ms)
	return out
}

// groupCounting is group, also saying how many pairs it compared: at most
// perBucket for each concern and band, so linear in the number of concerns.
func groupCounting(ms []member) ([][]int, int) {
	parent := make([]int, len(ms))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	bands := make([][]uint64, len(ms))
	compared := 0
	for i, m := range ms {
		bands[i] = m.sig.Bands()
	}
	for b := 0; b < minhash.Bins/2; b++ {
		buckets := map[uint64][]int{}
		for i, m := range ms {
			key := bands[i][b]
			bucket := buckets[key]
			for _, j := range bucket {
				compared++
				if ms[j].sig.Similarity(m.sig) >= minSimilar && (ms[j].community == m.community && m.community != "" || ms[j].topic == m.topic && m.topic != "") {
					if ri, rj := find(i), find(j); ri != rj {
						parent[ri] = rj
					}
					break
				}
			}
			if len(bucket) < perBucket {
				buckets[key] = append(bucket, i)
			}
		}
	}
	byRoot := map[int][]int{}
	for i := range ms {
		r := find(i)
		byRoot[r] = append(byRoot[r], i)
	}
	var out [][]int
	for _, g := range byRoot {
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	return out, compared
}

// perBucket is how many concerns a band bucket keeps to compare newcomers with.
const perBucket = 4
