// Package classify tags concerns by sector and topic.
package classify

import "context"

// Result is a classifier's verdict on one concern.
type Result struct {
	Sector   string
	Topic    string
	Subtopic string
	Urgency  string
	// Confidence is between 0 and 1.
	Confidence float64
	// Classifier names the classifier that decided.
	Classifier string
	// Reason says briefly why, for staff to check.
	Reason string
}

// Classifier tags the text of a concern.
type Classifier interface {
	Classify(ctx context.Context, text string) (Result, error)
}

// Unsorted leaves every concern for staff to tag by hand: it is what runs until a
// real classifier is configured.
type Unsorted struct{}

// Classify returns an empty topic with zero confidence, which marks the concern 待人工核定.
func (Unsorted) Classify(context.Context, string) (Result, error) {
	return Result{Classifier: "unsorted", Reason: "no classifier configured: to be tagged by staff"}, nil
}
