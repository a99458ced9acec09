package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/locale"
)

// runInfo is `minyi info list` and `minyi info export N --format docx|html --out FILE`:
// the office's 社情民意信息 from the command line, as an admin reads them.
func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" && args[0] != "export" {
		return errors.New("choose `info list` or `info export N --format docx|html --out FILE`")
	}
	verb := args[0]
	fs := flag.NewFlagSet("info "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	format := fs.String("format", "docx", "docx or html")
	out := fs.String("out", "", "file to write (required for docx)")
	lang := fs.String("lang", "zh", "zh or en")
	rest := args[1:]
	var id int64
	if verb == "export" {
		var err error
		if id, rest, err = numberArg("info export", "an item's number", "minyi info export 3 --out 3.docx", "minyi info list", rest); err != nil {
			return err
		}
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if *format != "docx" && *format != "html" {
		return fmt.Errorf("--format %q: choose docx or html", *format)
	}
	if *format == "docx" && *out == "" && verb == "export" {
		return errors.New("--out is required for docx: a Word document is not for a terminal")
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	a, err := setupDurable(ctx, cfg, logger(cfg, stderr), "the embedded store holds no 信息")
	if err != nil {
		return err
	}
	defer a.st.Close()
	// the command line is the server's operator: it reads as an admin does
	who := cases.Actor{Role: concern.RoleAdmin, Name: "command line", Lang: *lang}
	if verb == "list" {
		items, err := a.cases.Infos(ctx, who)
		if err != nil {
			return err
		}
		for _, it := range items {
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%d\n", it.ID, it.State.Label(*lang), it.Issue(*lang), it.Title, len(it.Concerns))
		}
		return nil
	}
	it, err := a.cases.Info(ctx, who, id)
	if err != nil {
		return refusalError(a, *lang, err)
	}
	var data []byte
	if *format == "docx" {
		data, err = it.Document(*lang, time.Now(), cfg.Location).Bytes()
	} else {
		data, err = it.HTML(*lang, time.Now(), cfg.Location)
	}
	if err != nil {
		return err
	}
	return write(stdout, *out, data, it.Issue(*lang)+" "+it.Title)
}

// refusalError words the case service's refusal as staff read it in chat.
func refusalError(a *app, lang string, err error) error {
	r, ok := cases.AsRefusal(err)
	if !ok {
		return err
	}
	cat := a.catalog
	return errors.New(cat.Render(lang, locale.Key(r.Reason), r.Args(lang, "", cat.Render(lang, "list_sep"), cat.Render(lang, "none"))...))
}
