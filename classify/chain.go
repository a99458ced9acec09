package classify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Step is one classifier of a chain and the confidence it needs to decide.
type Step struct {
	Classifier Classifier
	Threshold  float64
}

// Chain asks its classifiers in order; the first whose answer reaches its threshold
// decides. Failures move on to the next. When none reaches its threshold the most
// confident answer stands, so a concern is never left untagged as long as one
// classifier answers (the lexicon always does).
type Chain struct {
	steps []Step
	log   *slog.Logger
}

// NewChain makes a chain of steps, in order.
func NewChain(log *slog.Logger, steps ...Step) *Chain {
	if log == nil {
		log = slog.Default()
	}
	return &Chain{steps: steps, log: log}
}

// Name is "chain".
func (c *Chain) Name() string { return "chain" }

// Classify runs the chain.
func (c *Chain) Classify(ctx context.Context, text string) (Result, error) {
	var (
		best   Result
		found  bool
		failed []string
		errs   []error
	)
	for _, s := range c.steps {
		res, err := s.Classifier.Classify(ctx, text)
		if err != nil {
			c.log.Warn("classifier failed; trying the next", "classifier", s.Classifier.Name(), "err", err)
			failed = append(failed, s.Classifier.Name())
			errs = append(errs, err)
			continue
		}
		if res.Confidence >= s.Threshold {
			return note(res, failed), nil
		}
		if !found || res.Confidence > best.Confidence {
			best, found = res, true
		}
	}
	if !found {
		return Result{}, fmt.Errorf("every classifier failed: %w", errors.Join(errs...))
	}
	return note(best, failed), nil
}

func note(r Result, failed []string) Result {
	if len(failed) > 0 {
		r.Reason += "（" + strings.Join(failed, "、") + " 未能作答）"
	}
	return r
}
