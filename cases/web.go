package cases

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/store"
)

// How long a workbench sign-in link lasts, and a session without use.
const (
	SignInTTL   = 10 * time.Minute
	SessionIdle = 8 * time.Hour
)

// Session is a signed-in browser: its cookie, and the token its changes carry.
type Session struct {
	Cookie, CSRF string
	User         int64
}

func secret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignInLink makes a one-time code that opens a workbench session for the
// actor, valid for SignInTTL: members only (grid workers, staff, admins).
func (s *Service) SignInLink(ctx context.Context, a Actor) (string, time.Time, error) {
	if a.Role != concern.RoleGrid && !a.Staff() {
		return "", time.Time{}, refuse(NotAllowed)
	}
	code := secret()
	if err := s.st.CreateSignIn(ctx, code, a.UserID, a.Lang, SignInTTL); err != nil {
		return "", time.Time{}, err
	}
	return code, s.now().Add(SignInTTL), nil
}

// SignIn redeems a sign-in code for a session; a code works once.
func (s *Service) SignIn(ctx context.Context, code, request string) (Session, error) {
	ws, err := s.st.RedeemSignIn(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, refuse(LinkInvalid)
	}
	if err != nil {
		return Session{}, err
	}
	a, err := s.member(ctx, ws.User, ws.Lang, request)
	if err != nil {
		return Session{}, err
	}
	token := secret()
	ws.CSRF, ws.Created = secret(), s.now()
	if err := s.st.CreateWebSession(ctx, token, ws, SessionIdle); err != nil {
		return Session{}, err
	}
	return Session{Cookie: strconv.FormatInt(ws.User, 10) + "." + token, CSRF: ws.CSRF, User: ws.User},
		s.audit(ctx, a, "signin", "", "workbench")
}

// WebActor is who a session's cookie belongs to, as of now (their role read
// afresh: a member revoked or narrowed since acts as what they are now), and the
// session's CSRF token. An ended or idle session, or a member no more, is NotAllowed.
func (s *Service) WebActor(ctx context.Context, cookie, request string) (Actor, string, error) {
	user, token, ok := strings.Cut(cookie, ".")
	id, err := strconv.ParseInt(user, 10, 64)
	if !ok || err != nil || id <= 0 || token == "" {
		return Actor{}, "", refuse(NotAllowed)
	}
	ws, err := s.st.WebSession(ctx, id, token, SessionIdle)
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, "", refuse(NotAllowed)
	}
	if err != nil {
		return Actor{}, "", err
	}
	a, err := s.member(ctx, id, ws.Lang, request)
	return a, ws.CSRF, err
}

// SignOut ends the session of a cookie.
func (s *Service) SignOut(ctx context.Context, cookie string) error {
	user, token, _ := strings.Cut(cookie, ".")
	id, err := strconv.ParseInt(user, 10, 64)
	if err != nil {
		return nil
	}
	return s.st.EndWebSession(ctx, id, token)
}

// member is a user as the actor of a web request: an admin by configuration,
// or what their membership says; anyone else is NotAllowed.
func (s *Service) member(ctx context.Context, user int64, lang, request string) (Actor, error) {
	a := Actor{UserID: user, Lang: lang, Request: request, Name: strconv.FormatInt(user, 10)}
	if s.IsAdmin(user) {
		a.Role = concern.RoleAdmin
		return a, nil
	}
	m, ok, err := s.st.Member(ctx, user)
	if err != nil {
		return Actor{}, err
	}
	if !ok || m.Role == concern.RoleResident || m.Role == "" {
		return Actor{}, refuse(NotAllowed)
	}
	a.Role, a.Community, a.Grid = m.Role, m.Community, m.Grid
	return a, nil
}
