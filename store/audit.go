package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/minyi-project/minyi/concern"
)

const keyAudit = "minyi:audit"

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

func auditKey(id string) string { return keyReportPrefix + "{" + id + "}:audit" }
