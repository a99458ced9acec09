package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The archive of issued digests and reports: one hash slot, so that an entry,
// its document and the year's issue number are written together (a few hundred
// entries a year, their documents a few hundred KB each at most).
const (
	keyArchiveNext   = "minyi:{archive}:next"   // the last id given
	keyArchiveItems  = "minyi:{archive}:items"  // id → the entry's JSON
	keyArchiveDocs   = "minyi:{archive}:docs"   // id → the document (the digest's or report's JSON)
	keyArchiveByName = "minyi:{archive}:byname" // KIND PERIOD → id
	keyArchiveIssue  = "minyi:{archive}:issue:" // + KIND:YEAR: the last issue number given
)

// Archived is an issued digest or report.
type Archived struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`   // digest, report
	Period string `json:"period"` // 2026-11-30, 2026-11, 2026-Q4, 2026
	Year   int    `json:"year"`
	Number int    `json:"number"` // its issue of the year, per kind
	// Issued is when it was first issued, Revised when last issued again (the
	// same period issued again keeps its number and replaces its document).
	Issued  time.Time `json:"issued"`
	Revised time.Time `json:"revised,omitzero"`
	By      int64     `json:"by,omitempty"` // 0: the schedule
	Size    int       `json:"size"`
}

// archiveScript issues a document: the period's entry if there is one (its
// document replaced), else a new one with the next id and issue number.
var archiveScript = redis.NewScript(`
local id = redis.call('HGET', KEYS[4], ARGV[1])
local entry
if id then
  entry = cjson.decode(redis.call('HGET', KEYS[2], id))
  entry.revised = ARGV[4]
else
  id = tostring(redis.call('INCR', KEYS[1]))
  entry = cjson.decode(ARGV[2])
  entry.id = tonumber(id)
  entry.number = redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[4], ARGV[1], id)
end
entry.size = string.len(ARGV[3])
local out = cjson.encode(entry)
redis.call('HSET', KEYS[2], id, out)
redis.call('HSET', KEYS[3], id, ARGV[3])
return out
`)

// Archive issues a document of a kind and period: the first time it gets the
// next issue number of its kind and year; again, it keeps its number.
func (s *Store) Archive(ctx context.Context, kind, period string, year int, by int64, at time.Time, doc []byte) (Archived, error) {
	entry, err := json.Marshal(Archived{Kind: kind, Period: period, Year: year, Issued: at, By: by})
	if err != nil {
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	keys := []string{keyArchiveNext, keyArchiveItems, keyArchiveDocs, keyArchiveByName, keyArchiveIssue + kind + ":" + strconv.Itoa(year)}
	raw, err := archiveScript.Run(ctx, s.rdb, keys, kind+" "+period, entry, doc, at.UTC().Format(time.RFC3339Nano)).Text()
	if err != nil {
		return Archived{}, fmt.Errorf("archive %s %s: %w", kind, period, err)
	}
	var out Archived
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return Archived{}, fmt.Errorf("archive %s %s: %w", kind, period, err)
	}
	return out, nil
}

// ArchivedList lists the issued documents of a kind ("" for all), newest first.
func (s *Store) ArchivedList(ctx context.Context, kind string) ([]Archived, error) {
	all, err := s.rdb.HVals(ctx, keyArchiveItems).Result()
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var out []Archived
	for _, raw := range all {
		var a Archived
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		if kind == "" || a.Kind == kind {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Archived) int {
		if c := b.Issued.Compare(a.Issued); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return out, nil
}

// ArchivedDoc reads an issued document and its entry.
func (s *Store) ArchivedDoc(ctx context.Context, id int64) (Archived, []byte, error) {
	k := strconv.FormatInt(id, 10)
	var entry, doc *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		entry = p.HGet(ctx, keyArchiveItems, k)
		doc = p.HGet(ctx, keyArchiveDocs, k)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return Archived{}, nil, ErrNotFound
	}
	if err != nil {
		return Archived{}, nil, fmt.Errorf("archive %d: %w", id, err)
	}
	var a Archived
	if err := json.Unmarshal([]byte(entry.Val()), &a); err != nil {
		return Archived{}, nil, fmt.Errorf("archive %d: %w", id, err)
	}
	return a, []byte(doc.Val()), nil
}
