package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/store/storetest"
)

var srv *storetest.Server

func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &srv)) }

func open(t *testing.T, opts ...Option) *Store {
	t.Helper()
	srv.Flush(t)
	st, err := Open(t.Context(), srv.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestIngestDropsRepeatsAndKeepsOrder(t *testing.T) {
	st := open(t, WithShards(4))
	ctx := t.Context()
	items := []InboxItem{
		{ChatID: 7, Key: "tg:1", Payload: []byte("a")},
		{ChatID: 7, Key: "tg:2", Payload: []byte("b")},
		{ChatID: 7, Key: "tg:1", Payload: []byte("a again")},
	}
	added, err := st.Ingest(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(added) != "[true true false]" {
		t.Fatalf("added = %v", added)
	}
	// a redelivery after a crash, before the transport heard back
	added, err = st.Ingest(ctx, items[1:2])
	if err != nil || added[0] {
		t.Fatalf("repeat: added %v, err %v", added, err)
	}
	got, err := st.ReadInbox(ctx, st.ShardOf(7), "0", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Payload) != "a" || string(got[1].Payload) != "b" {
		t.Fatalf("inbox = %+v", got)
	}
}

func TestIngestSurvivesScriptCacheLoss(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	if _, err := st.Ingest(ctx, []InboxItem{{ChatID: 1, Key: "k1", Payload: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	added, err := st.Ingest(ctx, []InboxItem{{ChatID: 1, Key: "k2", Payload: []byte("y")}, {ChatID: 2, Key: "k3", Payload: []byte("z")}})
	if err != nil || !added[0] || !added[1] {
		t.Fatalf("after SCRIPT FLUSH: added %v, err %v", added, err)
	}
}

func TestCommitIsFencedByTheLease(t *testing.T) {
	st := open(t, WithShards(2))
	ctx := t.Context()
	chat := int64(42)
	shard := st.ShardOf(chat)
	if _, err := st.Ingest(ctx, []InboxItem{{ChatID: chat, Key: "u1", Payload: []byte("hi")}}); err != nil {
		t.Fatal(err)
	}
	entries, _ := st.ReadInbox(ctx, shard, "0", 10, 0)
	ok, err := st.LeaseShard(ctx, shard, "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if ok, _ := st.LeaseShard(ctx, shard, "b", time.Minute); ok {
		t.Fatal("a second owner got a held lease")
	}
	c := Commit{Shard: shard, Owner: "b", EntryID: entries[0].ID, ChatID: chat, Session: []byte(`{"x":1}`), TTL: time.Hour, Outbox: []byte("reply")}
	if _, err := st.Commit(ctx, c); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("commit without the lease: %v", err)
	}
	if n, _ := st.InboxLen(ctx, shard); n != 1 {
		t.Fatalf("a refused commit changed the inbox: %d entries", n)
	}
	c.Owner = "a"
	c.Listing = &Listing{Summary: concern.Summary{ID: "20261126-0001", Excerpt: "路灯"}}
	outID, err := st.Commit(ctx, c)
	if err != nil || outID == "" {
		t.Fatalf("commit: %q %v", outID, err)
	}
	if n, _ := st.InboxLen(ctx, shard); n != 0 {
		t.Fatalf("processed entry still in the inbox")
	}
	sess, _ := st.LoadSession(ctx, chat)
	if string(sess) != `{"x":1}` {
		t.Fatalf("session = %q", sess)
	}
	out, _ := st.PendingOutbox(ctx, shard)
	if len(out) != 1 || string(out[0].Payload) != "reply" {
		t.Fatalf("outbox = %+v", out)
	}
	// the next commit forgets the delivered replies in the same trip
	st.Ingest(ctx, []InboxItem{{ChatID: chat, Key: "u2", Payload: []byte("again")}})
	entries, _ = st.ReadInbox(ctx, shard, "0", 10, 0)
	c.EntryID, c.Listing, c.Done = entries[0].ID, nil, []string{out[0].ID}
	second, err := st.Commit(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := st.PendingOutbox(ctx, shard); len(out) != 1 || out[0].ID != second {
		t.Fatalf("outbox after a commit with done = %+v", out)
	}
	if err := st.DoneOutbox(ctx, shard, second); err != nil {
		t.Fatal(err)
	}
	if out, _ := st.PendingOutbox(ctx, shard); len(out) != 0 {
		t.Fatalf("outbox after done = %+v", out)
	}
	mine, total, err := st.Mine(ctx, chat, 10)
	if err != nil || total != 1 || mine[0].ID != "20261126-0001" || mine[0].Status != concern.StatusReceived {
		t.Fatalf("mine = %+v %d %v", mine, total, err)
	}
	if err := st.ReleaseShard(ctx, shard, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.LeaseShard(ctx, shard, "b", time.Minute); !ok {
		t.Fatal("released lease not free")
	}
}

func report(at time.Time, text string) *concern.Report {
	return &concern.Report{ReceivedAt: at, Channel: concern.ChannelConsole, Text: text, Status: concern.StatusReceived}
}

func TestSubmitNumbersByDayAndOnce(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	st := open(t, WithLocation(sh))
	ctx := t.Context()
	// 23:30 UTC on the 25th is already the 26th in Shanghai
	at := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)
	id1, err := st.Submit(ctx, "d1", report(at, "路灯坏了一个月"), 0)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := st.Submit(ctx, "d2", report(at, "垃圾没人清运"), 0)
	again, _ := st.Submit(ctx, "d1", report(at, "路灯坏了一个月"), 0)
	if id1 != "20261126-0001" || id2 != "20261126-0002" || again != id1 {
		t.Fatalf("ids %s %s %s", id1, id2, again)
	}
	if err := st.EnsureIntakeGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureIntakeGroup(ctx); err != nil {
		t.Fatalf("second EnsureIntakeGroup: %v", err)
	}
	got, err := st.ReadIntake(ctx, "c1", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ConcernID != id1 || got[0].DraftID != "d1" || !strings.Contains(string(got[0].Body), "路灯") {
		t.Fatalf("intake = %+v", got)
	}
	stats, _ := st.QueueStatus(ctx, time.Now(), 0)
	if stats.Length != 2 || stats.Pending != 2 {
		t.Fatalf("stats = %+v", stats)
	}
	// c1 dies; c2 takes its entries over once they are idle long enough
	if claimed, _ := st.ClaimStaleIntake(ctx, "c2", time.Hour, 10); len(claimed) != 0 {
		t.Fatalf("claimed fresh entries: %+v", claimed)
	}
	time.Sleep(30 * time.Millisecond)
	claimed, err := st.ClaimStaleIntake(ctx, "c2", 20*time.Millisecond, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %+v %v", claimed, err)
	}
	for _, e := range claimed {
		if err := st.AckIntake(ctx, e.StreamID); err != nil {
			t.Fatal(err)
		}
	}
	if stats, _ := st.QueueStatus(ctx, time.Now(), 0); stats.Pending != 0 {
		t.Fatalf("pending after ack = %d", stats.Pending)
	}
}

func TestSubmitConcurrentGivesDistinctIDs(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	var (
		mu  sync.Mutex
		ids = map[string]bool{}
		wg  sync.WaitGroup
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// every draft submitted twice at once
			id, err := st.Submit(ctx, fmt.Sprintf("d%d", i%20), report(at, "text"), 0)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[id] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != 20 {
		t.Fatalf("%d distinct ids for 20 drafts", len(ids))
	}
	if stats, _ := st.QueueStatus(ctx, time.Now(), 0); stats.Length != 20 {
		t.Fatalf("queue length %d for 20 drafts", stats.Length)
	}
}

func TestReportRoundTripAndDayIndex(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	r := report(at, "噪音扰民")
	r.ID = "20261126-0003"
	if err := st.SaveReport(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveReport(ctx, r, nil); err != nil { // a redelivered entry writes the same again
		t.Fatal(err)
	}
	got, err := st.Report(ctx, r.ID)
	if err != nil || got.Text != r.Text || !got.ReceivedAt.Equal(at) {
		t.Fatalf("report = %+v, %v", got, err)
	}
	ids, _ := st.DayIDs(ctx, "20261126")
	if len(ids) != 1 || ids[0] != r.ID {
		t.Fatalf("day index = %v", ids)
	}
	if _, err := st.Report(ctx, "20261126-0099"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing report: %v", err)
	}
	r.ID = "../etc"
	if err := st.SaveReport(ctx, r, nil); err == nil {
		t.Fatal("saved a report with a bad id")
	}
}

// A save that stopped after writing the record (the process died, or Redis failed
// between two calls) is finished by the retry: counted once and indexed.
func TestSaveReportRetryFinishesCountAndIndex(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	r := report(at, "噪音扰民")
	r.ID, r.Sector, r.Community, r.Grid = "20261126-0004", "社会建设", "阳光社区", "第一网格"
	r.Deadline = at.Add(time.Hour)
	body, _ := json.Marshal(r)
	if err := st.rdb.SetNX(ctx, reportKey(r.ID), body, 0).Err(); err != nil { // only the first step
		t.Fatal(err)
	}
	for range 3 {
		if err := st.SaveReport(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := st.DayCounts(ctx, []string{"20261126"})
	if err != nil || counts[0][CountTotal] != 1 || counts[0]["sector:社会建设"] != 1 || counts[0]["grid:阳光社区/第一网格"] != 1 {
		t.Fatalf("counts after three saves: %v, %v", counts, err)
	}
	overdue, n, err := st.Overdue(ctx, at.Add(2*time.Hour), 10)
	if err != nil || n != 1 || overdue[0].ID != r.ID {
		t.Fatalf("overdue index: %d %v %v", n, overdue, err)
	}
}

func TestShardCountIsFixedOnceUsed(t *testing.T) {
	st := open(t, WithShards(8))
	_ = st
	if _, err := Open(t.Context(), srv.URL(), WithShards(4)); err == nil || !strings.Contains(err.Error(), "8 shards") {
		t.Fatalf("opening with another shard count: %v", err)
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://localhost:6379", "redis://:secret@[::1", "redis://localhost:6379?cluster=true&bogus=1"} {
		_, err := Open(t.Context(), u)
		if err == nil {
			t.Errorf("%s: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", u, err)
		}
	}
}

// Open needs a Redis to speak to: the in-process one is started by cmd/minyi.
func TestOpenWithoutURL(t *testing.T) {
	if _, err := Open(t.Context(), ""); err == nil {
		t.Fatal("no error")
	}
}

// Reading with no wait returns at once, even from an empty inbox or queue.
func TestReadWithoutWaiting(t *testing.T) {
	st := open(t)
	st.EnsureIntakeGroup(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if got, err := st.ReadInbox(t.Context(), 0, "0", 10, 0); err != nil || len(got) != 0 {
			t.Errorf("empty inbox: %v %v", got, err)
		}
		if got, err := st.ReadIntake(t.Context(), "c", 10, 0); err != nil || len(got) != 0 {
			t.Errorf("empty queue: %v %v", got, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a read that should not wait is still waiting")
	}
}

// Items made at once from the same concern all stay linked to it.
func TestInfosMadeAtOnceKeepTheirLinks(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.CreateInfo(ctx, &info.Item{Title: "t", Concerns: []string{"20261201-0001"}, State: info.Draft})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	links, err := st.InfosOf(ctx, []string{"20261201-0001"})
	if err != nil || len(links["20261201-0001"]) != 8 {
		t.Fatalf("links %v %v", links, err)
	}
}
