package cases

import (
	"context"
	"strconv"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/period"
)

// WithDigests lets staff ask for digests, and sends the scheduled one.
func WithDigests(b *digest.Builder) Option { return func(s *Service) { s.digests = b } }

// DigestRequest is the period a digest covers, and whether it is the scheduled
// one sent late (the program was down when it was due).
type DigestRequest struct {
	Period period.Period
	Late   bool
}

// Digest builds the digest of a period, summarized, for staff to read or send.
func (s *Service) Digest(ctx context.Context, a Actor, req DigestRequest) (*digest.Digest, error) {
	if !a.Staff() && !a.Scheduled {
		return nil, refuse(NotAllowed)
	}
	if a.Role == concern.RoleStaff && a.Community != "" {
		// the digest is the whole sub-district's; a community's staff see their
		// community in the list instead
		return nil, refuse(DigestWholeOffice)
	}
	if s.digests == nil {
		return nil, refuse(DigestUnavailable)
	}
	d, err := s.digests.Build(ctx, req.Period)
	if err != nil {
		return nil, err
	}
	d.Late = req.Late
	s.digests.Summarize(ctx, d)
	if a.Scheduled {
		// the scheduled digest is the issued one: archived with its number
		if err := s.issueDigest(ctx, d); err != nil {
			// the digest goes out all the same: its delivery matters more than its number
			s.log.Warn("scheduled digest not archived; sent without its number", "period", req.Period.String(), "err", err)
			d.Number = 0
		}
		s.metrics.DigestSent("scheduled")
	} else {
		s.metrics.DigestSent("requested")
	}
	return d, s.audit(ctx, a, "digest", "", req.Period.String())
}

// scheduleDigest puts the previous day's digest in each digest chat once it is
// due. The event's id is the day's, so instances racing, or a restart, cannot send
// it twice; one missed (the program was down at the time) goes out late.
func (s *Service) scheduleDigest(ctx context.Context) error {
	if s.digests == nil || len(s.digestChats()) == 0 {
		return nil
	}
	now := s.now().In(s.cfg.Location)
	today := period.Day(now, s.cfg.Location)
	due := today.Add(s.cfg.DigestAt)
	if now.Before(due) {
		return nil
	}
	day := today.AddDate(0, 0, -1)
	key := period.Key(day)
	sent, err := s.st.DigestSent(ctx, key)
	if err != nil || sent {
		return err
	}
	late := now.After(due.Add(time.Hour))
	date := day.Format("2006-01-02")
	var inputs []flows.Input
	for _, chat := range s.digestChats() {
		inputs = append(inputs, s.eventInput(chat, "digest:"+key+":"+strconv.FormatInt(chat, 10),
			&flows.Event{Type: flows.EventDigest, From: date, To: date, Late: late}))
	}
	if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
		return err
	}
	s.log.Info("scheduled digest queued", "day", date, "late", late, "chats", len(inputs))
	_, err = s.st.MarkDigest(ctx, key)
	return err
}

func (s *Service) digestChats() []int64 {
	if len(s.cfg.DigestChats) > 0 {
		return s.cfg.DigestChats
	}
	return s.alertChats()
}
