package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// open311Options are the settings of `bench open311`.
type open311Options struct {
	src      string // the source tree to build minyi from (default: this module)
	concerns int
	days     int
	clients  int
	duration time.Duration
	hookRate float64 // webhook updates offered per second
	walkers  int
	limits   string // off (MINYI_OPEN311_RATE=0) or on (the defaults)
	seed     int64
	profile  string // where to write minyi's CPU profile of the loaded phase
}

// open311Result is what `bench open311` measured; it is printed as one JSON line.
type open311Result struct {
	Bench    string  `json:"bench"`
	Src      string  `json:"src"`
	Limits   string  `json:"limits"`
	Concerns int     `json:"concerns"`
	Days     int     `json:"days"`
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds_per_phase"`
	HookRate float64 `json:"webhook_updates_offered_per_s"`
	RSS      struct {
		Start   float64 `json:"after_start"`
		Idle    float64 `json:"after_first_page"`
		Alone   float64 `json:"peak_webhook_alone"`
		Loaded  float64 `json:"peak_with_open311"`
		Growth  float64 `json:"growth_under_open311"`
		HighEnd float64 `json:"high_water_mark"`
	} `json:"rss_mb"`
	FirstPage float64        `json:"first_page_ms"`
	Page      lat            `json:"page_ms"`
	Pages     int            `json:"pages_served"`
	PerSecond float64        `json:"pages_per_s"`
	Answers   map[string]int `json:"open311_answers"`
	Hook      struct {
		Alone  hookFigures `json:"alone"`
		Loaded hookFigures `json:"with_open311"`
	} `json:"webhook"`
	CPU struct {
		Alone  float64 `json:"alone"`
		Loaded float64 `json:"with_open311"`
	} `json:"minyi_cpu_cores"`
}

type hookFigures struct {
	Updates   int     `json:"updates"`
	PerSecond float64 `json:"updates_per_s"`
	// Post is the webhook's own answer: Telegram's POST until its 200
	Post lat `json:"post_ms"`
	// Reply is from the update offered to the bot's first reply in its chat
	Reply lat `json:"reply_ms"`
}

const open311Key = "bench-open311-key-0123456789abcdef"

// the topics of the demonstration data, for service_code
var benchTopics = []string{"城乡建设", "环境保护", "劳动和社会保障", "教育文体", "卫生计生", "交通运输", "商贸旅游", "民政", "纪检监察"}

// benchOpen311 fills a Redis with demonstration concerns, runs minyi in webhook
// mode over it, and measures a steady flow of webhook updates alone, then with
// Open311 clients asking for random pages and filters: a page's latency, pages a
// second, minyi's RSS and the webhook's latency in both phases.
func benchOpen311(ctx context.Context, o open311Options) (res open311Result, err error) {
	res = open311Result{Bench: "open311", Limits: o.limits, Concerns: o.concerns, Days: o.days, Clients: o.clients,
		Seconds: o.duration.Seconds(), HookRate: o.hookRate, Answers: map[string]int{}}
	root := o.src
	if root == "" {
		if root, err = repoRoot(); err != nil {
			return res, err
		}
	}
	res.Src = root
	dir, err := os.MkdirTemp("", "minyi-bench-open311-")
	if err != nil {
		return res, err
	}
	defer func() {
		if err == nil {
			os.RemoveAll(dir)
		}
	}()
	rds, err := startRedis(dir)
	if err != nil {
		return res, err
	}
	defer rds.stop()
	bin, err := build(root, dir, "minyi", "./cmd/minyi")
	if err != nil {
		return res, err
	}
	env := append(os.Environ(), "MINYI_REDIS_URL="+rds.url(), "MINYI_LOG_LEVEL=warn", "MINYI_LLM_BASE_URL=", "MINYI_CLASSIFY_MODEL=",
		"MINYI_COMMUNITIES=阳光社区,和平社区", "MINYI_TELEGRAM_RATE=0", "MINYI_LIMIT_CONCERNS_PER_DAY=0", "MINYI_LIMIT_MESSAGES_PER_MINUTE=0",
		"MINYI_OPEN311_KEYS=bench="+open311Key)
	if o.limits == "off" {
		env = append(env, "MINYI_OPEN311_RATE=0", "MINYI_API_RATE=0")
	}
	fill, err := startProcess("demo-data", dir, env, "", bin, "demo-data", "--reports", strconv.Itoa(o.concerns), "--days", strconv.Itoa(o.days), "--seed", strconv.FormatInt(o.seed, 10))
	if err != nil {
		return res, err
	}
	if err := fill.cmd.Wait(); err != nil {
		return res, fmt.Errorf("demo-data: %w (logs in %s)", err, dir)
	}
	fill.logs.Close()

	const base = 800000
	fake := newFakeAPI(token, base, 20000)
	api := httptest.NewServer(fake)
	defer api.Close()
	port, _ := freePort()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	debug := ""
	if o.profile != "" {
		dport, _ := freePort()
		debug = fmt.Sprintf("127.0.0.1:%d", dport)
		env = append(env, "MINYI_DEBUG_ADDR="+debug)
	}
	env = append(env, "MINYI_TELEGRAM_TOKEN="+token, "MINYI_TELEGRAM_API_URL="+api.URL,
		"MINYI_WEBHOOK_URL=https://bench.example.org/tg", "MINYI_WEBHOOK_SECRET=bench-secret", "MINYI_HTTP_ADDR="+addr)
	p, err := startProcess("minyi", dir, env, "", bin, "serve")
	if err != nil {
		return res, err
	}
	defer p.stop()
	if err := waitReady(ctx, fake, []string{addr}); err != nil {
		return res, fmt.Errorf("minyi did not start: %w (logs in %s)", err, dir)
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 128, MaxIdleConnsPerHost: 128}, Timeout: 120 * time.Second}
	time.Sleep(2 * time.Second) // start-up settles (the new code builds its index here)
	res.RSS.Start = mb(p.rss())
	began := time.Now()
	if code, err := get(ctx, client, "http://"+addr+"/open311/v2/requests.json?page_size=1&api_key="+open311Key); err != nil || code != 200 {
		return res, fmt.Errorf("the first page: %d %v (logs in %s)", code, err, dir)
	}
	res.FirstPage = round(float64(time.Since(began).Microseconds())/1000, 1)
	time.Sleep(time.Second)
	res.RSS.Idle = mb(p.rss())

	hooks := &hookLoad{fake: fake, post: poster([]string{addr}), next: base, limit: rate.NewLimiter(rate.Limit(o.hookRate), 1), walkers: o.walkers}

	// phase 1: the webhook alone
	cpu0 := p.cpu()
	stopWatch := watchRSS(p)
	res.Hook.Alone = hooks.run(ctx, o.duration)
	res.RSS.Alone = mb(stopWatch())
	res.CPU.Alone = round((p.cpu()-cpu0).Seconds()/o.duration.Seconds(), 2)

	// phase 2: the webhook and the Open311 clients
	cpu0 = p.cpu()
	stopWatch = watchRSS(p)
	var pages []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	phase, cancel := context.WithTimeout(ctx, o.duration)
	if debug != "" {
		wg.Go(func() {
			if err := cpuProfile(ctx, debug, o.profile, o.duration/2); err != nil {
				fmt.Fprintln(os.Stderr, "bench: profile:", err)
			}
		})
	}
	for c := range o.clients {
		wg.Go(func() {
			rnd := rand.New(rand.NewSource(o.seed*100 + int64(c)))
			for phase.Err() == nil {
				q := randomOpen311(rnd, o.concerns, o.days)
				began := time.Now()
				code, err := get(context.Background(), client, "http://"+addr+"/open311/v2/requests.json?"+q+"&api_key="+open311Key)
				took := time.Since(began)
				mu.Lock()
				switch {
				case err != nil:
					res.Answers["error"]++
				default:
					res.Answers[strconv.Itoa(code)]++
					if code == 200 {
						pages = append(pages, took)
					}
				}
				mu.Unlock()
				if code == http.StatusTooManyRequests {
					select { // a client that honours Retry-After would wait longer; this one only avoids spinning
					case <-phase.Done():
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
		})
	}
	res.Hook.Loaded = hooks.run(ctx, o.duration)
	wg.Wait()
	cancel()
	res.RSS.Loaded = mb(stopWatch())
	res.CPU.Loaded = round((p.cpu()-cpu0).Seconds()/o.duration.Seconds(), 2)
	res.RSS.Growth = round(res.RSS.Loaded-res.RSS.Idle, 1)
	res.RSS.HighEnd = mb(p.peakRSS())
	res.Pages = len(pages)
	res.PerSecond = round(float64(len(pages))/o.duration.Seconds(), 1)
	res.Page = percentiles(pages)
	return res, nil
}

func mb(b int64) float64 { return round(float64(b)/(1<<20), 1) }

// get asks for a URL and reads the whole answer.
func get(ctx context.Context, c *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// randomOpen311 is a requests query: a topic or none, open, closed or both, a
// page size and a page within what the data could fill, the default 90 days or
// a few days of the data's.
func randomOpen311(rnd *rand.Rand, concerns, days int) string {
	v := url.Values{}
	if rnd.Intn(2) == 0 {
		v.Set("service_code", benchTopics[rnd.Intn(len(benchTopics))])
	}
	if s := rnd.Intn(3); s > 0 {
		v.Set("status", []string{"", "open", "closed"}[s])
	}
	size := []int{1, 10, 50, 200}[rnd.Intn(4)]
	v.Set("page_size", strconv.Itoa(size))
	v.Set("page", strconv.Itoa(1+rnd.Intn(max(1, concerns/size/4))))
	if rnd.Intn(4) == 0 {
		from := time.Now().AddDate(0, 0, -rnd.Intn(days))
		v.Set("start_date", from.Format(time.RFC3339))
		v.Set("end_date", from.AddDate(0, 0, 3).Format(time.RFC3339))
	}
	return v.Encode()
}

// watchRSS samples a process's resident set every 50 ms until the function it
// returns is called, which answers the largest seen.
func watchRSS(p *process) func() int64 {
	var peak atomic.Int64
	peak.Store(p.rss())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if r := p.rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// hookLoad is residents walking the report flow through the webhook at a
// steady rate, each walk in a chat of its own.
type hookLoad struct {
	fake    *fakeAPI
	post    func(int, []byte) error
	limit   *rate.Limiter
	walkers int

	mu   sync.Mutex
	next int64
}

// run walks for d and returns the phase's figures; walks under way at the end
// are finished (and counted) before it returns.
func (h *hookLoad) run(ctx context.Context, d time.Duration) hookFigures {
	h.fake.latencies() // forget the earlier phase's
	var mu sync.Mutex
	var posts []time.Duration
	timed := func(turn int, body []byte) error {
		began := time.Now()
		err := h.post(turn, body)
		mu.Lock()
		posts = append(posts, time.Since(began))
		mu.Unlock()
		return err
	}
	began := time.Now()
	phase, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	var updates atomic.Int64
	for range h.walkers {
		wg.Go(func() {
			for phase.Err() == nil {
				h.mu.Lock()
				chat := h.next
				h.next++
				h.mu.Unlock()
				if h.fake.chat(chat) == nil {
					fmt.Fprintln(os.Stderr, "bench: out of chats")
					return
				}
				w := walker{fake: h.fake, post: timed, limit: h.limit, patience: 60 * time.Second, steps: path("report")}
				updates.Add(int64(w.walk(chat, len(w.steps), false).updates))
			}
		})
	}
	wg.Wait()
	return hookFigures{Updates: int(updates.Load()), PerSecond: round(float64(updates.Load())/time.Since(began).Seconds(), 1),
		Post: percentiles(posts), Reply: percentiles(h.fake.latencies())}
}

// rss is the process's resident set now, in bytes.
func (p *process) rss() int64 { return p.status("VmRSS:") }

// checkSrc makes sure a -src tree is a minyi module.
func checkSrc(src string) error {
	if src == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(src, "cmd", "minyi")); err != nil {
		return errors.New("-src must be a minyi source tree (it has cmd/minyi)")
	}
	return nil
}
