package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/store"
)

// runQueue shows the intake queue's state and puts dead letters back.
func runQueue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "retry") {
		return errors.New("usage: minyi queue status [--json] | minyi queue retry CONCERN_ID|--all")
	}
	fs := flag.NewFlagSet("queue "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	all := fs.Bool("all", false, "put every dead letter back")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return errors.New("MINYI_REDIS_URL is not set: the queue lives in the Redis that minyi serve uses")
	}
	st, err := store.Open(ctx, cfg.RedisURL, store.WithShards(cfg.Shards), store.WithLocation(cfg.Location), store.WithLogger(logger(cfg, stderr)))
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer st.Close()

	if args[0] == "retry" {
		id := fs.Arg(0)
		switch {
		case *all == (id != ""):
			return errors.New("name one concern id, or --all")
		case fs.NArg() > 1:
			return errors.New("name one concern id at a time")
		}
		n, err := st.RetryDead(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "put %d dead letter(s) back in the queue\n", n)
		return nil
	}

	q, err := st.QueueStatus(ctx, time.Now(), 20)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(q)
	}
	fmt.Fprintf(stdout, "intake queue: %d waiting (%d unread, %d being handled)\n", q.Length, q.Unread, q.Pending)
	if q.Pending > 0 {
		fmt.Fprintf(stdout, "oldest being handled: queued %s ago\n", q.OldestPending.Round(time.Second))
	}
	for _, c := range q.Consumers {
		fmt.Fprintf(stdout, "consumer %s: %d pending, idle %s\n", c.Name, c.Pending, c.Idle.Round(time.Second))
	}
	fmt.Fprintf(stdout, "dead letters: %d\n", q.Dead)
	for _, d := range q.DeadLetters {
		fmt.Fprintf(stdout, "  %s  %d attempts  %s  %s\n", d.ConcernID, d.Attempts, d.At.Local().Format("2006-01-02 15:04"), d.Error)
	}
	if q.Dead > 0 {
		fmt.Fprintln(stdout, "once the fault is fixed: minyi queue retry CONCERN_ID, or minyi queue retry --all")
	}
	return nil
}
