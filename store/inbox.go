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

// InboxItem is one incoming update for a chat, persisted before it is acknowledged
// to the transport.
type InboxItem struct {
	ChatID int64
	// Key identifies the update (e.g. "tg:123"); an item seen before is dropped.
	Key     string
	Payload []byte
}

// InboxEntry is an item as read back from a shard's inbox.
type InboxEntry struct {
	ID      string
	Payload []byte
}

// OutboxEntry is a batch of replies committed but not yet known to be delivered.
type OutboxEntry struct {
	ID      string
	Payload []byte
}

// Adds an update to its shard's inbox unless its key was seen in the last two days.
var ingestScript = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[2], '*', 'p', ARGV[1])
end
return false
`)

// Ingest persists items in their shards' inboxes, in order, in one round trip. It
// reports for each item whether it was new. Only when it returns nil are all items safe.
func (s *Store) Ingest(ctx context.Context, items []InboxItem) ([]bool, error) {
	if len(items) == 0 {
		return nil, nil
	}
	ttl := int64(s.seenTTL / time.Second)
	cmds := make([]*redis.Cmd, len(items))
	run := func(pipe redis.Pipeliner) error {
		for i, it := range items {
			shard := s.ShardOf(it.ChatID)
			keys := []string{shardKey(shard, "seen", it.Key), shardKey(shard, "inbox")}
			cmds[i] = ingestScript.EvalSha(ctx, pipe, keys, it.Payload, ttl)
		}
		return nil
	}
	if _, err := s.rdb.Pipelined(ctx, run); err != nil && !isNoScript(err) && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	added := make([]bool, len(items))
	for i, cmd := range cmds {
		err := cmd.Err()
		if isNoScript(err) { // Redis restarted and forgot its scripts: run this one in full
			shard := s.ShardOf(items[i].ChatID)
			keys := []string{shardKey(shard, "seen", items[i].Key), shardKey(shard, "inbox")}
			cmd = ingestScript.Run(ctx, s.rdb, keys, items[i].Payload, ttl)
			err = cmd.Err()
		}
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, fmt.Errorf("ingest: %w", err)
		default:
			added[i] = true
		}
	}
	return added, nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// ReadInbox waits up to block for entries of a shard's inbox after the given id
// ("0" for all); block 0 does not wait. It returns nothing, without error, when none came.
func (s *Store) ReadInbox(ctx context.Context, shard int, after string, count int64, block time.Duration) ([]InboxEntry, error) {
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{shardKey(shard, "inbox"), after},
		Count:   count,
		Block:   noWait(block),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read inbox %d: %w", shard, err)
	}
	var out []InboxEntry
	for _, st := range res {
		for _, m := range st.Messages {
			p, _ := m.Values["p"].(string)
			out = append(out, InboxEntry{ID: m.ID, Payload: []byte(p)})
		}
	}
	return out, nil
}

// noWait turns "do not wait" (0) into go-redis's, for which 0 is "wait forever".
func noWait(block time.Duration) time.Duration {
	if block <= 0 {
		return -1
	}
	return block
}

// InboxLen is the number of unprocessed entries of a shard.
func (s *Store) InboxLen(ctx context.Context, shard int) (int64, error) {
	return s.rdb.XLen(ctx, shardKey(shard, "inbox")).Result()
}

// Takes or renews a lease held by ARGV[1].
var leaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// LeaseShard takes or renews the lease on a shard for owner; only the holder
// processes the shard, which keeps each chat's updates in order across instances.
func (s *Store) LeaseShard(ctx context.Context, shard int, owner string, ttl time.Duration) (bool, error) {
	return s.lease(ctx, shardKey(shard, "lease"), owner, ttl)
}

// ReleaseShard gives a shard's lease up, if owner still holds it.
func (s *Store) ReleaseShard(ctx context.Context, shard int, owner string) error {
	return releaseScript.Run(ctx, s.rdb, []string{shardKey(shard, "lease")}, owner).Err()
}

// LeasePoller takes or renews the single lease for polling Telegram, which allows one poller.
func (s *Store) LeasePoller(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	return s.lease(ctx, "minyi:poller:lease", owner, ttl)
}

// ReleasePoller gives the polling lease up, if owner still holds it.
func (s *Store) ReleasePoller(ctx context.Context, owner string) error {
	return releaseScript.Run(ctx, s.rdb, []string{"minyi:poller:lease"}, owner).Err()
}

func (s *Store) lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{key}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	return n == 1, nil
}

// LoadSession returns a chat's saved session, or nil when there is none.
func (s *Store) LoadSession(ctx context.Context, chatID int64) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.sessionKey(chatID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return b, nil
}

// Commit is the outcome of processing one inbox entry, written at once.
type Commit struct {
	Shard   int
	Owner   string
	EntryID string
	ChatID  int64
	Session []byte
	TTL     time.Duration
	// Outbox holds the replies to deliver; empty when there are none.
	Outbox []byte
	// Listing, when set, adds a concern just submitted to one of the user's lists.
	Listing *Listing
	// Done are outbox entries of the shard delivered since, to forget in the same trip.
	Done []string
	// Draft is when the chat's draft was last touched, zero when it has none: drafts
	// are listed by it so that an abandoned one is found and emptied at expiry.
	Draft time.Time
}

// Saves the session, queues the replies, records a submitted concern for the
// user, removes the processed entry and forgets replies delivered since, all at
// once and only while the lease holds.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('MINYI_LEASE_LOST')
end
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
if ARGV[6] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[6])
end
local out = ''
if ARGV[5] ~= '' then
  out = redis.call('XADD', KEYS[4], '*', 'p', ARGV[5])
end
redis.call('XDEL', KEYS[2], ARGV[2])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[6], ARGV[7], ARGV[8])
else
  redis.call('ZREM', KEYS[6], ARGV[8])
end
if #ARGV > 8 then
  redis.call('XDEL', KEYS[4], unpack(ARGV, 9))
end
return out
`)

// Commit writes the outcome of one inbox entry atomically. It returns the outbox
// entry's id ("" when there was nothing to send).
func (s *Store) Commit(ctx context.Context, c Commit) (string, error) {
	if s.ShardOf(c.ChatID) != c.Shard {
		return "", fmt.Errorf("commit: chat %d is not in shard %d", c.ChatID, c.Shard)
	}
	keys := []string{
		shardKey(c.Shard, "lease"),
		shardKey(c.Shard, "inbox"),
		s.sessionKey(c.ChatID),
		shardKey(c.Shard, "outbox"),
		s.listKey(c.ChatID, c.Listing.list()),
		shardKey(c.Shard, "drafts"),
	}
	ttl := int64(c.TTL / time.Second)
	if ttl < 1 {
		ttl = 1
	}
	var mine []byte
	if c.Listing != nil {
		mine, _ = json.Marshal(c.Listing.Summary) // a Summary always encodes
	}
	draft := ""
	if !c.Draft.IsZero() {
		draft = strconv.FormatInt(c.Draft.UnixMilli(), 10)
	}
	args := make([]any, 0, 8+len(c.Done))
	args = append(args, c.Owner, c.EntryID, c.Session, ttl, c.Outbox, mine, draft, c.ChatID)
	for _, id := range c.Done {
		args = append(args, id)
	}
	id, err := commitScript.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		if strings.Contains(err.Error(), "MINYI_LEASE_LOST") {
			return "", ErrLeaseLost
		}
		return "", fmt.Errorf("commit: %w", err)
	}
	return id, nil
}

// IdleDrafts lists the chats of a shard whose draft was last touched before t,
// oldest first, at most limit.
func (s *Store) IdleDrafts(ctx context.Context, shard int, before time.Time, limit int64) ([]int64, error) {
	raw, err := s.rdb.ZRangeByScore(ctx, shardKey(shard, "drafts"), &redis.ZRangeBy{
		Min: "-inf", Max: "(" + strconv.FormatInt(before.UnixMilli(), 10), Count: limit}).Result()
	if err != nil {
		return nil, fmt.Errorf("idle drafts %d: %w", shard, err)
	}
	out := make([]int64, 0, len(raw))
	for _, v := range raw {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// PendingOutbox lists a shard's replies not yet known to be delivered, oldest first.
func (s *Store) PendingOutbox(ctx context.Context, shard int) ([]OutboxEntry, error) {
	msgs, err := s.rdb.XRange(ctx, shardKey(shard, "outbox"), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("read outbox %d: %w", shard, err)
	}
	out := make([]OutboxEntry, 0, len(msgs))
	for _, m := range msgs {
		p, _ := m.Values["p"].(string)
		out = append(out, OutboxEntry{ID: m.ID, Payload: []byte(p)})
	}
	return out, nil
}

// DoneOutbox forgets delivered batches of replies.
func (s *Store) DoneOutbox(ctx context.Context, shard int, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XDel(ctx, shardKey(shard, "outbox"), ids...).Err(); err != nil {
		return fmt.Errorf("outbox done: %w", err)
	}
	return nil
}

// DropInbox removes an entry that cannot be processed at all (it does not decode).
func (s *Store) DropInbox(ctx context.Context, shard int, id string) error {
	if err := s.rdb.XDel(ctx, shardKey(shard, "inbox"), id).Err(); err != nil {
		return fmt.Errorf("drop inbox entry: %w", err)
	}
	return nil
}

// Listing is a concern to add to one of a user's lists (ListMine, ListFiled).
type Listing struct {
	List    string
	Summary concern.Summary
}

func (l *Listing) list() string {
	if l == nil || l.List == "" {
		return ListMine
	}
	return l.List
}
