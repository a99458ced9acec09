package classify

// Screener decides whether a concern is an emergency happening now, and whether it
// is sensitive, with the reason for each.
type Screener struct {
	lex *Lexicon
}

// NewScreener makes the screening over the lexicon's sensitivity and utility words.
func NewScreener(lex *Lexicon) (*Screener, error) {
	return &Screener{lex: lex}, nil
}

// Screen reads text for danger now, sensitivity and utilities.
func (s *Screener) Screen(text string) Flags {
	return s.lex.Screen(text)
}
