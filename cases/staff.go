package cases

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/store"
)

// Change is the outcome of an action on one concern.
type Change struct {
	Report *concern.Report
	// Notified says whether the reporter (or the grid worker who filed it) could
	// be told; for a change nobody is told of, whether anyone could have been.
	Notified bool
}

// Reports is a page of concerns, and how many there are in all.
type Reports struct {
	Reports []concern.Report
	Total   int
}

// ListQuery selects concerns for a work list.
type ListQuery struct {
	// Statuses match any of theirs; empty: the running ones, or with AnyStatus every one.
	Statuses  []concern.Status
	AnyStatus bool
	// Community, when set, is the only community listed.
	Community string
	// Text is a substring of the concern's text.
	Text string
	// From and To bound when they were received (From ≤ received < To; zero: unbounded).
	From, To time.Time
	// Overdue selects running concerns past their deadline; Urgent urgent ones;
	// Unacked urgent ones whose alert nobody has acknowledged yet.
	Overdue, Urgent, Unacked bool
	// Grid (with Community), Sector, Topic, Unit and Channel, when set, are the only ones listed.
	Grid, Sector, Topic, Unit, Channel string
	// Filed lists only those a grid worker filed for a resident.
	Filed bool
	// Sensitive lists only sensitive concerns; Phone those whose reporter's or
	// resident's number ends with its digits (7 or more). Both are for admins.
	Sensitive bool
	Phone     string
	Order     Order
	// Offset and Limit cut the page; a Limit of 0 counts only.
	Offset, Limit int
}

// Order is the order of a list.
type Order int

// The orders: newest first (the default), oldest first, soonest deadline first.
const (
	Newest Order = iota
	Oldest
	SoonestDue
)

// WithIndex lets staff list and search concerns through the read model.
func WithIndex(ix *index.Index) Option { return func(s *Service) { s.index = ix } }

// Show is one concern in full, for staff, or a grid worker's of their grid or
// filing; being looked at is audited.
func (s *Service) Show(ctx context.Context, a Actor, id string) (*concern.Report, error) {
	r, err := s.readable(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return r, s.audit(ctx, a, "view", r.ID, "")
}

// List is a page of the concerns the actor may see, newest first: staff and
// admins all (sensitive ones admins only), a grid worker their grid's and their
// own filings.
func (s *Service) List(ctx context.Context, a Actor, q ListQuery) (Reports, error) {
	visible, ok := s.scope(a)
	if !ok {
		return Reports{}, refuse(NotAllowed)
	}
	if s.index == nil {
		return Reports{}, refuse(ListUnavailable)
	}
	iq, err := listQuery(a, q)
	if err != nil {
		return Reports{}, err
	}
	iq.Visible, iq.Offset, iq.Limit, iq.Now = visible, q.Offset, q.Limit, s.now()
	page, err := s.index.Query(ctx, iq)
	if err != nil {
		return Reports{}, err
	}
	list, err := s.st.Reports(ctx, page.IDs)
	if err != nil {
		return Reports{}, err
	}
	out := Reports{Total: page.Total}
	for _, r := range list {
		if s.sees(a, r) { // the record may have changed since the index read it
			out.Reports = append(out.Reports, *r)
		}
	}
	return out, nil
}

// listQuery is q as the index asks it; what only admins may ask is refused to others.
func listQuery(a Actor, q ListQuery) (index.Query, error) {
	yes := true
	iq := index.Query{Text: q.Text, Sort: index.ReceivedDesc, From: q.From, To: q.To, Overdue: q.Overdue}
	switch q.Order {
	case Oldest:
		iq.Sort = index.ReceivedAsc
	case SoonestDue:
		iq.Sort = index.DeadlineAsc
	}
	if q.Urgent || q.Unacked {
		iq.Urgent = &yes
	}
	if q.Unacked {
		no := false
		iq.Acked = &no
	}
	if q.Filed {
		iq.Filed = &yes
	}
	if q.Sensitive || q.Phone != "" {
		if a.Role != concern.RoleAdmin {
			return index.Query{}, refuse(AdminsOnly)
		}
	}
	if q.Sensitive {
		iq.Sensitive = &yes
	}
	if q.Phone != "" {
		iq.Phone = index.PhoneDigits(q.Phone)
		if len(iq.Phone) < 7 || strings.Contains(iq.Phone, " ") {
			return index.Query{}, &Refusal{Reason: BadPhone, Value: q.Phone}
		}
	}
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	iq.Grids, iq.Sectors, iq.Topics, iq.Units, iq.Channels = one(q.Grid), one(q.Sector), one(q.Topic), one(q.Unit), one(q.Channel)
	for _, st := range q.Statuses {
		iq.Statuses = append(iq.Statuses, string(st))
	}
	if len(q.Statuses) == 0 && !q.AnyStatus {
		running := false
		iq.Finished = &running
	}
	iq.Communities = one(q.Community)
	return iq, nil
}

// DefaultExportLimit is the most concerns one export holds, unless configured:
// a workbook Excel opens at once, read in one go from the store.
const DefaultExportLimit = 10000

// ExportLimit is the most concerns one export holds.
func (s *Service) ExportLimit() int { return s.cfg.ExportLimit }

// Export is every concern of the list q selects, for staff to take away as a
// masked file (the workbench's CSV and XLSX of a filter); it is audited with
// what, as filter words it. More than Config.ExportLimit are refused: narrow the filter.
func (s *Service) Export(ctx context.Context, a Actor, q ListQuery, what string) ([]*concern.Report, error) {
	if !a.Staff() {
		return nil, refuse(NotAllowed)
	}
	q.Offset, q.Limit = 0, s.cfg.ExportLimit
	res, err := s.List(ctx, a, q)
	if err != nil {
		return nil, err
	}
	if res.Total > s.cfg.ExportLimit {
		return nil, &Refusal{Reason: ExportTooLarge, Value: strconv.Itoa(res.Total), Other: strconv.Itoa(s.cfg.ExportLimit)}
	}
	out := make([]*concern.Report, len(res.Reports))
	for i := range res.Reports {
		out[i] = &res.Reports[i]
	}
	return out, s.audit(ctx, a, "export", "", strings.TrimSpace(strconv.Itoa(len(out))+" "+what))
}

// scope is which of the index's rows the actor may see, and whether they may list at all.
func (s *Service) scope(a Actor) (func(*index.Row) bool, bool) {
	switch {
	case a.Role == concern.RoleAdmin:
		return nil, true
	case a.Role == concern.RoleStaff && a.Community != "":
		return func(r *index.Row) bool { return !r.Sensitive && r.Community == a.Community }, true
	case a.Role == concern.RoleStaff:
		return func(r *index.Row) bool { return !r.Sensitive }, true
	case a.Role == concern.RoleGrid && a.Grid != "":
		return func(r *index.Row) bool {
			return !r.Sensitive && (r.FiledBy == a.UserID || r.Community == a.Community && r.Grid == a.Grid)
		}, true
	}
	return nil, false
}

// sees reports whether the actor may see concern r in a list (as scope does for rows).
func (s *Service) sees(a Actor, r *concern.Report) bool {
	if a.Role == concern.RoleGrid {
		return !r.Sensitive && (r.FiledBy == a.UserID || r.Community == a.Community && r.Grid == a.Grid)
	}
	return a.handles(r)
}

// Overdue lists the running concerns past their deadline, soonest first.
func (s *Service) Overdue(ctx context.Context, a Actor, limit int) (Reports, error) {
	if !a.Staff() {
		return Reports{}, refuse(NotAllowed)
	}
	list, total, err := s.st.Overdue(ctx, s.now(), int64(limit))
	if err != nil {
		return Reports{}, err
	}
	out := Reports{Total: int(total)}
	for _, r := range list {
		if a.handles(r) {
			out.Reports = append(out.Reports, *r)
		}
	}
	return out, nil
}

// Audit is a concern's audit trail; a sensitive concern's is as restricted as
// the concern.
func (s *Service) Audit(ctx context.Context, a Actor, id string) ([]concern.AuditEntry, error) {
	if !a.Staff() {
		return nil, refuse(NotAllowed)
	}
	if r, err := s.st.Report(ctx, id); err == nil && a.outside(r) {
		return nil, &Refusal{Reason: NotFound, ID: id}
	} else if err == nil && !a.handles(r) {
		return nil, &Refusal{Reason: Restricted, ID: id}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return s.st.AuditTrail(ctx, id)
}

// Assign refers a concern to the unit that handles it.
func (s *Service) Assign(ctx context.Context, a Actor, id, unit string) (Change, error) {
	unit = strings.TrimSpace(unit)
	if unit == "" {
		return Change{}, &Refusal{Reason: EmptyText, ID: id}
	}
	return s.change(ctx, a, id, "assign", unit, func(r *concern.Report, step *concern.StatusChange) error {
		if r.Status.Finished() {
			return refuse(FinishedAlready)
		}
		r.Unit = unit
		step.Status, step.Code, step.Args = r.Status, concern.HistAssigned, []string{unit}
		if r.Status == concern.StatusReceived || r.Status == concern.StatusAccepted {
			step.Status = concern.StatusTransferred
		}
		return nil
	})
}

// SetStatus moves a concern to status st; closing and rejecting need a note,
// which the reporter reads. A duplicate is marked with LinkDuplicate.
func (s *Service) SetStatus(ctx context.Context, a Actor, id string, st concern.Status, note string) (Change, error) {
	note = strings.TrimSpace(note)
	if err := CheckStatus(id, st, note); err != nil {
		return Change{}, err
	}
	return s.change(ctx, a, id, "status", strings.TrimSpace(string(st)+" "+note), func(r *concern.Report, step *concern.StatusChange) error {
		if st == r.Status {
			return refuse(SameStatus)
		}
		if !r.Status.CanBecome(st) {
			return &Refusal{Reason: BadTransition, From: r.Status, To: st, Allowed: r.Status.Next()}
		}
		step.Status, step.Note = st, note
		return nil
	})
}

// LinkDuplicate marks a concern as a repeat of another.
func (s *Service) LinkDuplicate(ctx context.Context, a Actor, id, other string) (Change, error) {
	if !a.Staff() {
		return Change{}, refuse(NotAllowed) // before anything is looked up: what exists is not said
	}
	if err := CheckDuplicate(id, other); err != nil {
		return Change{}, err
	}
	if _, err := s.st.Report(ctx, other); errors.Is(err, store.ErrNotFound) {
		return Change{}, &Refusal{Reason: NotFoundOther, ID: id, Other: other}
	} else if err != nil {
		return Change{}, err
	}
	return s.change(ctx, a, id, "dup", other, func(r *concern.Report, step *concern.StatusChange) error {
		if r.Status.Finished() {
			return refuse(FinishedAlready)
		}
		r.DuplicateOf = other
		step.Status, step.Code, step.Args = concern.StatusDuplicate, concern.HistDuplicate, []string{other}
		return nil
	})
}

// SetLevel changes a concern's service level and so its deadline.
func (s *Service) SetLevel(ctx context.Context, a Actor, id string, level concern.Level) (Change, error) {
	if err := CheckLevel(id, level); err != nil {
		return Change{}, err
	}
	return s.change(ctx, a, id, "level", string(level), func(r *concern.Report, step *concern.StatusChange) error {
		if r.Status.Finished() {
			return refuse(FinishedAlready)
		}
		r.Level = level
		r.Deadline = s.Deadline(r.Level, r.ReceivedAt)
		step.Status, step.Code, step.Args = r.Status, concern.HistLevel, []string{string(level)}
		return nil
	})
}

// AddNote keeps an internal note on a concern's history; nobody outside staff
// is told or shown it.
func (s *Service) AddNote(ctx context.Context, a Actor, id, note string) (Change, error) {
	return s.annotate(ctx, a, id, "note", concern.HistNote, note)
}

// ReplyToReporter sends staff's words to whoever reported the concern (or the
// grid worker who filed it) in their chat, and keeps them on its history.
func (s *Service) ReplyToReporter(ctx context.Context, a Actor, id, text string) (Change, error) {
	return s.annotate(ctx, a, id, "reply", concern.HistReplied, text)
}

// annotate puts staff's words on a concern's history as a step of code,
// leaving its status as it is.
func (s *Service) annotate(ctx context.Context, a Actor, id, action, code, text string) (Change, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Change{}, &Refusal{Reason: EmptyText, ID: id}
	}
	return s.change(ctx, a, id, action, text, func(r *concern.Report, step *concern.StatusChange) error {
		step.Status, step.Code, step.Note = r.Status, code, text
		return nil
	})
}

// CheckStatus applies the rules a status change's words must keep, before
// the concern is read: a status staff may set, and the note closing and
// rejecting need (the reporter reads it). Front ends check with it as they parse.
func CheckStatus(id string, st concern.Status, note string) error {
	if _, ok := concern.ParseStatus(string(st)); !ok || st == concern.StatusReceived || st == concern.StatusDuplicate {
		return &Refusal{Reason: BadStatus, ID: id, Value: string(st)}
	}
	switch {
	case st == concern.StatusRejected && strings.TrimSpace(note) == "":
		return &Refusal{Reason: ReasonRequired, ID: id}
	case st.NeedsNote() && strings.TrimSpace(note) == "":
		return &Refusal{Reason: NoteRequired, ID: id, Status: st}
	}
	return nil
}

// CheckLevel refuses what is not a service level.
func CheckLevel(id string, l concern.Level) error {
	if !slices.Contains(concern.Levels, l) {
		return &Refusal{Reason: BadLevel, ID: id, Value: string(l)}
	}
	return nil
}

// CheckDuplicate refuses a concern marked a repeat of itself or of what is
// not a concern's id.
func CheckDuplicate(id, other string) error {
	switch {
	case id == other:
		return &Refusal{Reason: DupSelf, ID: id}
	case !concern.ValidID(other):
		return &Refusal{Reason: NotFoundOther, ID: id, Other: other}
	}
	return nil
}

// change carries out one staff action on a concern: edit checks and fills in
// the history step, the change is audited as action with detail, and the
// reporter is told when the status moved, a unit was named or staff replied.
// Doing one again (the same request, after a crash) changes nothing more and
// tells nobody twice.
func (s *Service) change(ctx context.Context, a Actor, id, action, detail string, edit func(*concern.Report, *concern.StatusChange) error) (Change, error) {
	if !a.Staff() {
		return Change{}, refuse(NotAllowed)
	}
	now := s.now()
	tellable := false
	r, err := s.st.UpdateReport(ctx, id, func(r *concern.Report) error {
		if a.outside(r) {
			return refuse(NotFound)
		}
		if !a.handles(r) {
			return refuse(Restricted)
		}
		if r.Changed(a.Request) {
			return nil
		}
		step := concern.StatusChange{At: now, By: a.byLine(), Input: a.Request}
		if err := edit(r, &step); err != nil {
			return err
		}
		tellable = step.Status != r.Status || step.Code == concern.HistAssigned || step.Code == concern.HistReplied
		r.Status = step.Status
		r.History = append(r.History, step)
		return nil
	})
	if ref, ok := AsRefusal(err); ok && ref.ID == "" {
		ref.ID = id
	}
	if err != nil {
		return Change{}, missing(err, id)
	}
	if err := s.audit(ctx, a, action, id, detail); err != nil {
		return Change{}, err
	}
	if !tellable {
		return Change{Report: r, Notified: r.ReplyChat != 0 || r.FiledBy != 0}, nil
	}
	notified, err := s.tell(ctx, r, len(r.History)-1)
	return Change{Report: r, Notified: notified}, err
}
