// Package embedredis runs an in-process Redis (miniredis) for trying minyi out
// without a server: nothing in it is durable. Only cmd/minyi uses it, so that the
// store itself speaks to real Redis alone.
package embedredis

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// Server is a running in-process Redis.
type Server struct{ mr *miniredis.Miniredis }

// Start starts one on a free local port. Keys expire on the wall clock, as in Redis.
func Start() (*Server, error) {
	mr := miniredis.NewMiniRedis()
	mr.ClockTTL(true)
	if err := mr.Start(); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	return &Server{mr: mr}, nil
}

// URL is where to reach it, for store.Open.
func (s *Server) URL() string { return "redis://" + s.mr.Addr() }

// Close stops it; what it held is gone.
func (s *Server) Close() { s.mr.Close() }
