package store

import (
	"context"
	"fmt"
	"strconv"
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
