package inbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/dispatch/dispatchtest"
	"github.com/minyi-project/minyi/flows"
	. "github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// collector records deliveries, as a transport would send them.
type collector struct {
	mu   sync.Mutex
	got  []dispatch.Delivery
	name string
}

func (c *collector) Send(context.Context, dispatch.Out) error            { return nil }
func (c *collector) Answer(context.Context, int64, string, string) error { return nil }

func (c *collector) Delivered(d dispatch.Delivery, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, d)
}

func (c *collector) all() []dispatch.Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]dispatch.Delivery(nil), c.got...)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), srv.URL(), store.WithShards(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func machine(t *testing.T) *flows.Machine {
	m, err := flows.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func start(t *testing.T, p *Processor) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return cancel
}

func input(chat int64, n int, text string) flows.Input {
	return flows.Input{ID: fmt.Sprintf("t:%d:%d", chat, n), Time: time.Now(), Channel: "test", ChatID: chat, UserID: chat, Kind: flows.InputText, Text: text}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An instance dies holding a shard, with replies committed but not sent and an
// update not yet processed. Another instance takes the shard once the lease runs
// out, sends the replies first, then processes the update.
func TestTakeoverAfterCrash(t *testing.T) {
	srv.Flush(t)
	st := openStore(t)
	ctx := t.Context()
	chat := int64(77)
	shard := st.ShardOf(chat)
	if ok, _ := st.LeaseShard(ctx, shard, "dead", 1500*time.Millisecond); !ok {
		t.Fatal("no lease for the dead instance")
	}
	w := NewWriter(st)
	if _, err := w.Ingest(ctx, input(chat, 1, "/nosuch1")); err != nil {
		t.Fatal(err)
	}
	entries, _ := st.ReadInbox(ctx, shard, "0", 10, 0)
	left := dispatch.Delivery{ChatID: chat, InputID: "t:77:0", Messages: []flows.Message{{Text: "committed before the crash"}}}
	b, _ := json.Marshal(left)
	// the dead instance committed an earlier input: its replies sit in the outbox
	if _, err := st.Ingest(ctx, []store.InboxItem{{ChatID: chat, Key: "t:77:0", Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	all, _ := st.ReadInbox(ctx, shard, entries[0].ID, 10, 0)
	if _, err := st.Commit(ctx, store.Commit{Shard: shard, Owner: "dead", EntryID: all[0].ID, ChatID: chat, Session: []byte("{}"), TTL: time.Hour, Outbox: b}); err != nil {
		t.Fatal(err)
	}

	c := &collector{}
	began := time.Now()
	start(t, New(st, machine(t), executor(st), c, WithLogger(quiet), WithLeaseTTL(time.Second), WithOwner("heir")))
	waitFor(t, "both deliveries", func() bool { return len(c.all()) == 2 })
	got := c.all()
	if got[0].InputID != "t:77:0" || got[1].InputID != "t:77:1" || !strings.Contains(got[1].Messages[0].Text, "/nosuch1") {
		t.Fatalf("deliveries after takeover: %+v", got)
	}
	if waited := time.Since(began); waited > 5*time.Second {
		t.Fatalf("takeover took %v", waited)
	}
	waitFor(t, "outbox emptied", func() bool {
		out, _ := st.PendingOutbox(ctx, shard)
		return len(out) == 0
	})
}

// Two instances share one Redis: every update of every chat is processed once,
// and each chat's replies come out in the order its updates went in.
func TestTwoInstancesKeepEachChatInOrder(t *testing.T) {
	srv.Flush(t)
	st := openStore(t)
	m := machine(t)
	a, b := &collector{name: "a"}, &collector{name: "b"}
	start(t, New(st, m, executor(st), a, WithLogger(quiet), WithLeaseTTL(2*time.Second), WithOwner("a")))
	start(t, New(st, m, executor(st), b, WithLogger(quiet), WithLeaseTTL(2*time.Second), WithOwner("b")))
	w := NewWriter(st)
	const chats, perChat = 12, 15
	var wg sync.WaitGroup
	for c := range chats {
		wg.Go(func() {
			for n := range perChat {
				if _, err := w.Ingest(context.Background(), input(int64(1000+c), n, fmt.Sprintf("/nosuch%d", n))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "all replies", func() bool { return len(a.all())+len(b.all()) == chats*perChat })
	time.Sleep(200 * time.Millisecond)
	seen := map[string]int{}
	next := map[int64]int{}
	for _, d := range append(a.all(), b.all()...) {
		seen[d.InputID]++
	}
	for _, col := range []*collector{a, b} {
		for _, d := range col.all() {
			want := fmt.Sprintf("/nosuch%d", next[d.ChatID])
			if !strings.Contains(d.Messages[0].Text, want+" ") {
				t.Fatalf("chat %d: got %q, want the reply to %s", d.ChatID, d.Messages[0].Text, want)
			}
			next[d.ChatID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("input %s answered %d times", id, n)
		}
	}
	if len(seen) != chats*perChat {
		t.Fatalf("%d inputs answered, want %d", len(seen), chats*perChat)
	}
}

func executor(st *store.Store) *cases.Service {
	return cases.New(st, NewWriter(st), cases.Config{}, cases.WithLogger(quiet))
}

// Webhook requests arrive one update each, many at once: the writer stores them
// in shared round trips, yet each caller learns about its own inputs only, and
// only once they are stored.
func TestWriterGathersConcurrentCalls(t *testing.T) {
	srv.Flush(t)
	st := openStore(t)
	w := NewWriter(st)
	ctx := t.Context()
	const calls = 300
	trips0, _ := st.Traffic()
	var wg sync.WaitGroup
	results := make([][]bool, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() { results[i], errs[i] = w.Ingest(ctx, input(int64(1000+i), 1, "路灯坏了")) })
	}
	wg.Wait()
	trips1, _ := st.Traffic()
	for i := range calls {
		if errs[i] != nil || len(results[i]) != 1 || !results[i][0] {
			t.Fatalf("call %d: %v %v", i, results[i], errs[i])
		}
	}
	// each chat's update is in its shard's inbox, once
	stored := 0
	for shard := range st.Shards() {
		entries, err := st.ReadInbox(ctx, shard, "0", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		stored += len(entries)
	}
	if stored != calls {
		t.Fatalf("%d entries stored for %d calls", stored, calls)
	}
	t.Logf("%d concurrent calls stored in %d round trips", calls, trips1-trips0)
	if trips1-trips0 >= calls {
		t.Errorf("%d round trips for %d calls: none gathered", trips1-trips0, calls)
	}

	// repeats, mixed with new inputs, each told apart
	for i := range calls {
		wg.Go(func() {
			n := 1 + i%2 // odd calls send a new update, even ones the one stored above
			results[i], errs[i] = w.Ingest(ctx, input(int64(1000+i), n, "路灯坏了"))
		})
	}
	wg.Wait()
	for i := range calls {
		if errs[i] != nil || len(results[i]) != 1 || results[i][0] != (i%2 == 1) {
			t.Fatalf("call %d (new: %v): %v %v", i, i%2 == 1, results[i], errs[i])
		}
	}
}

// A shard's lease is lost while its replies wait for the budget, and taken back:
// the replies the scheduler still holds are not handed to it a second time
// from the outbox, so each goes out once.
func TestShardRetakenSendsHeldRepliesOnce(t *testing.T) {
	srv.Flush(t)
	st := openStore(t)
	ctx := t.Context()
	chat := int64(78)
	shard := st.ShardOf(chat)
	g := &dispatchtest.Gate{}
	c := &collector{}
	start(t, New(st, machine(t), executor(st), c, WithLogger(quiet), WithLeaseTTL(600*time.Millisecond), WithOwner("p"),
		WithSending(dispatch.WithBudget(g))))
	if _, err := NewWriter(st).Ingest(ctx, input(chat, 1, "/nosuch")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply committed", func() bool {
		out, _ := st.PendingOutbox(ctx, shard)
		return len(out) == 1
	})
	// another instance holds the shard for a while, as after a Redis pause
	key := fmt.Sprintf("minyi:{s%02d}:lease", shard)
	srv.Do(t, "SET", key, "thief", "PX", "1500")
	waitFor(t, "the shard taken back", func() bool { return srv.Do(t, "GET", key) == "p" })
	time.Sleep(200 * time.Millisecond) // its outbox read again meanwhile
	g.Open()
	waitFor(t, "the reply sent", func() bool { return len(c.all()) >= 1 })
	time.Sleep(300 * time.Millisecond)
	if got := c.all(); len(got) != 1 || got[0].InputID != "t:78:1" {
		t.Fatalf("deliveries: %d (%+v), want the reply once", len(got), got)
	}
}
