package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/concern"
)

const keyRoles = "minyi:roles"

// Member returns a user's role; ok is false for residents, who have no record.
func (s *Store) Member(ctx context.Context, userID int64) (concern.Member, bool, error) {
	b, err := s.rdb.HGet(ctx, keyRoles, strconv.FormatInt(userID, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return concern.Member{}, false, nil
	}
	if err != nil {
		return concern.Member{}, false, fmt.Errorf("member %d: %w", userID, err)
	}
	var m concern.Member
	if err := json.Unmarshal(b, &m); err != nil {
		return concern.Member{}, false, fmt.Errorf("member %d: %w", userID, err)
	}
	return m, true, nil
}

// SetMember records a user's role.
func (s *Store) SetMember(ctx context.Context, m concern.Member) error {
	b, _ := json.Marshal(m)
	if err := s.rdb.HSet(ctx, keyRoles, strconv.FormatInt(m.UserID, 10), b).Err(); err != nil {
		return fmt.Errorf("set member %d: %w", m.UserID, err)
	}
	return nil
}

// RemoveMember takes a user's role away; it reports whether they had one.
func (s *Store) RemoveMember(ctx context.Context, userID int64) (bool, error) {
	n, err := s.rdb.HDel(ctx, keyRoles, strconv.FormatInt(userID, 10)).Result()
	if err != nil {
		return false, fmt.Errorf("remove member %d: %w", userID, err)
	}
	return n == 1, nil
}

// Members lists everyone with a role (staff, admins recorded by invitation, grid workers).
func (s *Store) Members(ctx context.Context) ([]concern.Member, error) {
	all, err := s.rdb.HVals(ctx, keyRoles).Result()
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := make([]concern.Member, 0, len(all))
	for _, raw := range all {
		var m concern.Member
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}
