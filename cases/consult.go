package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/store"
)

// Subscribe records that the actor's chat agrees to be asked the committee's
// questions (征求意见), for one community or all ("").
func (s *Service) Subscribe(ctx context.Context, a Actor, community string) error {
	if a.Chat <= 0 {
		return refuse(NotAllowed) // a private chat only: a group is not a resident
	}
	return s.st.Subscribe(ctx, store.Subscriber{Chat: a.Chat, Community: community, Lang: a.Lang, Since: s.now()})
}

// Unsubscribe takes the actor's chat off: nobody is asked who has not agreed.
// It reports whether they had agreed.
func (s *Service) Unsubscribe(ctx context.Context, a Actor) (bool, error) {
	if a.Chat <= 0 {
		return false, refuse(NotAllowed)
	}
	return s.st.Unsubscribe(ctx, a.Chat)
}

// consultStaff refuses whoever may not run consultations: the office's staff
// and admins (a community's staff, for their community only).
func consultStaff(a Actor, c *consult.Consultation) error {
	if !a.Staff() {
		return refuse(NotAllowed)
	}
	if a.Role == concern.RoleStaff && a.Community != "" && (c == nil || c.Audience != consult.Subscribers || c.Community != a.Community) {
		return refuse(ConsultCommunity)
	}
	return nil
}

// CreateConsult stores a new consultation, as a draft to send.
func (s *Service) CreateConsult(ctx context.Context, a Actor, c *consult.Consultation) (*consult.Consultation, error) {
	if err := consultStaff(a, c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &Refusal{Reason: ConsultInvalid, Value: err.Error()}
	}
	c.State, c.CreatedBy, c.Created = consult.Draft, a.UserID, s.now()
	if err := s.st.CreateConsult(ctx, c); err != nil {
		return nil, err
	}
	return c, s.audit(ctx, a, "consult_new", "consult:"+strconv.FormatInt(c.ID, 10), c.Title)
}

// Consults lists the consultations the actor may run, newest first.
func (s *Service) Consults(ctx context.Context, a Actor) ([]*consult.Consultation, error) {
	if !a.Staff() {
		return nil, refuse(NotAllowed)
	}
	all, err := s.st.Consults(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		s.closedByTime(c)
	}
	return slices.DeleteFunc(all, func(c *consult.Consultation) bool { return consultStaff(a, c) != nil }), nil
}

// Consult reads one consultation the actor may run.
func (s *Service) Consult(ctx context.Context, a Actor, id int64) (*consult.Consultation, error) {
	if !a.Staff() && !a.Scheduled {
		return nil, refuse(NotAllowed)
	}
	c, err := s.st.Consult(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Refusal{Reason: ConsultNotFound, ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return nil, err
	}
	s.closedByTime(c)
	if a.Scheduled {
		return c, nil // the schedule sends what staff made, at its opening
	}
	if err := consultStaff(a, c); err != nil {
		if a.Staff() {
			return nil, &Refusal{Reason: ConsultNotFound, ID: strconv.FormatInt(id, 10)}
		}
		return nil, err
	}
	return c, nil
}

// closedByTime shows a consultation past its closing time as closed, as it is:
// it takes no more answers (Taking), whether or not staff closed it.
func (s *Service) closedByTime(c *consult.Consultation) {
	if c.State == consult.Open && !s.now().Before(c.Closes) {
		c.State = consult.Closed
	}
}

// audience is the chats a consultation asks: those who agreed (of its
// community, when it has one), or the grid workers.
func (s *Service) audience(ctx context.Context, c *consult.Consultation) ([]int64, error) {
	var chats []int64
	if c.Audience == consult.GridWorkers {
		ms, err := s.st.Members(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Role == concern.RoleGrid && (c.Community == "" || m.Community == c.Community) {
				chats = append(chats, m.UserID)
			}
		}
		slices.Sort(chats)
		return chats, nil
	}
	subs, err := s.st.Subscribers(ctx)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		// one who agreed for all communities is asked by each of them
		if c.Community == "" || sub.Community == "" || sub.Community == c.Community {
			chats = append(chats, sub.Chat)
		}
	}
	return chats, nil
}

// invitation is how the engine shows a consultation.
func invitation(c *consult.Consultation) *flows.Consult {
	fc := &flows.Consult{ID: c.ID, Title: c.Title, Intro: c.Intro, Closes: c.Closes, Outcome: c.Outcome}
	for _, q := range c.Questions {
		fc.Ask = append(fc.Ask, flows.ConsultQuestion{Kind: string(q.Kind), Text: q.Text, Options: q.Options})
	}
	return fc
}

// SendConsult opens a consultation and invites its audience: each chat once
// (sent again, only those who agreed since), at the send scheduler's lowest
// priority. It reports how many were invited now.
func (s *Service) SendConsult(ctx context.Context, a Actor, id int64) (int, error) {
	c, err := s.Consult(ctx, a, id)
	if err != nil {
		return 0, err
	}
	now := s.now()
	switch {
	case c.State == consult.Closed || !now.Before(c.Closes):
		return 0, &Refusal{Reason: ConsultClosed, ID: strconv.FormatInt(id, 10)}
	case now.Before(c.Opens):
		return 0, &Refusal{Reason: ConsultNotYet, ID: strconv.FormatInt(id, 10), Value: c.Opens.In(s.cfg.Location).Format("2006-01-02 15:04")}
	}
	chats, err := s.audience(ctx, c)
	if err != nil {
		return 0, err
	}
	fresh, err := s.st.Invite(ctx, id, chats)
	if err != nil {
		return 0, err
	}
	ev := invitation(c)
	var inputs []flows.Input
	for _, chat := range fresh {
		inputs = append(inputs, s.eventInput(chat, fmt.Sprintf("consult:%d:%d", id, chat), &flows.Event{Type: flows.EventConsult, Consult: ev}))
	}
	if len(inputs) > 0 {
		if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
			return 0, fmt.Errorf("consult invitations: %w", err)
		}
	}
	c.State, c.Invited = consult.Open, c.Invited+len(fresh)
	if err := s.st.SaveConsult(ctx, c); err != nil {
		return 0, err
	}
	return len(fresh), s.audit(ctx, a, "consult_send", "consult:"+strconv.FormatInt(id, 10), strconv.Itoa(len(fresh)))
}

// AnswerConsult records the actor's answer to question q (from 0) of a
// consultation they were invited to and still agree to: an option's index, a
// rating, or words, replacing what they gave before, until it closes.
func (s *Service) AnswerConsult(ctx context.Context, a Actor, id int64, q int, value string) (*consult.Consultation, *consult.Answer, error) {
	c, err := s.st.Consult(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &Refusal{Reason: ConsultNotFound, ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return nil, nil, err
	}
	if !c.Taking(s.now()) {
		return nil, nil, &Refusal{Reason: ConsultClosed, ID: strconv.FormatInt(id, 10)}
	}
	invited, err := s.st.Invited(ctx, id, a.Chat)
	if err != nil {
		return nil, nil, err
	}
	if c.Audience == consult.Subscribers && invited {
		_, agreed, err := s.st.Subscribed(ctx, a.Chat)
		if err != nil {
			return nil, nil, err
		}
		invited = agreed // one who left is not counted
	}
	if !invited {
		return nil, nil, &Refusal{Reason: ConsultNotInvited, ID: strconv.FormatInt(id, 10)}
	}
	ans, err := s.st.UpdateAnswer(ctx, id, a.Chat, func(ans *consult.Answer) error {
		ans.At = s.now()
		return c.Set(ans, q, value)
	})
	if errors.Is(err, consult.ErrBadAnswer) {
		return nil, nil, &Refusal{Reason: ConsultBadAnswer, ID: strconv.FormatInt(id, 10), Value: value}
	}
	return c, ans, err
}

// ConsultResults adds up a consultation's answers: each participant once,
// free text masked and grouped.
func (s *Service) ConsultResults(ctx context.Context, a Actor, id int64) (*consult.Consultation, []consult.Tally, int, error) {
	c, err := s.Consult(ctx, a, id)
	if err != nil {
		return nil, nil, 0, err
	}
	answers, err := s.participants(ctx, c)
	if err != nil {
		return nil, nil, 0, err
	}
	return c, c.Results(answers), len(answers), nil
}

// participants are the answers that count: for a consultation of those who
// agreed to be asked, only of those who still agree (one who left is neither
// counted nor messaged again).
func (s *Service) participants(ctx context.Context, c *consult.Consultation) ([]consult.Answer, error) {
	answers, err := s.st.Answers(ctx, c.ID)
	if err != nil || c.Audience != consult.Subscribers {
		return answers, err
	}
	subs, err := s.st.Subscribers(ctx)
	if err != nil {
		return nil, err
	}
	agreed := map[int64]bool{}
	for _, sub := range subs {
		agreed[sub.Chat] = true
	}
	return slices.DeleteFunc(answers, func(x consult.Answer) bool { return !agreed[x.Chat] }), nil
}

// CloseConsult stops the answers.
func (s *Service) CloseConsult(ctx context.Context, a Actor, id int64) (*consult.Consultation, error) {
	c, err := s.Consult(ctx, a, id)
	if err != nil {
		return nil, err
	}
	c.State = consult.Closed
	if err := s.st.SaveConsult(ctx, c); err != nil {
		return nil, err
	}
	return c, s.audit(ctx, a, "consult_close", "consult:"+strconv.FormatInt(id, 10), "")
}

// ConsultOutcome sends the participants what came of a closed consultation
// (反馈结果), each once; it reports how many were told.
func (s *Service) ConsultOutcome(ctx context.Context, a Actor, id int64, outcome string) (int, error) {
	c, err := s.Consult(ctx, a, id)
	if err != nil {
		return 0, err
	}
	outcome = strings.TrimSpace(outcome)
	switch {
	case c.State != consult.Closed && s.now().Before(c.Closes):
		return 0, &Refusal{Reason: ConsultStillOpen, ID: strconv.FormatInt(id, 10)}
	case outcome == "":
		return 0, refuse(ConsultNoOutcome)
	}
	answers, err := s.participants(ctx, c)
	if err != nil {
		return 0, err
	}
	c.State, c.Outcome, c.Reported = consult.Closed, outcome, s.now()
	if err := s.st.SaveConsult(ctx, c); err != nil {
		return 0, err
	}
	ev := invitation(c)
	ev.Ask = nil
	var inputs []flows.Input
	for _, ans := range answers {
		inputs = append(inputs, s.eventInput(ans.Chat, fmt.Sprintf("consult:%d:%d:outcome", id, ans.Chat), &flows.Event{Type: flows.EventOutcome, Consult: ev}))
	}
	if len(inputs) > 0 {
		if _, err := s.notify.Ingest(ctx, inputs...); err != nil {
			return 0, fmt.Errorf("consult outcome: %w", err)
		}
	}
	return len(inputs), s.audit(ctx, a, "consult_outcome", "consult:"+strconv.FormatInt(id, 10), strconv.Itoa(len(inputs)))
}

// LinkConsult adds a consultation's results to a 信息 as evidence (under 群众反映),
// while the item may still change: its title, who took part, and the shares of
// the choices.
func (s *Service) LinkConsult(ctx context.Context, a Actor, id, infoID int64) (*info.Item, error) {
	c, tallies, people, err := s.ConsultResults(ctx, a, id)
	if err != nil {
		return nil, err
	}
	line := locale.Default().Render(a.Lang, "consult_evidence", "title", c.Title, "invited", strconv.Itoa(c.Invited), "people", strconv.Itoa(people))
	for i, t := range tallies {
		if t.Shares == nil {
			continue
		}
		var parts []string
		for j, share := range t.Shares {
			label := strconv.Itoa(j + 1)
			if j < len(t.Question.Options) {
				label = t.Question.Options[j]
			}
			parts = append(parts, label+strconv.FormatFloat(share*100, 'f', 1, 64)+"%")
		}
		line += locale.Default().Render(a.Lang, "consult_evidence_q", "n", strconv.Itoa(i+1), "text", t.Question.Text, "shares", strings.Join(parts, "、"))
	}
	line = concern.Mask(line)
	it, err := s.updateInfo(ctx, a, infoID, func(it *info.Item) error {
		if !it.Editable() {
			return &Refusal{Reason: InfoNotEditable, ID: strconv.FormatInt(infoID, 10)}
		}
		if !slices.Contains(it.Evidence, line) {
			it.Evidence = append(it.Evidence, line)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.Infos, infoID) {
		c.Infos = append(c.Infos, infoID)
		if err := s.st.SaveConsult(ctx, c); err != nil {
			return nil, err
		}
	}
	return it, s.infoAudit(ctx, a, "info_evidence", it, "consult:"+strconv.FormatInt(id, 10))
}

// sendOpening sends the consultations made before their opening once it has
// come, as staff would with /consult send: each chat once, however often it runs.
func (s *Service) sendOpening(ctx context.Context) error {
	all, err := s.st.Consults(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	var errs []error
	for _, c := range all {
		if c.State != consult.Draft || now.Before(c.Opens) || !now.Before(c.Closes) {
			continue
		}
		a := Actor{Scheduled: true, Lang: "zh", Request: "consult-open:" + strconv.FormatInt(c.ID, 10)}
		if n, err := s.SendConsult(ctx, a, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("consultation %d at its opening: %w", c.ID, err))
		} else {
			s.log.Info("consultation sent at its opening", "consult", c.ID, "invited", n)
		}
	}
	return errors.Join(errs...)
}
