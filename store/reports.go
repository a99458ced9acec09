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
	keyOpen   = "minyi:idx:open"   // unfinished concerns by deadline
	keyClosed = "minyi:idx:closed" // finished concerns by when they finished
)

// ErrConflict is returned when a report changed under an update too many times.
var ErrConflict = errors.New("the concern was changed at the same time; try again")

// UpdateReport changes a concern's record with fn, atomically (optimistic locking),
// and keeps the deadline and closed indexes in step. fn may refuse with an error,
// which is returned and changes nothing.
func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*concern.Report) error) (*concern.Report, error) {
	key := reportKey(id)
	var out *concern.Report
	for range 8 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			b, err := tx.Get(ctx, key).Bytes()
			if errors.Is(err, redis.Nil) {
				return fmt.Errorf("report %s: %w", id, ErrNotFound)
			}
			if err != nil {
				return err
			}
			var r concern.Report
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			if err := fn(&r); err != nil {
				return err
			}
			nb, err := json.Marshal(&r)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, nb, 0)
				return nil
			})
			out = &r
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, s.index(ctx, out)
	}
	return nil, ErrConflict
}

// index keeps a report in the open index (by deadline) while it runs and in the
// closed index (by when it finished) after, and marks it changed for the
// readers that keep a copy (package index). Its record is written already.
func (s *Store) index(ctx context.Context, r *concern.Report) error {
	var marked *redis.Cmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		marked = indexInto(ctx, p, r)
		return nil
	})
	if err != nil && !isNoScript(err) {
		return fmt.Errorf("index %s: %w", r.ID, err)
	}
	if isNoScriptCmd(marked) { // Redis restarted and forgot its scripts
		if err := s.markChanged(ctx, r.ID); err != nil {
			return fmt.Errorf("index %s: %w", r.ID, err)
		}
	}
	return nil
}

// indexInto adds index's commands to a pipeline, and returns the changed mark's
// command, which the caller checks for NOSCRIPT.
func indexInto(ctx context.Context, p redis.Pipeliner, r *concern.Report) *redis.Cmd {
	if r.Status.Finished() {
		p.ZRem(ctx, keyOpen, r.ID)
		at := r.ReceivedAt
		if n := len(r.History); n > 0 {
			at = r.History[n-1].At
		}
		p.ZAddNX(ctx, keyClosed, redis.Z{Score: float64(at.UnixMilli()), Member: r.ID})
	} else {
		p.ZRem(ctx, keyClosed, r.ID)
		if !r.Deadline.IsZero() {
			p.ZAdd(ctx, keyOpen, redis.Z{Score: float64(r.Deadline.UnixMilli()), Member: r.ID})
		}
	}
	return changedInto(ctx, p, r.ID)
}

// Reports reads several records, leaving out those not found (and any that cannot
// be read), in pipelines of reportsChunk reads so that any number may be asked for.
func (s *Store) Reports(ctx context.Context, ids []string) ([]*concern.Report, error) {
	var out []*concern.Report
	for lo := 0; lo < len(ids); lo += reportsChunk {
		raw, err := s.RawReports(ctx, ids[lo:min(lo+reportsChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, b := range raw {
			var r concern.Report
			if json.Unmarshal(b, &r) == nil {
				out = append(out, &r)
			}
		}
	}
	return out, nil
}

// reportsChunk bounds one pipeline of record reads.
const reportsChunk = 500

// Overdue lists unfinished concerns whose deadline passed before now, oldest first.
func (s *Store) Overdue(ctx context.Context, now time.Time, limit int64) ([]*concern.Report, int64, error) {
	opt := &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: limit}
	ids, err := s.rdb.ZRangeByScore(ctx, keyOpen, opt).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("overdue: %w", err)
	}
	total, err := s.rdb.ZCount(ctx, keyOpen, "-inf", opt.Max).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("overdue: %w", err)
	}
	rs, err := s.Reports(ctx, ids)
	return rs, total, err
}

// FinishedBefore lists concerns that finished before t, for the retention sweep.
func (s *Store) FinishedBefore(ctx context.Context, t time.Time, limit int64) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, keyClosed, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(t.UnixMilli(), 10), Count: limit}).Result()
	if err != nil {
		return nil, fmt.Errorf("finished before: %w", err)
	}
	return ids, nil
}

// DropFinished takes a concern out of the closed index once its retention is done.
func (s *Store) DropFinished(ctx context.Context, id string) error {
	return s.rdb.ZRem(ctx, keyClosed, id).Err()
}

// MineIDs lists the ids on a user's own-concern list.
func (s *Store) MineIDs(ctx context.Context, userID int64) ([]string, error) {
	raw, err := s.rdb.LRange(ctx, s.listKey(userID, ListMine), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("own concerns: %w", err)
	}
	var ids []string
	for _, v := range raw {
		var c concern.Summary
		if json.Unmarshal([]byte(v), &c) == nil {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// DropMine deletes a user's own-concern list.
func (s *Store) DropMine(ctx context.Context, userID int64) error {
	return s.rdb.Del(ctx, s.listKey(userID, ListMine)).Err()
}
