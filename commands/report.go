package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/locale"
)

// /analysis [issue] [2026-11|2026-Q4|2026]: the 综合分析 of a month, quarter or
// year (last month by default) with its files; `issue` (an admin's, once the
// span has ended) archives it with its number.
var analysisCmd = Command{
	Name:  "analysis",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_analysis"}},
	Keys:  []locale.Key{"usage_analysis", "report_issued", "report_so_far", "report_not_issued", "report_files", "report_file_too_big", "file_docx", "file_xlsx", "file_html"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		issue := len(args) > 0 && (args[0] == "issue" || args[0] == "印发")
		if issue {
			args = args[1:]
		}
		if len(args) > 1 {
			c.usage()
			return nil
		}
		sp, err := c.reg.svc.ParseSpan(strings.Join(args, ""))
		if err != nil {
			return err
		}
		r, err := c.reg.svc.Report(ctx, c.Actor, sp, issue)
		if err != nil {
			return err
		}
		switch {
		case issue:
			c.say(c.t("report_issued", "issue", r.Issue(c.Lang), "span", sp.Title(c.Lang)))
		case sp.End().After(c.In.Time):
			c.say(c.t("report_so_far", "span", sp.Title(c.Lang)))
		default:
			c.say(c.t("report_not_issued", "span", sp.Title(c.Lang), "period", sp.String()))
		}
		c.sayLong(r.Text(c.Lang, c.reg.loc))
		name := "minyi-report-" + sp.String()
		book, err := r.XLSX(c.Lang, c.reg.loc)
		if err != nil {
			return err
		}
		word, err := r.Document(c.Lang, c.reg.loc).Bytes()
		if err != nil {
			return err
		}
		c.files([]cases.File{{Name: name + ".docx", Data: word}, {Name: name + ".xlsx", Data: book}, {Name: name + ".html", Data: r.HTML(c.Lang, c.reg.loc)}})
		return nil
	},
}

// /archive [N]: the archive of issued digests and reports, or one of them again.
var archiveCmd = Command{
	Name:  "archive",
	Roles: []concern.Role{concern.RoleStaff, concern.RoleAdmin},
	Help:  []Line{{concern.RoleStaff, "help_archive"}},
	Keys:  []locale.Key{"usage_archive", "archive_head", "archive_none", "archive_line", "archive_more", "archive_kind_digest", "archive_kind_report", "file_docx", "file_xlsx", "file_html"},
	Run: func(ctx context.Context, c *Call) error {
		args := c.args()
		switch len(args) {
		case 0:
			list, err := c.reg.svc.Archive(ctx, c.Actor, "")
			if err != nil {
				return err
			}
			if len(list) == 0 {
				c.say(c.t("archive_none"))
				return nil
			}
			lines := []string{c.t("archive_head", "n", strconv.Itoa(len(list)))}
			for _, e := range list[:min(len(list), 30)] {
				lines = append(lines, c.t("archive_line", "n", strconv.FormatInt(e.ID, 10), "kind", c.t(locale.Key("archive_kind_"+e.Kind)),
					"period", e.Period, "issue", c.t("rp_issue", "year", strconv.Itoa(e.Year), "n", strconv.Itoa(e.Number)), "at", c.when(e.Issued)))
			}
			if len(list) > 30 {
				lines = append(lines, c.t("archive_more", "n", strconv.Itoa(len(list)-30)))
			}
			c.say(strings.Join(lines, "\n"))
		case 1:
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return &cases.Refusal{Reason: cases.ArchiveNotFound, ID: args[0]}
			}
			e, files, err := c.reg.svc.Archived(ctx, c.Actor, id, c.Lang)
			if err != nil {
				return err
			}
			c.say(c.t("report_files", "kind", c.t(locale.Key("archive_kind_"+e.Kind)), "period", e.Period,
				"issue", c.t("rp_issue", "year", strconv.Itoa(e.Year), "n", strconv.Itoa(e.Number))))
			c.files(files)
		default:
			c.usage()
		}
		return nil
	},
}

// files adds documents to the answer, leaving out those too large for a chat.
func (c *Call) files(fs []cases.File) {
	for _, f := range fs {
		if len(f.Data) > maxDocument {
			c.say(c.t("report_file_too_big", "name", f.Name, "mb", strconv.Itoa(len(f.Data)>>20)))
			continue
		}
		caption := c.t("file_html")
		switch {
		case strings.HasSuffix(f.Name, ".docx"):
			caption = c.t("file_docx")
		case strings.HasSuffix(f.Name, ".xlsx"):
			caption = c.t("file_xlsx")
		}
		c.result.Messages = append(c.result.Messages, flows.Message{Text: caption, Document: &flows.Document{Name: f.Name, Data: f.Data}})
	}
}

// sayLong says a long text in messages Telegram takes (4096 characters), cut between lines.
func (c *Call) sayLong(text string) {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if b.Len() > 0 && len([]rune(b.String()))+len([]rune(line)) > 3500 {
			c.say(b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(line)
	}
	if b.Len() > 0 {
		c.say(b.String())
	}
}
