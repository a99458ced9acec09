package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/minyi-project/minyi/backoff"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
)

// stormGather is how long a storm group waits for more of the same surge before
// it is sent: after its first member, and after its minute when it grew since.
const stormGather = 2 * time.Second

// RaiseAlert records an urgent concern's alert and sends it at once; until someone
// acknowledges it, Tick sends it again every AlertEvery, and past Escalate also to
// each admin privately. Past AlertStorm alerts a minute from one channel (a flood
// of submissions), the rest of that minute's are gathered into one alert that says
// how many and lists them, sent stormGather after the first of them, and once
// more after the minute if more joined. A concern for admins only (collective
// action) goes to each admin privately and never to the staff chat, one by one.
// When the LLM, not the rules, judged the concern urgent, its reporter hears now
// what to do.
func (s *Service) RaiseAlert(ctx context.Context, r *concern.Report) error {
	channel, limit, escalate := r.Channel, s.cfg.AlertStorm, s.cfg.Escalate
	if s.cfg.StaffChat == 0 {
		escalate = 0 // the admins have every alert already
	}
	if r.AdminsOnly {
		// never grouped (a group goes to the staff chat), nor counted against the
		// channel's storm limit
		channel, limit, escalate = "admins:"+r.Channel, 0, 0
	}
	group, begun, err := s.st.RaiseAlertLimited(ctx, r.ID, channel, s.now(), limit, stormGather, escalate)
	if err != nil {
		return err
	}
	if group != "" {
		s.log.Warn("urgent alerts past the storm limit: gathered into one", "concern", r.ID, "channel", r.Channel, "group", group, "limit", s.cfg.AlertStorm)
		if begun && s.tasks != nil {
			// the surge is news now: the group goes once it has gathered, not at
			// the next tick
			s.tasks.Go(stormGather+30*time.Second, func(ctx context.Context) {
				if backoff.Sleep(ctx, stormGather) {
					if err := s.sendDue(ctx); err != nil {
						s.log.Warn("storm group not sent at once; the next tick tries again", "group", group, "err", err)
					}
				}
			})
		}
	} else if err := s.sendDue(ctx); err != nil {
		// recorded, the alert is Tick's to send from here: a problem in sending
		// (this alert's or another's) is no reason to handle the concern again
		s.log.Warn("urgent alerts not all sent at once; the next tick tries again", "concern", r.ID, "err", err)
	}
	if r.UrgentByModel {
		// only here is the reporter told: a failure has the worker raise the alert
		// again, which repeats neither the alert nor the advice
		return s.adviseLater(ctx, r)
	}
	return nil
}

// adviseLater tells the reporter (and the grid worker who filed it) what to do
// now, for a concern found urgent after its receipt was sent. The event's id is
// the concern's, so an alert raised again after a crash does not tell them twice.
func (s *Service) adviseLater(ctx context.Context, r *concern.Report) error {
	if r.AdminsOnly {
		return nil
	}
	ev := flows.Event{Type: flows.EventAdvice, Concern: r.ID, Hazard: r.Hazard}
	var inputs []flows.Input
	if r.ReplyChat != 0 {
		e := ev
		inputs = append(inputs, s.eventInput(r.ReplyChat, "advice:"+r.ID+":r", &e))
	}
	if r.FiledBy != 0 {
		e := ev
		e.Filed = true
		inputs = append(inputs, s.eventInput(r.FiledBy, "advice:"+r.ID+":f", &e))
	}
	if stopped, err := s.st.Stopped(ctx, r.ReplyChat, r.FiledBy); err == nil && len(stopped) > 0 {
		inputs = slices.DeleteFunc(inputs, func(in flows.Input) bool { return stopped[in.ChatID] })
	}
	if len(inputs) == 0 {
		return nil
	}
	if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
		return fmt.Errorf("advice to the reporter: %w", err)
	}
	return nil
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
// due, sends the consultations whose opening has come, and erases personal
// data past its retention.
func (s *Service) Tick(ctx context.Context) error {
	return errors.Join(s.sendDue(ctx), s.scheduleDigest(ctx), s.sendOpening(ctx), s.sweep(ctx))
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
	now := s.now()
	due, err := s.st.ClaimDueAlerts(ctx, now, s.cfg.AlertEvery)
	if err != nil {
		return err
	}
	// an alert that cannot be read is reported, and holds up none of the others
	var (
		inputs           []flows.Input
		errs             []error
		claimed, claimEs []string
	)
	for _, a := range due {
		ev, adminsOnly, err := s.alertEvent(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		claimed = append(claimed, a.ID)
		ev.Count = a.Sent
		chats := s.alertChats()
		if adminsOnly {
			chats = s.cfg.Admins
		}
		if len(chats) == 0 {
			s.log.Error("an urgent concern has nobody to alert: set MINYI_ADMINS (and MINYI_STAFF_CHAT)", "alert", a.ID, "admins_only", adminsOnly)
		}
		for _, chat := range chats {
			e := ev
			inputs = append(inputs, s.eventInput(chat, fmt.Sprintf("alert:%s:%d:%d", a.ID, a.Sent, chat), &e))
		}
	}
	esc, err := s.st.ClaimDueEscalations(ctx, now, s.cfg.AlertEvery)
	if err != nil {
		errs = append(errs, err)
	}
	for _, a := range esc {
		ev, _, err := s.alertEvent(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		claimEs = append(claimEs, a.ID)
		ev.Count, ev.Escalated, ev.Raised = a.Escalated, true, a.Raised
		if len(s.cfg.Admins) == 0 {
			s.log.Error("an urgent alert is unacknowledged and there are no admins to escalate it to: set MINYI_ADMINS", "alert", a.ID)
		}
		for _, admin := range s.cfg.Admins {
			e := ev
			inputs = append(inputs, s.eventInput(admin, fmt.Sprintf("esc:%s:%d:%d", a.ID, a.Escalated, admin), &e))
		}
		if a.Escalated == 1 {
			if err := s.auditEscalation(ctx, a, ev.Members); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(inputs) > 0 {
		if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
			// claimed, they would wait for the next repeat: due again now instead
			errs = append(errs, fmt.Errorf("alerts: %w", err), s.st.ReleaseAlerts(ctx, claimed, claimEs, now))
		}
	}
	return errors.Join(errs...)
}

// alertEvent is what an alert says: a storm group's concerns, or one concern, and
// whether it is for admins only.
func (s *Service) alertEvent(ctx context.Context, a store.Alert) (flows.Event, bool, error) {
	if a.Storm {
		members, err := s.st.AlertMembers(ctx, a.ID)
		if err != nil {
			return flows.Event{}, false, err
		}
		return flows.Event{Type: flows.EventAlert, Concern: a.ID, Channel: a.Channel, Members: members}, false, nil
	}
	r, err := s.st.Report(ctx, a.ID)
	if err != nil {
		return flows.Event{}, false, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	place := r.Place()
	return flows.Event{
		Type: flows.EventAlert, Concern: r.ID, Reason: r.UrgentReason, Hazard: r.Hazard,
		ByModel: r.UrgentByModel, AdminsOnly: r.AdminsOnly,
		Excerpt: concern.Excerpt(r.MaskedText(), 80), Place: strings.Join(place, " "),
	}, r.AdminsOnly, nil
}

// auditEscalation records, in the trail of each concern concerned, that its alert
// went to the admins unacknowledged.
func (s *Service) auditEscalation(ctx context.Context, a store.Alert, members []string) error {
	ids := members
	if !a.Storm {
		ids = []string{a.ID}
	}
	detail := shortDuration(s.now().Sub(a.Raised))
	for _, id := range ids {
		if err := s.st.Audit(ctx, "escalate/"+a.ID+"/"+id, concern.AuditEntry{At: s.now(), Action: "escalate", Concern: id, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// Ack stops an alert's repetition and escalation, and records who acknowledged it
// and how long after it was raised: in the audit (its detail is the delay, as
// 4m12s), on the alert, and on the concern (for the digest). Acknowledging a storm
// group acknowledges each of its concerns; an alert for admins only is theirs to
// acknowledge.
func (s *Service) Ack(ctx context.Context, in Actor, id string) error {
	if !in.Staff() {
		return refuse(NotAllowed)
	}
	if !concern.ValidID(id) && in.Role == concern.RoleStaff && in.Community != "" {
		// a storm's group spans communities: the office's staff acknowledge it
		return &Refusal{Reason: AckStormOffice, ID: id}
	}
	if concern.ValidID(id) {
		if r, err := s.st.Report(ctx, id); err == nil && in.outside(r) {
			return &Refusal{Reason: NotFound, ID: id}
		} else if err == nil && r.AdminsOnly && in.Role != concern.RoleAdmin {
			return &Refusal{Reason: Restricted, ID: id}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	a, already, err := s.st.AckAlert(ctx, id, in.UserID, s.now())
	if err != nil {
		return missing(err, id) // an alert long gone, or never raised
	}
	if !a.Storm {
		if already && a.AckedBy != in.UserID {
			return nil // someone else did already: theirs is the acknowledgement on record
		}
		return s.acked(ctx, in, a, "")
	}
	members, err := s.st.AlertMembers(ctx, id)
	if err != nil {
		return err
	}
	for _, m := range members {
		ma, already, err := s.st.AckAlert(ctx, m, in.UserID, s.now())
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if already && ma.AckedBy != in.UserID {
			continue
		}
		if err := s.acked(ctx, in, ma, id+" "); err != nil {
			return err
		}
	}
	return nil
}

// acked audits one concern's acknowledgement and keeps it on the concern.
func (s *Service) acked(ctx context.Context, in Actor, a store.Alert, prefix string) error {
	after := time.Duration(a.AckAfterMS) * time.Millisecond
	if err := s.audit(ctx, in, "ack", a.ID, prefix+shortDuration(after)); err != nil {
		return err
	}
	_, err := s.st.UpdateReport(ctx, a.ID, func(r *concern.Report) error {
		if r.Ack == nil {
			r.Ack = &concern.Ack{By: a.AckedBy, At: a.AckedAt, After: after}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// shortDuration writes a delay for the audit, whatever the reader's language: 45s, 4m12s, 10m, 1h5m.
func shortDuration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
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
