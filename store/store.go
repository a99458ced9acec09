// Package store is minyi's only door to Redis: the per-chat inbox and outbox, session
// state, the durable intake queue and the report records with their indexes.
//
// Keys that change together share a hash slot, so everything works unchanged on
// Redis Cluster: a chat's inbox, outbox, lease, session and own-concern list live
// under its shard's tag ({s07}); the intake stream, its day counters and draft
// markers under {intake}.
package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrLeaseLost is returned when a shard's lease passed to another owner before a commit.
var ErrLeaseLost = errors.New("shard lease lost")

// Store is minyi's Redis store.
type Store struct {
	rdb   redis.UniversalClient
	trips roundTrips
	// embedded stops the in-process Redis the store runs on (nil: a real one)
	embedded func()
	shards   int
	loc      *time.Location
	log      *slog.Logger
	seenTTL  time.Duration
}

// Option configures a Store.
type Option func(*Store)

// WithShards sets the number of inbox shards; every instance sharing a Redis must agree.
func WithShards(n int) Option { return func(s *Store) { s.shards = n } }

// WithLocation sets the time zone that decides which day a concern belongs to.
func WithLocation(loc *time.Location) Option { return func(s *Store) { s.loc = loc } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithEmbedded marks the Redis as an in-process one (nothing durable), stopped by
// stop when the store is closed.
func WithEmbedded(stop func()) Option { return func(s *Store) { s.embedded = stop } }

// Open connects to the Redis at rawURL. URLs: redis://[:pass@]host:port[/db], rediss:// for TLS;
// add ?master_name=NAME to go through Sentinel, or ?cluster=true (with more nodes as
// &addr=host:port) for Redis Cluster.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	s := &Store{shards: 16, loc: time.UTC, log: slog.Default(), seenTTL: 48 * time.Hour}
	for _, o := range opts {
		o(s)
	}
	if s.shards < 1 || s.shards > 1024 {
		return nil, fmt.Errorf("shards must be 1..1024, not %d", s.shards)
	}
	// every owned shard holds one connection in a blocking read
	pool := s.shards + 16
	if rawURL == "" {
		return nil, errors.New("no Redis URL")
	}
	rdb, err := newClient(rawURL, pool)
	if err != nil {
		if s.embedded != nil {
			s.embedded()
		}
		return nil, err
	}
	s.rdb = rdb
	s.rdb.AddHook(&s.trips)
	if err := s.checkShards(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// roundTrips counts the requests sent to Redis: each command alone, or each
// pipeline (whatever it holds), is one trip there and back.
type roundTrips struct {
	commands, trips atomic.Int64
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.trips.Add(1)
		r.commands.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.trips.Add(1)
		r.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// Traffic reports how many round trips to Redis, and commands, this store has made.
func (s *Store) Traffic() (trips, commands int64) {
	return s.trips.trips.Load(), s.trips.commands.Load()
}

func newClient(rawURL string, pool int) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", redactURLError(err))
	}
	q := u.Query()
	switch {
	case q.Get("cluster") == "true":
		q.Del("cluster")
		u.RawQuery = q.Encode()
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis cluster URL: %w", err)
		}
		o.PoolSize = max(o.PoolSize, pool)
		return redis.NewClusterClient(o), nil
	case q.Get("master_name") != "":
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redis sentinel URL: %w", err)
		}
		o.PoolSize = max(o.PoolSize, pool)
		return redis.NewFailoverClient(o), nil
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redis URL: %w", err)
		}
		o.PoolSize = max(o.PoolSize, pool)
		return redis.NewClient(o), nil
	}
}

// redactURLError drops the URL (which may hold a password) from a parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// checkShards records the shard count on first use and refuses a different one later,
// since chats are routed to shards by it.
func (s *Store) checkShards(ctx context.Context) error {
	ok, err := s.rdb.HSetNX(ctx, keyMeta, "shards", s.shards).Result()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if ok {
		return nil
	}
	got, err := s.rdb.HGet(ctx, keyMeta, "shards").Int()
	if err != nil {
		return fmt.Errorf("redis: read shard count: %w", err)
	}
	if got != s.shards {
		return fmt.Errorf("this Redis was set up with %d shards, not %d: set the shard count back to %d", got, s.shards, got)
	}
	return nil
}

// RouteDriverLogs sends the Redis driver's own log lines (reconnect attempts and
// the like) to log at debug level instead of the standard logger. The driver's
// logger is process-wide, so only main and tests call this.
func RouteDriverLogs(log *slog.Logger) {
	redis.SetLogger(driverLogger{log})
}

type driverLogger struct{ log *slog.Logger }

func (d driverLogger) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "redis driver: "+fmt.Sprintf(format, v...))
}

// DayKey is the day (yyyymmdd) a time falls on in the store's time zone.
func (s *Store) DayKey(t time.Time) string { return t.In(s.loc).Format("20060102") }

// Embedded reports whether the store runs on the in-process Redis (nothing durable).
func (s *Store) Embedded() bool { return s.embedded != nil }

// Shards is the number of inbox shards.
func (s *Store) Shards() int { return s.shards }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Close closes the connection, and stops the embedded Redis if there is one.
func (s *Store) Close() error {
	err := s.rdb.Close()
	if s.embedded != nil {
		s.embedded()
	}
	return err
}

// ShardOf says which shard a chat's updates go through.
func (s *Store) ShardOf(chatID int64) int {
	h := fnv.New32a()
	h.Write(strconv.AppendInt(nil, chatID, 10))
	return int(h.Sum32() % uint32(s.shards))
}

const keyMeta = "minyi:meta"

func shardKey(shard int, parts ...string) string {
	k := fmt.Sprintf("minyi:{s%02d}", shard)
	for _, p := range parts {
		k += ":" + p
	}
	return k
}

func (s *Store) sessionKey(chatID int64) string {
	return shardKey(s.ShardOf(chatID), "session", strconv.FormatInt(chatID, 10))
}

// Lists of a user's concerns: those they reported, and (grid workers) those they filed.
const (
	ListMine  = "mine"
	ListFiled = "filed"
)

// The user's lists live in the shard of their private chat, whose id is theirs.
func (s *Store) listKey(userID int64, list string) string {
	return shardKey(s.ShardOf(userID), list, strconv.FormatInt(userID, 10))
}

const (
	keyIntake       = "minyi:{intake}"
	intakeGroup     = "classify"
	keyDraftPrefix  = "minyi:{intake}:draft:"
	keySeqPrefix    = "minyi:{intake}:seq:"
	keyQuotaPrefix  = "minyi:{intake}:quota:" // DAY:CHAT → concerns submitted
	keyReportPrefix = "minyi:report:"
	keyDayPrefix    = "minyi:idx:day:"
	keyRecvPrefix   = "minyi:{intake}:recv:"
	keyCountPrefix  = "minyi:idx:count:"
	keyBandsPrefix  = "minyi:idx:bands:"
)

func reportKey(id string) string { return keyReportPrefix + "{" + id + "}" }
