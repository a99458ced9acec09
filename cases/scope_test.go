package cases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/index"
)

// files is the Bot API's files for the tests.
type files map[string]string

func (f files) Photo(_ context.Context, id string) (io.ReadCloser, string, error) {
	if b, ok := f[id]; ok {
		return io.NopCloser(strings.NewReader(b)), "image/jpeg", nil
	}
	return nil, "", errors.New("no such file")
}

// A community's staff (/invite staff 阳光社区) handle that community only: its
// list, its concerns' pages, photos, changes, alerts and exports; other
// communities' concerns are as if not there, and the office's digest is not theirs.
func TestCommunityStaff(t *testing.T) {
	svc, st, _, c := setup(t, Config{StaffChat: -100, ExportLimit: 2})
	WithIndex(index.New(st))(svc)
	WithFiles(files{"F1": "jpeg"})(svc)
	var ids []string
	for i, r := range []*concern.Report{
		{Text: "路灯坏了", Community: "阳光社区", Photos: []string{"F1", "F2"}},
		{Text: "垃圾没人清运", Community: "和平社区", Photos: []string{"F1"}},
		{Text: "煤气味很浓", Community: "和平社区", Urgent: true},
		{Text: "村支书贪污", Community: "阳光社区", Sensitive: true},
	} {
		r.DraftID, r.ReceivedAt, r.Status = fmt.Sprint("d", i), c.t.Add(time.Duration(i)*time.Minute), concern.StatusReceived
		ids = append(ids, saved(t, st, r).ID)
	}
	office := func() Actor { return Actor{Request: "s2", UserID: 32, Role: concern.RoleStaff} }
	sun := Actor{Request: "s1", UserID: 31, Role: concern.RoleStaff, Community: "阳光社区"}
	page, err := svc.List(t.Context(), sun, ListQuery{AnyStatus: true, Limit: 10})
	if err != nil || page.Total != 1 || page.Reports[0].ID != ids[0] {
		t.Fatalf("阳光社区's staff's list: %+v %v", page, err)
	}
	if _, err := svc.Show(t.Context(), sun, ids[3]); !refusedFor(err, Restricted) {
		t.Errorf("a sensitive concern of their community: %v", err)
	}
	for _, id := range ids[1:3] {
		if _, err := svc.Show(t.Context(), sun, id); !refusedFor(err, NotFound) {
			t.Errorf("Show %s: %v", id, err)
		}
		if _, _, err := svc.Photo(t.Context(), sun, id, 0); !refusedFor(err, NotFound) {
			t.Errorf("Photo %s: %v", id, err)
		}
		if _, err := svc.Assign(t.Context(), sun, id, "城管科"); !refusedFor(err, NotFound) {
			t.Errorf("Assign %s: %v", id, err)
		}
		if _, err := svc.Audit(t.Context(), sun, id); !refusedFor(err, NotFound) {
			t.Errorf("Audit %s: %v", id, err)
		}
	}
	if _, err := svc.Assign(t.Context(), sun, ids[0], "城管科"); err != nil {
		t.Errorf("their own: %v", err)
	}
	r, _ := st.Report(t.Context(), ids[2])
	if err := svc.RaiseAlert(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ack(t.Context(), sun, ids[2]); !refusedFor(err, NotFound) {
		t.Errorf("Ack of another community's alert: %v", err)
	}
	if err := svc.Ack(t.Context(), sun, "storm:hotline:1"); !refusedFor(err, AckStormOffice) {
		t.Errorf("Ack of a storm: %v", err)
	}
	if _, err := svc.Digest(t.Context(), sun, DigestRequest{}); !refusedFor(err, DigestWholeOffice) {
		t.Errorf("the office's digest: %v", err)
	}
	got, err := svc.Export(t.Context(), sun, ListQuery{AnyStatus: true}, "csv")
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Errorf("their export: %v %v", got, err)
	}

	if _, err := svc.Export(t.Context(), office(), ListQuery{AnyStatus: true}, "csv"); !refusedFor(err, ExportTooLarge) {
		t.Errorf("an export past the limit: %v", err)
	} else if ref, _ := AsRefusal(err); ref.Value != "3" || ref.Other != "2" {
		t.Errorf("the refusal says %s of at most %s", ref.Value, ref.Other)
	}

	// photos: fetched for who may read the concern, each look audited; none
	// past the last, none of a missing file
	body, kind, err := svc.Photo(t.Context(), office(), ids[0], 0)
	if err != nil || kind != "image/jpeg" {
		t.Fatalf("a photo: %s %v", kind, err)
	}
	body.Close()
	if _, _, err := svc.Photo(t.Context(), office(), ids[0], 2); !refusedFor(err, NoPhoto) {
		t.Errorf("a photo past the last: %v", err)
	}
	if _, _, err := svc.Photo(t.Context(), office(), ids[0], 1); err == nil {
		t.Errorf("a photo Telegram no longer has came back")
	}
	if _, _, err := svc.Photo(t.Context(), office(), ids[3], 0); !refusedFor(err, Restricted) {
		t.Errorf("a sensitive concern's photo for staff: %v", err)
	}
	trail, _ := st.AuditTrail(t.Context(), ids[0])
	var photos int
	for _, e := range trail {
		if e.Action == "photo" {
			photos++
		}
	}
	if photos != 1 {
		t.Errorf("%d photo looks audited, want 1", photos)
	}

	// what only admins may ask
	if _, err := svc.List(t.Context(), office(), ListQuery{Phone: "13800001234"}); !refusedFor(err, AdminsOnly) {
		t.Errorf("staff looking up a phone: %v", err)
	}
	if _, err := svc.List(t.Context(), office(), ListQuery{Sensitive: true}); !refusedFor(err, AdminsOnly) {
		t.Errorf("staff listing sensitive concerns: %v", err)
	}
	admin := Actor{Request: "s3", UserID: 33, Role: concern.RoleAdmin}
	if _, err := svc.List(t.Context(), admin, ListQuery{Phone: "12 34"}); !refusedFor(err, BadPhone) {
		t.Errorf("a short number: %v", err)
	}
	if page, err := svc.List(t.Context(), admin, ListQuery{Sensitive: true, AnyStatus: true}); err != nil || page.Total != 1 {
		t.Errorf("admins' sensitive list: %+v %v", page, err)
	}
}
