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
	// Hazard is the kind of danger (one of Hazards) when Urgent.
	Hazard Hazard
	// Now holds the words that showed it is happening now, Discounted what was
	// set aside (a past event, a prevention request…): the reason, in parts.
	Now, Discounted []string
	// ByModel is set when the LLM judged it urgent and the rules did not: the
	// alert says so and asks staff to confirm.
	ByModel bool
	// AdminsOnly is urgency for admins privately, never the staff group:
	// collective action announced with a time.
	AdminsOnly bool
	// Sensitive is officials' conduct, corruption or collective action: restricted handling.
	Sensitive       bool
	SensitiveReason string
	// Utility is a water, power, gas or heating problem, answered sooner.
	Utility bool
}

// Hazard is a kind of danger the screening recognises.
type Hazard string

// The hazards, with the advice a resident hears for each (catalog advice_HAZARD).
const (
	HazardGas        Hazard = "gas"        // gas leak, carbon monoxide
	HazardFire       Hazard = "fire"       // fire, smoke, sparks
	HazardElectric   Hazard = "electric"   // live electricity
	HazardCollapse   Hazard = "collapse"   // collapse, moving cracks, falling objects
	HazardTrapped    Hazard = "trapped"    // people trapped: lifts, rooms, ice, water
	HazardFlood      Hazard = "flood"      // flooding, burst mains, road collapse, open manholes
	HazardViolence   Hazard = "violence"   // violence or a weapon in progress
	HazardSelfHarm   Hazard = "selfharm"   // self-harm or a threat of it
	HazardMissing    Hazard = "missing"    // a missing child, or elder with dementia
	HazardMedical    Hazard = "medical"    // unconscious, seizure, a fall with injury…
	HazardToxic      Hazard = "toxic"      // toxic smells with symptoms
	HazardCrowd      Hazard = "crowd"      // crowd crush
	HazardSuspicious Hazard = "suspicious" // suspicious objects
	HazardTraffic    Hazard = "traffic"    // a road accident with someone hurt
	HazardCollective Hazard = "collective" // collective action with a time: admins only
)

// Hazards lists every hazard, in the order reports show them.
var Hazards = []Hazard{HazardGas, HazardFire, HazardElectric, HazardCollapse, HazardTrapped, HazardFlood,
	HazardViolence, HazardSelfHarm, HazardMissing, HazardMedical, HazardToxic, HazardCrowd,
	HazardSuspicious, HazardTraffic, HazardCollective}

// Classifier tags the text of a concern.
type Classifier interface {
	Classify(ctx context.Context, text string) (Result, error)
	// Name says which classifier it is (lexicon, model, llm, chain).
	Name() string
}
