package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/demo"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/minhash"
	"github.com/minyi-project/minyi/period"
)

// periodOf reads --from and --to (the last day defaults to the first) in the
// configured time zone.
func periodOf(from, to string, cfg *config.Config) (period.Period, error) {
	spec := from
	if to != "" {
		spec += ".." + to
	}
	p, err := period.Parse(spec, time.Now(), cfg.Location)
	if err != nil {
		return p, fmt.Errorf("--from/--to: %w", err)
	}
	return p, nil
}

// setupDurable is setup for commands that read or fill a real Redis: with the
// embedded one there would be nothing to read, or it would vanish, as why says.
func setupDurable(ctx context.Context, cfg *config.Config, log *slog.Logger, why string) (*app, error) {
	a, err := setup(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if a.st.Embedded() {
		a.st.Close()
		return nil, errors.New("MINYI_REDIS_URL is not set: " + why)
	}
	return a, nil
}

func runDigest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	from := fs.String("from", "", "first day, like 2026-11-25 (default: yesterday)")
	to := fs.String("to", "", "last day (default: the first)")
	format := fs.String("format", "text", "text, html, xlsx or json")
	out := fs.String("out", "", "file to write (default: standard output)")
	lang := fs.String("lang", "zh", "zh or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "html" && *format != "xlsx" && *format != "json" {
		return fmt.Errorf("--format %q: choose text, html, xlsx or json", *format)
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	p, err := periodOf(*from, *to, cfg)
	if err != nil {
		return err
	}
	log := logger(cfg, stderr)
	a, err := setupDurable(ctx, cfg, log, "a digest of the embedded store is always empty")
	if err != nil {
		return err
	}
	defer a.st.Close()
	b := digestBuilder(cfg, a.cls, a.st, log)
	start := time.Now()
	d, err := b.Build(ctx, p)
	if err != nil {
		return err
	}
	b.Summarize(ctx, d)
	log.Info("digest built", "period", p.String(), "concerns", d.Counted, "took", time.Since(start))
	var data []byte
	switch *format {
	case "text":
		data = []byte(d.Text(*lang, cfg.Location) + "\n")
	case "html":
		data = d.HTML(*lang, cfg.Location)
	case "xlsx":
		if data, err = d.XLSX(*lang, cfg.Location); err != nil {
			return err
		}
	case "json":
		if data, err = d.JSON(); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d KB): %d concerns, %s\n", *out, (len(data)+1023)/1024, d.Counted, reconciliation(d))
	return nil
}

func reconciliation(d *digest.Digest) string {
	if d.Reconciled {
		return fmt.Sprintf("reconciled (%d accepted = %d counted)", d.Accepted, d.Counted)
	}
	return fmt.Sprintf("NOT reconciled (%d accepted, %d counted, missing %s)", d.Accepted, d.Counted, strings.Join(d.Missing[:min(5, len(d.Missing))], ", "))
}

func runDemoData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	n := fs.Int("reports", 2000, "how many concerns")
	days := fs.Int("days", 14, "over how many days, ending today")
	seed := fs.Int64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *days < 1 || *days > 400 {
		return errors.New("--reports must be 1 or more and --days 1 to 400")
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	a, err := setupDurable(ctx, cfg, logger(cfg, stderr), "demonstration data in the embedded store would vanish at once (try `minyi console --demo 500` instead)")
	if err != nil {
		return err
	}
	defer a.st.Close()
	start := time.Now()
	if err := fillDemo(ctx, a, *n, *days, *seed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d demonstration concerns over %d days in %.1f s\n", *n, *days, time.Since(start).Seconds())
	return nil
}

// fillDemo adds n synthetic concerns over the last days, ending today.
func fillDemo(ctx context.Context, a *app, n, days int, seed int64) error {
	grids := a.cfg.GridPaths()
	if len(grids) == 0 {
		grids = []string{"阳光社区/第一网格", "阳光社区/第二网格", "和平社区/第一网格", "和平社区/第二网格", "幸福里社区/第一网格", "幸福里社区/第二网格", "滨江社区/第一网格"}
	}
	now := time.Now() // today's concerns stop here: none is dated in the future
	reports := demo.Reports(demo.Options{
		Reports: n, Days: days, End: period.Day(now, a.cfg.Location), Now: now, Grids: grids, Seed: seed,
		Sector:   a.cls.tax.SectorOf,
		Deadline: a.cases.Deadline,
	})
	bands := make([][]uint64, len(reports))
	for i, r := range reports {
		bands[i] = minhash.Sign(r.Text).RecurBands()
	}
	for start := 0; start < len(reports); start += 10000 {
		end := min(start+10000, len(reports))
		if err := a.st.Import(ctx, reports[start:end], bands[start:end]); err != nil {
			return err
		}
	}
	return nil
}
