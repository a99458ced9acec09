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
	keyRoles       = "minyi:roles"
	keyInvitePref  = "minyi:invite:"
	keyInvites     = "minyi:invites" // outstanding codes by when they expire
	keyAudit       = "minyi:audit"
	keyOpen        = "minyi:idx:open"   // unfinished concerns by deadline
	keyClosed      = "minyi:idx:closed" // finished concerns by when they finished
	keyAlertsDue   = "minyi:{alerts}:due"
	keyAlertsEsc   = "minyi:{alerts}:escalate" // alerts by when they next go to the admins
	keyAlertsInfo  = "minyi:{alerts}:info"
	keyAttemptPref = "minyi:attempts:"
	keyStopped     = "minyi:stopped" // chats that blocked the bot: chat id → when
	keyRatePrefix  = "minyi:rate:"   // USER → messages in the current minute
)

func auditKey(id string) string { return keyReportPrefix + "{" + id + "}:audit" }

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

// Invite is what a one-time invite code grants.
type Invite struct {
	Role      concern.Role `json:"role"`
	Community string       `json:"community,omitempty"`
	Grid      string       `json:"grid,omitempty"`
	By        int64        `json:"by"`
	Created   time.Time    `json:"created"`
}

// CreateInvite stores a code for ttl; it fails if the code exists. The code is
// also listed among the outstanding ones, for admins to see and cancel.
func (s *Store) CreateInvite(ctx context.Context, code string, inv Invite, ttl time.Duration) error {
	b, _ := json.Marshal(inv)
	ok, err := s.rdb.SetNX(ctx, keyInvitePref+code, b, ttl).Result()
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	if !ok {
		return errors.New("create invite: code already in use")
	}
	until := inv.Created.Add(ttl)
	if err := s.rdb.ZAdd(ctx, keyInvites, redis.Z{Score: float64(until.UnixMilli()), Member: code}).Err(); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// RedeemInvite takes a code, once: a second redemption finds nothing (ErrNotFound),
// as does an expired, cancelled or made-up code.
func (s *Store) RedeemInvite(ctx context.Context, code string) (Invite, error) {
	b, err := s.rdb.GetDel(ctx, keyInvitePref+code).Bytes()
	if errors.Is(err, redis.Nil) {
		return Invite{}, fmt.Errorf("invite: %w", ErrNotFound)
	}
	if err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err)
	}
	s.rdb.ZRem(ctx, keyInvites, code) // only the listing: the code itself is gone
	var inv Invite
	if err := json.Unmarshal(b, &inv); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err)
	}
	return inv, nil
}

// Outstanding is an invite code not yet used, with when it runs out.
type Outstanding struct {
	Code    string
	Invite  Invite
	Expires time.Time
}

// Invites lists the codes not yet used nor expired, soonest to expire first.
func (s *Store) Invites(ctx context.Context, now time.Time) ([]Outstanding, error) {
	s.rdb.ZRemRangeByScore(ctx, keyInvites, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
	zs, err := s.rdb.ZRangeWithScores(ctx, keyInvites, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("invites: %w", err)
	}
	gets := make([]*redis.StringCmd, len(zs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, z := range zs {
			gets[i] = p.Get(ctx, keyInvitePref+z.Member.(string))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("invites: %w", err)
	}
	var out []Outstanding
	for i, z := range zs {
		var inv Invite
		b, err := gets[i].Bytes()
		if err != nil || json.Unmarshal(b, &inv) != nil {
			s.rdb.ZRem(ctx, keyInvites, z.Member) // used or expired meanwhile
			continue
		}
		out = append(out, Outstanding{Code: z.Member.(string), Invite: inv, Expires: time.UnixMilli(int64(z.Score))})
	}
	return out, nil
}

// CancelInvite makes a code unusable; ErrNotFound when it is not outstanding.
func (s *Store) CancelInvite(ctx context.Context, code string) (Invite, error) {
	inv, err := s.RedeemInvite(ctx, code)
	if err != nil {
		return Invite{}, fmt.Errorf("cancel %w", err)
	}
	return inv, nil
}

// CancelInvitesBy makes every outstanding code that userID created unusable
// (their role was taken away), and returns how many there were.
func (s *Store) CancelInvitesBy(ctx context.Context, userID int64, now time.Time) (int, error) {
	list, err := s.Invites(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range list {
		if o.Invite.By != userID {
			continue
		}
		if _, err := s.RedeemInvite(ctx, o.Code); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// CountAttempt counts an attempt under key within window and returns the count so
// far, to slow down guessing of invite codes.
func (s *Store) CountAttempt(ctx context.Context, key string, window time.Duration) (int64, error) {
	k := keyAttemptPref + key
	var n *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.ExpireNX(ctx, k, window)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count attempt: %w", err)
	}
	return n.Val(), nil
}

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

// Audit appends an entry to the audit stream, which the program never trims, and
// to the concern's own trail when it names one. An entry under a key seen in the
// last week (the same update processed again after a crash) is not added twice.
func (s *Store) Audit(ctx context.Context, key string, e concern.AuditEntry) error {
	if key != "" {
		fresh, err := s.rdb.SetNX(ctx, "minyi:audited:"+key, 1, 7*24*time.Hour).Result()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if !fresh {
			return nil
		}
	}
	b, _ := json.Marshal(e)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, Values: []any{"e", b}})
		if e.Concern != "" {
			p.RPush(ctx, auditKey(e.Concern), b)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditTrail lists a concern's audit entries, oldest first.
func (s *Store) AuditTrail(ctx context.Context, id string) ([]concern.AuditEntry, error) {
	raw, err := s.rdb.LRange(ctx, auditKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	out := make([]concern.AuditEntry, 0, len(raw))
	for _, v := range raw {
		var e concern.AuditEntry
		if json.Unmarshal([]byte(v), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// AuditLen is the length of the audit stream.
func (s *Store) AuditLen(ctx context.Context) (int64, error) {
	return s.rdb.XLen(ctx, keyAudit).Result()
}

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
