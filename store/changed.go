package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The changed index lets a reader keep a copy of every record in step (package
// index) by asking only for what changed since it last looked: every write of a
// record adds its id with a score that is later than every score before.
const (
	keyChanged         = "minyi:idx:changed"          // id → when its record was last written (ms)
	keyChangedBackfill = "minyi:idx:changed:backfill" // set once the records from before it are in it
)

// changedScript marks records as changed now. The time is Redis's own (TIME),
// so that writers' clocks do not matter; and a score is always above the highest
// already given, so that two writes in one millisecond, or a Redis whose clock
// stepped back (a failover to a replica), still come after what a reader saw.
// One key, so that it runs on any node of a cluster.
var changedScript = redis.NewScript(`
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top == 2 and tonumber(top[2]) >= ms then
  ms = tonumber(top[2]) + 1
end
local score = string.format('%.0f', ms)
for i = 1, #ARGV do
  redis.call('ZADD', KEYS[1], score, ARGV[i])
end
return score
`)

// changedInto adds the marking of ids as changed to a pipeline; the caller
// checks its command for NOSCRIPT (markChanged then).
func changedInto(ctx context.Context, p redis.Pipeliner, ids ...string) *redis.Cmd {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return changedScript.EvalSha(ctx, p, []string{keyChanged}, args...)
}

// markChanged marks ids as changed, in a call of its own.
func (s *Store) markChanged(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if err := changedScript.Run(ctx, s.rdb, []string{keyChanged}, args...).Err(); err != nil {
		return fmt.Errorf("mark changed: %w", err)
	}
	return nil
}

// ChangedSince lists the concerns whose records were written at or after ms
// (Redis's clock, milliseconds), oldest change first, and the newest change's
// mark (0 when none). Asking again from newest+1 gives what changed since: every
// later write has a higher mark.
func (s *Store) ChangedSince(ctx context.Context, ms int64) ([]string, int64, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, keyChanged, &redis.ZRangeBy{Min: strconv.FormatInt(ms, 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("changed since %d: %w", ms, err)
	}
	ids := make([]string, len(zs))
	var newest int64
	for i, z := range zs {
		ids[i], _ = z.Member.(string)
		newest = max(newest, int64(z.Score))
	}
	return ids, newest, nil
}

// BackfillChanged puts into the changed index the concerns recorded before it
// existed, from the day indexes, each marked with when it was received; once
// done, a marker keeps it from running again. It returns how many it added.
// Two instances starting at once may both run it: adding is idempotent (ids
// already marked keep their mark), and each returns only once the index is whole.
//
// It runs while the marker is missing rather than while the changed index is
// empty: a record written by a new instance before the backfill must not stop
// the older ones from being added.
func (s *Store) BackfillChanged(ctx context.Context) (int, error) {
	done, err := s.rdb.Exists(ctx, keyChangedBackfill).Result()
	if err != nil {
		return 0, fmt.Errorf("backfill changed: %w", err)
	}
	if done == 1 {
		return 0, nil
	}
	days, err := s.scanKeys(ctx, keyDayPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("backfill changed: %w", err)
	}
	added := 0
	for _, day := range days {
		zs, err := s.rdb.ZRangeWithScores(ctx, day, 0, -1).Result()
		if err != nil {
			return added, fmt.Errorf("backfill changed from %s: %w", day, err)
		}
		for lo := 0; lo < len(zs); lo += 1000 {
			n, err := s.rdb.ZAddNX(ctx, keyChanged, zs[lo:min(lo+1000, len(zs))]...).Result()
			if err != nil {
				return added, fmt.Errorf("backfill changed from %s: %w", day, err)
			}
			added += int(n)
		}
	}
	if err := s.rdb.Set(ctx, keyChangedBackfill, time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return added, fmt.Errorf("backfill changed: %w", err)
	}
	if added > 0 {
		s.log.Info("changed index: added the concerns recorded before it", "concerns", added, "days", len(days))
	}
	return added, nil
}

// scanKeys lists the keys matching pattern, from every master of a cluster.
func (s *Store) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	scan := func(ctx context.Context, c redis.Cmdable) ([]string, error) {
		var keys []string
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return keys, iter.Err()
	}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, s.rdb)
	}
	var (
		mu  sync.Mutex
		all []string
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		keys, err := scan(ctx, c)
		mu.Lock()
		all = append(all, keys...)
		mu.Unlock()
		return err
	})
	return all, err
}

// ordered reports whether a pipeline's commands run in the order given. A
// cluster client sends each node its part of a pipeline at once, so that a
// record written on one node and its changed mark on another may land in
// either order; there the mark is written after the pipeline.
func (s *Store) ordered() bool {
	_, cluster := s.rdb.(*redis.ClusterClient)
	return !cluster
}

// isNoScriptCmd reports whether a script's command failed for want of the script.
func isNoScriptCmd(c *redis.Cmd) bool {
	return c != nil && isNoScript(c.Err())
}
