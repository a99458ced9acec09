package classify

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	items := []Item{{Label: "a"}, {Label: "a"}, {Label: "a"}, {Label: "b"}, {Label: "b"}, {Label: "c"}}
	preds := []string{"a", "a", "b", "b", "a", "x"}
	r := Score(items, preds)
	// a: P 2/3 R 2/3; b: P 1/2 R 1/2; c: nothing predicted, R 0
	if r.N != 6 || math.Abs(r.Accuracy-0.5) > 1e-9 {
		t.Fatalf("accuracy %v", r.Accuracy)
	}
	want := (2.0/3 + 0.5 + 0) / 3
	if math.Abs(r.MacroF1-want) > 1e-9 {
		t.Fatalf("macro-F1 %v, want %v", r.MacroF1, want)
	}
	if r.Confusion[0][1] != 1 || r.Confusion[1][0] != 1 || r.Confusion[2][0]+r.Confusion[2][1]+r.Confusion[2][2] != 0 {
		t.Fatalf("confusion %v", r.Confusion)
	}
}

// fixed answers a topic and a ranking.
type fixed struct{ r Result }

func (f fixed) Name() string                                     { return "fixed" }
func (f fixed) Classify(context.Context, string) (Result, error) { return f.r, nil }

func TestEvaluateRestrictsToTheLabelsPresent(t *testing.T) {
	c := fixed{Result{Topic: "政法", Ranking: []Scored{{"政法", 3}, {"城乡建设", 2}}}}
	items := []Item{{Text: "x", Label: "城乡建设"}, {Text: "y", Label: "环境保护"}}
	r := Evaluate(context.Background(), c, items)
	if r.Outside != 2 || r.OutsideRate != 1 || r.Accuracy != 0.5 {
		t.Fatalf("outside %d, accuracy %v", r.Outside, r.Accuracy)
	}
	var b strings.Builder
	r.Print(&b)
	for _, want := range []string{"accuracy  0.5000", "outside the labels (unrestricted answer) 2", "confusion"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// spy remembers what it was trained on.
type spy struct{ trained map[string]bool }

func (s spy) Name() string { return "spy" }
func (s spy) Classify(_ context.Context, text string) (Result, error) {
	if s.trained[strings.SplitN(text, "\n", 2)[0]] {
		return Result{}, context.Canceled
	}
	return Result{Topic: "a"}, nil
}

func TestCrossValidateKeepsTitleTwinsInOneFold(t *testing.T) {
	var items []Item
	for i := range 40 {
		title := strings.Repeat("题", 1+i%7) + string(rune('A'+i))
		items = append(items, Item{Text: title, Label: "a"}, Item{Text: title + "\n正文正文", Label: "a"})
	}
	preds, err := CrossValidate(context.Background(), items, 5, 3, func(train []Item) (Classifier, error) {
		s := spy{trained: map[string]bool{}}
		for _, it := range train {
			// the held-out item's twin must not be among the training items
			s.trained[strings.SplitN(it.Text, "\n", 2)[0]] = true
		}
		return s, nil
	})
	if err != nil {
		t.Fatalf("an item was tested against a model trained on its twin: %v", err)
	}
	for i, p := range preds {
		if p != "a" {
			t.Fatalf("item %d has no prediction", i)
		}
	}
}
