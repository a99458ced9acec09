package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
)

// runReport is `minyi report --period 2026-11|2026-Q4|2026 --format html|xlsx|docx
// --out FILE`, `minyi report list` and `minyi report get N --format … --out FILE`:
// the office's 综合分析 and the archive of what was issued, from the command line.
// With --issue a span that has ended is issued (archived with its number), as /analysis issue is.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb := "make"
	if len(args) > 0 && (args[0] == "list" || args[0] == "get") {
		verb, args = args[0], args[1:]
	}
	var id int64
	if verb == "get" {
		var err error
		if id, args, err = numberArg("report get", "an archive number", "minyi report get 3 --format docx --out 3.docx", "minyi report list", args); err != nil {
			return err
		}
	}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	span := fs.String("period", "", "a month (2026-11), quarter (2026-Q4) or year (2026); default last month")
	format := fs.String("format", "html", "html, xlsx or docx")
	out := fs.String("out", "", "file to write (required for xlsx and docx)")
	lang := fs.String("lang", "zh", "zh or en")
	issue := fs.Bool("issue", false, "issue it (a span that has ended): archive it with its number of the year")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("report: unexpected %q (flags come as --period 2026-11)", strings.Join(fs.Args(), " "))
	}
	if *format != "html" && *format != "xlsx" && *format != "docx" {
		return fmt.Errorf("--format %q: choose html, xlsx or docx", *format)
	}
	if *format != "html" && *out == "" && verb != "list" {
		return fmt.Errorf("--out is required for %s: it is not for a terminal", *format)
	}
	if *lang != "zh" && *lang != "en" {
		return fmt.Errorf("--lang %q: choose zh or en", *lang)
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	a, err := setupDurable(ctx, cfg, logger(cfg, stderr), "the embedded store holds no concerns to analyse")
	if err != nil {
		return err
	}
	defer a.st.Close()
	who := cases.Actor{Role: concern.RoleAdmin, Name: "command line", Lang: *lang}
	switch verb {
	case "list":
		list, err := a.cases.Archive(ctx, who, "")
		if err != nil {
			return refusalError(a, *lang, err)
		}
		for _, e := range list {
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%d-%03d\t%s\t%d KB\n", e.ID, e.Kind, e.Period, e.Year, e.Number, e.Issued.In(cfg.Location).Format("2006-01-02 15:04"), (e.Size+1023)/1024)
		}
		return nil
	case "get":
		e, files, err := a.cases.Archived(ctx, who, id, *lang)
		if err != nil {
			return refusalError(a, *lang, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name, "."+*format) {
				return write(stdout, *out, f.Data, fmt.Sprintf("%s %s No. %d of %d", e.Kind, e.Period, e.Number, e.Year))
			}
		}
		return fmt.Errorf("report get: a %s has no %s file (it has html and xlsx)", e.Kind, *format)
	}
	sp, err := a.cases.ParseSpan(*span)
	if err != nil {
		return refusalError(a, *lang, err)
	}
	started := time.Now()
	r, err := a.cases.Report(ctx, who, sp, *issue)
	if err != nil {
		return refusalError(a, *lang, err)
	}
	var data []byte
	switch *format {
	case "html":
		data = r.HTML(*lang, cfg.Location)
	case "xlsx":
		data, err = r.XLSX(*lang, cfg.Location)
	case "docx":
		data, err = r.Document(*lang, cfg.Location).Bytes()
	}
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s, %d concerns, built in %v", r.Title(*lang), r.Now.Received, time.Since(started).Round(time.Millisecond))
	if *issue {
		what += ", issued as " + r.Issue(*lang) + " and archived"
	} else {
		what += " (not issued: --issue archives it)"
	}
	return write(stdout, *out, data, what)
}

// write puts data in the file named, or on stdout when none is, and says what it wrote.
func write(stdout io.Writer, out string, data []byte, what string) error {
	if out == "" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o600); err != nil { // residents' words, masked, but the office's alone
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d KB): %s\n", out, (len(data)+1023)/1024, what)
	return nil
}

// numberArg reads the number a subcommand names first (an item, an archive
// entry, a consultation), with the rest of its arguments: what is missing or
// not a number is said with an example and where to look the numbers up.
func numberArg(cmd, what, example, list string, args []string) (int64, []string, error) {
	if len(args) == 0 {
		return 0, nil, fmt.Errorf("%s: name %s, as `%s` (see `%s`)", cmd, what, example, list)
	}
	n, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || n < 1 {
		return 0, nil, fmt.Errorf("%s: %q is not %s (see `%s`)", cmd, args[0], what, list)
	}
	return n, args[1:], nil
}
