package bot

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// A photo is fetched with getFile and then the file's path under the token; what
// is not an image is refused, and no error carries the token.
func TestPhotoFetchedThroughGetFile(t *testing.T) {
	api := newFakeAPI(t)
	tr, err := New(testToken, nil, nil, WithServerURL(api.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	body, kind, err := tr.Photo(t.Context(), "P1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if kind != "image/png" || string(data) != string(fakeFiles["photos/P1"]) {
		t.Errorf("got %s, %d bytes", kind, len(data))
	}
	calls := api.snapshot()
	if len(calls) != 2 || calls[0].Method != "getFile" || calls[0].Params["file_id"] != "P1" ||
		calls[1].Method != "file" || calls[1].Params["path"] != "photos/P1" {
		t.Errorf("calls %+v", calls)
	}

	if _, _, err := tr.Photo(t.Context(), "EVIL"); !errors.Is(err, ErrNotImage) {
		t.Errorf("a page passed as a photo: %v", err)
	}
	_, _, err = tr.Photo(t.Context(), "GONE")
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("a missing file: %v", err)
	}
}
