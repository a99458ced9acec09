// Command bench is minyi's load harness. It plays a fake Bot API for K simulated
// residents, each walking the whole report flow, runs a bot against it and a real
// redis-server, and prints what it measured; the last line is one JSON object.
//
//	go run ./bench intake  [-target minyi|ceiling|peer] [-residents 10000] [-rate 0] [-mode polling|webhook]
//	go run ./bench compare [-residents 10000] [-rounds 2]   the three side by side, alternating, and the ratios
//	go run ./bench scale   [-residents 10000]               minyi on one instance, then two, on one Redis
//	go run ./bench open311 [-concerns 30000] [-clients 16] [-duration 20s] [-webhook-rate 20] [-limits off|on] [-src DIR]
//	                       Open311 clients over demonstration data while webhook updates flow
//
// Targets: minyi (the real binary, full features), ceiling (bench/ceiling: the same
// steps on go-telegram/bot with a Go map and nothing else) and peer (bench/peer:
// the same flow in Node.js with Telegraf and its Redis session store).
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const token = "123456789:BENCH-token-for-the-fake-bot-api-000"

// options are one run's settings.
type options struct {
	trace     string // a file for every Bot API call, for debugging a target
	target    string
	residents int
	rate      float64 // updates offered per second; 0: as fast as answered
	think     time.Duration
	mode      string // polling or webhook
	instances int
	pin       bool
	profile   string // where to write minyi's CPU profile
	open      int    // residents who only open a conversation, for its memory
	quiet     bool
	// rateCap is MINYI_TELEGRAM_RATE; above 0 the fake also holds the bot to Telegram's own limits
	rateCap float64
	// repeatAfter: a resident who hears nothing for this long does the last thing again
	repeatAfter time.Duration
	start       string // report (/report first) or describe (the description first)
	urgent      int    // residents of the run who report a gas leak, for the staff alerts' latency
	src         string // the source tree to build minyi from (default: this module)
}

// result is what one run measured; it is printed as one JSON line.
type result struct {
	Target      string  `json:"target"`
	Mode        string  `json:"mode"`
	Instances   int     `json:"instances"`
	Residents   int     `json:"residents"`
	Finished    int     `json:"finished"`
	Offered     float64 `json:"offered_per_s,omitempty"`
	Updates     int64   `json:"updates"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"updates_per_s"`
	Latency     lat     `json:"latency_ms"`
	Commands    float64 `json:"redis_commands_per_update"`
	RoundTrips  float64 `json:"redis_round_trips_per_update,omitempty"`
	ConvBytes   float64 `json:"redis_bytes_per_open_conversation"`
	ConcernByte float64 `json:"redis_bytes_per_concern"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	CPU         cpu     `json:"cpu_cores"`
	BotCalls    int64   `json:"bot_api_calls"`
	Src         string  `json:"src,omitempty"`
	// Burst is set when the cap is on or residents repeat themselves
	Burst *burstFigures `json:"burst,omitempty"`
}

type lat struct {
	P50, P90, P99, Max float64
}

func (l lat) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]float64{"p50": l.P50, "p90": l.P90, "p99": l.P99, "max": l.Max})
}

type cpu struct {
	Target  float64 `json:"target"`
	Redis   float64 `json:"redis"`
	Harness float64 `json:"harness"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench intake|compare|scale|open311 [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	o := options{}
	fs.StringVar(&o.target, "target", "minyi", "minyi, ceiling or peer")
	fs.IntVar(&o.residents, "residents", 0, "simulated residents, each walking the whole report flow (default 10,000; 1,000 with the cap on)")
	fs.Float64Var(&o.rateCap, "rate-cap", 25, "intake: MINYI_TELEGRAM_RATE, messages a second; above 0 the fake Bot API also answers 429 past Telegram's limits (30/s, about 1/s a chat, 20/min a group); 0 measures CPU only")
	fs.DurationVar(&o.repeatAfter, "repeat-after", 0, "a resident who hears nothing for this long does the last thing again (0: patient)")
	fs.StringVar(&o.start, "start", "", "how a resident begins: describe (the description itself) or report (/report first); default describe, report for compare and scale")
	fs.IntVar(&o.urgent, "urgent", -1, "residents of the run who report a gas leak, for the staff alerts' latency (default: 1 in 100 with the cap on)")
	fs.StringVar(&o.src, "src", "", "build minyi from this source tree (default: this module), e.g. a worktree of an earlier commit")
	fs.Float64Var(&o.rate, "rate", 0, "updates offered per second (0: each resident goes on as soon as answered)")
	fs.DurationVar(&o.think, "think", 0, "a resident's pause before each step")
	fs.StringVar(&o.mode, "mode", "polling", "polling or webhook (minyi only)")
	fs.IntVar(&o.instances, "instances", 1, "minyi instances on one Redis (webhook mode)")
	fs.BoolVar(&o.pin, "pin", false, "pin each minyi instance to its own core with taskset")
	fs.StringVar(&o.trace, "trace", "", "write every Bot API call the target makes to this file")
	fs.StringVar(&o.profile, "cpuprofile", "", "write minyi's CPU profile of the run here")
	fs.IntVar(&o.open, "open", -1, "more residents who only start a report, to weigh an open conversation (default 2,000; none with the cap on)")
	rounds := fs.Int("rounds", 2, "compare: runs of each target, alternating")
	var oo open311Options
	fs.IntVar(&oo.concerns, "concerns", 30000, "open311: demonstration concerns in the store")
	fs.IntVar(&oo.days, "days", 14, "open311: over how many days")
	fs.IntVar(&oo.clients, "clients", 16, "open311: concurrent Open311 clients")
	fs.DurationVar(&oo.duration, "duration", 20*time.Second, "open311: each phase (webhook alone, then with the clients)")
	fs.Float64Var(&oo.hookRate, "webhook-rate", 20, "open311: webhook updates offered per second")
	fs.IntVar(&oo.walkers, "walkers", 16, "open311: residents walking the report flow at once")
	fs.StringVar(&oo.limits, "limits", "off", "open311: off (MINYI_OPEN311_RATE=0, to measure the paging) or on (the default limits)")
	fs.Int64Var(&oo.seed, "seed", 1, "open311: random seed")
	fs.Parse(os.Args[2:])
	oo.profile, oo.src = o.profile, o.src
	if os.Args[1] != "intake" || o.target != "minyi" {
		// throughput against the ceiling and the peer, and scaling, measure CPU; neither
		// the ceiling nor the peer keeps to a cap, or starts with a description
		o.rateCap = 0
		o.start = cmp.Or(o.start, "report")
	}
	o.start = cmp.Or(o.start, "describe")
	capped := o.rateCap > 0
	if o.residents <= 0 {
		o.residents = 10000
		if capped {
			o.residents = 1000
		}
	}
	if o.open < 0 {
		o.open = 2000
		if capped {
			o.open = 0
		}
	}
	if o.urgent < 0 {
		o.urgent = 0
		if capped {
			o.urgent = max(1, o.residents/100)
		}
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "intake":
		if o.start != "describe" && o.start != "report" {
			err = errors.New("-start must be describe or report")
			break
		}
		if err = checkSrc(o.src); err != nil {
			break
		}
		var r result
		r, err = run(ctx, o)
		if err == nil || r.Burst != nil {
			printJSON(r)
		}
	case "compare":
		err = compare(ctx, o, *rounds)
	case "scale":
		err = scale(ctx, o)
	case "open311":
		if oo.limits != "off" && oo.limits != "on" {
			err = errors.New("-limits must be off or on")
		} else if err = checkSrc(oo.src); err == nil {
			var r open311Result
			if r, err = benchOpen311(ctx, oo); err == nil {
				printJSON(r)
			}
		}
	default:
		err = fmt.Errorf("unknown command %q: intake, compare, scale or open311", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func printJSON(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// repoRoot finds the module's root, for building the targets.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from within the minyi module")
	}
	return filepath.Dir(mod), nil
}

// build compiles a Go target into dir.
func build(root, dir, name, pkg string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// run measures one target once.
func run(ctx context.Context, o options) (res result, err error) {
	res = result{Target: o.target, Mode: o.mode, Instances: o.instances, Residents: o.residents, Offered: o.rate, Src: o.src}
	root, err := repoRoot()
	if err != nil {
		return res, err
	}
	if o.src != "" {
		root = o.src
	}
	dir, err := os.MkdirTemp("", "minyi-bench-")
	if err != nil {
		return res, err
	}
	defer func() {
		if err == nil { // a failed run keeps its logs for reading
			os.RemoveAll(dir)
		}
	}()
	rds, err := startRedis(dir)
	if err != nil {
		return res, err
	}
	defer rds.stop()

	const base = 700000
	// one more chat: the patient resident who measures the path's messages first
	fake := newFakeAPI(token, base, o.residents+o.open+1)
	if o.rateCap > 0 {
		fake.limits = newTelegramLimits()
	}
	if o.trace != "" {
		tf, err := os.Create(o.trace)
		if err != nil {
			return res, err
		}
		defer tf.Close()
		fake.trace = tf
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	procs, hooks, debug, err := startTarget(root, dir, o, srv.URL, rds.url())
	if err != nil {
		return res, err
	}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	if err := waitReady(ctx, fake, hooks); err != nil {
		return res, fmt.Errorf("%s did not start: %w (logs in %s)", o.target, err, dir)
	}
	post := poster(hooks)

	steps := path(o.start)
	w := &walker{fake: fake, post: post, think: o.think, patience: 60 * time.Second, steps: steps}
	// the weight of an open conversation: residents who start a report and stop there
	before, _ := rds.figures()
	var wg sync.WaitGroup
	for i := range o.open {
		chat := int64(base + o.residents + i)
		wg.Go(func() { w.walk(chat, len(steps)-4, false) })
	}
	wg.Wait()
	settle(rds)
	opened, _ := rds.figures()
	if o.open > 0 {
		res.ConvBytes = float64(opened.memory-before.memory) / float64(o.open)
	}
	fake.latencies()

	// m: what a patient resident, alone, is sent on the way to a receipt
	var burst *burstFigures
	if o.rateCap > 0 || o.repeatAfter > 0 {
		burst = &burstFigures{Start: o.start, RateCap: o.rateCap, RepeatAfter: o.repeatAfter.Seconds()}
		sent0 := fake.toResidents.Load()
		if r := w.walk(int64(base+o.residents+o.open), len(steps), false); !r.finished {
			return res, fmt.Errorf("a patient resident alone did not finish (logs in %s)", dir)
		}
		time.Sleep(time.Second) // anything sent after the receipt counts too
		burst.PathMessages = int(fake.toResidents.Load() - sent0)
		if o.rateCap > 0 {
			burst.Deadline = round(1.3*float64(o.residents*burst.PathMessages)/o.rateCap, 1)
		}
		fake.latencies()
	}

	// the run itself
	start, _ := rds.figures()
	trips0 := traffic(ctx, debug)
	calls0 := fake.calls.Load()
	cpu0 := make([]time.Duration, len(procs))
	for i, p := range procs {
		cpu0[i] = p.cpu()
	}
	h0 := harnessCPU()
	var limit *rate.Limiter
	if o.rate > 0 {
		limit = rate.NewLimiter(rate.Limit(o.rate), max(1, int(o.rate/100)))
	}
	profiled := make(chan error, 1)
	if o.profile != "" && len(debug) > 0 {
		go func() { profiled <- cpuProfile(ctx, debug[0], o.profile, 10*time.Second) }()
	} else {
		profiled <- nil
	}
	began := time.Now()
	var finished atomic.Int64
	var updates atomic.Int64
	run := *w
	run.limit, run.repeatAfter = limit, o.repeatAfter
	if burst != nil && burst.Deadline > 0 {
		// a run that collapses ends at twice the deadline, with what it did by then
		run.until = began.Add(time.Duration(max(2*burst.Deadline, 60) * float64(time.Second)))
		run.patience = time.Until(run.until)
	}
	sent0, answers0, tooMany0, repeats0 := fake.toResidents.Load(), fake.answers.Load(), fake.tooMany.Load(), fake.repeats.Load()
	walks := make([]walkResult, o.residents)
	urgent := make([]bool, o.residents)
	stride := o.residents / max(o.urgent, 1)
	for i := range o.residents {
		chat := int64(base + i)
		// the urgent reports are spread through the burst, one in the middle of each stride
		urgent[i] = o.urgent > 0 && stride > 0 && i%stride == stride/2 && i/stride < o.urgent
		wg.Go(func() {
			r := run.walk(chat, len(steps), urgent[i])
			walks[i] = r
			updates.Add(int64(r.updates))
			if r.finished {
				finished.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if burst != nil {
		time.Sleep(2 * time.Second) // a second receipt would come now
		fake.awaitAlerts(walks, urgent, 70*time.Second)
		burst.Messages = fake.toResidents.Load() - sent0
		burst.Answers = fake.answers.Load() - answers0
		burst.TooMany = fake.tooMany.Load() - tooMany0
		burst.Repeats = fake.repeats.Load() - repeats0
		fake.burst(walks, urgent, base, began, burst, steps)
		res.Burst = burst
	}
	settle(rds)
	end, _ := rds.figures()
	trips1 := traffic(ctx, debug)
	if err := <-profiled; err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
	}

	res.Finished = int(finished.Load())
	res.Updates = updates.Load()
	res.Seconds = round(elapsed.Seconds(), 2)
	res.PerSecond = round(float64(res.Updates)/elapsed.Seconds(), 0)
	res.Latency = percentiles(fake.latencies())
	res.Commands = round(float64(end.commands-start.commands)/float64(res.Updates), 2)
	if len(debug) > 0 {
		res.RoundTrips = round(float64(trips1-trips0)/float64(res.Updates), 2)
	}
	res.ConvBytes = round(res.ConvBytes, 0)
	res.ConcernByte = round(float64(end.memory-start.memory)/float64(max(res.Finished, 1)), 0)
	var rss int64
	var used time.Duration
	for i, p := range procs {
		rss = max(rss, p.peakRSS())
		used += p.cpu() - cpu0[i]
	}
	res.PeakRSSMB = round(float64(rss)/(1<<20), 1)
	res.CPU = cpu{
		Target:  round(used.Seconds()/elapsed.Seconds(), 2),
		Redis:   round((end.cpu-start.cpu)/elapsed.Seconds(), 2),
		Harness: round((harnessCPU()-h0).Seconds()/elapsed.Seconds(), 2),
	}
	res.BotCalls = fake.calls.Load() - calls0
	if res.Finished < o.residents {
		return res, fmt.Errorf("%d of %d residents finished (logs in %s)", res.Finished, o.residents, dir)
	}
	return res, nil
}

// env is what minyi runs with in a run.
func minyiEnv(o options, token, api, redisURL string) []string {
	return append(os.Environ(), "MINYI_TELEGRAM_TOKEN="+token, "MINYI_TELEGRAM_API_URL="+api, "MINYI_REDIS_URL="+redisURL,
		"MINYI_COMMUNITIES=阳光社区,和平社区", fmt.Sprintf("MINYI_TELEGRAM_RATE=%g", o.rateCap), "MINYI_LOG_LEVEL=warn",
		"MINYI_LLM_BASE_URL=", "MINYI_CLASSIFY_MODEL=", fmt.Sprintf("MINYI_STAFF_CHAT=%d", benchStaffChat), "MINYI_WEBHOOK_URL=")
}

// settle waits for Redis to be idle (the intake queue drained, the last replies
// recorded), so that its figures are the run's.
func settle(rds *redisServer) {
	last := int64(-1)
	for range 100 {
		f, err := rds.figures()
		if err == nil && f.commands == last {
			return
		}
		last = f.commands
		time.Sleep(200 * time.Millisecond)
	}
}

// startTarget starts the bot under test and returns its processes, its webhook
// addresses (webhook mode) and minyi's debug addresses.
func startTarget(root, dir string, o options, api, redisURL string) (procs []*process, hooks []string, debug []string, err error) {
	switch o.target {
	case "minyi":
		bin, err := build(root, dir, "minyi", "./cmd/minyi")
		if err != nil {
			return nil, nil, nil, err
		}
		for i := range max(o.instances, 1) {
			port, _ := freePort()
			env := append(minyiEnv(o, token, api, redisURL), fmt.Sprintf("MINYI_DEBUG_ADDR=127.0.0.1:%d", port))
			debug = append(debug, fmt.Sprintf("127.0.0.1:%d", port))
			if o.mode == "webhook" {
				hook, _ := freePort()
				env = append(env, "MINYI_WEBHOOK_URL=https://bench.example.org/tg", "MINYI_WEBHOOK_SECRET=bench-secret", fmt.Sprintf("MINYI_HTTP_ADDR=127.0.0.1:%d", hook))
				hooks = append(hooks, fmt.Sprintf("127.0.0.1:%d", hook))
			} else {
				env = append(env, "MINYI_HTTP_ADDR=127.0.0.1:0")
			}
			cpus := ""
			if o.pin {
				cpus = fmt.Sprint(i % runtime.NumCPU())
			}
			p, err := startProcess(fmt.Sprintf("minyi-%d", i), dir, env, cpus, bin, "serve")
			if err != nil {
				return procs, nil, nil, err
			}
			procs = append(procs, p)
		}
		return procs, hooks, debug, nil
	case "ceiling":
		bin, err := build(root, dir, "ceiling", "./bench/ceiling")
		if err != nil {
			return nil, nil, nil, err
		}
		p, err := startProcess("ceiling", dir, append(os.Environ(), "TELEGRAM_TOKEN="+token, "TELEGRAM_API_URL="+api), "", bin)
		return []*process{p}, nil, nil, err
	case "peer":
		peer := filepath.Join(root, "bench", "peer")
		if _, err := os.Stat(filepath.Join(peer, "node_modules")); err != nil {
			cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
			cmd.Dir = peer
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, nil, nil, fmt.Errorf("npm ci in bench/peer: %v\n%s", err, out)
			}
		}
		p, err := startProcess("peer", dir, append(os.Environ(), "TELEGRAM_TOKEN="+token, "TELEGRAM_API_URL="+api, "REDIS_URL="+redisURL), "",
			"node", filepath.Join(peer, "bot.js"))
		return []*process{p}, nil, nil, err
	}
	return nil, nil, nil, fmt.Errorf("unknown target %q", o.target)
}

// waitReady waits until the bot polls, or its webhooks accept connections.
func waitReady(ctx context.Context, fake *fakeAPI, hooks []string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ready := len(hooks) == 0 && fake.polls.Load() > 0
		if len(hooks) > 0 {
			ready = true
			for _, h := range hooks {
				c, err := net.DialTimeout("tcp", h, 100*time.Millisecond)
				if err != nil {
					ready = false
					break
				}
				c.Close()
			}
		}
		if ready {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not ready within 30 s")
}

// poster posts updates to the webhooks, choosing one by the update's turn; nil
// in polling mode (updates wait in the fake's queue for getUpdates).
func poster(hooks []string) func(turn int, body []byte) error {
	if len(hooks) == 0 {
		return nil
	}
	// as Telegram posts: at most max_connections (default 40, at most 100) at once to a webhook
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 100, MaxIdleConnsPerHost: 100}, Timeout: 30 * time.Second}
	return func(turn int, body []byte) error {
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest(http.MethodPost, "http://"+hooks[turn%len(hooks)]+"/tg", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "bench-secret")
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
			if attempt == 20 {
				return fmt.Errorf("webhook: %v", err)
			}
			time.Sleep(100 * time.Millisecond) // as Telegram tries again
		}
	}
}

// postTo offers an update by posting it to a webhook.
func (f *fakeAPI) postTo(post func(int, []byte) error, turn int, chatID int64, u map[string]any, want string) error {
	c := f.chat(chatID)
	c.mu.Lock()
	c.want = want
	select {
	case <-c.got:
	default:
	}
	c.mu.Unlock()
	f.mu.Lock()
	f.nextID++
	u["update_id"] = f.nextID
	f.mu.Unlock()
	body, _ := json.Marshal(u)
	c.mu.Lock()
	c.offered = time.Now()
	c.mu.Unlock()
	return post(turn, body)
}

func percentiles(s []time.Duration) lat {
	if len(s) == 0 {
		return lat{}
	}
	slices.Sort(s)
	at := func(p float64) float64 {
		return round(float64(s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)])/1e6, 1)
	}
	return lat{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: round(float64(s[len(s)-1])/1e6, 1)}
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// cpuProfile fetches minyi's CPU profile over d into path.
func cpuProfile(ctx context.Context, addr, path string, d time.Duration) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// compare runs the ceiling, minyi and the peer in turn, rounds times each, then
// minyi and the peer at half the ceiling's throughput, and prints the ratios.
func compare(ctx context.Context, o options, rounds int) error {
	best := map[string]result{}
	for r := range rounds {
		for _, target := range []string{"ceiling", "minyi", "peer"} {
			oo := o
			oo.target = target
			res, err := run(ctx, oo)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r+1, target, err)
			}
			printJSON(res)
			if b, ok := best[target]; !ok || res.PerSecond > b.PerSecond {
				best[target] = res
			}
		}
	}
	half := round(best["ceiling"].PerSecond/2, 0)
	atHalf := map[string]result{}
	for _, target := range []string{"minyi", "peer"} {
		oo := o
		oo.target, oo.rate = target, half
		res, err := run(ctx, oo)
		if err != nil {
			return fmt.Errorf("%s at %v/s: %w", target, half, err)
		}
		printJSON(res)
		atHalf[target] = res
	}
	m, p := best["minyi"], best["peer"]
	hm, hp := atHalf["minyi"], atHalf["peer"]
	printJSON(map[string]any{
		"ratios": "minyi ÷ peer, each figure: flat out (best run) and at half the ceiling's throughput",
		"flat_out": ratios(map[string][2]float64{
			"updates_per_s": {m.PerSecond, p.PerSecond}, "p50_ms": {m.Latency.P50, p.Latency.P50}, "p99_ms": {m.Latency.P99, p.Latency.P99},
			"max_ms": {m.Latency.Max, p.Latency.Max}, "redis_commands_per_update": {m.Commands, p.Commands},
			"redis_bytes_per_open_conversation": {m.ConvBytes, p.ConvBytes}, "redis_bytes_per_concern": {m.ConcernByte, p.ConcernByte},
			"peak_rss_mb": {m.PeakRSSMB, p.PeakRSSMB}, "cpu_cores": {m.CPU.Target, p.CPU.Target}, "redis_cpu_cores": {m.CPU.Redis, p.CPU.Redis},
			"bot_api_calls": {float64(m.BotCalls), float64(p.BotCalls)},
		}),
		"at_half": ratios(map[string][2]float64{
			"p50_ms": {hm.Latency.P50, hp.Latency.P50}, "p90_ms": {hm.Latency.P90, hp.Latency.P90}, "p99_ms": {hm.Latency.P99, hp.Latency.P99},
			"max_ms": {hm.Latency.Max, hp.Latency.Max}, "cpu_cores": {hm.CPU.Target, hp.CPU.Target},
		}),
	})
	printJSON(map[string]any{
		"compare":                           "best of each target's runs; latency at half the ceiling's throughput",
		"ceiling_updates_per_s":             best["ceiling"].PerSecond,
		"minyi_updates_per_s":               best["minyi"].PerSecond,
		"peer_updates_per_s":                best["peer"].PerSecond,
		"minyi_to_ceiling":                  round(best["minyi"].PerSecond/best["ceiling"].PerSecond, 2),
		"minyi_to_peer":                     round(best["minyi"].PerSecond/best["peer"].PerSecond, 2),
		"offered_per_s":                     half,
		"minyi_p99_ms_at_half":              atHalf["minyi"].Latency.P99,
		"peer_p99_ms_at_half":               atHalf["peer"].Latency.P99,
		"minyi_p99_ms_flat_out":             best["minyi"].Latency.P99,
		"peer_p99_ms_flat_out":              best["peer"].Latency.P99,
		"minyi_round_trips_per_update":      best["minyi"].RoundTrips,
		"minyi_bytes_per_open_conversation": best["minyi"].ConvBytes,
	})
	return nil
}

// ratios divides the first of each pair by the second.
func ratios(pairs map[string][2]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range pairs {
		if v[1] != 0 {
			out[k] = round(v[0]/v[1], 2)
		}
	}
	return out
}

// scale runs minyi in webhook mode on one instance, then on two sharing one
// Redis, each pinned to its own core, and prints the ratio of their throughputs.
func scale(ctx context.Context, o options) error {
	o.target, o.mode, o.pin = "minyi", "webhook", true
	var per [2]float64
	for i, n := range []int{1, 2} {
		oo := o
		oo.instances = n
		res, err := run(ctx, oo)
		if err != nil {
			return fmt.Errorf("%d instance(s): %w", n, err)
		}
		printJSON(res)
		per[i] = res.PerSecond
	}
	printJSON(map[string]any{"scale": "minyi webhook, instances pinned with taskset -c 0 and -c 1; harness and redis-server unpinned",
		"one_instance_updates_per_s": per[0], "two_instances_updates_per_s": per[1], "ratio": round(per[1]/per[0], 2)})
	return nil
}
