package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The workbench's sign-in links and sessions. A member's sessions share a hash
// slot ({USER}), so that all of them end together on a cluster too.
const keySignInPref = "minyi:web:signin:"

func keyWebSession(user int64, token string) string {
	return "minyi:web:{" + strconv.FormatInt(user, 10) + "}:sess:" + token
}

func keyWebSessions(user int64) string {
	return "minyi:web:{" + strconv.FormatInt(user, 10) + "}:sessions"
}

// WebSession is one signed-in browser of a member.
type WebSession struct {
	User int64 `json:"user"`
	// CSRF is the token every change posted from this browser must carry.
	CSRF    string    `json:"csrf"`
	Lang    string    `json:"lang"`
	Created time.Time `json:"created"`
}

// CreateSignIn stores a one-time sign-in code for user, valid for ttl.
func (s *Store) CreateSignIn(ctx context.Context, code string, user int64, lang string, ttl time.Duration) error {
	if err := s.putOnce(ctx, keySignInPref+code, WebSession{User: user, Lang: lang}, ttl); err != nil {
		return fmt.Errorf("sign-in link: %w", err)
	}
	return nil
}

// RedeemSignIn takes a sign-in code, once: used, expired or made up, it is
// ErrNotFound.
func (s *Store) RedeemSignIn(ctx context.Context, code string) (WebSession, error) {
	var ws WebSession
	if err := s.takeOnce(ctx, keySignInPref+code, &ws); err != nil {
		return WebSession{}, fmt.Errorf("sign-in link: %w", err)
	}
	return ws, nil
}

// CreateWebSession stores a session under token, to end after idle without use.
func (s *Store) CreateWebSession(ctx context.Context, token string, ws WebSession, idle time.Duration) error {
	b, _ := json.Marshal(ws)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, keyWebSession(ws.User, token), b, idle)
		p.SAdd(ctx, keyWebSessions(ws.User), token)
		p.Expire(ctx, keyWebSessions(ws.User), 30*24*time.Hour)
		return nil
	})
	if err != nil {
		return fmt.Errorf("web session: %w", err)
	}
	return nil
}

// WebSession reads a session and keeps it alive for idle more; an ended or
// idle one is ErrNotFound.
func (s *Store) WebSession(ctx context.Context, user int64, token string, idle time.Duration) (WebSession, error) {
	b, err := s.rdb.GetEx(ctx, keyWebSession(user, token), idle).Bytes()
	if errors.Is(err, redis.Nil) {
		return WebSession{}, fmt.Errorf("web session: %w", ErrNotFound)
	}
	if err != nil {
		return WebSession{}, fmt.Errorf("web session: %w", err)
	}
	var ws WebSession
	if err := json.Unmarshal(b, &ws); err != nil {
		return WebSession{}, fmt.Errorf("web session: %w", err)
	}
	return ws, nil
}

// EndWebSession ends one session (signing out).
func (s *Store) EndWebSession(ctx context.Context, user int64, token string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, keyWebSession(user, token))
		p.SRem(ctx, keyWebSessions(user), token)
		return nil
	})
	return err
}

// EndWebSessions ends every session of a member (their role was taken away),
// and reports how many there were.
func (s *Store) EndWebSessions(ctx context.Context, user int64) (int, error) {
	tokens, err := s.rdb.SMembers(ctx, keyWebSessions(user)).Result()
	if err != nil {
		return 0, fmt.Errorf("web sessions: %w", err)
	}
	keys := []string{keyWebSessions(user)}
	for _, t := range tokens {
		keys = append(keys, keyWebSession(user, t))
	}
	n, err := s.rdb.Del(ctx, keys...).Result()
	if err != nil {
		return 0, fmt.Errorf("web sessions: %w", err)
	}
	return max(int(n)-1, 0), nil
}
