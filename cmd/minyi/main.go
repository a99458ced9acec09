// Command minyi is the public-opinion intake bot: `minyi serve` runs it on Telegram,
// `minyi console` in a terminal.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "time/tzdata" // the time zone must resolve in a bare container too

	"golang.org/x/term"

	"github.com/minyi-project/minyi/api"
	"github.com/minyi-project/minyi/bot"
	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/console"
	"github.com/minyi-project/minyi/digest"
	"github.com/minyi-project/minyi/dispatch"
	"github.com/minyi-project/minyi/embedredis"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/inbox"
	"github.com/minyi-project/minyi/index"
	"github.com/minyi-project/minyi/intake"
	"github.com/minyi-project/minyi/lease"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/store"
	"github.com/minyi-project/minyi/tasks"
	"github.com/minyi-project/minyi/telemetry"
	"github.com/minyi-project/minyi/workbench"
)

const usage = `minyi — 民意 public-opinion intake bot

usage:
  minyi serve   [--config FILE]      run the Telegram bot (polling, or webhook when MINYI_WEBHOOK_URL is set)
  minyi console [--config FILE] [--user ID] [--lang zh|en] [--demo N] [--files DIR]
                                     talk to the bot in this terminal (or pipe a conversation in);
                                     --demo fills the embedded store first, --files keeps sent documents
  minyi classify train --data A.jsonl[,B.jsonl] --out model.bin
                                     train the topic model on labelled concerns
  minyi classify eval --data F.jsonl [--classifier lexicon|model|llm|chain] [--model model.bin] [--json]
                                     measure a classifier (accuracy, macro-F1, confusion, speed)
  minyi classify cv --data A.jsonl[,B.jsonl] [--folds 5] [--json]
                                     cross-validate the model, scored file by file
  minyi classify tag [TEXT]          tag one text (or each line of stdin)
  minyi classify screen-eval --data F.jsonl [--json]
                                     measure the urgency screening: recall and precision by hazard
                                     and language, false alarms, and each miss with its reason
  minyi digest [--from D --to D] [--format text|html|xlsx|json] [--out FILE] [--lang zh|en]
                                     a digest of the concerns received (default: yesterday)
  minyi demo-data --reports N --days D
                                     fill the store with realistic synthetic concerns
  minyi export --from D --to D --format csv|xlsx|jsonl --out FILE [--unmasked --admin ID]
                                     every concern of the period with its history, personal data
                                     masked (unmasked only for an admin, and audited)
  minyi info list | export N --format docx|html --out FILE [--lang zh|en]
                                     the office's 社情民意信息: list them, or write one as Word or a printable page
  minyi report [--period 2026-11|2026-Q4|2026] [--format html|xlsx|docx] [--out FILE] [--lang zh|en] [--issue]
                                     the 综合分析 of a month, quarter or year (default last month) with 环比
                                     and 同比; --issue (a span that has ended) archives it with its number
  minyi report list | get N --format html|xlsx|docx --out FILE
                                     the archive of issued digests and analyses, and one of them again
  minyi consult create --file F.yaml [--admin ID] | list | results N --format csv|xlsx --out FILE
                                     the committee's consultations (征求意见): make one (sent with
                                     /consult send N in chat), list them, their results (masked)
  minyi flows check DIR              check the flow files of DIR (MINYI_FLOWS_DIR) as start-up would:
                                     each mistake at its file and line
  minyi health [--ready] [--url URL] ask a running minyi whether it is up (or ready); exit 0 if so
  minyi queue status [--json]        the intake queue: waiting, being handled, dead letters
  minyi queue retry ID|--all         put dead letters back in the queue
  minyi help                         this text

Configuration comes from MINYI_* environment variables over the optional YAML file;
see README.md. Without MINYI_REDIS_URL an embedded Redis is used and nothing is durable.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "console":
		err = runConsole(ctx, args[1:], stdin, stdout, stderr)
	case "classify":
		err = runClassify(ctx, args[1:], stdin, stdout, stderr)
	case "digest":
		err = runDigest(ctx, args[1:], stdout, stderr)
	case "demo-data":
		err = runDemoData(ctx, args[1:], stdout, stderr)
	case "queue":
		err = runQueue(ctx, args[1:], stdout, stderr)
	case "export":
		err = runExport(ctx, args[1:], stdout, stderr)
	case "health":
		err = runHealth(ctx, args[1:], stdout, stderr)
	case "info":
		err = runInfo(ctx, args[1:], stdout, stderr)
	case "report":
		err = runReport(ctx, args[1:], stdout, stderr)
	case "flows":
		err = runFlows(ctx, args[1:], stdout, stderr)
	case "consult":
		err = runConsult(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "minyi: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "minyi %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// logger makes the logger the configuration asks for, writing to w.
func logger(cfg *config.Config, w io.Writer) *slog.Logger {
	return telemetry.Logger(w, cfg.LogLevel, cfg.LogFormat)
}

// app is what both transports share: configuration, store and flow engine.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	st       *store.Store
	machine  *flows.Machine
	commands *commands.Registry
	catalog  locale.Catalog
	cls      *classifiers
	cases    *cases.Service
	metrics  *telemetry.Metrics
	events   *inbox.Writer // the case service's events into the inbox
	// index is the concerns' read model for lists (Open311's requests)
	index *index.Index
}

func setup(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...cases.Option) (*app, error) {
	cls, err := loadClassifiers(cfg, log)
	if err != nil {
		return nil, err
	}
	stOpts := []store.Option{store.WithShards(cfg.Shards), store.WithLocation(cfg.Location), store.WithLogger(log)}
	url := cfg.RedisURL
	if url == "" {
		srv, err := embedredis.Start()
		if err != nil {
			return nil, err
		}
		url = srv.URL()
		stOpts = append(stOpts, store.WithEmbedded(srv.Close))
	}
	st, err := store.Open(ctx, url, stOpts...)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if st.Embedded() {
		log.Warn("MINYI_REDIS_URL is not set: using an embedded in-process Redis. NOTHING IS DURABLE — every concern is lost when minyi stops. Set MINYI_REDIS_URL to a Redis with AOF on for real use.")
	}
	log.Info("classifiers", "order", strings.Join(cfg.Classifiers(), " → "))
	levels := map[concern.Level]time.Duration{}
	for k, d := range cfg.ServiceLevels {
		levels[concern.Level(k)] = d
	}
	metrics := telemetry.New()
	metrics.WatchQueue(func(ctx context.Context) (telemetry.QueueFigures, error) {
		q, err := st.QueueStatus(ctx, time.Now(), 0)
		return telemetry.QueueFigures{Length: q.Length, Pending: q.Pending, Dead: q.Dead, OldestPending: q.OldestPending}, err
	})
	events := inbox.NewWriter(st)
	ix := index.New(st, index.WithLogger(log))
	svc := cases.New(st, events, cases.Config{
		Admins: cfg.Admins, StaffChat: cfg.StaffChat, Levels: levels, AlertEvery: cfg.AlertRepeat, AlertStorm: cfg.AlertStorm,
		Escalate:  cfg.AlertEscalate,
		Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		Location:  cfg.Location, DigestAt: cfg.DigestAt, DigestChats: cfg.DigestChats,
		ConcernsPerDay: cfg.ConcernsPerDay, OrgName: cmp.Or(cfg.OrgName, "街道党工委"),
	}, append([]cases.Option{cases.WithLogger(log), cases.WithDigests(digestBuilder(cfg, cls, st, log)), cases.WithMetrics(metrics),
		cases.WithScreener(cls.screen), cases.WithIndex(ix)}, append(drafter(cls), opts...)...)...)
	defs, err := loadFlows(ctx, cfg.FlowsDir, st, true)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("flows: %w", err)
	}
	m, reg, err := commands.NewEngine(svc, []flows.Option{
		flows.WithCommunities(cfg.Communities...),
		flows.WithGrids(cfg.GridPaths()...),
		flows.WithRetentionDays(cfg.RetentionDays),
		flows.WithExpiry(cfg.FlowExpiry),
		flows.WithOrgName(cfg.OrgName, cfg.OrgNameEN),
		flows.WithLocation(cfg.Location),
		flows.WithEmergencyNumbers(cfg.EmergencyNumbers),
		flows.WithDutyPhone(cfg.DutyPhone),
	}, commands.WithLogger(log), commands.WithUnits(cfg.Units...), commands.WithPublicURL(cfg.PublicURL), commands.WithFlows(defs))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("flows: %w", err)
	}
	cat, err := locale.Builtin()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &app{cfg: cfg, log: log, st: st, machine: m, commands: reg, catalog: cat, cls: cls, cases: svc, metrics: metrics, events: events,
		index: ix}, nil
}

// transportFiles fetches residents' photos through the Telegram transport,
// made after the service and before anything is served.
type transportFiles struct{ tr **bot.Transport }

func (f transportFiles) Photo(ctx context.Context, fileID string) (io.ReadCloser, string, error) {
	return (*f.tr).Photo(ctx, fileID)
}

// workbench is the staff's web workbench over the app's service.
func (a *app) workbench() (*workbench.Server, error) {
	cfg := a.cfg
	topics := make([]string, 0, len(a.cls.tax.Topics))
	for _, t := range a.cls.tax.Topics {
		topics = append(topics, t.Name)
	}
	var channels []string
	for _, ch := range cfg.APIKeys {
		if !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	slices.Sort(channels)
	return workbench.New(a.cases, a.catalog, workbench.WithLocation(cfg.Location), workbench.WithUnits(cfg.Units...),
		workbench.WithGrids(cfg.GridPaths()...), workbench.WithTags(a.cls.tax.Sectors, topics), workbench.WithChannels(channels...),
		workbench.WithSecureCookies(strings.HasPrefix(cfg.PublicURL, "https://")), workbench.WithLogger(a.log))
}

// drafter lets the LLM, when one is configured, draft 信息.
func drafter(cls *classifiers) []cases.Option {
	if cls.llm == nil {
		return nil
	}
	return []cases.Option{cases.WithDrafter(cls.llm)}
}

// digestBuilder builds digests from st, with the LLM's brief when one is configured.
func digestBuilder(cfg *config.Config, cls *classifiers, st *store.Store, log *slog.Logger) *digest.Builder {
	opts := []digest.Option{digest.WithUnsure(cfg.DigestUnsure), digest.WithLogger(log), digest.WithOrg(cmp.Or(cfg.OrgName, "街道党工委")),
		digest.WithLeads(st, digest.LeadRules{GroupMin: cfg.LeadGroupMin, AgedDays: cfg.LeadAgedDays})}
	if cls.llm != nil {
		opts = append(opts, digest.WithSummarizer(cls.llm))
	}
	return digest.NewBuilder(st, cls.tax.Sectors, cfg.Location, opts...)
}

// worker makes the intake queue's consumer with the configured classifiers.
func (a *app) worker(name string) *intake.Worker {
	return intake.New(a.st, a.cls.chain,
		intake.WithLogger(a.log), intake.WithConsumer(name), intake.WithScreener(a.cls.screen),
		intake.WithDeadlines(a.cases.Deadline), intake.WithUrgent(a.cases.RaiseAlert),
		intake.WithReclaimAfter(a.cfg.IntakeReclaim), intake.WithAttempts(a.cfg.IntakeAttempts),
		intake.WithDeadLetters(a.cases.RaiseDeadLetter), intake.WithMetrics(a.metrics))
}

// processor makes the inbox's processor, replying through t by a send
// scheduler configured with sending.
func (a *app) processor(t dispatch.Transport, name string, sending ...dispatch.Option) *inbox.Processor {
	return inbox.New(a.st, a.machine, a.cases, t, inbox.WithCommands(a.commands), inbox.WithLogger(a.log), inbox.WithMetrics(a.metrics),
		inbox.WithSessionTTL(a.cfg.SessionTTL), inbox.WithOwner(name), inbox.WithAdmins(a.cfg.Admins...), inbox.WithLeaseTTL(a.cfg.LeaseTTL),
		inbox.WithMessageLimit(a.cfg.MessagesPerMinute), inbox.WithSending(sending...))
}

// budget is the bot's send budget of MINYI_TELEGRAM_RATE a second, shared in
// Redis by every instance, and the chat limits Telegram asks for; with the rate
// 0, nothing holds sending back (benchmarks of the CPU alone).
func (a *app) sending() (dispatch.Budget, []dispatch.Option) {
	rate := a.cfg.TelegramRate
	budget := dispatch.SharedBudget(a.st, rate, dispatch.DefaultBurst(rate), a.log)
	opts := []dispatch.Option{dispatch.WithBudget(budget)}
	if rate > 0 {
		opts = append(opts, dispatch.WithChatLimits(dispatch.TelegramChatLimits()))
	}
	return budget, opts
}

// alerts repeats urgent alerts and sweeps retention.
func (a *app) alerts(ctx context.Context) error { return a.cases.Run(ctx, 10*time.Second) }

// drainer is work that can be asked to finish what it has in hand (Stop), and
// then returns from Run.
type drainer interface {
	Run(context.Context) error
	Stop()
}

// drained runs the processor and the queue worker past the end of ctx: when it
// ends (SIGTERM, or another task failing) they are asked to stop taking work and
// to finish what they hold, for up to grace; then they are cut off, and what is
// left waits in Redis for the next start.
func drained(log *slog.Logger, grace time.Duration, work ...drainer) func(context.Context) error {
	return func(ctx context.Context) error {
		wctx, cut := context.WithCancel(context.WithoutCancel(ctx))
		defer cut()
		var wg sync.WaitGroup
		for _, w := range work {
			wg.Go(func() { w.Run(wctx) })
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done: // they ended on their own
			return nil
		case <-ctx.Done():
		}
		began := time.Now()
		log.Info("stopping: finishing the updates in hand", "grace", grace)
		for _, w := range work {
			w.Stop()
		}
		select {
		case <-done:
			log.Info("stopped cleanly", "took", time.Since(began).Round(time.Millisecond))
		case <-time.After(grace):
			log.Warn("grace period over: stopping now; what is left stays in Redis for the next start", "grace", grace)
			cut()
			<-done
		}
		return nil
	}
}

// runAll runs fns until ctx ends or one fails, and waits for all of them.
func runAll(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// demoCommunities are offered by the console when none are configured, so that the
// whole flow can be tried at once.
var demoCommunities = []string{"阳光社区", "和平社区", "幸福里社区"}

func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	user := fs.Int64("user", 10001, "the user id to speak as")
	lang := fs.String("lang", "zh", "the client's language (zh or en)")
	demoN := fs.Int("demo", 0, "first fill the store with this many demonstration concerns over 14 days")
	files := fs.String("files", "", "where to save documents the bot sends (default: a temporary folder)")
	web := fs.String("web", "127.0.0.1:8765", "serve the staff workbench here, for /web's sign-in link (empty: not served)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	if os.Getenv("MINYI_LOG_LEVEL") == "" {
		cfg.LogLevel = slog.LevelWarn // keep the terminal for the conversation
	}
	log := logger(cfg, stderr)
	store.RouteDriverLogs(log)
	if len(cfg.Communities) == 0 {
		cfg.Communities = demoCommunities
		fmt.Fprintf(stderr, "minyi console: MINYI_COMMUNITIES is not set; offering the demo communities %v\n", demoCommunities)
	}
	var wbLn net.Listener
	if *web != "" {
		// the workbench on this machine: /web (as staff: --user one of MINYI_ADMINS)
		// prints a link to it
		if wbLn, err = net.Listen("tcp", *web); err != nil {
			fmt.Fprintf(stderr, "minyi console: the workbench is not served (%v); /web will say so\n", err)
		} else if cfg.PublicURL == "" {
			cfg.PublicURL = "http://" + wbLn.Addr().String()
		}
	}
	a, err := setup(ctx, cfg, log)
	if err != nil {
		if wbLn != nil {
			wbLn.Close()
		}
		return err
	}
	defer a.st.Close()

	interactive := false
	if f, ok := stdin.(*os.File); ok {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	if *demoN > 0 {
		if err := fillDemo(ctx, a, *demoN, 14, 1); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "minyi console: added %d demonstration concerns over the last 14 days\n", *demoN)
	}
	con := console.New(stdout, console.Interactive(interactive), console.WithUser(*user, "居民", *lang), console.WithFiles(*files))
	name := inbox.InstanceName()
	proc := a.processor(con, name)
	worker := a.worker(name)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	work := []func(context.Context) error{proc.Run, worker.Run, a.alerts}
	if wbLn != nil {
		wb, err := a.workbench()
		if err != nil {
			cancel()
			wbLn.Close()
			return fmt.Errorf("workbench: %w", err)
		}
		mux := http.NewServeMux()
		wb.Register(mux)
		work = append(work, func(ctx context.Context) error { return serveOn(ctx, wbLn, "workbench", mux) })
		fmt.Fprintf(stderr, "minyi console: the staff workbench is at %s/staff/ — as staff, send /web for a sign-in link\n", cfg.PublicURL)
	}
	wg.Go(func() { runAll(ctx, work...) })
	err = con.Run(ctx, stdin, inbox.NewWriter(a.st))
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(config.OS, *path)
	if err != nil {
		return err
	}
	if err := cfg.RequireTelegram(); err != nil {
		return err
	}
	log := logger(cfg, stderr)
	store.RouteDriverLogs(log)
	var tr *bot.Transport // made below, before anything is processed
	menus := cases.WithMenus(func(ctx context.Context, userID int64, role concern.Role) error {
		return tr.SetRoleMenu(ctx, userID, role)
	})
	side := tasks.New() // stopped below, once the work has stopped
	a, err := setup(ctx, cfg, log, menus, cases.WithTasks(side), cases.WithFiles(transportFiles{&tr}))
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(cfg.Communities) == 0 {
		log.Warn("MINYI_COMMUNITIES is empty: residents can only share a location or type an address")
	}
	if cfg.StaffChat == 0 && len(cfg.Admins) == 0 {
		log.Warn("neither MINYI_STAFF_CHAT nor MINYI_ADMINS is set: urgent alerts and digests have nowhere to go")
	}

	name := inbox.InstanceName()
	budget, sending := a.sending()
	updates := inbox.NewWriter(a.st)
	tr, err = bot.New(cfg.TelegramToken, updates, a.machine,
		bot.WithServerURL(cfg.TelegramAPIURL), bot.WithLogger(log), bot.WithBudget(budget), bot.WithStaffChat(cfg.StaffChat), bot.WithMetrics(a.metrics), bot.WithTasks(side))
	if err != nil {
		return err
	}
	if username, err := tr.Check(ctx); err != nil {
		return err
	} else {
		log.Info("connected to Telegram", "bot", username, "instance", name)
	}
	proc := a.processor(tr, name, sending...)
	worker := a.worker(name)
	work := []func(context.Context) error{a.alerts, drained(log, cfg.ShutdownGrace, proc, worker),
		// the bot's profile and menus (residents' for everyone, the admins' for them), beside
		// the work: a slow Telegram must not hold up start-up
		func(ctx context.Context) error {
			if err := tr.SetUp(ctx, bot.Profile{Description: cfg.BotDescription, DescriptionEN: cfg.BotDescriptionEN,
				ShortDescription: cfg.BotShortDescription, ShortDescriptionEN: cfg.BotShortDescriptionEN}); err != nil && ctx.Err() == nil {
				log.Warn("bot description and menus not set", "err", err)
			}
			for _, admin := range cfg.Admins {
				if err := tr.SetRoleMenu(ctx, admin, concern.RoleAdmin); err != nil && ctx.Err() == nil {
					log.Warn("admin menu not set", "admin", admin, "err", err)
				}
			}
			return nil
		}}
	if len(cfg.Open311Keys) > 0 {
		// built at start-up, not on the first platform's request, which would wait for it
		work = append(work, func(ctx context.Context) error {
			if err := a.index.Sync(ctx); err != nil && ctx.Err() == nil {
				log.Warn("the concern index is not built yet; the first Open311 request will try again", "err", err)
			}
			return nil
		})
	}
	if cfg.DebugAddr != "" {
		ln, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("MINYI_DEBUG_ADDR: %w", err)
		}
		work = append(work, func(ctx context.Context) error { return serveOn(ctx, ln, "debug server", debugMux(a.st)) })
		log.Info("profiles and Redis traffic served", "addr", cfg.DebugAddr)
	}

	// health, readiness and metrics always; the webhook when updates come that way
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", a.ready(worker))
	mux.Handle("GET /metrics", a.metrics.Handler())
	a.api().Register(mux)
	wb, err := a.workbench()
	if err != nil {
		return fmt.Errorf("workbench: %w", err)
	}
	wb.Register(mux)
	if cfg.PublicURL != "" {
		log.Info("the workbench is served", "url", cfg.PublicURL+"/staff/", "listen", cfg.HTTPAddr)
	}
	if cfg.WebhookURL != "" {
		h, err := tr.WebhookHandler(cfg.WebhookSecret)
		if err != nil {
			return err
		}
		u, _ := url.Parse(cfg.WebhookURL) // validated by config
		mux.Handle("POST "+cmp.Or(u.EscapedPath(), "/"), h)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("MINYI_HTTP_ADDR: %w", err)
	}
	work = append(work, func(ctx context.Context) error { return serveOn(ctx, ln, "HTTP server", mux) })
	log.Info("serving /healthz, /readyz and /metrics", "listen", ln.Addr().String())
	if cfg.WebhookURL != "" {
		if err := tr.SetWebhook(ctx, cfg.WebhookURL, cfg.WebhookSecret); err != nil {
			ln.Close()
			return err
		}
		log.Info("receiving updates by webhook", "url", cfg.WebhookURL, "listen", cfg.HTTPAddr)
	} else {
		if err := tr.DeleteWebhook(ctx); err != nil {
			ln.Close()
			return err
		}
		log.Info("receiving updates by long polling")
		work = append(work, func(ctx context.Context) error {
			return whileLeased(ctx, log, a.st.LeasePoller, a.st.ReleasePoller, name, cfg.LeaseTTL, tr.Poll)
		})
	}
	err = runAll(ctx, work...)
	// what was started on the side (menus, busy notices) finishes or is cut off,
	// then the connections to Telegram are closed
	side.Stop(5 * time.Second)
	updates.Wait()
	a.events.Wait()
	tr.Close()
	return err
}

// api makes the intake and Open311 APIs.
func (a *app) api() *api.API {
	grids := map[string][]string{}
	for _, c := range a.cfg.Communities {
		grids[c] = nil
	}
	for _, c := range a.cfg.Grids {
		grids[c.Name] = c.Grids
	}
	return api.New(a.st, a.cases, a.cls.tax, api.Config{
		IntakeKeys: a.cfg.APIKeys, Open311Keys: a.cfg.Open311Keys, Grids: grids, Location: a.cfg.Location,
		Retention: time.Duration(a.cfg.RetentionDays) * 24 * time.Hour, Agency: cmp.Or(a.cfg.OrgName, "街道党工委"),
		IntakeRate: a.cfg.APIRate, IntakeBurst: a.cfg.APIBurst, Open311Rate: a.cfg.Open311Rate, Open311Burst: a.cfg.Open311Burst,
	}, api.WithLogger(a.log), api.WithMetrics(a.metrics), api.WithIndex(a.index))
}

// ready answers whether this instance can do its work: Redis answers, and the
// intake queue's consumer is reading it.
func (a *app) ready(worker *intake.Worker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		redisOK := a.st.Ping(ctx) == nil
		consuming := worker.Consuming()
		w.Header().Set("Content-Type", "application/json")
		if !redisOK || !consuming {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintf(w, `{"ready":%t,"redis":%t,"queue_consumer":%t}`+"\n", redisOK && consuming, redisOK, consuming)
	}
}

// debugMux serves CPU and memory profiles, and the Redis traffic so far, for
// measuring minyi under load. It is for a private address only.
func debugMux(st *store.Store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/traffic", func(w http.ResponseWriter, _ *http.Request) {
		trips, commands := st.Traffic()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"redis_round_trips":%d,"redis_commands":%d}`, trips, commands)
	})
	return mux
}

// serveOn serves h on ln until ctx ends, then shuts down within 10 s.
func serveOn(ctx context.Context, ln net.Listener, what string, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	stopped := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		cancel()
		<-stopped
		return fmt.Errorf("%s: %w", what, err)
	}
	<-stopped // Shutdown returns once the requests in hand are answered
	return nil
}

// whileLeased runs fn only while this instance holds the lease, since Telegram
// allows one poller per bot; other instances wait to take over.
func whileLeased(ctx context.Context, log *slog.Logger,
	take func(context.Context, string, time.Duration) (bool, error),
	release func(context.Context, string) error,
	owner string, ttl time.Duration, fn func(context.Context) error,
) error {
	for ctx.Err() == nil {
		taken := time.Now()
		ok, err := take(ctx, owner, ttl)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				log.Warn("poller lease", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(ttl / 3):
			}
			continue
		}
		// polling stops when the lease is lost or goes unconfirmed for its TTL: by
		// then another instance may be polling
		held, stop := lease.Hold(ctx, taken, ttl, func(ctx context.Context, ttl time.Duration) (bool, error) {
			return take(ctx, owner, ttl)
		})
		err = fn(held)
		cause := context.Cause(held)
		stop()
		if ctx.Err() == nil && !errors.Is(cause, context.Canceled) {
			log.Warn("polling stopped", "why", cause)
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		release(rctx, owner)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
