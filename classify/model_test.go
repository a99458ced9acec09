package classify

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func TestModelTrainsSavesAndLoads(t *testing.T) {
	tax, _ := DefaultTaxonomy()
	items := fixture(t)
	var epochs []float64
	m, err := Train(items, tax, TrainOptions{Bits: 16, Epochs: 10, Runs: 1, Log: func(_, _ int, loss float64) { epochs = append(epochs, loss) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(epochs) != 10 || epochs[9] >= epochs[0] {
		t.Fatalf("training loss did not fall: %v", epochs)
	}
	ctx := context.Background()
	right := 0
	for _, it := range items {
		if res, _ := m.Classify(ctx, it.Text); res.Topic == it.Label {
			right++
		}
	}
	if right != len(items) {
		t.Fatalf("the model fits %d of its %d training items", right, len(items))
	}
	res, _ := m.Classify(ctx, "楼下的路灯坏了好几天，晚上很黑")
	if res.Classifier != "model" || res.Sector != tax.SectorOf(res.Topic, "") || res.Confidence < 0 || res.Confidence > 1 ||
		!strings.Contains(res.Reason, "依据") || len(res.Ranking) != len(m.Meta.Labels) {
		t.Fatalf("result: %+v", res)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(bytes.NewReader(buf.Bytes()), tax)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		a, _ := m.Classify(ctx, it.Text)
		b, _ := loaded.Classify(ctx, it.Text)
		if a.Topic != b.Topic || a.Confidence != b.Confidence || a.Reason != b.Reason {
			t.Fatalf("loaded model differs on %q: %+v vs %+v", it.Text, a, b)
		}
	}
	// damaged or foreign files are refused, not half-read
	raw := buf.Bytes()
	for name, data := range map[string][]byte{
		"empty":     nil,
		"not ours":  []byte("GIF89a........"),
		"truncated": raw[:len(raw)/2],
	} {
		if _, err := LoadModel(bytes.NewReader(data), tax); err == nil {
			t.Errorf("%s model file accepted", name)
		}
	}
	other, _ := ParseTaxonomy([]byte("sectors: [甲]\ntopics:\n  - {name: 别的, sector: 甲, subtopics: [x]}\n"), "other.yaml")
	if _, err := LoadModel(bytes.NewReader(raw), other); err == nil || !strings.Contains(err.Error(), "not a topic") {
		t.Errorf("a model for another taxonomy was accepted: %v", err)
	}
}

// A model reads dictionary words unless told not to; each kind loads as it was
// trained, and averaging runs changes the weights but not what a clear case gets.
func TestModelWordsAndRuns(t *testing.T) {
	tax, _ := DefaultTaxonomy()
	items := fixture(t)
	ctx := context.Background()
	text := "开发商到现在还不给我们办房产证"
	var models []*Model
	for _, opt := range []TrainOptions{{Bits: 16, Epochs: 5}, {Bits: 16, Epochs: 5, NoWords: true}, {Bits: 16, Epochs: 5, Runs: 1}} {
		m, err := Train(items, tax, opt)
		if err != nil {
			t.Fatal(err)
		}
		if (m.Meta.Words == "") != opt.NoWords || (m.words == nil) != opt.NoWords {
			t.Fatalf("%+v: meta says words=%v", opt, m.Meta.Words)
		}
		want := opt.Runs
		if want == 0 {
			want = 3
		}
		if m.Meta.Runs != want {
			t.Fatalf("%+v: meta says %d runs", opt, m.Meta.Runs)
		}
		models = append(models, m)
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadModel(&buf, tax)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := m.Classify(ctx, text)
		b, _ := loaded.Classify(ctx, text)
		if !opt.NoWords {
			// a model names the word list it was trained with; another one is refused
			var other bytes.Buffer
			m.Meta.Words = "0123456789ab"
			if err := m.Save(&other); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadModel(&other, tax); err == nil || !strings.Contains(err.Error(), "train it again") {
				t.Errorf("a model of another word list: %v", err)
			}
		}
		if a.Topic != "城乡建设" || a.Reason != b.Reason {
			t.Fatalf("%+v: %+v, loaded %+v", opt, a, b)
		}
		for _, it := range items {
			res, _ := m.Classify(ctx, it.Text)
			_, evidence, _ := strings.Cut(res.Reason, "依据：")
			if names := strings.Split(evidence, "、"); len(names) != len(slices.Compact(slices.Sorted(slices.Values(names)))) {
				t.Fatalf("%+v: reason names something twice: %q", opt, res.Reason)
			}
		}
		// the reason can name a whole word (n-grams are at most two characters)
		// only when the model reads words
		if (strings.Contains(a.Reason, "“开发商”") || strings.Contains(a.Reason, "“房产证”")) == opt.NoWords {
			t.Errorf("%+v: reason %q", opt, a.Reason)
		}
	}
	if slices.Equal(models[0].w, models[2].w) {
		t.Error("three runs averaged gave the weights of one")
	}
}

func TestTrainRefusesLabelsOutsideTheTaxonomy(t *testing.T) {
	tax, _ := DefaultTaxonomy()
	_, err := Train([]Item{{Text: "x", Label: "城乡建设"}, {Text: "y", Label: "火星"}}, tax, TrainOptions{})
	if err == nil || !strings.Contains(err.Error(), "火星") {
		t.Fatalf("error %v", err)
	}
	if _, err := Train(fixture(t), tax, TrainOptions{Runs: -1}); err == nil || !strings.Contains(err.Error(), "runs -1 is not 1..20") {
		t.Fatalf("runs -1: %v", err)
	}
}
