package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/config"
)

// classifiers are the ones the configuration asks for, and the chain over them.
type classifiers struct {
	tax     *classify.Taxonomy
	lexicon *classify.Lexicon
	screen  *classify.Screener
	model   *classify.Model
	llm     *classify.LLM
	chain   *classify.Chain
}

// loadClassifiers builds the taxonomy, the lexicon and, when configured, the model
// and the LLM client, refusing at start-up what is wrong with any of them.
func loadClassifiers(cfg *config.Config, log *slog.Logger) (*classifiers, error) {
	c := &classifiers{}
	var err error
	if c.tax, err = loadTaxonomy(cfg); err != nil {
		return nil, err
	}
	fallback := cfg.ClassifyFallback
	if _, ok := c.tax.Topic(fallback); !ok {
		return nil, fmt.Errorf("MINYI_CLASSIFY_FALLBACK: %q is not a topic of the taxonomy", fallback)
	}
	if c.lexicon, err = classify.NewLexicon(c.tax, fallback); err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	if c.screen, err = classify.NewScreener(c.lexicon); err != nil {
		return nil, fmt.Errorf("screening: %w", err)
	}
	if cfg.ClassifyModel != "" {
		if c.model, err = classify.LoadModelFile(cfg.ClassifyModel, c.tax); err != nil {
			return nil, fmt.Errorf("MINYI_CLASSIFY_MODEL: %w", err)
		}
	}
	if cfg.LLMBaseURL != "" {
		c.llm, err = classify.NewLLM(classify.LLMConfig{
			BaseURL: cfg.LLMBaseURL, APIKey: cfg.LLMAPIKey, Model: cfg.LLMModel,
			Timeout: cfg.LLMTimeout, Retries: cfg.LLMRetries, NoJSONMode: !cfg.LLMJSONMode,
		}, c.tax)
		if err != nil {
			return nil, err
		}
	}
	var steps []classify.Step
	for _, name := range cfg.Classifiers() {
		switch name {
		case "llm":
			steps = append(steps, classify.Step{Classifier: c.llm, Threshold: cfg.LLMThreshold})
		case "model":
			steps = append(steps, classify.Step{Classifier: c.model, Threshold: cfg.ModelThreshold})
		case "lexicon":
			steps = append(steps, classify.Step{Classifier: c.lexicon})
		}
	}
	c.chain = classify.NewChain(log, steps...)
	return c, nil
}

func runClassify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("classify needs train, eval, cv, tag or screen-eval")
	}
	switch args[0] {
	case "train":
		return classifyTrain(args[1:], stdout, stderr)
	case "eval":
		return classifyEval(ctx, args[1:], stdout, stderr)
	case "cv":
		return classifyCV(ctx, args[1:], stdout, stderr)
	case "tag":
		return classifyTag(ctx, args[1:], stdin, stdout, stderr)
	case "screen-eval":
		return classifyScreenEval(args[1:], stdout, stderr)
	}
	return fmt.Errorf("classify: unknown command %q (train, eval, cv, tag, screen-eval)", args[0])
}

func trainFlags(fs *flag.FlagSet) *classify.TrainOptions {
	o := &classify.TrainOptions{}
	fs.IntVar(&o.Epochs, "epochs", 20, "passes over the data")
	fs.IntVar(&o.Runs, "runs", 3, "trainings on differently shuffled data whose weights are averaged")
	fs.IntVar(&o.Bits, "bits", 20, "hashed feature space is 2^bits")
	fs.IntVar(&o.MaxN, "max-n", 2, "longest character n-gram")
	fs.Float64Var(&o.Rate, "rate", 0.03, "learning rate")
	fs.Int64Var(&o.Seed, "seed", 1, "shuffling seed")
	fs.BoolVar(&o.NoWords, "no-words", false, "character n-grams only, without the built-in dictionary's words")
	return o
}

// loadTaxonomy reads the configured taxonomy, or the built-in one.
func loadTaxonomy(cfg *config.Config) (*classify.Taxonomy, error) {
	if cfg.Taxonomy == "" {
		return classify.DefaultTaxonomy()
	}
	raw, err := os.ReadFile(cfg.Taxonomy)
	if err != nil {
		return nil, fmt.Errorf("MINYI_TAXONOMY: %w", err)
	}
	return classify.ParseTaxonomy(raw, cfg.Taxonomy)
}

// labelled reads the --data files, checking them against the configured taxonomy.
func labelled(data, configPath string) ([]string, []classify.Item, *classify.Taxonomy, error) {
	files, err := dataFiles(data)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := config.Load(config.OS, configPath)
	if err != nil {
		return nil, nil, nil, err
	}
	tax, err := loadTaxonomy(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	items, err := classify.ReadItemFiles(files...)
	return files, items, tax, err
}

func dataFiles(v string) ([]string, error) {
	var files []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, errors.New("--data names no file")
	}
	return files, nil
}

func classifyTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled .jsonl files, comma-separated")
	out := fs.String("out", "model.bin", "where to write the model")
	path := fs.String("config", "", "YAML configuration file")
	opt := trainFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, items, tax, err := labelled(*data, *path)
	if err != nil {
		return err
	}
	start := time.Now()
	opt.Log = func(run, epoch int, loss float64) {
		fmt.Fprintf(stderr, "run %d/%d, epoch %d: loss %.4f\n", run, opt.Runs, epoch, loss)
	}
	m, err := classify.Train(items, tax, *opt)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if err := m.SaveFile(*out); err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(stdout, "trained on %d items (%d topics) in %.1f s; wrote %s (%.1f MB)\n",
		len(items), len(m.Meta.Labels), took.Seconds(), *out, float64(st.Size())/1e6)
	return nil
}

func classifyEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled .jsonl files, comma-separated")
	which := fs.String("classifier", "chain", "lexicon, model, llm or chain")
	model := fs.String("model", "", "model file (default: MINYI_CLASSIFY_MODEL)")
	asJSON := fs.Bool("json", false, "end with one JSON line of the figures")
	path := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := dataFiles(*data)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	if *model != "" {
		cfg.ClassifyModel = *model
	}
	cs, err := loadClassifiers(cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		return err
	}
	var c classify.Classifier
	switch *which {
	case "lexicon":
		c = cs.lexicon
	case "model":
		if cs.model == nil {
			return errors.New("--classifier model needs --model FILE or MINYI_CLASSIFY_MODEL")
		}
		c = cs.model
	case "llm":
		if cs.llm == nil {
			return errors.New("--classifier llm needs MINYI_LLM_BASE_URL and MINYI_LLM_MODEL")
		}
		c = cs.llm
	case "chain":
		c = cs.chain
	default:
		return fmt.Errorf("--classifier %q: choose lexicon, model, llm or chain", *which)
	}
	items, err := classify.ReadItemFiles(files...)
	if err != nil {
		return err
	}
	rep := classify.Evaluate(ctx, c, items)
	rep.Classifier = *which
	rep.Print(stdout)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	return nil
}

func classifyCV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify cv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled .jsonl files, comma-separated; scored one by one")
	folds := fs.Int("folds", 5, "number of folds")
	foldSeed := fs.Int64("fold-seed", 1, "seed of the split into folds")
	asJSON := fs.Bool("json", false, "end with one JSON line of the figures")
	path := fs.String("config", "", "YAML configuration file")
	opt := trainFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, items, tax, err := labelled(*data, *path)
	if err != nil {
		return err
	}
	start := time.Now()
	preds, err := classify.CrossValidate(ctx, items, *folds, *foldSeed, func(train []classify.Item) (classify.Classifier, error) {
		return classify.Train(train, tax, *opt)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d-fold cross-validation over %d items from %d files, %.0f s\n\n", *folds, len(items), len(files), time.Since(start).Seconds())
	summary := map[string]any{"folds": *folds, "fold_seed": *foldSeed, "n": len(items)}
	var perFile []map[string]any
	for _, f := range files {
		var its []classify.Item
		var ps []string
		for i, it := range items {
			if it.Source == f {
				its, ps = append(its, it), append(ps, preds[i])
			}
		}
		rep := classify.Score(its, ps)
		rep.Classifier = "model (held out), " + f
		rep.Print(stdout)
		fmt.Fprintln(stdout)
		perFile = append(perFile, map[string]any{"file": f, "n": rep.N, "accuracy": rep.Accuracy, "macro_f1": rep.MacroF1})
	}
	all := classify.Score(items, preds)
	summary["accuracy"], summary["macro_f1"], summary["files"] = all.Accuracy, all.MacroF1, perFile
	if *asJSON {
		return json.NewEncoder(stdout).Encode(summary)
	}
	return nil
}

func classifyTag(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify tag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	cs, err := loadClassifiers(cfg, logger(cfg, stderr))
	if err != nil {
		return err
	}
	tag := func(text string) {
		var view classify.ModelView
		res, err := cs.chain.Classify(classify.WithModelView(ctx, &view), text)
		if err != nil {
			fmt.Fprintf(stdout, "error: %v\n", err)
			return
		}
		// as the intake worker decides: the rules, and the model's urgency only where they found none
		f := view.Add(cs.screen.Screen(text))
		fmt.Fprintf(stdout, "%s / %s / %s  (%s, confidence %.2f)\n  %s\n", res.Sector, res.Topic, res.Subtopic, res.Classifier, res.Confidence, res.Reason)
		printFlags(stdout, f)
	}
	if fs.NArg() > 0 {
		tag(strings.Join(fs.Args(), " "))
		return nil
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			tag(line)
		}
	}
	return sc.Err()
}

// printFlags writes a screening decision: the URGENT line scripts read, kept as
// it was, then the hazard and the parts of the reason on lines of their own.
func printFlags(w io.Writer, f classify.Flags) {
	if f.Urgent || f.AdminsOnly {
		reason := f.UrgentReason
		if reason == "" {
			reason = "紧急情形"
		}
		fmt.Fprintf(w, "  URGENT: %s\n", reason)
		if h := flaggedHazard(f); h != "" {
			fmt.Fprintf(w, "  HAZARD: %s\n", h)
		}
		if len(f.Now) > 0 {
			fmt.Fprintf(w, "  NOW: %s\n", strings.Join(f.Now, "、"))
		}
		if f.ByModel {
			fmt.Fprintln(w, "  BY MODEL: the rules did not find it urgent; staff are asked to confirm")
		}
		if f.AdminsOnly {
			fmt.Fprintln(w, "  ADMINS ONLY: alerted to each admin privately, never the staff group")
		}
	}
	if len(f.Discounted) > 0 {
		fmt.Fprintf(w, "  DISCOUNTED: %s\n", strings.Join(f.Discounted, "、"))
	}
	if f.Sensitive {
		fmt.Fprintf(w, "  SENSITIVE: %s\n", f.SensitiveReason)
	}
}
