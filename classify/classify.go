// Package classify tags concerns by sector and topic.
package classify

import "context"

// Result is a classifier's verdict on one concern.
type Result struct {
	Sector   string
	Topic    string
	Subtopic string
	// Confidence is between 0 and 1.
	Confidence float64
	// Classifier names the classifier that decided.
	Classifier string
	// Reason says briefly why, for staff to check.
	Reason string
	// Ranking, when the classifier has one, scores every topic it considered, best first.
	Ranking []Scored
}

// Scored is one topic's score in a ranking.
type Scored struct {
	Topic string
	Score float64
}

// Flags are urgency and sensitivity, decided apart from the topic.
type Flags struct {
	// Urgent is danger to life or property now: staff are alerted at once.
	Urgent       bool
	UrgentReason string
	// Sensitive is officials' conduct, corruption or collective action: restricted handling.
	Sensitive       bool
	SensitiveReason string
	// Utility is a water, power, gas or heating problem, answered sooner.
	Utility bool
}

// Classifier tags the text of a concern.
type Classifier interface {
	Classify(ctx context.Context, text string) (Result, error)
	// Name says which classifier it is (lexicon, model, llm, chain).
	Name() string
}
