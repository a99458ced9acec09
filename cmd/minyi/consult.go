package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/consult"
	"github.com/minyi-project/minyi/export"
)

// runConsult is `minyi consult create --file FILE.yaml`, `minyi consult list`
// and `minyi consult results N --format csv|xlsx --out FILE`: the committee's
// consultations from the command line, as an admin runs them. Sending,
// closing and the outcome are in chat (/consult), where staff follow them.
func runConsult(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "results") {
		return errors.New("choose `consult create --file FILE.yaml`, `consult list` or `consult results N --format csv|xlsx --out FILE`")
	}
	verb, rest := args[0], args[1:]
	var id int64
	if verb == "results" {
		var err error
		if id, rest, err = numberArg("consult results", "a consultation's number", "minyi consult results 1 --format csv", "minyi consult list", rest); err != nil {
			return err
		}
	}
	fs := flag.NewFlagSet("consult "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	file := fs.String("file", "", "the consultation: title, intro, audience, community, opens, closes, questions (see README)")
	format := fs.String("format", "csv", "csv or xlsx")
	out := fs.String("out", "", "file to write (required for xlsx)")
	by := fs.Int64("admin", 0, "the admin who makes it (a MINYI_ADMINS id; recorded in the audit)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if verb == "create" && *file == "" {
		return errors.New("consult create: --file FILE.yaml is required")
	}
	if *format != "csv" && *format != "xlsx" {
		return fmt.Errorf("--format %q: choose csv or xlsx", *format)
	}
	if *format == "xlsx" && *out == "" && verb == "results" {
		return errors.New("--out is required for xlsx")
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	a, err := setupDurable(ctx, cfg, logger(cfg, stderr), "the embedded store holds no consultations")
	if err != nil {
		return err
	}
	defer a.st.Close()
	who := cases.Actor{UserID: *by, Role: concern.RoleAdmin, Name: "command line", Lang: "zh"}
	switch verb {
	case "create":
		raw, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		plan, err := consult.Parse(raw, cfg.Location)
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		c, err := a.cases.CreateConsult(ctx, who, plan)
		if err != nil {
			return refusalError(a, "zh", err)
		}
		fmt.Fprintf(stdout, "consultation %d made: %s (%d questions, %s to %s); send it in chat with /consult send %d\n",
			c.ID, c.Title, len(c.Questions), c.Opens.In(cfg.Location).Format("2006-01-02 15:04"), c.Closes.In(cfg.Location).Format("2006-01-02 15:04"), c.ID)
		return nil
	case "list":
		list, err := a.cases.Consults(ctx, who)
		if err != nil {
			return err
		}
		for _, c := range list {
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%d invited\n", c.ID, c.State, c.Closes.In(cfg.Location).Format("2006-01-02 15:04"), c.Title, c.Invited)
		}
		return nil
	}
	_, tallies, people, err := a.cases.ConsultResults(ctx, who, id)
	if err != nil {
		return refusalError(a, "zh", err)
	}
	var b bytes.Buffer
	if err := export.WriteConsult(&b, *format, tallies, "zh"); err != nil {
		return err
	}
	return write(stdout, *out, b.Bytes(), fmt.Sprintf("consultation %d, %d took part", id, people))
}
