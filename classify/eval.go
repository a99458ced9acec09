package classify

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Item is one labelled message: {"id","text","label"} a line in a .jsonl file.
type Item struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Label string `json:"label"`
	// Source names the file the item came from.
	Source string `json:"-"`
}

// ReadItems reads labelled messages from JSON lines.
func ReadItems(r io.Reader) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it Item
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if it.Text == "" || it.Label == "" {
			return nil, fmt.Errorf("line %d: needs text and label", n)
		}
		items = append(items, it)
	}
	return items, sc.Err()
}

// ScreenItem is one line of a screening set: is the text an emergency, and of
// which hazard. An ordinary report may carry a hazard too: the danger it speaks of
// without being one (a past fire, a gas bill), so that false alarms can be told by kind.
type ScreenItem struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Urgent bool   `json:"urgent"`
	Hazard string `json:"hazard"`
	Lang   string `json:"lang"`
}

// ReadScreenItems reads a screening set from JSON lines, refusing a line without
// text or with a hazard the screening does not know; a missing id or language is
// filled in.
func ReadScreenItems(r io.Reader) ([]ScreenItem, error) {
	var items []ScreenItem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it ScreenItem
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if it.Hazard != "" && !slices.Contains(Hazards, Hazard(it.Hazard)) {
			return nil, fmt.Errorf("line %d: hazard %q is not one of the screening's", n, it.Hazard)
		}
		if strings.TrimSpace(it.Text) == "" {
			return nil, fmt.Errorf("line %d: no text", n)
		}
		it.ID = cmp.Or(it.ID, fmt.Sprintf("line %d", n))
		it.Lang = cmp.Or(it.Lang, "?")
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errors.New("no items")
	}
	return items, nil
}

// ReadItemFiles reads and joins several .jsonl files.
func ReadItemFiles(paths ...string) ([]Item, error) {
	var all []Item
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		items, err := ReadItems(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for i := range items {
			items[i].Source = p
		}
		all = append(all, items...)
	}
	return all, nil
}

// LabelScore is one label's precision, recall and F1.
type LabelScore struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Report is the outcome of an evaluation.
type Report struct {
	Classifier string       `json:"classifier"`
	N          int          `json:"n"`
	Accuracy   float64      `json:"accuracy"`
	MacroF1    float64      `json:"macro_f1"`
	PerLabel   []LabelScore `json:"per_label"`
	Labels     []string     `json:"labels"`
	// Confusion[i][j] counts items labelled Labels[i] and predicted Labels[j].
	Confusion [][]int `json:"confusion"`
	// Outside counts items whose unrestricted answer was not among the labels.
	Outside     int     `json:"outside"`
	OutsideRate float64 `json:"outside_rate"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	ItemsPerSec float64 `json:"items_per_second"`
}

// Evaluate runs c over items. Predictions are restricted to the labels present in
// the items (closed set): the best-ranked allowed topic counts. How often the
// unrestricted answer fell outside those labels is reported too.
func Evaluate(ctx context.Context, c Classifier, items []Item) Report {
	labels := labelsOf(items)
	allowed := map[string]bool{}
	for _, l := range labels {
		allowed[l] = true
	}
	preds := make([]string, len(items))
	var outside, errs int
	start := time.Now()
	for i, it := range items {
		res, err := c.Classify(ctx, it.Text)
		if err != nil {
			errs++
			continue
		}
		if !allowed[res.Topic] {
			outside++
		}
		preds[i] = restrict(res, allowed)
	}
	secs := time.Since(start).Seconds()
	rep := Score(items, preds)
	rep.Outside, rep.Errors, rep.Seconds = outside, errs, secs
	if len(items) > 0 {
		rep.OutsideRate = float64(outside) / float64(len(items))
	}
	if secs > 0 {
		rep.ItemsPerSec = float64(len(items)) / secs
	}
	return rep
}

func restrict(res Result, allowed map[string]bool) string {
	if allowed[res.Topic] {
		return res.Topic
	}
	for _, s := range res.Ranking {
		if allowed[s.Topic] {
			return s.Topic
		}
	}
	return res.Topic
}

func labelsOf(items []Item) []string {
	seen := map[string]bool{}
	var labels []string
	for _, it := range items {
		if !seen[it.Label] {
			seen[it.Label] = true
			labels = append(labels, it.Label)
		}
	}
	sort.Strings(labels)
	return labels
}

// Score compares predictions with the items' labels.
func Score(items []Item, preds []string) Report {
	labels := labelsOf(items)
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	conf := make([][]int, len(labels))
	for i := range conf {
		conf[i] = make([]int, len(labels))
	}
	correct := 0
	for i, it := range items {
		if preds[i] == it.Label {
			correct++
		}
		if j, ok := idx[preds[i]]; ok {
			conf[idx[it.Label]][j]++
		}
	}
	rep := Report{N: len(items), Labels: labels, Confusion: conf}
	if len(items) > 0 {
		rep.Accuracy = float64(correct) / float64(len(items))
	}
	for i, l := range labels {
		var tp, predicted, actual int
		tp = conf[i][i]
		for j := range labels {
			predicted += conf[j][i]
			actual += conf[i][j]
		}
		support := 0
		for _, it := range items {
			if it.Label == l {
				support++
			}
		}
		s := LabelScore{Label: l, Support: support}
		if predicted > 0 {
			s.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			s.Recall = float64(tp) / float64(support)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		rep.PerLabel = append(rep.PerLabel, s)
		rep.MacroF1 += s.F1
	}
	if len(labels) > 0 {
		rep.MacroF1 /= float64(len(labels))
	}
	return rep
}

// Print writes the report for people to read.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "classifier %s on %d items\n", r.Classifier, r.N)
	fmt.Fprintf(w, "accuracy  %.4f\nmacro-F1  %.4f\n", r.Accuracy, r.MacroF1)
	fmt.Fprintf(w, "outside the labels (unrestricted answer) %d (%.2f%%); errors %d\n", r.Outside, 100*r.OutsideRate, r.Errors)
	fmt.Fprintf(w, "speed     %.0f items/s (%.2f s)\n\n", r.ItemsPerSec, r.Seconds)
	fmt.Fprintf(w, "%-10s %9s %9s %9s %8s\n", "label", "precision", "recall", "F1", "support")
	for _, s := range r.PerLabel {
		fmt.Fprintf(w, "%-10s %9.4f %9.4f %9.4f %8d\n", pad(s.Label, 10), s.Precision, s.Recall, s.F1, s.Support)
	}
	fmt.Fprintf(w, "\nconfusion (rows: label, columns: prediction)\n%-10s", "")
	for i := range r.Labels {
		fmt.Fprintf(w, " %6s", fmt.Sprintf("[%d]", i))
	}
	fmt.Fprintln(w)
	for i, l := range r.Labels {
		fmt.Fprintf(w, "%-10s", pad(fmt.Sprintf("[%d]%s", i, l), 10))
		for j := range r.Labels {
			fmt.Fprintf(w, " %6d", r.Confusion[i][j])
		}
		fmt.Fprintln(w)
	}
}

// pad widens a string with spaces, counting a Chinese character as two columns.
func pad(s string, width int) string {
	w := 0
	for _, r := range s {
		if r > 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}

// round4 keeps figures readable in JSON.
func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// CrossValidate splits items into k folds, trains on all but one and predicts that
// one, k times, and returns each item's held-out prediction, restricted to the
// labels present. Items with the same first line (a message's title and the
// message itself) share a fold, so none is tested on what it was trained on.
func CrossValidate(ctx context.Context, items []Item, k int, seed int64, train func([]Item) (Classifier, error)) ([]string, error) {
	if k < 2 {
		return nil, fmt.Errorf("cross-validation needs 2 folds or more, not %d", k)
	}
	fold := make([]int, len(items))
	groups := map[string]int{}
	var keys []string
	for i, it := range items {
		key := strings.TrimSpace(normalize(strings.SplitN(it.Text, "\n", 2)[0]))
		if _, ok := groups[key]; !ok {
			groups[key] = len(keys)
			keys = append(keys, key)
		}
		fold[i] = groups[key]
	}
	perm := rand.New(rand.NewSource(seed)).Perm(len(keys))
	for i := range fold {
		fold[i] = perm[fold[i]] % k
	}
	allowed := map[string]bool{}
	for _, l := range labelsOf(items) {
		allowed[l] = true
	}
	preds := make([]string, len(items))
	for f := 0; f < k; f++ {
		var trainSet []Item
		for i, it := range items {
			if fold[i] != f {
				trainSet = append(trainSet, it)
			}
		}
		c, err := train(trainSet)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		for i, it := range items {
			if fold[i] != f {
				continue
			}
			res, err := c.Classify(ctx, it.Text)
			if err != nil {
				return nil, fmt.Errorf("fold %d: %w", f+1, err)
			}
			preds[i] = restrict(res, allowed)
		}
	}
	return preds, nil
}
