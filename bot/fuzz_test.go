package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/minyi-project/minyi/flows"
)

// recordingIngester keeps what the webhook would persist.
type recordingIngester struct{ got []flows.Input }

func (r *recordingIngester) Ingest(_ context.Context, inputs ...flows.Input) ([]bool, error) {
	r.got = append(r.got, inputs...)
	return make([]bool, len(inputs)), nil
}

// FuzzWebhook posts arbitrary bodies to the webhook: it never panics, answers
// 200 or 400 (never 5xx for a bad body), and whatever it persists is a valid
// input of a private chat or the staff chat.
func FuzzWebhook(f *testing.F) {
	for _, u := range []map[string]any{
		textUpdate(5, "你好"), callbackUpdate(5, "m:report"), message(5, "en", map[string]any{"photo": []any{map[string]any{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}}}),
		message(5, "zh", map[string]any{"contact": map[string]any{"phone_number": "+8613800001234", "first_name": "张", "user_id": 5}}),
		{"edited_message": textUpdate(5, "x")["message"]}, {},
	} {
		u["update_id"] = 7
		b, _ := json.Marshal(u)
		f.Add(b)
	}
	f.Add([]byte(`{"update_id":1,"message":{"chat":{"id":-100500,"type":"supergroup"},"from":{"id":3},"text":"/overdue"}}`))
	f.Add([]byte(`{"update_id":-1}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ing := &recordingIngester{}
		tr, err := New(testToken, ing, nil, WithLogger(testLogger()), WithStaffChat(-100500), WithClock(func() time.Time { return time.Unix(1764118800, 0) }))
		if err != nil {
			t.Fatal(err)
		}
		h, err := tr.WebhookHandler("s3cret")
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/tg", bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("answered %d to %q", rec.Code, body)
		}
		for _, in := range ing.got {
			if in.ChatID == 0 || in.ID == "" || in.Kind == "" || (in.ChatID < 0 && in.ChatID != -100500) {
				t.Fatalf("persisted %+v from %q", in, body)
			}
			if _, err := json.Marshal(in); err != nil {
				t.Fatalf("cannot store %+v: %v", in, err)
			}
			if !utf8.ValidString(in.Text) && in.Text != "" {
				// Telegram sends UTF-8; JSON decoding replaces anything else
				t.Fatalf("invalid UTF-8 kept: %q", in.Text)
			}
		}
	})
}
