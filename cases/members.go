package cases

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
)

// codeAlphabet leaves out letters and digits that read alike (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// InviteSpec is the role an invite code gives: a grid worker's grid, and a
// staff member's community when they handle one community only.
type InviteSpec struct {
	Role            concern.Role
	Community, Grid string
}

// Where is the grid (社区/网格) or community an invite is for; empty for the whole office.
func (i InviteSpec) Where() string {
	if i.Grid != "" {
		return i.Community + "/" + i.Grid
	}
	return i.Community
}

// Invitation is an invite code made, or one outstanding.
type Invitation struct {
	Code string
	InviteSpec
	By      int64
	Expires time.Time
}

// Invite makes an invite code: staff invites are admins' to make (one leaked
// account must not make many), grid invites staff's and admins'.
func (s *Service) Invite(ctx context.Context, a Actor, spec InviteSpec) (Invitation, error) {
	switch {
	case spec.Role == concern.RoleStaff && a.Role != concern.RoleAdmin:
		return Invitation{}, refuse(InviteStaffAdminOnly)
	case spec.Role == concern.RoleGrid && !a.Staff():
		return Invitation{}, refuse(NotAllowed)
	case spec.Role != concern.RoleStaff && spec.Role != concern.RoleGrid:
		return Invitation{}, refuse(NotAllowed)
	}
	inv := store.Invite{Role: spec.Role, By: a.UserID, Created: s.now()}
	if spec.Role == concern.RoleStaff {
		spec.Grid = "" // staff handle a community, or the whole office
	}
	inv.Community, inv.Grid = spec.Community, spec.Grid
	detail := strings.TrimSpace(string(spec.Role) + " " + spec.Where())
	out := Invitation{InviteSpec: spec, By: a.UserID}
	var err error
	for range 3 { // a clash of random codes is unlikely; try again if it happens
		out.Code = newCode()
		if err = s.st.CreateInvite(ctx, out.Code, inv, s.cfg.InviteTTL); err == nil {
			break
		}
	}
	if err != nil {
		return Invitation{}, err
	}
	out.Expires = s.now().Add(s.cfg.InviteTTL)
	return out, s.audit(ctx, a, "invite", "", detail)
}

// CancelInvite makes an outstanding code unusable (admins only).
func (s *Service) CancelInvite(ctx context.Context, a Actor, code string) (string, error) {
	if a.Role != concern.RoleAdmin {
		return "", refuse(AdminsOnly)
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	inv, err := s.st.CancelInvite(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return "", &Refusal{Reason: InviteNotOutstanding, Value: code}
	}
	if err != nil {
		return "", err
	}
	return code, s.audit(ctx, a, "uninvite", "", code+" "+string(inv.Role))
}

// Invites are the outstanding invite codes (admins only).
func (s *Service) Invites(ctx context.Context, a Actor) ([]Invitation, error) {
	if a.Role != concern.RoleAdmin {
		return nil, refuse(AdminsOnly)
	}
	list, err := s.st.Invites(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]Invitation, 0, len(list))
	for _, o := range list {
		out = append(out, Invitation{Code: o.Code, InviteSpec: InviteSpec{Role: o.Invite.Role, Community: o.Invite.Community, Grid: o.Invite.Grid},
			By: o.Invite.By, Expires: o.Expires})
	}
	return out, nil
}

// Join redeems an invite code: the actor takes its role.
func (s *Service) Join(ctx context.Context, a Actor, code string) (concern.Member, error) {
	n, err := s.st.CountAttempt(ctx, "join:"+strconv.FormatInt(a.UserID, 10), time.Hour)
	if err != nil {
		return concern.Member{}, err
	}
	if n > 10 {
		return concern.Member{}, refuse(TooManyAttempts)
	}
	inv, err := s.st.RedeemInvite(ctx, strings.ToUpper(strings.TrimSpace(code)))
	if errors.Is(err, store.ErrNotFound) {
		return concern.Member{}, refuse(InviteInvalid)
	}
	if err != nil {
		return concern.Member{}, err
	}
	if ok, err := s.mayInvite(ctx, inv.By, inv.Role); err != nil {
		return concern.Member{}, err
	} else if !ok {
		// the maker's role was taken away (or narrowed) since: the code died with it
		s.log.Info("invite of a maker no longer allowed to invite refused", "by", inv.By, "role", inv.Role)
		return concern.Member{}, refuse(InviteInvalid)
	}
	m := concern.Member{UserID: a.UserID, Role: inv.Role, Community: inv.Community, Grid: inv.Grid, Since: s.now(), By: inv.By}
	if err := s.st.SetMember(ctx, m); err != nil {
		return concern.Member{}, err
	}
	s.setMenu(a.UserID, m.Role)
	a.Role = m.Role
	return m, s.audit(ctx, a, "join", "", string(m.Role)+" "+m.Community+"/"+m.Grid)
}

// mayInvite reports whether user may still make an invite of role: staff invites
// are admins', grid invites staff's and admins'.
func (s *Service) mayInvite(ctx context.Context, user int64, role concern.Role) (bool, error) {
	if s.IsAdmin(user) {
		return true, nil
	}
	m, ok, err := s.st.Member(ctx, user)
	if err != nil || !ok {
		return false, err
	}
	switch role {
	case concern.RoleGrid:
		return m.Role == concern.RoleStaff || m.Role == concern.RoleAdmin, nil
	}
	return m.Role == concern.RoleAdmin, nil
}

// Revoke takes a member's role away, and their outstanding invite codes with
// it (admins only). They are told in their chat.
func (s *Service) Revoke(ctx context.Context, a Actor, user int64) (concern.Member, error) {
	if a.Role != concern.RoleAdmin {
		return concern.Member{}, refuse(AdminsOnly)
	}
	m, ok, err := s.st.Member(ctx, user)
	if err != nil {
		return concern.Member{}, err
	}
	if !ok {
		return concern.Member{}, &Refusal{Reason: NotMember, Value: strconv.FormatInt(user, 10)}
	}
	if _, err := s.st.RemoveMember(ctx, user); err != nil {
		return concern.Member{}, err
	}
	// their outstanding codes go with them (join checks the maker too)
	if n, err := s.st.CancelInvitesBy(ctx, user, s.now()); err != nil {
		return concern.Member{}, err
	} else if n > 0 {
		s.log.Info("a revoked member's invite codes cancelled", "user", user, "codes", n)
	}
	s.setMenu(user, concern.RoleResident)
	// their workbench sessions end now (each request reads the role afresh as well)
	if n, err := s.st.EndWebSessions(ctx, user); err != nil {
		return concern.Member{}, err
	} else if n > 0 {
		s.log.Info("a revoked member's workbench sessions ended", "user", user, "sessions", n)
	}
	if err := s.audit(ctx, a, "revoke", "", strconv.FormatInt(user, 10)+" "+string(m.Role)); err != nil {
		return concern.Member{}, err
	}
	_, err = s.notify.Ingest(ctx, s.eventInput(user, "role:"+a.Request, &flows.Event{Type: flows.EventRole, Member: concern.Member{Role: concern.RoleResident}}))
	return m, err
}

// setMenu gives a user their role's menu, in the background: Telegram being slow
// must not hold up the chat the command came from.
func (s *Service) setMenu(userID int64, role concern.Role) {
	if s.menus == nil || s.tasks == nil {
		return
	}
	if !s.tasks.Go(30*time.Second, func(ctx context.Context) {
		if err := s.menus(ctx, userID, role); err != nil {
			s.log.Warn("command menu not set", "user", userID, "role", role, "err", err)
		}
	}) {
		s.log.Warn("command menu not set: stopping", "user", userID, "role", role)
	}
}
