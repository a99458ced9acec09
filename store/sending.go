package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"
)

// The bot's send budget, shared by every instance: a GCRA bucket (as Allow's)
// and the pause Telegram last asked for; one hash tag, for one script in a Cluster.
const (
	keySendBucket = "minyi:{telegram}:send"
	keySendPause  = "minyi:{telegram}:paused"
)

// sendScript takes one message from the send bucket unless sending is paused:
// it answers {1, 0}, or {0, microseconds to wait} (the pause's rest, or until
// the bucket has a token). One script, so that a pause and the bucket are
// read together on Redis's clock.
var sendScript = redis.NewScript(`
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return {0, paused * 1000}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local wait = tat - now - (burst - 1) * interval
if wait > 0 then
  return {0, math.ceil(wait)}
end
local nxt = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
return {1, 0}
`)

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
	if perSecond <= 0 || math.IsInf(perSecond, 1) || math.IsNaN(perSecond) {
		return true, 0, nil
	}
	interval := max(math.Round(1e6/perSecond), 1)
	res, err := sendScript.Run(ctx, s.rdb, []string{keySendBucket, keySendPause}, interval, max(burst, 1)).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("send budget: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("send budget: unexpected answer %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}

// PauseSending pauses every instance's sending for d (Telegram's retry_after).
func (s *Store) PauseSending(ctx context.Context, d time.Duration) error {
	if err := pauseScript.Run(ctx, s.rdb, []string{keySendPause}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("pause sending: %w", err)
	}
	return nil
}
