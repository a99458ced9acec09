package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/concern"
)

const (
	keyInvitePref  = "minyi:invite:"
	keyInvites     = "minyi:invites" // outstanding codes by when they expire
	keyAttemptPref = "minyi:attempts:"
)

// Invite is what a one-time invite code grants.
type Invite struct {
	Role      concern.Role `json:"role"`
	Community string       `json:"community,omitempty"`
	Grid      string       `json:"grid,omitempty"`
	By        int64        `json:"by"`
	Created   time.Time    `json:"created"`
}

// CreateInvite stores a code for ttl; it fails if the code exists. The code is
// also listed among the outstanding ones, for admins to see and cancel.
func (s *Store) CreateInvite(ctx context.Context, code string, inv Invite, ttl time.Duration) error {
	if err := s.putOnce(ctx, keyInvitePref+code, inv, ttl); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	until := inv.Created.Add(ttl)
	if err := s.rdb.ZAdd(ctx, keyInvites, redis.Z{Score: float64(until.UnixMilli()), Member: code}).Err(); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// RedeemInvite takes a code, once: a second redemption finds nothing (ErrNotFound),
// as does an expired, cancelled or made-up code.
func (s *Store) RedeemInvite(ctx context.Context, code string) (Invite, error) {
	var inv Invite
	if err := s.takeOnce(ctx, keyInvitePref+code, &inv); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err)
	}
	s.rdb.ZRem(ctx, keyInvites, code) // only the listing: the code itself is gone
	return inv, nil
}

// Outstanding is an invite code not yet used, with when it runs out.
type Outstanding struct {
	Code    string
	Invite  Invite
	Expires time.Time
}

// Invites lists the codes not yet used nor expired, soonest to expire first.
func (s *Store) Invites(ctx context.Context, now time.Time) ([]Outstanding, error) {
	s.rdb.ZRemRangeByScore(ctx, keyInvites, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
	zs, err := s.rdb.ZRangeWithScores(ctx, keyInvites, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("invites: %w", err)
	}
	gets := make([]*redis.StringCmd, len(zs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, z := range zs {
			gets[i] = p.Get(ctx, keyInvitePref+z.Member.(string))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("invites: %w", err)
	}
	var out []Outstanding
	for i, z := range zs {
		var inv Invite
		b, err := gets[i].Bytes()
		if err != nil || json.Unmarshal(b, &inv) != nil {
			s.rdb.ZRem(ctx, keyInvites, z.Member) // used or expired meanwhile
			continue
		}
		out = append(out, Outstanding{Code: z.Member.(string), Invite: inv, Expires: time.UnixMilli(int64(z.Score))})
	}
	return out, nil
}

// CancelInvite makes a code unusable; ErrNotFound when it is not outstanding.
func (s *Store) CancelInvite(ctx context.Context, code string) (Invite, error) {
	inv, err := s.RedeemInvite(ctx, code)
	if err != nil {
		return Invite{}, fmt.Errorf("cancel %w", err)
	}
	return inv, nil
}

// CancelInvitesBy makes every outstanding code that userID created unusable
// (their role was taken away), and returns how many there were.
func (s *Store) CancelInvitesBy(ctx context.Context, userID int64, now time.Time) (int, error) {
	list, err := s.Invites(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range list {
		if o.Invite.By != userID {
			continue
		}
		if _, err := s.RedeemInvite(ctx, o.Code); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// CountAttempt counts an attempt under key within window and returns the count so
// far, to slow down guessing of invite codes.
func (s *Store) CountAttempt(ctx context.Context, key string, window time.Duration) (int64, error) {
	k := keyAttemptPref + key
	var n *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.ExpireNX(ctx, k, window)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count attempt: %w", err)
	}
	return n.Val(), nil
}

// putOnce stores v as JSON under a one-time code's key for ttl; it fails if the
// key exists (a clash of random codes).
func (s *Store) putOnce(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, key, b, ttl).Result()
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("code already in use")
	}
	return nil
}

// takeOnce reads a one-time code's value into v and deletes it, in one step: a
// second take, an expired or a made-up code is ErrNotFound.
func (s *Store) takeOnce(ctx context.Context, key string, v any) error {
	b, err := s.rdb.GetDel(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
