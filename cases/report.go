package cases

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/report"
	"github.com/minyi-project/minyi/store"
)

// The kinds of document the archive holds.
const (
	ArchiveDigest = "digest"
	ArchiveReport = "report"
)

// ParseSpan reads a month, quarter or year as staff type it, as a refusal when it is none.
func (s *Service) ParseSpan(text string) (report.Span, error) {
	sp, err := report.Parse(text, s.now(), s.cfg.Location)
	var e *report.Error
	if errors.As(err, &e) {
		if e.Problem == report.Future {
			return report.Span{}, &Refusal{Reason: ReportFuture, Value: text}
		}
		return report.Span{}, &Refusal{Reason: ReportBadSpan, Value: text}
	}
	return sp, err
}

// wholeOffice refuses whoever may not read the office's figures: they are for
// its staff and admins, not a community's staff.
func wholeOffice(a Actor) error {
	if !a.Staff() && !a.Scheduled {
		return refuse(NotAllowed)
	}
	if a.Role == concern.RoleStaff && a.Community != "" {
		return refuse(DigestWholeOffice)
	}
	return nil
}

// Report builds a span's 综合分析; issued, it is archived and numbered (a span
// issued again keeps its number, its document replaced by the new one).
func (s *Service) Report(ctx context.Context, a Actor, sp report.Span, issue bool) (*report.Report, error) {
	if err := wholeOffice(a); err != nil {
		return nil, err
	}
	if issue && a.Role != concern.RoleAdmin {
		return nil, refuse(ReportIssueAdmin) // issuing is signing: an admin's, as 签发 is
	}
	if issue && sp.End().After(s.now()) {
		return nil, &Refusal{Reason: ReportNotEnded, Value: sp.String()}
	}
	r, err := report.NewBuilder(s.st, s.cfg.Location, report.WithClock(s.now), report.WithOrg(s.cfg.OrgName)).Build(ctx, sp)
	if err != nil {
		return nil, err
	}
	if issue {
		doc, err := r.JSON()
		if err != nil {
			return nil, err
		}
		entry, err := s.st.Archive(ctx, ArchiveReport, sp.String(), sp.End().AddDate(0, 0, -1).Year(), a.UserID, s.now(), doc)
		if err != nil {
			return nil, err
		}
		r.Number = entry.Number // the archive's copy gets it when read back
	}
	return r, s.audit(ctx, a, "report", "", fmt.Sprintf("%s issued=%t", sp, issue))
}

// issueDigest archives the scheduled digest of a period and gives it its number.
func (s *Service) issueDigest(ctx context.Context, d *digest.Digest) error {
	doc, err := d.JSON()
	if err != nil {
		return fmt.Errorf("digest archive: %w", err)
	}
	entry, err := s.st.Archive(ctx, ArchiveDigest, d.Period.String(), d.Period.To.Year(), 0, s.now(), doc)
	d.Number = entry.Number
	return err
}

// Archive lists the issued digests and reports, newest first (kind "" for both).
func (s *Service) Archive(ctx context.Context, a Actor, kind string) ([]Issued, error) {
	if err := wholeOffice(a); err != nil {
		return nil, err
	}
	return s.st.ArchivedList(ctx, kind)
}

// File is a document to hand over: its name and content.
type File struct {
	Name string
	Data []byte
}

// Archived reads an issued digest or report back and renders its files in
// lang: the printable page, the workbook and (a report) the Word document.
func (s *Service) Archived(ctx context.Context, a Actor, id int64, lang string) (Issued, []File, error) {
	if err := wholeOffice(a); err != nil {
		return store.Archived{}, nil, err
	}
	entry, doc, err := s.st.ArchivedDoc(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Archived{}, nil, &Refusal{Reason: ArchiveNotFound, ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return store.Archived{}, nil, err
	}
	loc := s.cfg.Location
	name := "minyi-" + entry.Kind + "-" + entry.Period
	var files []File
	switch entry.Kind {
	case ArchiveReport:
		r, err := report.Load(doc, loc)
		if err != nil {
			return entry, nil, err
		}
		r.Number = entry.Number
		book, err := r.XLSX(lang, loc)
		if err != nil {
			return entry, nil, err
		}
		word, err := r.Document(lang, loc).Bytes()
		if err != nil {
			return entry, nil, err
		}
		files = []File{{name + ".html", r.HTML(lang, loc)}, {name + ".xlsx", book}, {name + ".docx", word}}
	default:
		d, err := digest.Load(doc, loc)
		if err != nil {
			return entry, nil, err
		}
		d.Number = entry.Number
		book, err := d.XLSX(lang, loc)
		if err != nil {
			return entry, nil, err
		}
		files = []File{{name + ".html", d.HTML(lang, loc)}, {name + ".xlsx", book}}
	}
	return entry, files, s.audit(ctx, a, "archive_read", "", strconv.FormatInt(id, 10))
}

// Issued is an entry of the archive, as front ends read it.
type Issued = store.Archived
