package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/concern"
)

// Counter fields of a day, kept as concerns are recorded.
const (
	CountTotal     = "total"
	CountFiled     = "filed"
	CountUrgent    = "urgent"
	CountSensitive = "sensitive"
)

// countScript adds a concern to its day's counters once: the day's set of counted
// ids (same slot) remembers it for three days, long enough for any retry.
var countScript = redis.NewScript(`
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call('EXPIRE', KEYS[2], 259200)
for i = 2, #ARGV do
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
end
return 1
`)

// countCall is the count script's keys and arguments for a recorded concern: it
// adds the concern to its day's counters by sector, topic, community and grid,
// so that digests compare with earlier days without reading their concerns
// again. Counting the same concern again changes nothing.
func (s *Store) countCall(r *concern.Report) ([]string, []any) {
	key := countKey(s.DayKey(r.ReceivedAt))
	fields := countFields(r)
	args := make([]any, 0, len(fields)+1)
	args = append(args, r.ID)
	for _, f := range fields {
		args = append(args, f)
	}
	return []string{key, key + ":ids"}, args
}

// countKey is a day's counters; its braces keep the counted-id set in its slot.
func countKey(day string) string { return keyCountPrefix + "{" + day + "}" }

// countFields are the counters a concern adds one to.
func countFields(r *concern.Report) []string {
	fields := []string{CountTotal, "sector:" + r.Sector, "topic:" + r.Topic, "community:" + r.Community, "grid:" + r.Community + "/" + r.Grid}
	if r.FiledBy != 0 {
		fields = append(fields, CountFiled)
	}
	if r.Urgent {
		fields = append(fields, CountUrgent)
	}
	if r.Sensitive {
		fields = append(fields, CountSensitive)
	}
	return fields
}

// DayCounts reads the counters of several days (yyyymmdd), in order.
func (s *Store) DayCounts(ctx context.Context, days []string) ([]map[string]int64, error) {
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, countKey(d))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("day counts: %w", err)
	}
	out := make([]map[string]int64, len(days))
	for i, c := range cmds {
		out[i] = map[string]int64{}
		for k, v := range c.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[i][k] = n
		}
	}
	return out, nil
}

// bandsInto adds to a pipeline the recording of a concern's near-duplicate band
// keys for its day, so that a later digest can see a group of concerns come back.
func bandsInto(ctx context.Context, p redis.Pipeliner, day string, bands []uint64) {
	if len(bands) == 0 {
		return
	}
	members := make([]any, len(bands))
	for i, b := range bands {
		members[i] = strconv.FormatUint(b, 36)
	}
	key := keyBandsPrefix + day
	p.SAdd(ctx, key, members...)
	p.Expire(ctx, key, 30*24*time.Hour)
}

// BandDays says, for each set of band keys, on how many of the given days any of them was seen.
func (s *Store) BandDays(ctx context.Context, days []string, sets [][]uint64) ([]int, error) {
	cmds := make([][]*redis.BoolSliceCmd, len(sets))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, bands := range sets {
			members := make([]any, len(bands))
			for j, b := range bands {
				members[j] = strconv.FormatUint(b, 36)
			}
			for _, d := range days {
				cmds[i] = append(cmds[i], p.SMIsMember(ctx, keyBandsPrefix+d, members...))
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("band days: %w", err)
	}
	out := make([]int, len(sets))
	for i := range sets {
		for _, c := range cmds[i] {
			for _, hit := range c.Val() {
				if hit {
					out[i]++
					break
				}
			}
		}
	}
	return out, nil
}

// ReceivedIDs lists the concern ids given out on the days (yyyymmdd): what the
// office accepted, whether or not the queue has recorded them yet.
func (s *Store) ReceivedIDs(ctx context.Context, days []string) ([]string, error) {
	return s.zsetMembers(ctx, keyRecvPrefix, days)
}

// Received reports whether a concern id was given out (and so is queued, if
// not yet recorded).
func (s *Store) Received(ctx context.Context, id string) (bool, error) {
	if !concern.ValidID(id) {
		return false, nil
	}
	day, _, _ := strings.Cut(id, "-")
	err := s.rdb.ZScore(ctx, keyRecvPrefix+day, id).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("received %s: %w", id, err)
	}
	return true, nil
}

// RecordedIDs lists the concerns recorded for the days (yyyymmdd), in time order.
func (s *Store) RecordedIDs(ctx context.Context, days []string) ([]string, error) {
	return s.zsetMembers(ctx, keyDayPrefix, days)
}

func (s *Store) zsetMembers(ctx context.Context, prefix string, days []string) ([]string, error) {
	cmds := make([]*redis.StringSliceCmd, len(days))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.ZRange(ctx, prefix+d, 0, -1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ids: %w", err)
	}
	var out []string
	for _, c := range cmds {
		out = append(out, c.Val()...)
	}
	return out, nil
}

// RawReports reads records as stored (JSON), chunk at a time, leaving out missing ones.
func (s *Store) RawReports(ctx context.Context, ids []string) ([][]byte, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, reportKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("reports: %w", err)
	}
	out := make([][]byte, 0, len(ids))
	for _, c := range cmds {
		if b, err := c.Bytes(); err == nil {
			out = append(out, b)
		}
	}
	return out, nil
}

// Import records concerns directly, bypassing the queue (for demonstration data
// and benchmarks): each gets the next id of its day, its record, indexes, counters,
// received set entry, band keys and changed mark. bands[i] belongs to reports[i].
func (s *Store) Import(ctx context.Context, reports []*concern.Report, bands [][]uint64) error {
	perDay := map[string][]int{}
	for i, r := range reports {
		day := s.DayKey(r.ReceivedAt)
		perDay[day] = append(perDay[day], i)
	}
	for day, idx := range perDay {
		last, err := s.rdb.IncrBy(ctx, keySeqPrefix+day, int64(len(idx))).Result()
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		first := last - int64(len(idx)) + 1
		for k, i := range idx {
			reports[i].ID = fmt.Sprintf("%s-%04d", day, first+int64(k))
		}
	}
	const chunk = 1000
	for start := 0; start < len(reports); start += chunk {
		end := min(start+chunk, len(reports))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < end; i++ {
				r := reports[i]
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				day := s.DayKey(r.ReceivedAt)
				ms := float64(r.ReceivedAt.UnixMilli())
				p.Set(ctx, reportKey(r.ID), b, 0)
				p.ZAdd(ctx, keyDayPrefix+day, redis.Z{Score: ms, Member: r.ID})
				p.ZAdd(ctx, keyRecvPrefix+day, redis.Z{Score: ms, Member: r.ID})
				for _, f := range countFields(r) {
					p.HIncrBy(ctx, countKey(day), f, 1)
				}
				if r.Status.Finished() {
					p.ZAdd(ctx, keyClosed, redis.Z{Score: ms, Member: r.ID})
				} else if !r.Deadline.IsZero() {
					p.ZAdd(ctx, keyOpen, redis.Z{Score: float64(r.Deadline.UnixMilli()), Member: r.ID})
				}
				if i < len(bands) {
					members := make([]any, len(bands[i]))
					for j, x := range bands[i] {
						members[j] = strconv.FormatUint(x, 36)
					}
					p.SAdd(ctx, keyBandsPrefix+day, members...)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		// after the records, not in their pipeline: on a cluster its parts run at once
		ids := make([]string, 0, end-start)
		for _, r := range reports[start:end] {
			ids = append(ids, r.ID)
		}
		if err := s.markChanged(ctx, ids...); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	return nil
}

// MarkDigest records that the scheduled digest of a day has gone out; it reports
// false when it had already.
func (s *Store) MarkDigest(ctx context.Context, day string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, "minyi:digest:sent:"+day, time.Now().UTC().Format(time.RFC3339), 30*24*time.Hour).Result()
	if err != nil {
		return false, fmt.Errorf("mark digest: %w", err)
	}
	return ok, nil
}

// DigestSent reports whether the scheduled digest of a day has gone out.
func (s *Store) DigestSent(ctx context.Context, day string) (bool, error) {
	n, err := s.rdb.Exists(ctx, "minyi:digest:sent:"+day).Result()
	if err != nil {
		return false, fmt.Errorf("digest sent: %w", err)
	}
	return n == 1, nil
}
