package digest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/period"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/store/storetest"
	"github.com/minyi-project/minyi/tghtml"
)

var srv *storetest.Server

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) {
	store.RouteDriverLogs(quiet)
	os.Exit(storetest.Main(m, &srv))
}

var sh, _ = time.LoadLocation("Asia/Shanghai")

var sectors = []string{"政治建设", "经济建设", "文化建设", "社会建设", "生态文明建设", "党的建设"}

func open(t testing.TB) *store.Store {
	t.Helper()
	srv.Flush(t)
	st, err := store.Open(context.Background(), srv.URL(), store.WithLocation(sh))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// accept submits a concern as the queue would, and records it unless told not to.
func accept(t *testing.T, st *store.Store, r *concern.Report, record bool) string {
	t.Helper()
	r.DraftID = r.Text + r.ReceivedAt.String()
	id, err := st.Submit(t.Context(), r.DraftID, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	if record {
		if err := st.SaveReport(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func day(s string) period.Period {
	p, _ := period.Parse(s, time.Now(), sh)
	return p
}

func TestDayBoundariesAndReconciliation(t *testing.T) {
	st := open(t)
	late := accept(t, st, &concern.Report{ReceivedAt: time.Date(2026, 11, 25, 23, 59, 59, 0, sh), Text: "路灯坏了一个多月", Topic: "城乡建设", Sector: "社会建设", Community: "阳光社区", Status: concern.StatusReceived, Confidence: 0.9}, true)
	early := accept(t, st, &concern.Report{ReceivedAt: time.Date(2026, 11, 26, 0, 0, 0, 0, sh), Text: "垃圾没人清运", Topic: "城乡建设", Sector: "社会建设", Community: "阳光社区", Status: concern.StatusReceived, Confidence: 0.9}, true)
	b := NewBuilder(st, sectors, sh, WithClock(func() time.Time { return time.Date(2026, 11, 27, 8, 0, 0, 0, sh) }))
	d25, err := b.Build(t.Context(), day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	d26, _ := b.Build(t.Context(), day("2026-11-26"))
	if d25.Received != 1 || d25.Rows[0].ID != late || d26.Received != 1 || d26.Rows[0].ID != early {
		t.Fatalf("23:59:59 in %v, 00:00:00 in %v", d25.Rows, d26.Rows)
	}
	if !d25.Reconciled || d25.Accepted != 1 || d25.Counted != 1 {
		t.Fatalf("reconciliation of the 25th: %+v", d25)
	}
	text := d25.Text("zh", sh)
	if !strings.Contains(text, "对账：期间受理 1 件 = 本报统计 1 件 ✔") || strings.Contains(text, "对账不符") {
		t.Fatalf("reconciled digest says:\n%s", text)
	}
	// a concern accepted but never recorded (the queue lost it, or has not got to it)
	lost := accept(t, st, &concern.Report{ReceivedAt: time.Date(2026, 11, 26, 9, 0, 0, 0, sh), Text: "化工厂偷排废气", Status: concern.StatusReceived}, false)
	d26, _ = b.Build(t.Context(), day("2026-11-26"))
	if d26.Reconciled || d26.Accepted != 2 || d26.Counted != 1 || len(d26.Missing) != 1 || d26.Missing[0] != lost {
		t.Fatalf("forced mismatch: %+v", d26)
	}
	first := strings.SplitN(d26.Text("zh", sh), "\n", 2)[0]
	if !strings.Contains(first, "对账不符") || !strings.Contains(first, lost) {
		t.Fatalf("the first line does not say the counts differ: %q", first)
	}
	if !strings.HasPrefix(d26.Telegram("en", sh)[0], "<b>⚠️ Counts differ: 2 accepted in the period, 1 counted here. Missing: "+lost) {
		t.Fatalf("English first line: %q", d26.Telegram("en", sh)[0])
	}
}

func TestMaskingAndFlags(t *testing.T) {
	st := open(t)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, sh)
	text := "我叫王小明，电话13800001234，身份证430102199003071234，楼道里闻到煤气味。"
	accept(t, st, &concern.Report{ReceivedAt: at, Text: text, ReporterName: "王小明", Topic: "城乡建设", Sector: "社会建设", Status: concern.StatusReceived,
		Urgent: true, UrgentReason: "紧急情形：煤气味", Confidence: 0.9}, true)
	accept(t, st, &concern.Report{ReceivedAt: at, Text: "网格员代李大爷反映：李大爷家漏水", ResidentName: "李大爷", FiledBy: 7, Status: concern.StatusReceived, Confidence: 0.1}, true)
	accept(t, st, &concern.Report{ReceivedAt: at, Text: "村支书贪污扶贫款", Sensitive: true, SensitiveReason: "敏感事项：贪污", Topic: "纪检监察", Sector: "党的建设", Status: concern.StatusReceived, Confidence: 0.9}, true)
	d, err := NewBuilder(st, sectors, sh).Build(t.Context(), day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	all.WriteString(d.Text("zh", sh))
	all.Write(d.HTML("zh", sh))
	j, _ := d.JSON()
	all.Write(j)
	for _, secret := range []string{"13800001234", "430102199003071234", "王小明", "李大爷"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("the digest shows %q", secret)
		}
	}
	if !strings.Contains(d.Rows[0].Text+d.Rows[1].Text, "[手机号]") || !strings.Contains(all.String(), "某某") {
		t.Errorf("masked text: %q", d.Rows[0].Text)
	}
	if len(d.Urgent) != 1 || len(d.Sensitive) != 1 || d.Sensitive[0].Excerpt != "" || len(d.Unsure) != 1 || d.Filed != 1 || d.Direct != 2 {
		t.Fatalf("lists: urgent %d sensitive %d unsure %d filed %d", len(d.Urgent), len(d.Sensitive), len(d.Unsure), d.Filed)
	}
	if strings.Contains(all.String(), "贪污扶贫款") {
		t.Error("a sensitive concern's text is in the digest")
	}
	for i, name := range sectors {
		if d.BySector[i].Name != name {
			t.Errorf("sector %d is %q, want %q: the six always come first", i, d.BySector[i].Name, name)
		}
	}
}

type summarizer struct{ err error }

func (s summarizer) Summarize(_ context.Context, facts string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return "本期共收到诉求1件，联系人电话13900001111。", nil
}

func TestSummaryAndItsFallback(t *testing.T) {
	st := open(t)
	accept(t, st, &concern.Report{ReceivedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, sh), Text: "路灯坏了", Status: concern.StatusReceived}, true)
	ok := NewBuilder(st, sectors, sh, WithSummarizer(summarizer{}))
	d, _ := ok.Build(t.Context(), day("2026-11-25"))
	ok.Summarize(t.Context(), d)
	if !strings.Contains(d.Text("zh", sh), "本期共收到诉求1件") || strings.Contains(d.Summary, "13900001111") {
		t.Fatalf("summary: %q", d.Summary)
	}
	failing := NewBuilder(st, sectors, sh, WithSummarizer(summarizer{err: errors.New("llm: timeout")}), WithLogger(quiet))
	d, _ = failing.Build(t.Context(), day("2026-11-25"))
	failing.Summarize(t.Context(), d)
	if !d.SummaryFailed || !strings.Contains(d.Text("zh", sh), "AI 摘要生成失败") || d.Received != 1 {
		t.Fatalf("fallback: %+v", d)
	}
}

func TestSplitHTMLNeverCutsATagOrACharacter(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	pieces := []string{"<b>标题</b>", "民意&amp;诉求", "😀", "路灯坏了", "&lt;b&gt;", "<i>补发</i>", "a", "，"}
	for round := 0; round < 200; round++ {
		var lines []string
		for range 1 + rng.Intn(40) {
			var l strings.Builder
			for range rng.Intn(30) {
				l.WriteString(pieces[rng.Intn(len(pieces))])
			}
			lines = append(lines, l.String())
		}
		text := strings.Join(lines, "\n")
		limit := 20 + rng.Intn(200)
		parts := SplitHTML(text, limit)
		for _, p := range parts {
			if units(p) > limit {
				t.Fatalf("part of %d units over %d", units(p), limit)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("part cuts a character: %q", p)
			}
			if strings.Count(p, "<b>") != strings.Count(p, "</b>") || strings.Count(p, "<i>") != strings.Count(p, "</i>") {
				t.Fatalf("part cuts a tag pair: %q", p)
			}
			if regexp.MustCompile(`&[a-z]*$|^[a-z]*;`).MatchString(p) || strings.Count(p, "<")-strings.Count(p, ">") != 0 {
				t.Fatalf("part cuts an entity or a tag: %q", p)
			}
		}
		if tghtml.StripTags(strings.Join(parts, "")) != strings.ReplaceAll(tghtml.StripTags(text), "\n", "") && tghtml.StripTags(strings.Join(parts, "\n")) != tghtml.StripTags(text) {
			// lines too long for one message lose only their tags, never text
			joined := strings.ReplaceAll(tghtml.StripTags(strings.Join(parts, "")), "\n", "")
			if joined != strings.ReplaceAll(tghtml.StripTags(text), "\n", "") {
				t.Fatalf("text lost in splitting")
			}
		}
	}
}

func TestFormats(t *testing.T) {
	st := open(t)
	for i, text := range []string{"阳光社区东门路灯坏了一个多月，晚上很黑。", "阳光社区东门路灯坏了一个多月，晚上很黑！", "化工厂偷排废气，电话13800001234"} {
		accept(t, st, &concern.Report{ReceivedAt: time.Date(2026, 11, 25, 9, i, 0, 0, sh), Text: text, Community: "阳光社区", Grid: "第一网格",
			Topic: "城乡建设", Sector: "社会建设", Status: concern.StatusReceived, Confidence: 0.8, Channel: concern.ChannelTelegram}, true)
	}
	d, err := NewBuilder(st, sectors, sh).Build(t.Context(), day("2026-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Groups) != 1 || d.Groups[0].Count != 2 {
		t.Fatalf("groups: %+v", d.Groups)
	}
	page := string(d.HTML("zh", sh))
	for _, want := range []string{"<svg", "<polyline", "<rect", "page-break-after:always", "阳光社区", "对账"} {
		if !strings.Contains(page, want) {
			t.Errorf("the brief lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || regexp.MustCompile(`(src|href)="?https?:`).MatchString(page) || strings.Contains(page, "13800001234") {
		t.Error("the brief loads something from elsewhere, runs scripts or shows a phone number")
	}
	book, err := d.XLSX("zh", sh)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("诉求明细")
	if len(rows) != 4 || rows[0][0] != "编号" || rows[0][18] != "内容" || rows[3][18] != "化工厂偷排废气，电话[手机号]" || rows[1][6] != "阳光社区" {
		t.Fatalf("workbook rows: %q", rows)
	}
	// people read the workbook: states and channels in words, not codes
	if got := strings.Join([]string{rows[1][2], rows[1][15]}, "|"); got != "Telegram|待受理" {
		t.Errorf("channel and status shown as %q", got)
	}
	if sum, _ := f.GetRows("汇总"); len(sum) < 5 || !strings.Contains(sum[0][0], "2026-11-25") {
		t.Fatalf("summary sheet: %q", sum)
	}
	en, err := d.XLSX("en", sh)
	if err != nil {
		t.Fatal(err)
	}
	if f, err = excelize.OpenReader(bytes.NewReader(en)); err != nil {
		t.Fatal(err)
	}
	if rows, _ = f.GetRows("Concerns"); len(rows) != 4 || rows[0][15] != "Status" || rows[1][15] != concern.StatusReceived.Label("en") {
		t.Fatalf("English workbook rows: %q", rows)
	}
}

func TestChangeWording(t *testing.T) {
	count := func(n int, before float64) Count {
		c := Count{N: n, Before: before}
		if before > 0 {
			ch := (float64(n) - before) / before
			c.Change = &ch
		}
		return c
	}
	for _, c := range []struct {
		c      Count
		zh, en string
	}{
		{count(3, 0), "新增", "new"},
		{count(0, 0), "—", "—"},
		{count(15, 10), "+50%", "+50%"},
		{count(5, 10), "-50%", "-50%"},
		{count(10, 10), "+0%", "+0%"},
		{count(2, 1.0/7), "+1.9件/日", "+1.9 a day"}, // not +1300%
		{count(0, 3.0/7), "-0.4件/日", "-0.4 a day"},
	} {
		if zh, en := change(c.c, "zh"), change(c.c, "en"); zh != c.zh || en != c.en {
			t.Errorf("%d against %.2f: %q, %q; want %q, %q", c.c.N, c.c.Before, zh, en, c.zh, c.en)
		}
	}
}
