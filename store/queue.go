package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The intake queue's dead letters and failure counts share its slot, so that an
// entry moves between them atomically.
const (
	keyDead  = "minyi:{intake}:dead"  // entries that failed too often, with why
	keyFails = "minyi:{intake}:fails" // failed attempts by stream id
)

// failScript counts a failed attempt at a queued entry. At the limit it moves the
// entry, with the error and the count, to the dead-letter stream and takes it out
// of the queue, all at once, and returns 1.
var failScript = redis.NewScript(`
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if n < tonumber(ARGV[2]) then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #e == 0 then
  return 0
end
local fields = e[1][2]
table.insert(fields, 'stream_id') table.insert(fields, ARGV[1])
table.insert(fields, 'error') table.insert(fields, ARGV[3])
table.insert(fields, 'attempts') table.insert(fields, tostring(n))
table.insert(fields, 'at') table.insert(fields, ARGV[4])
redis.call('XADD', KEYS[3], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[5], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`)

// FailIntake counts a failed attempt at a queued concern. At the maxAttempts-th
// it moves the entry to the dead-letter stream and reports true.
func (s *Store) FailIntake(ctx context.Context, streamID string, maxAttempts int, why string, at time.Time) (bool, error) {
	moved, err := failScript.Run(ctx, s.rdb, []string{keyIntake, keyFails, keyDead},
		streamID, maxAttempts, why, at.UTC().Format(time.RFC3339), intakeGroup).Int()
	if err != nil {
		return false, fmt.Errorf("count failed attempt at %s: %w", streamID, err)
	}
	return moved == 1, nil
}

// DeadLetter is a queued concern that failed too often.
type DeadLetter struct {
	ID        string // in the dead-letter stream
	StreamID  string // it had in the queue
	ConcernID string
	Error     string
	Attempts  int
	At        time.Time
}

// QueueStatus describes the intake queue for operators.
type QueueStatus struct {
	Length        int64         // entries not yet handled (unread or pending)
	Unread        int64         // not yet read by any consumer
	Pending       int64         // read but not acknowledged
	OldestPending time.Duration // since the oldest pending entry was queued
	Consumers     []Consumer
	Dead          int64
	DeadLetters   []DeadLetter // the most recent, newest first
}

// Consumer is one reader of the queue.
type Consumer struct {
	Name    string
	Pending int64
	Idle    time.Duration
}

// QueueStatus reads the intake queue's state, with up to deadLimit dead letters.
func (s *Store) QueueStatus(ctx context.Context, now time.Time, deadLimit int64) (QueueStatus, error) {
	var q QueueStatus
	var (
		length, dead *redis.IntCmd
		pending      *redis.XPendingCmd
		groups       *redis.XInfoGroupsCmd
		consumers    *redis.XInfoConsumersCmd
		letters      *redis.XMessageSliceCmd
	)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		length = p.XLen(ctx, keyIntake)
		pending = p.XPending(ctx, keyIntake, intakeGroup)
		groups = p.XInfoGroups(ctx, keyIntake)
		consumers = p.XInfoConsumers(ctx, keyIntake, intakeGroup)
		dead = p.XLen(ctx, keyDead)
		if deadLimit > 0 {
			letters = p.XRevRangeN(ctx, keyDead, "+", "-", deadLimit)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) && !isNoGroup(err) {
		return q, fmt.Errorf("queue status: %w", err)
	}
	q.Length, q.Dead = length.Val(), dead.Val()
	if p := pending.Val(); p != nil {
		q.Pending = p.Count
		if ms, ok := streamMillis(p.Lower); ok && p.Count > 0 {
			q.OldestPending = now.Sub(time.UnixMilli(ms))
		}
	}
	for _, g := range groups.Val() {
		if g.Name == intakeGroup {
			q.Unread = max(g.Lag, 0)
		}
	}
	for _, c := range consumers.Val() {
		q.Consumers = append(q.Consumers, Consumer{Name: c.Name, Pending: c.Pending, Idle: c.Idle})
	}
	if letters != nil {
		for _, m := range letters.Val() {
			q.DeadLetters = append(q.DeadLetters, deadLetter(m))
		}
	}
	return q, nil
}

func deadLetter(m redis.XMessage) DeadLetter {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	d := DeadLetter{ID: m.ID, StreamID: str("stream_id"), ConcernID: str("id"), Error: str("error")}
	d.Attempts, _ = strconv.Atoi(str("attempts"))
	d.At, _ = time.Parse(time.RFC3339, str("at"))
	return d
}

func isNoGroup(err error) bool { return err != nil && strings.Contains(err.Error(), "NOGROUP") }

// streamMillis is the time a stream id was made, in Unix milliseconds.
func streamMillis(id string) (int64, bool) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	return n, err == nil
}

// retryScript puts dead letters back in the queue: the one whose dead-letter id,
// queue id or concern id is ARGV[1], or all of them when ARGV[1] is empty.
var retryScript = redis.NewScript(`
local n = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[2], '-', '+')) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i+1] end
  if ARGV[1] == '' or ARGV[1] == e[1] or ARGV[1] == f['stream_id'] or ARGV[1] == f['id'] then
    redis.call('XADD', KEYS[1], '*', 'id', f['id'] or '', 'draft', f['draft'] or '', 'body', f['body'] or '')
    redis.call('XDEL', KEYS[2], e[1])
    n = n + 1
  end
end
return n
`)

// RetryDead puts dead letters back in the queue: the one named by id (its
// concern id, or its id in either stream), or all when id is empty. It returns
// how many went back; ErrNotFound when id names none.
func (s *Store) RetryDead(ctx context.Context, id string) (int, error) {
	n, err := retryScript.Run(ctx, s.rdb, []string{keyIntake, keyDead}, id).Int()
	if err != nil {
		return 0, fmt.Errorf("retry dead letters: %w", err)
	}
	if n == 0 && id != "" {
		return 0, fmt.Errorf("dead letter %q: %w", id, ErrNotFound)
	}
	return n, nil
}

// Deletes a consumer of the intake group only if it holds no pending entry:
// deleting one that does would drop its entries from the group's pending list,
// and nobody would reclaim them.
var delConsumerScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then
  return 0
end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) >= 0 and 1 or 0
`)

// RemoveConsumer deletes a consumer of the intake queue that holds nothing (a
// worker stopping cleanly), so that restarts do not pile consumers up. It
// reports false, and leaves it, when it still holds entries.
func (s *Store) RemoveConsumer(ctx context.Context, name string) (bool, error) {
	n, err := delConsumerScript.Run(ctx, s.rdb, []string{keyIntake}, intakeGroup, name).Int()
	if err != nil && !isNoGroup(err) {
		return false, fmt.Errorf("remove consumer %s: %w", name, err)
	}
	return n == 1, nil
}

// PruneConsumers deletes the intake queue's consumers idle for at least idle
// that hold nothing: left by instances that crashed or were replaced. A live
// one removed by mistake is made again by its next read. It returns how many went.
func (s *Store) PruneConsumers(ctx context.Context, idle time.Duration) (int, error) {
	cs, err := s.rdb.XInfoConsumers(ctx, keyIntake, intakeGroup).Result()
	if err != nil {
		if isNoGroup(err) || errors.Is(err, redis.Nil) {
			return 0, nil
		}
		return 0, fmt.Errorf("prune consumers: %w", err)
	}
	n := 0
	for _, c := range cs {
		if c.Pending > 0 || (idle > 0 && c.Idle < idle) {
			continue
		}
		ok, err := s.RemoveConsumer(ctx, c.Name)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
