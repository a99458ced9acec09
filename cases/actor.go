package cases

import (
	"errors"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/store"
)

// Actor is who asks the service for something, from whichever front end: a
// chat, the console, the web workbench, the intake API.
type Actor struct {
	UserID int64
	// Name is how the history names them; empty: their user id.
	Name string
	Role concern.Role
	// Lang is the language they read (zh or en).
	Lang string
	// Community and Grid are a grid worker's own. A staff member's Community,
	// when set, is the one community they handle (invited for it).
	Community, Grid string
	// Chat is the chat they act from (0: none, as on the web).
	Chat int64
	// Request is unique per request: the same request again (an update
	// redelivered after a crash) changes nothing more and tells nobody twice.
	Request string
	// Scheduled marks the program's own doing on a schedule (the daily digest,
	// due in a chat): only ActorOf sets it, for the digest's event.
	Scheduled bool
}

// ActorOf is the sender of a chat's input.
func ActorOf(in flows.Input, lang string) Actor {
	role := in.Role
	if role == "" {
		role = concern.RoleResident
	}
	return Actor{UserID: in.UserID, Name: in.UserName, Role: role, Lang: lang, Community: in.Community, Grid: in.Grid,
		Chat: in.ChatID, Request: in.ID, Scheduled: in.Kind == flows.InputEvent && in.Event != nil && in.Event.Type == flows.EventDigest}
}

// Staff reports whether the actor handles concerns (staff or admin).
func (a Actor) Staff() bool { return a.Role == concern.RoleStaff || a.Role == concern.RoleAdmin }

// outside reports whether r lies outside a community's staff member's community:
// to them it is as if it were not there.
func (a Actor) outside(r *concern.Report) bool {
	return a.Role == concern.RoleStaff && a.Community != "" && r.Community != a.Community
}

// handles reports whether the actor may see and handle r in full: admins every
// concern, staff all but sensitive ones (of their community, if they have one).
func (a Actor) handles(r *concern.Report) bool { return a.Role.MayHandle(r) && !a.outside(r) }

// byLine names the actor in a concern's history: the role's code (each reader
// sees it in their language, StatusChange.ByLabel) and their name.
func (a Actor) byLine() string {
	name := a.Name
	if name == "" {
		name = strconv.FormatInt(a.UserID, 10)
	}
	return string(a.Role) + " " + name
}

// Reason is why the service changed nothing. Its value is the catalog key of
// the sentence that says so.
type Reason string

// The reasons for refusing.
const (
	NotFound             Reason = "not_found"       // no concern of that id
	NotFoundOther        Reason = "not_found_other" // the other concern (of a duplicate) does not exist
	NotAllowed           Reason = "not_allowed"     // the actor's role may not do this
	Restricted           Reason = "restricted"      // a sensitive concern, for admins only
	FinishedAlready      Reason = "finished_already"
	SameStatus           Reason = "same_status"
	BadTransition        Reason = "bad_transition" // From → To is not allowed; Allowed are
	BadStatus            Reason = "bad_status"
	BadLevel             Reason = "bad_level"
	NoteRequired         Reason = "note_required" // Status needs a note
	ReasonRequired       Reason = "reason_required"
	DupSelf              Reason = "dup_self"
	AdminsOnly           Reason = "admins_only"
	InviteStaffAdminOnly Reason = "invite_staff_admin_only"
	InviteNotOutstanding Reason = "invite_not_outstanding" // Code
	InviteInvalid        Reason = "invite_invalid"
	TooManyAttempts      Reason = "too_many_attempts"
	NotMember            Reason = "not_member"
	NotYours             Reason = "not_yours"
	AlreadyRated         Reason = "already_rated"
	NotClosed            Reason = "not_closed"
	DigestUnavailable    Reason = "digest_unavailable"
	ListUnavailable      Reason = "list_unavailable"
	EmptyText            Reason = "empty_text"
	FileNotAllowed       Reason = "file_not_allowed"
	LimitConcerns        Reason = "limit_concerns"
	LinkInvalid          Reason = "link_invalid"        // a workbench sign-in link used, expired or made up
	DigestWholeOffice    Reason = "digest_whole_office" // a community's staff asked for the whole office's digest
	ExportTooLarge       Reason = "export_too_large"    // Value: how many matched; Other: the most one export holds
	NoPhoto              Reason = "no_photo"
	BadPhone             Reason = "phone_lookup_bad" // Value: the number as given
	AckStormOffice       Reason = "ack_storm_office"
	// 社情民意信息; ID is the item's number where one is named
	InfoOffice          Reason = "info_office" // a community's staff: 信息 are the whole office's
	InfoNothing         Reason = "info_nothing"
	InfoBadFrom         Reason = "info_bad_from" // Value: what was typed
	InfoNoGroup         Reason = "info_no_group" // Value: DAY#N
	InfoNotFound        Reason = "info_not_found"
	InfoBadMove         Reason = "info_bad_move" // InfoFrom → InfoTo
	InfoSignAdmin       Reason = "info_sign_admin"
	InfoNotEditable     Reason = "info_not_editable"
	InfoBadField        Reason = "info_bad_field"   // Value: the field
	InfoBadOutcome      Reason = "info_bad_outcome" // Value: the word
	InfoInstructionText Reason = "info_instruction_text"
	InfoNoRecipient     Reason = "info_no_recipient"
	InfoNotSent         Reason = "info_not_sent"
	InfoQuoteOther      Reason = "info_quote_other" // Value: the concern not linked to the item
	// 综合分析 and the archive
	ReportBadSpan    Reason = "report_bad_span" // Value: what was typed
	ReportFuture     Reason = "report_future"   // Value: the span
	ArchiveNotFound  Reason = "archive_not_found"
	ReportIssueAdmin Reason = "report_issue_admin"
	ReportNotEnded   Reason = "report_not_ended" // Value: the span
	// 征求意见; ID is the consultation's number where one is named
	ConsultCommunity  Reason = "consult_community" // a community's staff: their community's residents only
	ConsultInvalid    Reason = "consult_invalid"   // Value: what is wrong
	ConsultNotFound   Reason = "consult_not_found"
	ConsultClosed     Reason = "consult_closed"
	ConsultNotYet     Reason = "consult_not_yet" // Value: when it opens
	ConsultNotInvited Reason = "consult_not_invited"
	ConsultBadAnswer  Reason = "consult_bad_answer"
	ConsultStillOpen  Reason = "consult_still_open"
	ConsultNoOutcome  Reason = "consult_no_outcome"
)

// Reasons are every reason the service gives, for the catalog test.
var Reasons = []Reason{NotFound, NotFoundOther, NotAllowed, Restricted, FinishedAlready, SameStatus, BadTransition,
	BadStatus, BadLevel, NoteRequired, ReasonRequired, DupSelf, AdminsOnly, InviteStaffAdminOnly, InviteNotOutstanding,
	InviteInvalid, TooManyAttempts, NotMember, NotYours, AlreadyRated, NotClosed, DigestUnavailable, ListUnavailable,
	EmptyText, FileNotAllowed, LimitConcerns, LinkInvalid, DigestWholeOffice, ExportTooLarge, NoPhoto, BadPhone, AckStormOffice,
	InfoOffice, InfoNothing, InfoBadFrom, InfoNoGroup, InfoNotFound, InfoBadMove, InfoSignAdmin, InfoNotEditable, InfoBadField,
	InfoBadOutcome, InfoInstructionText, InfoNoRecipient, InfoNotSent, InfoQuoteOther, ReportBadSpan, ReportFuture, ArchiveNotFound, ReportIssueAdmin, ReportNotEnded,
	ConsultCommunity, ConsultInvalid, ConsultNotFound, ConsultClosed, ConsultNotYet, ConsultNotInvited, ConsultBadAnswer, ConsultStillOpen, ConsultNoOutcome}

// Refusal is a request that changed nothing, and why; the fields beyond Reason
// are set for the reasons that name them.
type Refusal struct {
	Reason Reason
	// ID is the concern refused; Other the second one named (a duplicate's original).
	ID, Other string
	// Status needs a note; From → To is not a transition, Allowed are.
	Status, From, To concern.Status
	Allowed          []concern.Status
	// Value is the refused argument as given (a status or level word, an invite code).
	Value string
	// InfoFrom and InfoTo are a 信息's state and the one refused.
	InfoFrom, InfoTo info.State
}

func (r *Refusal) Error() string { return "refused: " + string(r.Reason) }

// Args are the placeholders a refusal's sentence may name, in lang: id (the
// concern's, or fallback when the refusal names none), other, status, level,
// code, value, from, to, and allowed (the statuses, joined by sep; none when empty).
func (r *Refusal) Args(lang, fallback, sep, none string) []string {
	id := r.ID
	if id == "" {
		id = fallback
	}
	status := r.Value
	if r.Status != "" {
		status = r.Status.Label(lang)
	}
	allowed := make([]string, 0, len(r.Allowed))
	for _, st := range r.Allowed {
		allowed = append(allowed, st.Label(lang))
	}
	if len(allowed) == 0 {
		allowed = append(allowed, none)
	}
	return []string{"id", id, "other", r.Other, "status", status, "level", r.Value, "code", r.Value, "value", r.Value,
		"from", r.From.Label(lang), "to", r.To.Label(lang), "allowed", strings.Join(allowed, sep),
		"info_from", r.InfoFrom.Label(lang), "info_to", r.InfoTo.Label(lang)}
}

func refuse(reason Reason) *Refusal { return &Refusal{Reason: reason} }

// AsRefusal reports the refusal err is or wraps.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// missing turns the store's "not found" into the refusal of id.
func missing(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Refusal{Reason: NotFound, ID: id}
	}
	return err
}
