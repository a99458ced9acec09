package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/period"
	"github.com/minyi-project/minyi/store"
)

// Drafter writes 原因分析 and 意见建议 of a 信息 from its facts, which hold
// figures and masked quotes only (the LLM does).
type Drafter interface {
	DraftInfo(ctx context.Context, facts string) (analysis, suggestions string, err error)
}

// WithDrafter lets an LLM draft the analysis and suggestions of new 信息;
// without one (or when it fails) a template with the facts filled in does.
func WithDrafter(d Drafter) Option { return func(s *Service) { s.drafter = d } }

// InfoFrom is what a 信息 is composed from: concerns, or a 共性问题 group of a
// day's digest (Group: 2026-11-30#2, its second group).
type InfoFrom struct {
	Concerns []string
	Group    string
}

// ParseInfoFrom reads what staff typed: concern ids (separated by spaces or
// commas), DAY#N or FROM..TO#N (the Nth 共性问题 group of that period's digest).
func ParseInfoFrom(s string) (InfoFrom, error) {
	s = strings.TrimSpace(s)
	if day, n, ok := strings.Cut(s, "#"); ok {
		// the digest names its period as one day or A..B (its leads and groups say so)
		a, b, isRange := strings.Cut(day, "..")
		if _, err := time.Parse("2006-01-02", a); err != nil {
			return InfoFrom{}, &Refusal{Reason: InfoBadFrom, Value: s}
		}
		if _, err := time.Parse("2006-01-02", b); isRange && err != nil {
			return InfoFrom{}, &Refusal{Reason: InfoBadFrom, Value: s}
		}
		if k, err := strconv.Atoi(n); err != nil || k < 1 {
			return InfoFrom{}, &Refusal{Reason: InfoBadFrom, Value: s}
		}
		return InfoFrom{Group: s}, nil
	}
	var from InfoFrom
	for _, id := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' }) {
		if !concern.ValidID(id) {
			return InfoFrom{}, &Refusal{Reason: InfoBadFrom, Value: id}
		}
		if !slices.Contains(from.Concerns, id) {
			from.Concerns = append(from.Concerns, id)
		}
	}
	if len(from.Concerns) == 0 {
		return InfoFrom{}, refuse(InfoNothing)
	}
	return from, nil
}

// InfoDraft is a new or changed item and what makes it a poorer 信息.
type InfoDraft struct {
	Item     *info.Item
	Warnings []info.Warning
}

// infoStaff refuses whoever may not work on 信息: they are the whole office's,
// its staff's and admins'.
func infoStaff(a Actor) error {
	if !a.Staff() {
		return refuse(NotAllowed)
	}
	if a.Role == concern.RoleStaff && a.Community != "" {
		return refuse(InfoOffice)
	}
	return nil
}

// ComposeInfo drafts a 信息 from concerns or a 共性问题 group: the figures from
// the concerns, up to three masked quotes, and 原因分析 and 意见建议 drafted by
// the LLM (marked as a draft to check) or from a template.
func (s *Service) ComposeInfo(ctx context.Context, a Actor, from InfoFrom) (InfoDraft, error) {
	if err := infoStaff(a); err != nil {
		return InfoDraft{}, err
	}
	// the same request again (a form sent twice, an update delivered twice) is the item it made
	if a.Request != "" {
		if id, ok, err := s.st.InfoOfRequest(ctx, a.Request); err != nil {
			return InfoDraft{}, err
		} else if ok {
			it, err := s.Info(ctx, a, id)
			if err != nil {
				return InfoDraft{}, err
			}
			return InfoDraft{Item: it, Warnings: it.Warnings()}, nil
		}
	}
	ids := from.Concerns
	if from.Group != "" {
		var err error
		if ids, err = s.groupConcerns(ctx, from.Group); err != nil {
			return InfoDraft{}, err
		}
	}
	if len(ids) == 0 {
		return InfoDraft{}, refuse(InfoNothing)
	}
	rs, err := s.handled(ctx, a, ids)
	if err != nil {
		return InfoDraft{}, err
	}
	adminsOnly := false
	for _, r := range rs {
		adminsOnly = adminsOnly || r.Sensitive || r.AdminsOnly
	}
	now := s.now()
	it := &info.Item{Facts: info.FactsOf(rs), Org: s.cfg.OrgName, Group: from.Group, State: info.Draft, AdminsOnly: adminsOnly,
		Created: now, CreatedBy: a.UserID, Year: now.In(s.cfg.Location).Year()}
	for _, r := range rs {
		it.Concerns = append(it.Concerns, r.ID)
		it.Urgent = it.Urgent || r.Urgent
	}
	if len(it.Facts.Topics) > 0 {
		it.Topic = mostCommon(rs, func(r *concern.Report) string { return r.Topic })
		it.Sector = mostCommon(rs, func(r *concern.Report) string { return r.Sector })
	}
	for _, r := range rs[:min(3, len(rs))] {
		it.Quotes = append(it.Quotes, info.QuoteOf(r))
	}
	it.Title = s.infoTitle(a.Lang, it)
	it.Analysis, it.Suggestions = it.Template(a.Lang)
	if s.drafter != nil {
		analysis, suggestions, err := s.drafter.DraftInfo(ctx, infoFacts(it, s.cfg.Location))
		switch {
		case err != nil:
			s.log.Warn("the LLM did not draft the 信息; the template stands", "err", err)
		case strings.TrimSpace(analysis) != "" && strings.TrimSpace(suggestions) != "":
			// what comes back is masked again: the model may have made up a name or number
			it.Analysis, it.Suggestions, it.ByModel = concern.Mask(analysis), concern.Mask(suggestions), true
		}
	}
	it.History = []info.Step{{At: now, By: a.UserID, State: info.Draft}}
	if err := s.st.CreateInfo(ctx, it); err != nil {
		return InfoDraft{}, err
	}
	if a.Request != "" {
		if err := s.st.SetInfoOfRequest(ctx, a.Request, it.ID); err != nil {
			return InfoDraft{}, err
		}
	}
	what := from.Group
	if what == "" {
		what = strings.Join(it.Concerns, ",")
	}
	return InfoDraft{Item: it, Warnings: it.Warnings()}, s.infoAudit(ctx, a, "info_new", it, what)
}

// handled reads the concerns named, in order, refusing the first not there (or
// outside the actor's community) and the first the actor may not handle.
func (s *Service) handled(ctx context.Context, a Actor, ids []string) ([]*concern.Report, error) {
	found, err := s.st.Reports(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*concern.Report, len(found))
	for _, r := range found {
		byID[r.ID] = r
	}
	out := make([]*concern.Report, 0, len(ids))
	for _, id := range ids {
		r := byID[id]
		if r == nil || a.outside(r) {
			return nil, &Refusal{Reason: NotFound, ID: id}
		}
		// a sensitive concern, or one for admins only (collective action), goes
		// into an admins' 信息 only: staff would draft what they cannot then see
		if !a.handles(r) || (r.AdminsOnly && a.Role != concern.RoleAdmin) {
			return nil, &Refusal{Reason: Restricted, ID: id}
		}
		out = append(out, r)
	}
	return out, nil
}

func mostCommon(rs []*concern.Report, of func(*concern.Report) string) string {
	n := map[string]int{}
	best := ""
	for _, r := range rs {
		v := of(r)
		if v == "" {
			continue
		}
		n[v]++
		if n[v] > n[best] || n[v] == n[best] && v < best {
			best = v
		}
	}
	return best
}

// infoTitle is a first title, for staff to rewrite: where, and the topic.
func (s *Service) infoTitle(lang string, it *info.Item) string {
	cat := locale.Default()
	where := strings.Join(it.Facts.Communities, "、")
	if len(it.Facts.Communities) > 2 || where == "" {
		where = cat.Render(lang, "info_title_many")
	}
	topic := it.Topic
	if topic == "" {
		topic = cat.Render(lang, "info_topic_unknown")
	}
	return cat.Render(lang, "info_title", "where", where, "topic", topic, "n", strconv.Itoa(it.Facts.Concerns))
}

// infoFacts are what the LLM reads: the figures and the masked quotes, in Chinese.
func infoFacts(it *info.Item, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "主题：%s（%s）\n基本情况：%s\n群众反映：\n", it.Topic, it.Sector, it.Situation("zh", loc))
	for _, q := range it.Quotes {
		b.WriteString("- " + q.Text + "\n")
	}
	return concern.Mask(b.String())
}

// groupConcerns are the concerns of a 共性问题 group: DAY#N is the Nth group of that day's digest.
func (s *Service) groupConcerns(ctx context.Context, group string) ([]string, error) {
	if s.digests == nil {
		return nil, refuse(DigestUnavailable)
	}
	day, n, _ := strings.Cut(group, "#")
	k, _ := strconv.Atoi(n)
	p, err := period.Parse(day, s.now(), s.cfg.Location)
	if err != nil {
		return nil, &Refusal{Reason: InfoBadFrom, Value: group}
	}
	d, err := s.digests.Build(ctx, p)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > len(d.Groups) {
		return nil, &Refusal{Reason: InfoNoGroup, Value: group}
	}
	return d.Groups[k-1].IDs, nil
}

// Infos lists the 信息 the actor may see, newest first (those of sensitive
// concerns admins only).
func (s *Service) Infos(ctx context.Context, a Actor) ([]*info.Item, error) {
	if err := infoStaff(a); err != nil {
		return nil, err
	}
	all, err := s.st.Infos(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(it *info.Item) bool { return it.AdminsOnly && a.Role != concern.RoleAdmin }), nil
}

// Info is one 信息.
func (s *Service) Info(ctx context.Context, a Actor, id int64) (*info.Item, error) {
	if err := infoStaff(a); err != nil {
		return nil, err
	}
	it, err := s.st.Info(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && it.AdminsOnly && a.Role != concern.RoleAdmin {
		return nil, &Refusal{Reason: InfoNotFound, ID: strconv.FormatInt(id, 10)}
	}
	return it, err
}

// The parts of a 信息 staff may rewrite.
const (
	InfoTitle       = "title"
	InfoAnalysis    = "analysis"
	InfoSuggestions = "suggestions"
	InfoQuotes      = "quotes" // concern ids: their masked words become the quotes
	InfoUrgent      = "urgent" // yes/no: 急报
)

// InfoFields are the parts EditInfo changes.
var InfoFields = []string{InfoTitle, InfoAnalysis, InfoSuggestions, InfoQuotes, InfoUrgent}

// EditInfo rewrites one part of a 信息 not yet signed. Rewriting 原因分析 or
// 意见建议 makes them staff's own (no longer the LLM's draft).
func (s *Service) EditInfo(ctx context.Context, a Actor, id int64, field, value string) (InfoDraft, error) {
	value = strings.TrimSpace(value)
	if !slices.Contains(InfoFields, field) {
		return InfoDraft{}, &Refusal{Reason: InfoBadField, Value: field}
	}
	if value == "" {
		return InfoDraft{}, refuse(EmptyText)
	}
	var quotes []info.Quote
	if field == InfoQuotes {
		from, err := ParseInfoFrom(value)
		if err != nil || from.Group != "" {
			return InfoDraft{}, &Refusal{Reason: InfoBadFrom, Value: value}
		}
		rs, err := s.handled(ctx, a, from.Concerns)
		if err != nil {
			return InfoDraft{}, err
		}
		for _, r := range rs {
			quotes = append(quotes, info.QuoteOf(r))
		}
	}
	it, err := s.updateInfo(ctx, a, id, func(it *info.Item) error {
		if !it.Editable() {
			return &Refusal{Reason: InfoNotEditable, ID: strconv.FormatInt(id, 10)}
		}
		switch field {
		case InfoTitle:
			it.Title = concern.Mask(value)
		case InfoAnalysis:
			it.Analysis, it.ByModel = concern.Mask(value), false
		case InfoSuggestions:
			it.Suggestions, it.ByModel = concern.Mask(value), false
		case InfoQuotes:
			// words of the item's own concerns only: another's would carry them
			// past who may read them
			for _, q := range quotes {
				if !slices.Contains(it.Concerns, q.Concern) {
					return &Refusal{Reason: InfoQuoteOther, ID: strconv.FormatInt(id, 10), Value: q.Concern}
				}
			}
			it.Quotes = quotes
		case InfoUrgent:
			it.Urgent = value == "yes" || value == "是" || value == "急报"
		}
		return nil
	})
	if err != nil {
		return InfoDraft{}, err
	}
	return InfoDraft{Item: it, Warnings: it.Warnings()}, s.infoAudit(ctx, a, "info_edit", it, field)
}

// SubmitInfo puts a draft up for an admin to review and sign.
func (s *Service) SubmitInfo(ctx context.Context, a Actor, id int64) (*info.Item, error) {
	return s.moveInfo(ctx, a, id, info.Review, "", "info_submit")
}

// ReturnInfo sends an item under review back to its drafter, with why.
func (s *Service) ReturnInfo(ctx context.Context, a Actor, id int64, why string) (*info.Item, error) {
	return s.moveInfo(ctx, a, id, info.Draft, strings.TrimSpace(why), "info_return")
}

// SignInfo is an admin's signature (签发): the item gets its year's next issue number.
func (s *Service) SignInfo(ctx context.Context, a Actor, id int64) (*info.Item, error) {
	return s.moveInfo(ctx, a, id, info.Signed, "", "info_sign")
}

// SendInfo records that a signed item was sent (报送) to whom, now.
func (s *Service) SendInfo(ctx context.Context, a Actor, id int64, to string) (*info.Item, error) {
	to = strings.TrimSpace(to)
	if to == "" {
		return nil, refuse(InfoNoRecipient)
	}
	return s.moveInfo(ctx, a, id, info.Sent, to, "info_send")
}

// InfoFeedback records what the committee above made of a sent item (采用, a
// leader's 批示 with its text and who gave it, 转办, 未采用), and writes it on
// the history of every linked concern.
func (s *Service) InfoFeedback(ctx context.Context, a Actor, id int64, outcome info.State, text, by string) (*info.Item, error) {
	if !slices.Contains(info.Outcomes, outcome) {
		return nil, &Refusal{Reason: InfoBadOutcome, Value: string(outcome)}
	}
	text = strings.TrimSpace(text)
	if outcome == info.Instructed && text == "" {
		return nil, refuse(InfoInstructionText)
	}
	it, err := s.moveInfo(ctx, a, id, outcome, text, "info_feedback", func(it *info.Item) {
		it.Feedback = &info.Feedback{Outcome: outcome, Text: text, By: strings.TrimSpace(by), At: s.now()}
	})
	if err != nil {
		return nil, err
	}
	// each concern's history says what became of what it reported
	args := []string{strconv.Itoa(it.Year), strconv.Itoa(it.Number), string(outcome)}
	for _, cid := range it.Concerns {
		_, err := s.st.UpdateReport(ctx, cid, func(r *concern.Report) error {
			req := a.Request + "/info"
			if a.Request != "" && r.Changed(req) {
				return nil
			}
			r.History = append(r.History, concern.StatusChange{At: s.now(), By: a.byLine(), Input: req, Status: r.Status, Code: concern.HistInfo, Args: args})
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) { // a concern erased since is left alone
			return it, fmt.Errorf("信息 %d: the history of %s: %w", id, cid, err)
		}
	}
	return it, nil
}

// TellInfo tells the reporters of the linked concerns (and the grid workers who
// filed them) that what they reported went to the committee above, and what
// became of it. It returns how many chats it told; telling again tells nobody twice.
func (s *Service) TellInfo(ctx context.Context, a Actor, id int64) (int, error) {
	it, err := s.Info(ctx, a, id)
	if err != nil {
		return 0, err
	}
	if it.State != info.Sent && it.Feedback == nil {
		return 0, &Refusal{Reason: InfoNotSent, ID: strconv.FormatInt(id, 10)}
	}
	rs, err := s.st.Reports(ctx, it.Concerns)
	if err != nil {
		return 0, err
	}
	var inputs []flows.Input
	for _, r := range rs {
		ev := flows.Event{Type: flows.EventReported, Concern: r.ID, Excerpt: concern.Excerpt(r.MaskedText(), 20), Info: string(it.State)}
		key := fmt.Sprintf("info:%d:%s:%s", it.ID, it.State, r.ID)
		if r.ReplyChat != 0 {
			inputs = append(inputs, s.eventInput(r.ReplyChat, key+":r", &ev))
		}
		if r.FiledBy != 0 {
			e := ev
			e.Filed = true
			inputs = append(inputs, s.eventInput(r.FiledBy, key+":f", &e))
		}
	}
	fresh, err := s.notify.Ingest(ctx, inputs...)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, f := range fresh {
		if f {
			told++
		}
	}
	if _, err := s.st.UpdateInfo(ctx, id, func(it *info.Item) error { it.Told += told; return nil }); err != nil {
		return told, err
	}
	return told, s.infoAudit(ctx, a, "info_tell", it, strconv.Itoa(told))
}

// moveInfo moves an item to state to, then edits it, and audits the step.
func (s *Service) moveInfo(ctx context.Context, a Actor, id int64, to info.State, note, action string, then ...func(*info.Item)) (*info.Item, error) {
	it, err := s.updateInfo(ctx, a, id, func(it *info.Item) error {
		if err := it.Move(to, a.UserID, s.now(), note, a.Role == concern.RoleAdmin); err != nil {
			var me *info.MoveError
			if errors.As(err, &me) && me.Admin {
				return refuse(InfoSignAdmin)
			}
			return &Refusal{Reason: InfoBadMove, ID: strconv.FormatInt(id, 10), InfoFrom: it.State, InfoTo: to}
		}
		switch to {
		case info.Signed:
			it.Year, it.Number = s.now().In(s.cfg.Location).Year(), 0 // the store numbers it
		case info.Sent:
			it.SentTo, it.SentAt = note, s.now()
		}
		for _, fn := range then {
			fn(it)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	detail := note
	if to == info.Signed {
		detail = it.Issue("zh")
	}
	return it, s.infoAudit(ctx, a, action, it, detail)
}

func (s *Service) updateInfo(ctx context.Context, a Actor, id int64, fn func(*info.Item) error) (*info.Item, error) {
	if _, err := s.Info(ctx, a, id); err != nil {
		return nil, err
	}
	return s.st.UpdateInfo(ctx, id, fn)
}

// infoAudit audits a step of a 信息 on its own trail (info:N).
func (s *Service) infoAudit(ctx context.Context, a Actor, action string, it *info.Item, detail string) error {
	return s.audit(ctx, a, action, InfoAuditID(it.ID), detail)
}

// InfoAuditID names a 信息's audit trail.
func InfoAuditID(id int64) string { return "info:" + strconv.FormatInt(id, 10) }

// InfoAudit is a 信息's audit trail, oldest first.
func (s *Service) InfoAudit(ctx context.Context, a Actor, id int64) ([]concern.AuditEntry, error) {
	if _, err := s.Info(ctx, a, id); err != nil {
		return nil, err
	}
	return s.st.AuditTrail(ctx, InfoAuditID(id))
}
