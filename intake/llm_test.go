package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/concern"
)

// An LLM that is slow, failing or talking nonsense holds nothing up: the real
// go-openai client, against a fake OpenAI-compatible server that answers every
// way it can, and every concern is still recorded (by the lexicon when the LLM
// fails), within a bounded time, and the queue is empty.
func TestUnreliableLLMHoldsNothingUp(t *testing.T) {
	st := openStore(t)
	var calls atomic.Int64
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		answer := func(content string) {
			b, _ := json.Marshal(content)
			fmt.Fprintf(w, `{"id":"c%d","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}]}`, n, b)
		}
		switch n % 5 {
		case 0: // slow: past the timeout
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			answer(`{"topic":"城乡建设","confidence":0.9}`)
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"message":"upstream failed","type":"server_error"}}`)
		case 2:
			answer("好的，我认为这是城乡建设方面的问题。")
		case 3:
			answer(`{"topic":"星际旅行","confidence":0.99}`)
		case 4:
			answer(`{"topic":"环境保护","confidence":0.9,"reason":"污染"}`)
		}
	}))
	defer fake.Close()
	tax, _ := classify.DefaultTaxonomy()
	llm, err := classify.NewLLM(classify.LLMConfig{BaseURL: fake.URL + "/v1", APIKey: "k", Model: "m", Timeout: 200 * time.Millisecond, Retries: 1,
		Pause: func(context.Context, time.Duration) {}}, tax)
	if err != nil {
		t.Fatal(err)
	}
	lex, err := classify.NewLexicon(tax, "城乡建设")
	if err != nil {
		t.Fatal(err)
	}
	chain := classify.NewChain(quiet, classify.Step{Classifier: llm, Threshold: 0.5}, classify.Step{Classifier: lex})

	var ids []string
	for i := range 20 {
		id, err := st.Submit(t.Context(), fmt.Sprintf("llm%d", i), &concern.Report{ReceivedAt: time.Now(),
			Text: fmt.Sprintf("第%d件：化工厂夜里偷排废气，气味刺鼻。", i), Status: concern.StatusReceived}, 0)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	start := time.Now()
	run(t, New(st, chain, WithLogger(quiet), WithScreener(screener(t, lex))))
	by := map[string]int{}
	for _, id := range ids {
		r := waitRecord(t, st, id)
		by[r.Classifier]++
		if r.Topic == "" || r.Sector == "" {
			t.Fatalf("%s recorded untagged: %+v", id, r)
		}
	}
	took := time.Since(start)
	t.Logf("20 concerns in %v, %d LLM calls; decided by %v", took.Round(time.Millisecond), calls.Load(), by)
	if by["llm"] == 0 || by["lexicon"] == 0 {
		t.Fatalf("decided by %v: want both the LLM (when it answered) and the lexicon (when it did not)", by)
	}
	// each concern costs at most two attempts of 200 ms: the queue never stalls on the LLM
	if took > 20*2*300*time.Millisecond {
		t.Fatalf("20 concerns took %v", took)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if q, _ := st.QueueStatus(t.Context(), time.Now(), 0); q.Length == 0 && q.Pending == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %+v", q)
		}
	}
}
