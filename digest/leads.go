package digest

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/minyi-project/minyi/period"
)

// Reported says, of each concern named, the 信息 it went into: sent (报送 or
// later) and drafted (not yet sent), by number; concerns in none are left out.
type Reported interface {
	Reported(ctx context.Context, concerns []string) (sent, drafted map[string]int64, err error)
}

// LeadRules say what is a 待研判线索: a 共性问题 group of at least GroupMin
// concerns, a fast-rising topic, or an urgent or sensitive concern at least
// AgedDays old — each while no sent 信息 covers any of its concerns.
type LeadRules struct {
	GroupMin, AgedDays int
}

// WithLeads lists the 待研判线索 (against 漏报 and 迟报), reading which concerns
// went into 信息 from r.
func WithLeads(r Reported, rules LeadRules) Option {
	return func(b *Builder) {
		b.reported, b.leadRules = r, rules
		if b.leadRules.GroupMin < 2 {
			b.leadRules.GroupMin = 3
		}
		if b.leadRules.AgedDays < 1 {
			b.leadRules.AgedDays = 3
		}
	}
}

// The kinds of lead.
const (
	LeadGroup     = "group"
	LeadRising    = "rising"
	LeadUrgent    = "urgent"
	LeadSensitive = "sensitive"
)

// Lead is one 待研判线索: what may want a 信息 and has none sent.
type Lead struct {
	Kind string `json:"kind"`
	// Key names a group for /info new (2026-11-30#2); Topic and Community what it is about.
	Key       string    `json:"key,omitempty"`
	Topic     string    `json:"topic,omitempty"`
	Community string    `json:"community,omitempty"`
	Excerpt   string    `json:"excerpt,omitempty"` // masked; empty for a sensitive concern
	IDs       []string  `json:"ids"`
	Rise      Count     `json:"rise,omitzero"`  // a rising topic's figures
	Since     time.Time `json:"since,omitzero"` // an aged concern's receipt
	// Drafted is a 信息 drafted from it but not yet sent (0: none).
	Drafted int64 `json:"drafted,omitempty"`
}

// leads finds the period's 待研判线索.
func (b *Builder) leads(ctx context.Context, d *Digest, recs []*record, p period.Period) error {
	d.LeadsChecked = true
	var cands []Lead
	for i, g := range d.Groups {
		if g.Count >= b.leadRules.GroupMin {
			cands = append(cands, Lead{Kind: LeadGroup, Key: p.String() + "#" + strconv.Itoa(i+1), Topic: g.Topic, Community: g.Community,
				Excerpt: g.Excerpt, IDs: g.IDs})
		}
	}
	inGroup := map[string]bool{}
	for _, l := range cands {
		for _, id := range l.IDs {
			inGroup[id] = true
		}
	}
	for _, c := range d.Rising {
		l := Lead{Kind: LeadRising, Topic: c.Name, Rise: c}
		grouped := true
		for _, r := range recs {
			if r.Topic == c.Name && !r.Sensitive {
				l.IDs = append(l.IDs, r.ID)
				grouped = grouped && inGroup[r.ID]
			}
		}
		// a rise that is one group's concerns and no others is that group's lead already
		if len(l.IDs) > 0 && !grouped {
			cands = append(cands, l)
		}
	}
	// urgent and sensitive concerns of the week up to AgedDays before the period's end
	aged := period.Period{From: p.To.AddDate(0, 0, -b.leadRules.AgedDays-6), To: p.To.AddDate(0, 0, -b.leadRules.AgedDays)}
	ids, err := b.src.RecordedIDs(ctx, keys(aged.Each()))
	if err != nil {
		return err
	}
	old, err := b.load(ctx, ids)
	if err != nil {
		return err
	}
	slices.SortFunc(old, func(x, y *record) int { return x.ReceivedAt.Compare(y.ReceivedAt) })
	for _, r := range old {
		switch {
		case r.Sensitive:
			cands = append(cands, Lead{Kind: LeadSensitive, Community: r.Community, IDs: []string{r.ID}, Since: r.ReceivedAt})
		case r.Urgent && !r.AdminsOnly:
			cands = append(cands, Lead{Kind: LeadUrgent, Topic: r.Topic, Community: r.Community, Excerpt: excerpt(r.masked),
				IDs: []string{r.ID}, Since: r.ReceivedAt})
		}
	}
	var all []string
	for _, l := range cands {
		all = append(all, l.IDs...)
	}
	if len(all) == 0 {
		return nil
	}
	sent, drafted, err := b.reported.Reported(ctx, all)
	if err != nil {
		return err
	}
	for _, l := range cands {
		if slices.ContainsFunc(l.IDs, func(id string) bool { return sent[id] != 0 }) {
			continue // reported: not 漏报
		}
		for _, id := range l.IDs {
			if n := drafted[id]; n != 0 && (l.Drafted == 0 || n < l.Drafted) {
				l.Drafted = n
			}
		}
		d.Leads = append(d.Leads, l)
	}
	return nil
}
