package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The bot's send budget, shared by every instance: a GCRA bucket (Allow's, read
// in one script with the pause) and the pause Telegram last asked for; one hash
// tag, for one script in a Cluster.
const (
	keySendBucket = "minyi:{telegram}:send"
	keySendPause  = "minyi:{telegram}:paused"
)

// pauseScript pauses sending for ARGV[1] ms, unless a longer pause is on.
var pauseScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
`)

// SendAllowance takes one message from the bot's send budget of perSecond a
// second and burst at once, shared by every instance on this Redis; when none
// is free, or sending is paused, it answers false and how long to wait.
func (s *Store) SendAllowance(ctx context.Context, perSecond float64, burst int) (bool, time.Duration, error) {
	return s.take(ctx, "send budget", []string{keySendBucket, keySendPause}, perSecond, burst)
}

// PauseSending pauses every instance's sending for d (Telegram's retry_after).
func (s *Store) PauseSending(ctx context.Context, d time.Duration) error {
	if err := pauseScript.Run(ctx, s.rdb, []string{keySendPause}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("pause sending: %w", err)
	}
	return nil
}
