package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	keyAlertsDue  = "minyi:{alerts}:due"
	keyAlertsEsc  = "minyi:{alerts}:escalate" // alerts by when they next go to the admins
	keyAlertsInfo = "minyi:{alerts}:info"
)

// Alert is an urgent concern's alert to staff, or a group of them (a storm).
type Alert struct {
	ID     string    `json:"id"`
	Raised time.Time `json:"raised"`
	Sent   int       `json:"sent"`
	// Escalated counts the times it went to the admins, unacknowledged.
	Escalated int       `json:"escalated,omitempty"`
	AckedBy   int64     `json:"acked_by,omitempty"`
	AckedAt   time.Time `json:"acked_at,omitzero"`
	// AckAfterMS is the time from raising to acknowledgement, in milliseconds.
	AckAfterMS int64 `json:"ack_after_ms,omitempty"`
	// Channel and Storm are set on a group: the alerts of one channel past the
	// storm limit in one minute, sent as one. A member's Group names its group.
	Channel string `json:"channel,omitempty"`
	Storm   bool   `json:"storm,omitempty"`
	Group   string `json:"group,omitempty"`
}

// Raises an alert once: due now while its channel has raised at most ARGV[4]
// this minute (0: no limit); past that, it joins the minute's group. A new group
// is due at ARGV[7] (soon: staff hear of the surge at once); a group already sent
// that grows is due again by ARGV[11] (the minute's end), to list all of them. An
// alert alone goes to the admins at ARGV[9], a group at ARGV[10] (0: never).
// Returns how it was raised.
var raiseAlertScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 'again'
end
local n = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 180)
local limit = tonumber(ARGV[4])
if limit == 0 or n <= limit then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  if ARGV[9] ~= '0' then
    redis.call('ZADD', KEYS[5], ARGV[9], ARGV[1])
  end
  return 'alone'
end
local how = 'grouped'
if redis.call('HSETNX', KEYS[1], ARGV[5], ARGV[6]) == 1 then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[7], ARGV[5])
  if ARGV[10] ~= '0' then
    redis.call('ZADD', KEYS[5], 'NX', ARGV[10], ARGV[5])
  end
  how = 'new group'
else
  local g = cjson.decode(redis.call('HGET', KEYS[1], ARGV[5]))
  if (g['sent'] or 0) > 0 and not g['acked_by'] then
    local due = redis.call('ZSCORE', KEYS[2], ARGV[5])
    if not due or tonumber(due) > tonumber(ARGV[11]) then
      redis.call('ZADD', KEYS[2], ARGV[11], ARGV[5])
    end
  end
end
redis.call('ZADD', KEYS[4], 'NX', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[8])
return how
`)

// StormGroup names the group of a channel's alerts past the limit in a minute.
func StormGroup(channel string, minute time.Time) string {
	return "G" + minute.UTC().Format("200601021504") + "-" + channel
}

func membersKey(group string) string { return "minyi:{alerts}:members:" + group }

// RaiseAlertLimited records a concern's alert, once. While its channel has raised
// at most limit alerts in the current minute (limit 0: no limit) the alert is due
// now; past that it joins the minute's storm group, and only the group is sent:
// gather after its first member, and again at the minute's end plus gather if
// more joined after it was sent. With escalate > 0 the alert (or its group) also
// falls due for the admins that long after it is first due, until acknowledged
// (ClaimDueEscalations). It reports the group joined, if any, and whether this
// alert began it.
func (s *Store) RaiseAlertLimited(ctx context.Context, id, channel string, now time.Time, limit int, gather, escalate time.Duration) (string, bool, error) {
	minute := now.Truncate(time.Minute)
	group := StormGroup(channel, minute)
	groupDue, grownDue := now.Add(gather), minute.Add(time.Minute+gather)
	single, _ := json.Marshal(Alert{ID: id, Raised: now})
	groupInfo, _ := json.Marshal(Alert{ID: group, Raised: now, Channel: channel, Storm: true})
	member, _ := json.Marshal(Alert{ID: id, Raised: now, Group: group})
	counter := "minyi:{alerts}:storm:" + channel + ":" + strconv.FormatInt(minute.Unix(), 10)
	escAlone, escGroup := int64(0), int64(0)
	if escalate > 0 {
		escAlone, escGroup = now.Add(escalate).UnixMilli(), groupDue.Add(escalate).UnixMilli()
	}
	how, err := raiseAlertScript.Run(ctx, s.rdb, []string{keyAlertsInfo, keyAlertsDue, counter, membersKey(group), keyAlertsEsc},
		id, single, now.UnixMilli(), limit, group, groupInfo, groupDue.UnixMilli(), member, escAlone, escGroup, grownDue.UnixMilli()).Text()
	if err != nil {
		return "", false, fmt.Errorf("raise alert: %w", err)
	}
	switch how {
	case "new group":
		return group, true, nil
	case "grouped":
		return group, false, nil
	}
	return "", false, nil
}

// AlertMembers lists the concerns of a storm group, in the order they came.
func (s *Store) AlertMembers(ctx context.Context, group string) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, membersKey(group), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("alert group %s: %w", group, err)
	}
	return ids, nil
}

// Takes the alerts due by ARGV[1] in the schedule KEYS[1] and makes each due
// again at ARGV[2], counting the sending in field ARGV[3], so that instances
// sharing a Redis do not send one alert twice. An alert acknowledged meanwhile
// leaves the schedule.
var claimAlertsScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 50)
local out = {}
for _, id in ipairs(ids) do
  local info = redis.call('HGET', KEYS[2], id)
  if info then
    local a = cjson.decode(info)
    if a['acked_by'] then
      redis.call('ZREM', KEYS[1], id)
    else
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      a[ARGV[3]] = (a[ARGV[3]] or 0) + 1
      info = cjson.encode(a)
      redis.call('HSET', KEYS[2], id, info)
      table.insert(out, info)
    end
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`)

// ClaimDueAlerts returns the alerts due at now and schedules each again after every.
func (s *Store) ClaimDueAlerts(ctx context.Context, now time.Time, every time.Duration) ([]Alert, error) {
	return s.claimAlerts(ctx, keyAlertsDue, "sent", now, every)
}

// ClaimDueEscalations returns the unacknowledged alerts due to go to the admins
// at now (their Escalated counted) and schedules each again after every.
func (s *Store) ClaimDueEscalations(ctx context.Context, now time.Time, every time.Duration) ([]Alert, error) {
	return s.claimAlerts(ctx, keyAlertsEsc, "escalated", now, every)
}

// ReleaseAlerts makes alerts claimed but not sent (the inbox did not take them)
// due again at at, on their schedules, so that the next tick tries again rather
// than the next repeat. An alert acknowledged meanwhile stays off them.
func (s *Store) ReleaseAlerts(ctx context.Context, due, escalations []string, at time.Time) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range due {
			p.ZAddXX(ctx, keyAlertsDue, redis.Z{Score: float64(at.UnixMilli()), Member: id})
		}
		for _, id := range escalations {
			p.ZAddXX(ctx, keyAlertsEsc, redis.Z{Score: float64(at.UnixMilli()), Member: id})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release alerts: %w", err)
	}
	return nil
}

func (s *Store) claimAlerts(ctx context.Context, schedule, counter string, now time.Time, every time.Duration) ([]Alert, error) {
	res, err := claimAlertsScript.Run(ctx, s.rdb, []string{schedule, keyAlertsInfo},
		now.UnixMilli(), now.Add(every).UnixMilli(), counter).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim alerts: %w", err)
	}
	out := make([]Alert, 0, len(res))
	for _, v := range res {
		var a Alert
		if json.Unmarshal([]byte(v), &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// AckAlert stops an alert's repetition and escalation, recording who and how long
// after its raising. It returns the alert, and whether someone had acknowledged it
// already (then as they did).
func (s *Store) AckAlert(ctx context.Context, id string, by int64, now time.Time) (Alert, bool, error) {
	var (
		a       Alert
		already bool
	)
	// optimistic, as UpdateReport: a claim or another ack changing the hash meanwhile
	// makes it read again. The record is encoded here, not by a script, so that a
	// user id of 52 bits keeps its digits.
	for range 8 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			b, err := tx.HGet(ctx, keyAlertsInfo, id).Bytes()
			if errors.Is(err, redis.Nil) {
				return fmt.Errorf("alert %s: %w", id, ErrNotFound)
			}
			if err != nil {
				return err
			}
			a = Alert{}
			if err := json.Unmarshal(b, &a); err != nil {
				return err
			}
			if already = a.AckedBy != 0; already {
				return nil
			}
			a.AckedBy, a.AckedAt, a.AckAfterMS = by, now, max(now.Sub(a.Raised).Milliseconds(), 0)
			nb, _ := json.Marshal(a)
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, keyAlertsInfo, id, nb)
				p.ZRem(ctx, keyAlertsDue, id)
				p.ZRem(ctx, keyAlertsEsc, id)
				return nil
			})
			return err
		}, keyAlertsInfo)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if errors.Is(err, ErrNotFound) {
			return Alert{}, false, err
		}
		if err != nil {
			return Alert{}, false, fmt.Errorf("ack alert: %w", err)
		}
		return a, already, nil
	}
	return Alert{}, false, fmt.Errorf("ack alert %s: %w", id, ErrConflict)
}
