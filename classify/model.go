package classify

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Model is a linear classifier trained on a deployment's own labelled concerns: a
// linear SVM (one topic against the rest, squared hinge loss, AdaGrad) over hashed
// character n-grams, TF-IDF weighted. The title (first line) has n-grams of its
// own, since it says most in fewest words. On the evaluation data this beat
// logistic regression over the same features by about a point of macro-F1.
type Model struct {
	Meta ModelMeta
	bias []float32
	idf  []float32
	w    []float32 // w[feature*classes+class]
	tax  *Taxonomy
}

// ModelMeta describes a trained model.
type ModelMeta struct {
	Labels    []string  `json:"labels"`
	Bits      int       `json:"bits"` // 2^Bits hashed features
	MaxN      int       `json:"max_n"`
	Trained   time.Time `json:"trained"`
	Items     int       `json:"items"`
	Epochs    int       `json:"epochs"`
	ModelKind string    `json:"kind"`
}

// TrainOptions tune training; zero values take the defaults.
type TrainOptions struct {
	Bits   int   // hashed feature space is 2^Bits (default 20)
	MaxN   int   // longest character n-gram (default 2)
	Epochs int   // passes over the data (default 20)
	Seed   int64 // shuffling seed (default 1)
	// Rate is AdaGrad's learning rate (default 0.03).
	Rate float64
	// Unbalanced trains without weighting classes inversely to their size.
	Unbalanced bool
	// MinDF drops n-grams found in fewer training items than this (default 2).
	MinDF int
	// Log, when set, is told each epoch's progress.
	Log func(epoch int, loss float64)
}

func (o *TrainOptions) defaults() {
	if o.Bits == 0 {
		o.Bits = 20
	}
	if o.MaxN == 0 {
		o.MaxN = 2
	}
	if o.Epochs == 0 {
		o.Epochs = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Rate == 0 {
		o.Rate = 0.03
	}
	if o.MinDF == 0 {
		o.MinDF = 2
	}
}

// feature is one hashed n-gram with its weight in a document.
type feature struct {
	idx uint32
	val float32
}

// hashes appends the hashed n-grams of text's body (the whole text) and, under
// another seed, of its title (the first line; all of a one-line concern), and
// returns where the title's begin.
func hashes(text string, maxN int, mask uint32, out []uint32) ([]uint32, int) {
	runes := normalizeForModel(text, make([]rune, 0, len(text)))
	title := len(runes)
	for i, r := range runes {
		if r == '\n' {
			title = i
			break
		}
	}
	out = ngrams(runes, maxN, mask, bodySeed, out)
	split := len(out)
	return ngrams(runes[:title], maxN, mask, titleSeed, out), split
}

// Seeds keep the body's and the title's n-grams apart in the hashed space.
const (
	bodySeed  = 0x9e3779b97f4a7c15
	titleSeed = 0xc2b2ae3d27d4eb4f
)

// ngrams appends the hash of every n-gram (1 ≤ n ≤ maxN) of runes not crossing a space.
func ngrams(runes []rune, maxN int, mask uint32, seed uint64, out []uint32) []uint32 {
	for i := range runes {
		h := seed
		for n := 0; n < maxN && i+n < len(runes); n++ {
			r := runes[i+n]
			if r == ' ' || r == '\n' {
				break
			}
			h = mix(h, r)
			out = append(out, fold(h)&mask)
		}
	}
	return out
}

func mix(h uint64, r rune) uint64 {
	h ^= uint64(r)
	h *= 0x100000001b3
	return h ^ h>>29
}

func fold(h uint64) uint32 { return uint32(h ^ h>>32) }

// normalizeForModel folds width and case, turns digits into 0 (numbers and the
// anonymised place codes like A5区 say nothing of the topic) and punctuation into
// spaces, keeping line breaks. Han characters take a fast path: they are most of it.
func normalizeForModel(s string, out []rune) []rune {
	for _, r := range s {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF:
		case r == '\n':
		case r < 0x80:
			switch {
			case r >= 'a' && r <= 'z':
			case r >= 'A' && r <= 'Z':
				r += 'a' - 'A'
			case r >= '0' && r <= '9':
				r = '0'
			default:
				r = ' '
			}
		default:
			if r >= 0xFF01 && r <= 0xFF5E {
				r -= 0xFEE0
			}
			switch {
			case unicode.IsDigit(r):
				r = '0'
			case unicode.IsLetter(r):
				r = unicode.ToLower(r)
			default:
				r = ' '
			}
		}
		out = append(out, r)
	}
	return out
}

// vectorize turns text into sparse TF-IDF features. The body's and the title's
// are L2-normalised apart, so that a title weighs as much in a long message as it
// does alone.
func vectorize(text string, maxN int, mask uint32, idf []float32, buf []uint32) ([]feature, []uint32) {
	buf, split := hashes(text, maxN, mask, buf[:0])
	fs := block(buf[:split], idf, make([]feature, 0, len(buf)))
	fs = block(buf[split:], idf, fs)
	return fs, buf
}

// block appends the TF-IDF features of one block of hashes, normalised to 1/√2.
func block(hs []uint32, idf []float32, fs []feature) []feature {
	slices.Sort(hs)
	start := len(fs)
	var norm float64
	for i := 0; i < len(hs); {
		j := i
		for j < len(hs) && hs[j] == hs[i] {
			j++
		}
		v := 1 + math.Log(float64(j-i)) // sublinear term frequency
		if idf != nil {
			v *= float64(idf[hs[i]])
		}
		fs = append(fs, feature{idx: hs[i], val: float32(v)})
		norm += v * v
		i = j
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(2*norm))
		for i := start; i < len(fs); i++ {
			fs[i].val *= inv
		}
	}
	return fs
}

// Train fits a model to labelled items. Labels must be topics of tax.
func Train(items []Item, tax *Taxonomy, opt TrainOptions) (*Model, error) {
	opt.defaults()
	if len(items) == 0 {
		return nil, errors.New("train: no items")
	}
	if opt.Bits < 10 || opt.Bits > 24 {
		return nil, fmt.Errorf("train: bits %d is not 10..24", opt.Bits)
	}
	labels := labelsOf(items)
	for _, l := range labels {
		if _, ok := tax.Topic(l); !ok {
			return nil, fmt.Errorf("train: label %q is not a topic of the taxonomy", l)
		}
	}
	class := map[string]int{}
	for i, l := range labels {
		class[l] = i
	}
	nb := 1 << opt.Bits
	mask := uint32(nb - 1)
	L := len(labels)

	// document frequencies, then idf
	df := make([]float32, nb)
	var buf []uint32
	for _, it := range items {
		buf, _ = hashes(it.Text, opt.MaxN, mask, buf[:0])
		slices.Sort(buf)
		for i := 0; i < len(buf); i++ {
			if i == 0 || buf[i] != buf[i-1] {
				df[buf[i]]++
			}
		}
	}
	idf := make([]float32, nb)
	n := float64(len(items))
	for i, d := range df {
		if d >= float32(opt.MinDF) {
			idf[i] = float32(math.Log((1+n)/(1+float64(d))) + 1)
		}
	}
	docs := make([][]feature, len(items))
	ys := make([]int, len(items))
	for i, it := range items {
		docs[i], buf = vectorize(it.Text, opt.MaxN, mask, idf, buf)
		ys[i] = class[it.Label]
	}
	// classes weighted inversely to their size, for macro-F1
	count := make([]float64, L)
	for _, y := range ys {
		count[y]++
	}
	cw := make([]float64, L)
	for c := range cw {
		cw[c] = 1
		if !opt.Unbalanced {
			cw[c] = n / (float64(L) * count[c])
		}
	}

	m := &Model{
		Meta: ModelMeta{Labels: labels, Bits: opt.Bits, MaxN: opt.MaxN, Trained: time.Now().UTC(),
			Items: len(items), Epochs: opt.Epochs, ModelKind: "svm-char-ngram-tfidf"},
		bias: make([]float32, L), idf: idf, w: make([]float32, nb*L), tax: tax,
	}
	// AdaGrad: each weight's step shrinks with the gradients it has seen
	gw := make([]float32, nb*L)
	gb := make([]float64, L)
	lr := float32(opt.Rate)
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewSource(opt.Seed))
	p := make([]float64, L)
	for epoch := 1; epoch <= opt.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		for _, d := range order {
			y := ys[d]
			m.scores(docs[d], p)
			for c := 0; c < L; c++ {
				t := -1.0 // this topic against the rest
				if c == y {
					t = 1
				}
				margin := 1 - t*p[c]
				if margin <= 0 {
					continue
				}
				loss += margin * margin * cw[y]
				g := -2 * t * margin
				g *= cw[y]
				gb[c] += g * g
				m.bias[c] -= lr * float32(g/math.Sqrt(gb[c]+1e-8))
				for _, f := range docs[d] {
					k := int(f.idx)*L + c
					gf := float32(g) * f.val
					gw[k] += gf * gf
					m.w[k] -= lr * gf / float32(math.Sqrt(float64(gw[k])+1e-8))
				}
			}
		}
		if opt.Log != nil {
			opt.Log(epoch, loss/n)
		}
	}
	return m, nil
}

// scores fills p with the raw class scores of a document.
func (m *Model) scores(fs []feature, p []float64) {
	L := len(m.bias)
	for c := 0; c < L; c++ {
		p[c] = float64(m.bias[c])
	}
	for _, f := range fs {
		row := m.w[int(f.idx)*L : int(f.idx)*L+L]
		for c, w := range row {
			p[c] += float64(w * f.val)
		}
	}
}

// Name is "model".
func (m *Model) Name() string { return "model" }

// Classify tags text with the model's best-scoring topic. Confidence is the margin
// over the runner-up, halved and capped at 1: 1 when the model is as sure as it was
// trained to be, near 0 when two topics tie.
func (m *Model) Classify(_ context.Context, text string) (Result, error) {
	fs, _ := vectorize(text, m.Meta.MaxN, uint32(1<<m.Meta.Bits-1), m.idf, nil)
	p := make([]float64, len(m.bias))
	m.scores(fs, p)
	ranking := make([]Scored, len(p))
	for c := range p {
		ranking[c] = Scored{Topic: m.Meta.Labels[c], Score: p[c]}
	}
	sort.SliceStable(ranking, func(a, b int) bool { return ranking[a].Score > ranking[b].Score })
	conf := min(max((ranking[0].Score-ranking[1].Score)/2, 0), 1)
	best := ranking[0].Topic
	return Result{
		Topic: best, Sector: m.tax.SectorOf(best, ""),
		Confidence: math.Round(conf*100) / 100, Classifier: m.Name(),
		Reason:  "模型判断（把握" + strconv.FormatFloat(conf, 'f', 2, 64) + "），依据：" + m.evidence(fs, text, best),
		Ranking: ranking,
	}, nil
}

// evidence names the few n-grams of text that pushed most towards topic: it picks
// the body features with the largest contributions, then finds which n-grams of
// the text hash to them.
func (m *Model) evidence(fs []feature, text, topic string) string {
	c := slices.Index(m.Meta.Labels, topic)
	L := len(m.Meta.Labels)
	type ev struct {
		idx uint32
		v   float32
	}
	var top []ev // the four largest contributions, largest first
	for i, f := range fs {
		if i > 0 && f.idx <= fs[i-1].idx {
			break // the body block ends where the indices stop rising
		}
		v := m.w[int(f.idx)*L+c] * f.val
		if v <= 0 || (len(top) == 4 && v <= top[3].v) {
			continue
		}
		top = append(top, ev{f.idx, v})
		sort.Slice(top, func(a, b int) bool { return top[a].v > top[b].v })
		top = top[:min(len(top), 4)]
	}
	if len(top) == 0 {
		return "全文"
	}
	names := make([]string, len(top))
	mask := uint32(1<<m.Meta.Bits - 1)
	runes := normalizeForModel(text, nil)
	for i := range runes {
		h := uint64(bodySeed)
		for n := 1; n <= m.Meta.MaxN && i+n <= len(runes); n++ {
			r := runes[i+n-1]
			if r == ' ' || r == '\n' {
				break
			}
			h = mix(h, r)
			idx := fold(h) & mask
			for k, e := range top {
				if e.idx == idx && names[k] == "" {
					names[k] = "“" + string(runes[i:i+n]) + "”"
				}
			}
		}
	}
	var parts []string
	for _, n := range names {
		if n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "、")
}

const modelMagic = "MINYIMDL"

// Save writes the model to w (gzip-compressed).
func (m *Model) Save(w io.Writer) error {
	if _, err := io.WriteString(w, modelMagic); err != nil {
		return err
	}
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	meta, err := json.Marshal(m.Meta)
	if err != nil {
		return err
	}
	for _, v := range []any{uint32(1), uint32(len(meta)), meta, m.bias, m.idf, m.w} {
		if err := binary.Write(bw, binary.LittleEndian, v); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// SaveFile writes the model to path.
func (m *Model) SaveFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.Save(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadModel reads a model written by Save; its labels must be topics of tax.
func LoadModel(r io.Reader, tax *Taxonomy) (*Model, error) {
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("not a minyi model file")
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	br := bufio.NewReader(zr)
	var version, metaLen uint32
	if err := binary.Read(br, binary.LittleEndian, &version); err != nil || version != 1 {
		return nil, fmt.Errorf("model: unsupported version %d", version)
	}
	if err := binary.Read(br, binary.LittleEndian, &metaLen); err != nil || metaLen > 1<<20 {
		return nil, errors.New("model: bad header")
	}
	meta := make([]byte, metaLen)
	if _, err := io.ReadFull(br, meta); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model{tax: tax}
	if err := json.Unmarshal(meta, &m.Meta); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if m.Meta.Bits < 10 || m.Meta.Bits > 24 || len(m.Meta.Labels) < 2 || m.Meta.MaxN < 1 || m.Meta.MaxN > 8 {
		return nil, errors.New("model: bad header values")
	}
	for _, l := range m.Meta.Labels {
		if _, ok := tax.Topic(l); !ok {
			return nil, fmt.Errorf("model: label %q is not a topic of the taxonomy", l)
		}
	}
	nb, L := 1<<m.Meta.Bits, len(m.Meta.Labels)
	m.bias, m.idf, m.w = make([]float32, L), make([]float32, nb), make([]float32, nb*L)
	for _, v := range []any{m.bias, m.idf, m.w} {
		if err := binary.Read(br, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("model: truncated: %w", err)
		}
	}
	return m, nil
}

// LoadModelFile reads a model from path.
func LoadModelFile(path string, tax *Taxonomy) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := LoadModel(f, tax)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
