package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/concern"
)

// Gives a draft its concern id and queues it, once: a draft submitted again gets
// the id it was given the first time and is not queued twice. The day's received
// set records every id given, for digests to reconcile against, and the day's
// origins the channel each came from, for the channel alone to see it queued.
// With a fingerprint of the text (ARGV[7]), kept beside the draft marker (not in
// it, so that markers stay as they were), the same draft with another text is
// told apart ('!' and the id).
var submitScript = redis.NewScript(`
local got = redis.call('GET', KEYS[1])
if got then
  if ARGV[7] ~= '' then
    local fp = redis.call('GET', KEYS[7])
    if fp and fp ~= ARGV[7] then
      return '!' .. got
    end
  end
  return '=' .. got
end
local limit = tonumber(ARGV[6])
if limit > 0 then
  if tonumber(redis.call('GET', KEYS[5]) or '0') >= limit then
    return redis.error_reply('QUOTA a resident may submit ' .. limit .. ' concerns a day')
  end
  redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], 172800)
end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 259200)
local id = ARGV[1] .. '-' .. string.format('%04d', n)
redis.call('XADD', KEYS[3], '*', 'id', id, 'draft', ARGV[2], 'body', ARGV[3])
redis.call('SET', KEYS[1], id, 'EX', ARGV[4])
if ARGV[7] ~= '' then
  redis.call('SET', KEYS[7], ARGV[7], 'EX', ARGV[4])
end
redis.call('ZADD', KEYS[4], ARGV[5], id)
redis.call('EXPIRE', KEYS[4], 34560000)
redis.call('HSET', KEYS[6], id, ARGV[8])
if redis.call('TTL', KEYS[6]) < tonumber(ARGV[4]) then
  redis.call('EXPIRE', KEYS[6], ARGV[4])
end
return id
`)

// keyOriginPrefix is a day's hash of concern id → the channel it came from,
// kept as long as the draft markers of that day.
const keyOriginPrefix = "minyi:{intake}:origin:"

// draftTTL is how long a submitted draft's id is remembered, to refuse a second copy.
const draftTTL = 30 * 24 * time.Hour

// ErrQuota is returned when a resident has submitted as many concerns as a day allows.
var ErrQuota = errors.New("daily limit of concerns reached")

// ErrTextDiffers is returned, with the concern's id, when an external id comes
// again with another text than the first time.
var ErrTextDiffers = errors.New("this external id came before with another text")

// Submit writes a finished draft to the intake queue and returns the concern id it
// was given. It returns only after Redis has accepted the entry. Submitting the same
// draft again returns the same id and queues nothing. With perDay > 0, a new draft
// from a resident's chat that already gave perDay concerns that day is refused
// with ErrQuota (a grid worker's filings are not counted).
func (s *Store) Submit(ctx context.Context, draftID string, r *concern.Report, perDay int) (string, error) {
	id, _, err := s.submit(ctx, draftID, r, perDay, draftTTL, "")
	return id, err
}

// SubmitExternal queues a concern from another intake channel under its own id
// there, and returns its concern id and whether it is new: the same external id
// again gets the first concern, for as long as keep (at least the concerns'
// retention). When its text differs from the first time's, it returns the first
// concern's id with ErrTextDiffers and queues nothing. (An external id queued
// before texts were fingerprinted is taken as the same.)
func (s *Store) SubmitExternal(ctx context.Context, channel, externalID string, r *concern.Report, keep time.Duration) (string, bool, error) {
	if channel == "" || externalID == "" {
		return "", false, errors.New("submit: an external concern needs its channel and id")
	}
	sum := sha256.Sum256([]byte(r.Text))
	return s.submit(ctx, "ext:"+channel+":"+externalID, r, 0, max(keep, draftTTL), hex.EncodeToString(sum[:16]))
}

func (s *Store) submit(ctx context.Context, draftID string, r *concern.Report, perDay int, keep time.Duration, fingerprint string) (string, bool, error) {
	if draftID == "" {
		return "", false, errors.New("submit: draft has no id")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return "", false, fmt.Errorf("submit: %w", err)
	}
	day := s.DayKey(r.ReceivedAt)
	if r.FiledBy != 0 || r.ReplyChat == 0 {
		perDay = 0
	}
	keys := []string{keyDraftPrefix + draftID, keySeqPrefix + day, keyIntake, keyRecvPrefix + day,
		keyQuotaPrefix + day + ":" + strconv.FormatInt(r.ReplyChat, 10), keyOriginPrefix + day, keyDraftPrefix + draftID + ":text"}
	id, err := submitScript.Run(ctx, s.rdb, keys, day, draftID, body, int64(keep/time.Second), r.ReceivedAt.UnixMilli(), perDay,
		fingerprint, r.Channel).Text()
	if err != nil && strings.HasPrefix(err.Error(), "QUOTA") {
		return "", false, ErrQuota
	}
	if err != nil {
		return "", false, fmt.Errorf("submit: %w", err)
	}
	if first, again := strings.CutPrefix(id, "="); again {
		return first, false, nil
	}
	if first, differs := strings.CutPrefix(id, "!"); differs {
		return first, false, ErrTextDiffers
	}
	return id, true, nil
}

// QueuedFrom reports whether a concern id was given out (and so is queued, if
// not yet recorded), and the channel it came from ("" when unknown: given out
// before channels were kept, or long ago).
func (s *Store) QueuedFrom(ctx context.Context, id string) (bool, string, error) {
	if !concern.ValidID(id) {
		return false, "", nil
	}
	day, _, _ := strings.Cut(id, "-")
	var score *redis.FloatCmd
	var origin *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		score = p.ZScore(ctx, keyRecvPrefix+day, id)
		origin = p.HGet(ctx, keyOriginPrefix+day, id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, "", fmt.Errorf("queued %s: %w", id, err)
	}
	if errors.Is(score.Err(), redis.Nil) {
		return false, "", nil
	}
	return true, origin.Val(), nil
}

// IntakeEntry is one queued concern as the intake consumer reads it.
type IntakeEntry struct {
	StreamID  string
	ConcernID string
	DraftID   string
	Body      []byte
}

// EnsureIntakeGroup creates the intake stream's consumer group if it is missing;
// a new group starts from the stream's first entry, so nothing queued is skipped.
func (s *Store) EnsureIntakeGroup(ctx context.Context) error {
	err := s.rdb.XGroupCreateMkStream(ctx, keyIntake, intakeGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create intake group: %w", err)
	}
	return nil
}

// ReadIntake waits up to block for new queued concerns for consumer; block 0 does not wait.
func (s *Store) ReadIntake(ctx context.Context, consumer string, count int64, block time.Duration) ([]IntakeEntry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    intakeGroup,
		Consumer: consumer,
		Streams:  []string{keyIntake, ">"},
		Count:    count,
		Block:    noWait(block),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read intake: %w", err)
	}
	var out []IntakeEntry
	for _, st := range res {
		out = append(out, intakeEntries(st.Messages)...)
	}
	return out, nil
}

// ClaimStaleIntake takes over queued concerns that another consumer read but did
// not acknowledge within minIdle, as when it crashed.
func (s *Store) ClaimStaleIntake(ctx context.Context, consumer string, minIdle time.Duration, count int64) ([]IntakeEntry, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream:   keyIntake,
		Group:    intakeGroup,
		Consumer: consumer,
		MinIdle:  minIdle,
		Start:    "0",
		Count:    count,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("claim stale intake: %w", err)
	}
	return intakeEntries(msgs), nil
}

func intakeEntries(msgs []redis.XMessage) []IntakeEntry {
	out := make([]IntakeEntry, 0, len(msgs))
	for _, m := range msgs {
		id, _ := m.Values["id"].(string)
		draft, _ := m.Values["draft"].(string)
		body, _ := m.Values["body"].(string)
		out = append(out, IntakeEntry{StreamID: m.ID, ConcernID: id, DraftID: draft, Body: []byte(body)})
	}
	return out
}

// AckIntake marks a queued concern as handled and takes it out of the queue (its
// record holds it now), with its count of failed attempts. Call it only after
// its record is written.
func (s *Store) AckIntake(ctx context.Context, streamID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, keyIntake, intakeGroup, streamID)
		p.XDel(ctx, keyIntake, streamID)
		p.HDel(ctx, keyFails, streamID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack intake: %w", err)
	}
	return nil
}

// SaveReport writes a new concern's record with its day, count, deadline and
// band indexes, in one round trip. A record that exists already is left as it
// is (an entry delivered again must not undo what staff did since), and its
// indexes are put right from the stored record.
func (s *Store) SaveReport(ctx context.Context, r *concern.Report, bands []uint64) error {
	if !concern.ValidID(r.ID) {
		return fmt.Errorf("save report: bad id %q", r.ID)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save report %s: %w", r.ID, err)
	}
	day := s.DayKey(r.ReceivedAt)
	countKeys, countArgs := s.countCall(r)
	var created *redis.BoolCmd
	var counted, marked *redis.Cmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		created = p.SetNX(ctx, reportKey(r.ID), body, 0)
		p.ZAdd(ctx, keyDayPrefix+day, redis.Z{Score: float64(r.ReceivedAt.UnixMilli()), Member: r.ID})
		// counted even when the record was there: a save retried after a failed count must count it
		counted = countScript.EvalSha(ctx, p, countKeys, countArgs...)
		marked = indexInto(ctx, p, r)
		bandsInto(ctx, p, day, bands)
		return nil
	})
	if err != nil && !isNoScript(err) {
		return fmt.Errorf("save report %s: %w", r.ID, err)
	}
	if isNoScript(counted.Err()) { // Redis restarted and forgot its scripts
		if err := countScript.Run(ctx, s.rdb, countKeys, countArgs...).Err(); err != nil {
			return fmt.Errorf("count %s: %w", r.ID, err)
		}
	}
	// on a cluster the mark may have landed before the record: marked again, after it
	if isNoScriptCmd(marked) || !s.ordered() {
		if err := s.markChanged(ctx, r.ID); err != nil {
			return fmt.Errorf("save report %s: %w", r.ID, err)
		}
	}
	if created.Val() {
		return nil
	}
	// indexed again from the stored record, which staff may have changed since
	stored, err := s.Report(ctx, r.ID)
	if err != nil {
		return err
	}
	return s.index(ctx, stored)
}

// Report reads a concern's record; ErrNotFound when there is none (yet).
func (s *Store) Report(ctx context.Context, id string) (*concern.Report, error) {
	b, err := s.rdb.Get(ctx, reportKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("report %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", id, err)
	}
	var r concern.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report %s: %w", id, err)
	}
	return &r, nil
}

// DayIDs lists the ids of the concerns received on a day (yyyymmdd), in order.
func (s *Store) DayIDs(ctx context.Context, day string) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, keyDayPrefix+day, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("day index %s: %w", day, err)
	}
	return ids, nil
}

// Mine lists the newest n of a user's own concerns with their current status and
// tags, and how many there are in all. A concern still in the queue shows as
// received, without tags.
func (s *Store) Mine(ctx context.Context, userID int64, n int) ([]concern.Summary, int, error) {
	return s.List(ctx, userID, ListMine, n)
}

// List is Mine for any of a user's lists (ListMine, ListFiled).
func (s *Store) List(ctx context.Context, userID int64, list string, n int) ([]concern.Summary, int, error) {
	key := s.listKey(userID, list)
	var (
		rng *redis.StringSliceCmd
		cnt *redis.IntCmd
	)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		rng = p.LRange(ctx, key, 0, int64(n)-1)
		cnt = p.LLen(ctx, key)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("own concerns: %w", err)
	}
	out := make([]concern.Summary, 0, len(rng.Val()))
	for _, v := range rng.Val() {
		var c concern.Summary
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			return nil, 0, fmt.Errorf("own concerns: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return out, int(cnt.Val()), nil
	}
	gets := make([]*redis.StringCmd, len(out))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range out {
			gets[i] = p.Get(ctx, reportKey(c.ID))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("own concerns' status: %w", err)
	}
	for i := range out {
		out[i].Status = concern.StatusReceived
		var r struct {
			Status concern.Status `json:"status"`
			Topic  string         `json:"topic"`
			Sector string         `json:"sector"`
		}
		if b, err := gets[i].Bytes(); err == nil && json.Unmarshal(b, &r) == nil {
			if r.Status != "" {
				out[i].Status = r.Status
			}
			out[i].Topic, out[i].Sector = r.Topic, r.Sector
		}
	}
	return out, int(cnt.Val()), nil
}
