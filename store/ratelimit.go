package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"
)

// keyBucketPrefix is a token bucket's state: the theoretical arrival time of the
// next request (GCRA), in microseconds of Redis's clock.
const keyBucketPrefix = "minyi:bucket:"

// bucketScript is a token bucket as GCRA keeps it: one number per bucket, the
// time at which it would be full again (tat). A request is allowed when, with
// its cost added, the bucket would not be more than burst intervals ahead of
// now; else it answers how long until it would be. Atomic, one key, and on
// Redis's clock, so that every instance sharing the Redis shares each bucket
// exactly, whatever their own clocks say. With a second key (the send budget's
// pause, in the bucket's slot), nothing is taken while that key lives: the answer
// is the rest of the pause.
var bucketScript = redis.NewScript(`
if #KEYS > 1 then
  local paused = redis.call('PTTL', KEYS[2])
  if paused > 0 then
    return {0, paused * 1000}
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local nxt = tat + interval
local wait = nxt - now - burst * interval
if wait > 0 then
  return {0, math.ceil(wait)}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
return {1, 0}
`)

// Allow takes a token from the bucket named key, which holds burst tokens and
// gains perSecond of them a second, shared by everyone using this Redis. When
// none is left it answers false and how long until one is. perSecond <= 0 is no
// limit (always allowed, nothing sent to Redis); burst below 1 counts as 1.
func (s *Store) Allow(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	return s.take(ctx, "rate limit "+key, []string{keyBucketPrefix + key}, perSecond, burst)
}

// take takes a token from the bucket keys[0] (see bucketScript; keys[1], if
// given, pauses it); what names it in errors.
func (s *Store) take(ctx context.Context, what string, keys []string, perSecond float64, burst int) (bool, time.Duration, error) {
	if perSecond <= 0 || math.IsInf(perSecond, 1) || math.IsNaN(perSecond) {
		return true, 0, nil
	}
	// microseconds between tokens; at least 1, so that a huge rate stays a rate
	interval := max(math.Round(1e6/perSecond), 1)
	res, err := bucketScript.Run(ctx, s.rdb, keys, interval, max(burst, 1)).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("%s: %w", what, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("%s: unexpected answer %v", what, res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
