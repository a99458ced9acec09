package cases

import (
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/period"
	"github.com/minyi-project/minyi/report"
)

// The scheduled digest is issued: archived with its number, which asking for
// it again does not change; a requested one is not archived. An issued report
// is numbered on its own, and both come back from the archive as files.
func TestIssuedDigestsAndReportsAreArchived(t *testing.T) {
	svc, st, _, c := setup(t, Config{OrgName: "阳光街道党工委", Location: time.UTC})
	svc.digests = digest.NewBuilder(st, nil, time.UTC, digest.WithClock(c.now), digest.WithOrg("阳光街道党工委"))
	lamps(t, st, c.t.Add(-24*time.Hour))
	day := period.Period{From: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	if d, err := svc.Digest(t.Context(), staffer, DigestRequest{Period: day}); err != nil || d.Number != 0 {
		t.Fatalf("a requested digest: %v %v", d, err)
	}
	sched := Actor{Scheduled: true, Lang: "zh", Request: "digest:20261125"}
	d, err := svc.Digest(t.Context(), sched, DigestRequest{Period: day})
	if err != nil || d.Number != 1 || !strings.Contains(string(d.HTML("zh", time.UTC)), "〔2026〕第1期") {
		t.Fatalf("the scheduled digest: %+v %v", d, err)
	}
	if d, _ = svc.Digest(t.Context(), req(sched, "again"), DigestRequest{Period: day}); d.Number != 1 {
		t.Fatalf("sent again, number %d", d.Number)
	}
	if _, err := svc.ParseSpan("2026-13"); reason(err) != ReportBadSpan {
		t.Fatalf("a bad span: %v", err)
	}
	if _, err := svc.ParseSpan("2027"); reason(err) != ReportFuture {
		t.Fatalf("a future span: %v", err)
	}
	oct, _ := svc.ParseSpan("2026-10")
	if _, err := svc.Report(t.Context(), Actor{UserID: 5, Role: concern.RoleStaff, Community: "阳光社区"}, oct, true); reason(err) != DigestWholeOffice {
		t.Fatalf("a community's staff: %v", err)
	}
	if _, err := svc.Report(t.Context(), Actor{UserID: 6, Role: concern.RoleGrid}, oct, true); reason(err) != NotAllowed {
		t.Fatalf("a grid worker: %v", err)
	}
	if _, err := svc.Report(t.Context(), staffer, oct, true); reason(err) != ReportIssueAdmin {
		t.Fatalf("staff issued: %v", err)
	}
	dec, _ := svc.ParseSpan("2026-Q4")
	if _, err := svc.Report(t.Context(), admin, dec, true); reason(err) != ReportNotEnded {
		t.Fatalf("a quarter not ended issued: %v", err)
	}
	if r, err := svc.Report(t.Context(), staffer, oct, false); err != nil || r.Number != 0 {
		t.Fatalf("staff read October: %v", err)
	}
	c.t = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) // November has ended
	r, err := svc.Report(t.Context(), admin, report.Span{Kind: report.Month, Year: 2026, N: 11}, true)
	if err != nil || r.Number != 1 || r.Org != "阳光街道党工委" || r.Now.Received != 4 {
		t.Fatalf("the report: %+v %v", r, err)
	}
	if r, _ = svc.Report(t.Context(), admin, oct, true); r.Number != 2 {
		t.Fatalf("October's number %d", r.Number)
	}
	list, err := svc.Archive(t.Context(), staffer, "")
	if err != nil || len(list) != 3 {
		t.Fatalf("the archive: %+v %v", list, err)
	}
	for _, e := range list {
		got, files, err := svc.Archived(t.Context(), staffer, e.ID, "zh")
		if err != nil || got.ID != e.ID || len(files) < 2 {
			t.Fatalf("archived %d: %v %v", e.ID, files, err)
		}
		issue := "〔2026〕第" + map[string]string{"2026-11-25": "1", "2026-11": "1", "2026-10": "2"}[e.Period] + "期"
		if !strings.Contains(string(files[0].Data), issue) {
			t.Errorf("%s %s read back without %s", e.Kind, e.Period, issue)
		}
	}
	if _, _, err := svc.Archived(t.Context(), staffer, 99, "zh"); reason(err) != ArchiveNotFound {
		t.Fatalf("a missing one: %v", err)
	}
}
