package embedredis

import (
	"testing"

	"github.com/minyi-project/minyi/store"
)

func TestStoreOnEmbedded(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), srv.URL(), store.WithEmbedded(srv.Close))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Embedded() {
		t.Fatal("not marked embedded")
	}
	added, err := st.Ingest(t.Context(), []store.InboxItem{{ChatID: 1, Key: "x", Payload: []byte("p")}})
	if err != nil || !added[0] {
		t.Fatalf("embedded ingest: %v %v", added, err)
	}
}
