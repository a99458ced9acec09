package store

import (
	"errors"
	"testing"
	"time"
)

// An issued document is numbered per kind and year; issuing its period again
// keeps the number and replaces the document.
func TestArchiveNumbersAndReissues(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	issue := func(kind, period string, year int, doc string, after time.Duration) Archived {
		t.Helper()
		a, err := st.Archive(ctx, kind, period, year, 9001, at.Add(after), []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	nov := issue("report", "2026-11", 2026, "v1", 0)
	day := issue("digest", "2026-11-30", 2026, "d", time.Minute)
	again := issue("report", "2026-11", 2026, "version two", time.Hour)
	oct := issue("report", "2026-10", 2026, "o", 2*time.Hour)
	jan := issue("report", "2027-01", 2027, "j", 3*time.Hour)
	if nov.Number != 1 || day.Number != 1 || again.Number != 1 || again.ID != nov.ID || again.Revised.IsZero() || oct.Number != 2 || jan.Number != 1 {
		t.Fatalf("numbers: nov %+v day %+v again %+v oct %+v jan %+v", nov, day, again, oct, jan)
	}
	a, doc, err := st.ArchivedDoc(ctx, nov.ID)
	if err != nil || string(doc) != "version two" || a.Size != len("version two") || !a.Issued.Equal(at) || a.By != 9001 {
		t.Fatalf("the document: %+v %q %v", a, doc, err)
	}
	list, err := st.ArchivedList(ctx, "report")
	if err != nil || len(list) != 3 || list[0].Period != "2027-01" || list[2].Period != "2026-11" {
		t.Fatalf("the list: %+v %v", list, err)
	}
	all, _ := st.ArchivedList(ctx, "")
	if len(all) != 4 {
		t.Fatalf("all: %+v", all)
	}
	if _, _, err := st.ArchivedDoc(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a missing one: %v", err)
	}
}
