package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A line logged with an update's context names the update, through With and
// groups too; a line without one does not.
func TestLogHandlerNamesTheUpdate(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(LogHandler{slog.NewJSONHandler(&b, nil)}).With("chat", 7)
	ctx := WithUpdate(context.Background(), "tg:42")
	log.InfoContext(ctx, "processed")
	log.WithGroup("g").WarnContext(ctx, "slow")
	log.Info("unrelated")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"update":"tg:42"`) || !strings.Contains(lines[1], `"update":"tg:42"`) || strings.Contains(lines[2], "update") {
		t.Fatalf("log lines:\n%s", b.String())
	}
}

// A nil *Metrics records nothing and does not panic; a real one serves what it recorded.
func TestMetrics(t *testing.T) {
	var none *Metrics
	none.Update("text")
	none.TelegramError(429)
	m := New()
	m.Update("text")
	m.StepCompleted("report", "describe")
	m.Abandoned("report", "where")
	m.Concern("hotline", "社会建设")
	m.Classified("lexicon", 3*time.Millisecond)
	m.TelegramError(429)
	m.DigestSent("scheduled")
	m.APIRequest("intake_post", 201)
	m.WatchQueue(func(context.Context) (QueueFigures, error) { return QueueFigures{Length: 3, Pending: 1, Dead: 2}, nil })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`minyi_updates_total{type="text"} 1`,
		`minyi_flow_steps_total{flow="report",outcome="completed",step="describe"} 1`,
		`minyi_flow_steps_total{flow="report",outcome="abandoned",step="where"} 1`,
		`minyi_concerns_received_total{channel="hotline",sector="社会建设"} 1`,
		`minyi_classification_seconds_count{classifier="lexicon"} 1`,
		`minyi_telegram_errors_total{code="429"} 1`,
		`minyi_digests_sent_total{kind="scheduled"} 1`,
		`minyi_api_requests_total{code="201",endpoint="intake_post"} 1`,
		"minyi_queue_length 3", "minyi_queue_pending 1", "minyi_queue_dead_letters 2", "minyi_queue_readable 1",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
