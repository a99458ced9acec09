package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// keyFlowVersions remembers what each flow version said: id@version → its content hash.
const keyFlowVersions = "minyi:flows:versions"

// FlowVersion records the content of a flow's version the first time it is
// used, and reports the content recorded before (the same when unchanged).
func (s *Store) FlowVersion(ctx context.Context, id string, version int, hash string) (string, error) {
	field := id + "@" + strconv.Itoa(version)
	if err := s.rdb.HSetNX(ctx, keyFlowVersions, field, hash).Err(); err != nil {
		return "", fmt.Errorf("flow versions: %w", err)
	}
	was, err := s.rdb.HGet(ctx, keyFlowVersions, field).Result()
	if err != nil {
		return "", fmt.Errorf("flow versions: %w", err)
	}
	return was, nil
}

// FlowVersionUsed reads the content recorded for a flow's version, without recording any ("" when none).
func (s *Store) FlowVersionUsed(ctx context.Context, id string, version int) (string, error) {
	was, err := s.rdb.HGet(ctx, keyFlowVersions, id+"@"+strconv.Itoa(version)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("flow versions: %w", err)
	}
	return was, nil
}
