package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/export"
)

// runExport writes every concern received in a period, with its history. Personal
// data is masked unless an admin names themself and asks for it unmasked; either
// way the export is audited.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	from := fs.String("from", "", "first day, like 2026-11-01 (required)")
	to := fs.String("to", "", "last day (default: the first)")
	format := fs.String("format", "csv", "csv, xlsx or jsonl")
	out := fs.String("out", "", "file to write (required for xlsx; default: standard output)")
	unmasked := fs.Bool("unmasked", false, "keep names, phones, chats and addresses (needs --admin)")
	admin := fs.Int64("admin", 0, "your Telegram user id, one of MINYI_ADMINS (needed with --unmasked)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !slices.Contains(export.Formats, *format) {
		return fmt.Errorf("--format %q: choose %s", *format, strings.Join(export.Formats, ", "))
	}
	if *from == "" {
		return errors.New("--from is required: the first day, like 2026-11-01")
	}
	if *format == "xlsx" && *out == "" {
		return errors.New("--out is required for xlsx: a workbook is not for a terminal")
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	if *unmasked {
		switch {
		case *admin == 0:
			return errors.New("--unmasked needs --admin with your Telegram user id, one of MINYI_ADMINS: the export is audited under it")
		case !slices.Contains(cfg.Admins, *admin):
			return fmt.Errorf("--admin %d is not one of MINYI_ADMINS: only an admin may export personal data", *admin)
		}
	}
	p, err := periodOf(*from, *to, cfg)
	if err != nil {
		return err
	}
	a, err := setupDurable(ctx, cfg, logger(cfg, stderr), "the embedded store holds no concerns to export")
	if err != nil {
		return err
	}
	defer a.st.Close()
	var days []string
	for _, d := range p.Each() {
		days = append(days, a.st.DayKey(d))
	}
	ids, err := a.st.ReceivedIDs(ctx, days)
	if err != nil {
		return err
	}
	reports, err := a.st.Reports(ctx, ids)
	if err != nil {
		return err
	}
	slices.SortFunc(reports, func(x, y *concern.Report) int { return x.ReceivedAt.Compare(y.ReceivedAt) })
	var buf bytes.Buffer
	if err := export.Write(&buf, *format, reports, export.Options{Unmasked: *unmasked, Location: cfg.Location}); err != nil {
		return err
	}
	mode := "masked"
	if *unmasked {
		mode = "unmasked"
	}
	// audited before anything is written out, so that no export goes unrecorded
	entry := concern.AuditEntry{At: time.Now(), By: *admin, Action: "export",
		Detail: fmt.Sprintf("%s %s, %d concerns, %s", mode, p.String(), len(reports), *format)}
	if *admin != 0 {
		entry.Role = concern.RoleAdmin
	}
	if err := a.st.Audit(ctx, "", entry); err != nil {
		return fmt.Errorf("the export could not be audited, so it was not written: %w", err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
	} else {
		err = os.WriteFile(*out, buf.Bytes(), 0o600)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d concerns (%s) of %s\n", len(reports), mode, p.String())
	if queued := len(ids) - len(reports); queued > 0 {
		fmt.Fprintf(stderr, "%d more were received but are still in the intake queue; export again once it is empty\n", queued)
	}
	return nil
}
