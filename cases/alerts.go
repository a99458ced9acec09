package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
)

// stormGather is how long after its minute a storm group waits for stragglers
// of that minute before it is sent.
const stormGather = 5 * time.Second

// RaiseAlert records an urgent concern's alert and sends it at once; until someone
// acknowledges it, Tick sends it again every AlertEvery. Past AlertStorm alerts a
// minute from one channel (a flood of submissions), the rest of that minute's
// are gathered into one alert that says how many and lists them.
func (s *Service) RaiseAlert(ctx context.Context, r *concern.Report) error {
	group, err := s.st.RaiseAlertLimited(ctx, r.ID, r.Channel, s.now(), s.cfg.AlertStorm, stormGather)
	if err != nil {
		return err
	}
	if group != "" {
		s.log.Warn("urgent alerts past the storm limit: gathered into one", "concern", r.ID, "channel", r.Channel, "group", group, "limit", s.cfg.AlertStorm)
		return nil
	}
	return s.sendDue(ctx)
}

// RaiseDeadLetter tells the alert chats that a queued concern failed too often
// and waits among the dead letters: kept, not lost, until someone retries it.
func (s *Service) RaiseDeadLetter(ctx context.Context, concernID, why string) error {
	now := s.now()
	var inputs []flows.Input
	for _, chat := range s.alertChats() {
		inputs = append(inputs, s.eventInput(chat, fmt.Sprintf("dead:%s:%d:%d", concernID, now.UnixMilli(), chat),
			&flows.Event{Type: flows.EventDeadLetter, Concern: concernID, Reason: why}))
	}
	if len(inputs) == 0 {
		s.log.Error("a concern is among the dead letters and there is no staff chat or admin to tell", "concern", concernID)
		return nil
	}
	_, err := s.notify.Ingest(ctx, inputs...)
	return err
}

// Tick sends the alerts that are due, queues the scheduled digest when it is
// due, and erases personal data past its retention.
func (s *Service) Tick(ctx context.Context) error {
	return errors.Join(s.sendDue(ctx), s.scheduleDigest(ctx), s.sweep(ctx))
}

// Run ticks every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("alerts and retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// alertChats are where alerts go: the staff chat, or each admin.
func (s *Service) alertChats() []int64 {
	if s.cfg.StaffChat != 0 {
		return []int64{s.cfg.StaffChat}
	}
	return s.cfg.Admins
}

func (s *Service) sendDue(ctx context.Context) error {
	due, err := s.st.ClaimDueAlerts(ctx, s.now(), s.cfg.AlertEvery)
	if err != nil {
		return err
	}
	var inputs []flows.Input
	for _, a := range due {
		if a.Storm {
			members, err := s.st.AlertMembers(ctx, a.ID)
			if err != nil {
				return err
			}
			ev := flows.Event{Type: flows.EventAlert, Concern: a.ID, Count: a.Sent, Channel: a.Channel, Members: members}
			for _, chat := range s.alertChats() {
				e := ev
				inputs = append(inputs, s.eventInput(chat, fmt.Sprintf("alert:%s:%d:%d", a.ID, a.Sent, chat), &e))
			}
			continue
		}
		r, err := s.st.Report(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("alert %s: %w", a.ID, err)
		}
		var place []string
		for _, p := range []string{r.Community, r.Grid, r.Address} {
			if p != "" {
				place = append(place, p)
			}
		}
		if r.Location != nil {
			place = append(place, r.Location.String())
		}
		ev := flows.Event{
			Type: flows.EventAlert, Concern: r.ID, Count: a.Sent, Reason: r.UrgentReason,
			Excerpt: concern.Excerpt(r.MaskedText(), 80), Place: strings.Join(place, " "),
		}
		for _, chat := range s.alertChats() {
			e := ev
			inputs = append(inputs, s.eventInput(chat, fmt.Sprintf("alert:%s:%d:%d", r.ID, a.Sent, chat), &e))
		}
	}
	if len(inputs) == 0 {
		return nil
	}
	if len(s.alertChats()) == 0 {
		s.log.Error("urgent concerns but no staff chat and no admins to alert: set MINYI_STAFF_CHAT or MINYI_ADMINS", "alerts", len(due))
		return nil
	}
	_, err = s.notify.Ingest(ctx, inputs...)
	return err
}

// ack stops an alert's repetition and audits it; acknowledging a storm group
// acknowledges each of its concerns.
func (s *Service) ack(ctx context.Context, in flows.Input, id string) error {
	a, _, err := s.st.AckAlert(ctx, id, in.UserID, s.now())
	if err != nil {
		return err
	}
	if !a.Storm {
		return s.audit(ctx, in, "ack", id, "")
	}
	members, err := s.st.AlertMembers(ctx, id)
	if err != nil {
		return err
	}
	for _, m := range members {
		if _, _, err := s.st.AckAlert(ctx, m, in.UserID, s.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.audit(ctx, in, "ack", m, id); err != nil {
			return err
		}
	}
	return nil
}

// sweep erases the personal data of concerns finished longer ago than the
// retention period; text and tags stay, anonymous, for statistics.
func (s *Service) sweep(ctx context.Context) error {
	if s.cfg.Retention <= 0 {
		return nil
	}
	ids, err := s.st.FinishedBefore(ctx, s.now().Add(-s.cfg.Retention), 100)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
			r.ReporterID, r.ReporterName, r.Phone, r.ReplyChat = 0, "", "", 0
			r.ResidentName, r.ResidentPhone, r.Address, r.Location = "", "", "", nil
			r.Forgotten = true
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.st.Audit(ctx, "retention/"+id, concern.AuditEntry{At: s.now(), Action: "retention", Concern: id}); err != nil {
			return err
		}
		if err := s.st.DropFinished(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
