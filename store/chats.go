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
	keyStopped    = "minyi:stopped" // chats that blocked the bot: chat id → when
	keyRatePrefix = "minyi:rate:"   // USER → messages in the current minute
)

// Chat is what processing an input needs to know of its chat and user.
type Chat struct {
	// Session is the chat's stored session, nil when there is none.
	Session []byte
	// Member is the user's role, nil for a resident.
	Member *concern.Member
	// Stopped is set when the chat blocked the bot: nothing is sent to it.
	Stopped bool
	// Recent counts the user's messages in the current window, this one included
	// (0 when not counted).
	Recent int64
}

// LoadChat reads a chat's session, its user's role and whether it is stopped, in
// one round trip. With window > 0 it also counts a message of the user's in the
// current window of that length.
func (s *Store) LoadChat(ctx context.Context, chatID, userID int64, window time.Duration) (Chat, error) {
	var sess, role *redis.StringCmd
	var stopped *redis.BoolCmd
	var recent *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		sess = p.Get(ctx, s.sessionKey(chatID))
		role = p.HGet(ctx, keyRoles, strconv.FormatInt(userID, 10))
		stopped = p.HExists(ctx, keyStopped, strconv.FormatInt(chatID, 10))
		if window > 0 {
			k := keyRatePrefix + strconv.FormatInt(userID, 10)
			recent = p.Incr(ctx, k)
			p.ExpireNX(ctx, k, window)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return Chat{}, fmt.Errorf("load session: %w", err)
	}
	c := Chat{Stopped: stopped.Val()}
	if recent != nil {
		c.Recent = recent.Val()
	}
	c.Session, _ = sess.Bytes()
	if b, err := role.Bytes(); err == nil {
		c.Member = &concern.Member{}
		if err := json.Unmarshal(b, c.Member); err != nil {
			return Chat{}, fmt.Errorf("member %d: %w", userID, err)
		}
	}
	return c, nil
}

// MarkStopped records that a chat blocked the bot, so that nothing more is sent to it.
func (s *Store) MarkStopped(ctx context.Context, chatID int64, at time.Time) error {
	if err := s.rdb.HSet(ctx, keyStopped, strconv.FormatInt(chatID, 10), at.Unix()).Err(); err != nil {
		return fmt.Errorf("mark chat %d stopped: %w", chatID, err)
	}
	return nil
}

// Unstop forgets that a chat blocked the bot (its user wrote again).
func (s *Store) Unstop(ctx context.Context, chatID int64) error {
	if err := s.rdb.HDel(ctx, keyStopped, strconv.FormatInt(chatID, 10)).Err(); err != nil {
		return fmt.Errorf("unstop chat %d: %w", chatID, err)
	}
	return nil
}

// Stopped reports which of the chats blocked the bot.
func (s *Store) Stopped(ctx context.Context, chatIDs ...int64) (map[int64]bool, error) {
	fields := make([]string, len(chatIDs))
	for i, id := range chatIDs {
		fields[i] = strconv.FormatInt(id, 10)
	}
	vals, err := s.rdb.HMGet(ctx, keyStopped, fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("stopped chats: %w", err)
	}
	out := map[int64]bool{}
	for i, v := range vals {
		if v != nil {
			out[chatIDs[i]] = true
		}
	}
	return out, nil
}
