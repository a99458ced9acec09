package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/store"
)

// loadFlows is the flows minyi runs: the built-in ones, with those of
// MINYI_FLOWS_DIR added or replacing them. Each version's content is
// remembered in the store (st, when given), so that a flow changed under a
// version already used is refused rather than carrying drafts on by other
// steps; record writes the versions down once all are good (start-up does,
// `minyi flows check` only reads).
func loadFlows(ctx context.Context, dir string, st *store.Store, record bool) ([]*flows.Definition, error) {
	defs, _, err := flows.Builtin()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		files, err := flows.LoadDir(dir)
		if err != nil {
			return nil, err
		}
		if defs, err = flows.Merge(defs, files); err != nil {
			return nil, err
		}
	}
	if st == nil {
		return defs, nil
	}
	var errs []error
	for _, d := range defs {
		was, err := st.FlowVersionUsed(ctx, d.ID, d.Version)
		if err != nil {
			return nil, err
		}
		if was != "" && was != d.Hash {
			errs = append(errs, flows.Changed(d))
		}
	}
	if len(errs) > 0 || !record {
		return defs, errors.Join(errs...)
	}
	for _, d := range defs {
		if was, err := st.FlowVersion(ctx, d.ID, d.Version, d.Hash); err != nil {
			return nil, err
		} else if was != d.Hash { // another instance, starting at the same time with other files
			errs = append(errs, flows.Changed(d))
		}
	}
	return defs, errors.Join(errs...)
}

// runFlows is `minyi flows check DIR`: the flows of DIR checked as start-up
// would (each mistake at its file and line), against the built-in flows and,
// when MINYI_REDIS_URL is set, the versions already used.
func runFlows(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		return errors.New("usage: minyi flows check DIR")
	}
	var st *store.Store
	if url := os.Getenv("MINYI_REDIS_URL"); url != "" {
		s, err := store.Open(ctx, url)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer s.Close()
		st = s
	}
	defs, err := loadFlows(ctx, args[1], st, false)
	if err == nil {
		// the engine's own checks: commands, buttons and the catalog
		_, _, err = commands.NewEngine(nil, nil, commands.WithFlows(defs))
	}
	if err != nil {
		return fmt.Errorf("%s: refused\n%w", args[1], err)
	}
	var names []string
	for _, d := range defs {
		from := "built in"
		if d.File != "" {
			from = d.File
		}
		names = append(names, fmt.Sprintf("%s v%d (%s)", d.ID, d.Version, from))
	}
	fmt.Fprintf(stdout, "%s: ok — %d flows: %s\n", args[1], len(defs), strings.Join(names, ", "))
	return nil
}
