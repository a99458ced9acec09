// Package config loads minyi's configuration from environment variables (MINYI_…)
// over an optional YAML file, and validates it with messages naming the setting.
// Secrets can also be read from files named by …_FILE variables.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/minyi-project/minyi/concern"
)

// Config is minyi's configuration.
type Config struct {
	TelegramToken  string
	TelegramAPIURL string
	// TelegramRate caps messages sent per second (0: no cap).
	TelegramRate float64
	RedisURL     string
	Shards       int
	HTTPAddr     string
	// DebugAddr, when set, serves CPU and memory profiles and Redis traffic figures.
	DebugAddr  string
	WebhookURL string
	// PublicURL is where staff reach the workbench from outside (behind the
	// reverse proxy); sign-in links point there.
	PublicURL     string
	WebhookSecret string
	OrgName       string
	OrgNameEN     string
	Communities   []string
	// Units are the units (承办单位) concerns are referred to, offered as buttons
	// on a concern's card (any other can still be typed).
	Units      []string
	FlowExpiry time.Duration
	// FlowsDir holds flow definitions that add to or replace the built-in flows.
	FlowsDir   string
	SessionTTL time.Duration
	Timezone   string
	Location   *time.Location
	Admins     []int64
	LogLevel   slog.Level
	LogFormat  string

	// Taxonomy is a YAML file replacing the built-in taxonomy.
	Taxonomy string
	// ClassifyOrder lists the classifiers to ask, in order; the lexicon ends it.
	ClassifyOrder    []string
	ClassifyModel    string
	ClassifyFallback string
	ModelThreshold   float64
	LLMBaseURL       string
	LLMModel         string
	LLMAPIKey        string
	LLMTimeout       time.Duration
	LLMRetries       int
	LLMJSONMode      bool
	LLMThreshold     float64

	// Grids is the hierarchy below the sub-district: community → its grids, in order.
	Grids []Community
	// StaffChat is the staff group's chat id, where urgent alerts go (0: to admins).
	StaffChat int64
	// ServiceLevels gives each level ("urgent", "utility", "general", "complex") its time.
	ServiceLevels map[string]time.Duration
	AlertRepeat   time.Duration
	// AlertEscalate is how long an urgent alert may go unacknowledged in the staff
	// chat before it also goes to each admin privately (and again every AlertRepeat).
	AlertEscalate time.Duration
	// AlertStorm is how many urgent alerts a minute one channel raises one by one.
	AlertStorm int
	// EmergencyNumbers replaces some of the national emergency numbers the advice
	// in an urgent receipt names (service → number; flows has the defaults).
	EmergencyNumbers map[string]string
	// DutyPhone is the office's own duty phone, said in that advice when set.
	DutyPhone     string
	RetentionDays int
	// DigestAt is the time of day the previous day's digest goes out.
	DigestAt time.Duration
	// DigestChats get the scheduled digest (default: the staff chat, else the admins).
	DigestChats []int64
	// DigestUnsure is the confidence under which a tag awaits a person (待人工核定).
	DigestUnsure float64
	// LeadGroupMin is how many concerns a 共性问题 group needs to be a 待研判线索
	// when no 信息 has reported it; LeadAgedDays how old an urgent or sensitive
	// concern must be to be one.
	LeadGroupMin, LeadAgedDays int
	// IntakeReclaim is how long a queued concern may wait with a consumer that
	// does not acknowledge it before another takes it over.
	IntakeReclaim time.Duration
	// LeaseTTL is how long an instance's hold on chats (and on polling) lasts
	// unrenewed: after a crash, others (or its restart) wait this long to take over.
	LeaseTTL time.Duration
	// IntakeAttempts is how many failed attempts move a queued concern to the dead letters.
	IntakeAttempts int
	// ConcernsPerDay and MessagesPerMinute limit what one user may send (0: no limit).
	ConcernsPerDay    int
	MessagesPerMinute int

	// APIKeys gives each other intake channel (hotline, web form…) its key: key → channel.
	APIKeys map[string]string
	// Open311Keys gives each platform that reads concerns its key: key → its name.
	Open311Keys map[string]string
	// APIRate and APIBurst limit each intake channel's submissions, Open311Rate and
	// Open311Burst each Open311 key's requests: a bucket of Burst refilled at Rate
	// a second (Rate 0: no limit).
	APIRate, Open311Rate   float64
	APIBurst, Open311Burst int
	// The bot's description (shown before a chat starts) and short description
	// (on its profile), set on Telegram at start-up, in zh and en.
	BotDescription, BotDescriptionEN           string
	BotShortDescription, BotShortDescriptionEN string
	// ShutdownGrace is how long a stopping instance may take to finish what is in hand.
	ShutdownGrace time.Duration
}

var (
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,31}$`)
	keyPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{24,256}$`)
	// the channels minyi names itself
	reservedChannels = map[string]bool{concern.ChannelTelegram: true, concern.ChannelConsole: true, "grid": true, "event": true}
)

// textSetting is a text of at most limit characters (Telegram's), with a default.
func textSetting(env, key string, limit int, field func(*Config) *string, def string) setting {
	return setting{env: env, key: key, def: def, apply: func(c *Config, v string) error {
		if n := utf8.RuneCountInString(v); n > limit {
			return fmt.Errorf("is %d characters; Telegram takes at most %d", n, limit)
		}
		*field(c) = v
		return nil
	}}
}

// parseKeys reads "name=key,name=key" into key → name. Channel names (for the
// intake API) must be short lowercase words not used by minyi itself.
func parseKeys(v string, channels bool) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	names := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		name, key, ok := strings.Cut(strings.TrimSpace(part), "=")
		name, key = strings.TrimSpace(name), strings.TrimSpace(key)
		switch {
		case !ok || name == "":
			return nil, errors.New("must be name=key pairs separated by commas, such as hotline=Kx7…,webform=Qp2…")
		case channels && (!channelPattern.MatchString(name) || reservedChannels[name]):
			return nil, fmt.Errorf("channel %q: must be 2–32 lowercase letters, digits, _ or -, starting with a letter, and not telegram, console, grid or event", name)
		case !keyPattern.MatchString(key):
			return nil, fmt.Errorf("the key of %q must be 24–256 characters of A–Z, a–z, 0–9, _ and - (for instance: openssl rand -hex 24)", name)
		case names[name]:
			return nil, fmt.Errorf("%q is named twice", name)
		case out[key] != "":
			return nil, fmt.Errorf("%q and %q have the same key: give each its own", out[key], name)
		}
		names[name] = true
		out[key] = name
	}
	return out, nil
}

// Community is a 社区 and its 网格.
type Community struct {
	Name  string
	Grids []string
}

// GridPaths lists every grid as "社区/网格".
func (c *Config) GridPaths() []string {
	var out []string
	for _, cm := range c.Grids {
		for _, g := range cm.Grids {
			out = append(out, cm.Name+"/"+g)
		}
	}
	return out
}

// setting is one configuration value: its variable, its key in the file and how it applies.
type setting struct {
	env    string
	key    string
	secret bool
	def    string
	apply  func(c *Config, v string) error
}

var settings = []setting{
	{env: "MINYI_TELEGRAM_TOKEN", key: "telegram.token", secret: true, apply: func(c *Config, v string) error {
		if v != "" && !tokenPattern.MatchString(v) {
			return errors.New("is not a bot token (it looks like 123456789:AAH…, from @BotFather)")
		}
		c.TelegramToken = v
		return nil
	}},
	{env: "MINYI_TELEGRAM_API_URL", key: "telegram.api_url", def: "https://api.telegram.org", apply: func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("must be an http(s) URL such as https://api.telegram.org")
		}
		c.TelegramAPIURL = strings.TrimRight(v, "/")
		return nil
	}},
	{env: "MINYI_TELEGRAM_RATE", key: "telegram.rate", def: "25", apply: func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return errors.New("must be messages per second, 0 or more (0: no cap)")
		}
		c.TelegramRate = f
		return nil
	}},
	{env: "MINYI_REDIS_URL", key: "redis.url", secret: true, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			return errors.New("must be a redis://, rediss:// or unix:// URL")
		}
		c.RedisURL = v
		return nil
	}},
	{env: "MINYI_SHARDS", key: "redis.shards", def: "16", apply: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return errors.New("must be a whole number from 1 to 1024")
		}
		c.Shards = n
		return nil
	}},
	{env: "MINYI_HTTP_ADDR", key: "http.addr", def: ":8080", apply: func(c *Config, v string) error {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return errors.New("must be host:port or :port, such as :8080")
		}
		c.HTTPAddr = v
		return nil
	}},
	{env: "MINYI_DEBUG_ADDR", key: "http.debug_addr", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return errors.New("must be host:port, such as 127.0.0.1:6060 (keep it off public addresses)")
		}
		c.DebugAddr = v
		return nil
	}},
	{env: "MINYI_PUBLIC_URL", key: "public_url", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("must be the workbench's outside address, such as https://minyi.example.org")
		}
		local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"
		if u.Scheme != "https" && !(u.Scheme == "http" && local) {
			return errors.New("must be https: sign-in links and session cookies must not travel in the clear")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{env: "MINYI_WEBHOOK_URL", key: "webhook.url", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return errors.New("must be a URL such as https://minyi.example.org/telegram")
		}
		local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"
		if u.Scheme != "https" && !(u.Scheme == "http" && local) {
			return errors.New("must be https (Telegram only posts to https)")
		}
		c.WebhookURL = v
		return nil
	}},
	{env: "MINYI_WEBHOOK_SECRET", key: "webhook.secret", secret: true, apply: func(c *Config, v string) error {
		if v != "" && !secretPattern.MatchString(v) {
			return errors.New("must be 1–256 characters of A–Z, a–z, 0–9, _ and -")
		}
		c.WebhookSecret = v
		return nil
	}},
	{env: "MINYI_API_KEYS", key: "api.keys", secret: true, apply: func(c *Config, v string) error {
		keys, err := parseKeys(v, true)
		c.APIKeys = keys
		return err
	}},
	{env: "MINYI_OPEN311_KEYS", key: "open311.keys", secret: true, apply: func(c *Config, v string) error {
		keys, err := parseKeys(v, false)
		c.Open311Keys = keys
		return err
	}},
	{env: "MINYI_ORG_NAME", key: "org_name", apply: func(c *Config, v string) error { c.OrgName = v; return nil }},
	{env: "MINYI_ORG_NAME_EN", key: "org_name_en", apply: func(c *Config, v string) error { c.OrgNameEN = v; return nil }},
	{env: "MINYI_UNITS", key: "units", apply: func(c *Config, v string) error {
		// a unit travels in a card button's data, after the concern's id
		units, err := buttonNames(v, true)
		if err == nil && len(units) > 12 {
			err = errors.New("more than 12 units do not fit as buttons on a card; type the others with /assign")
		}
		c.Units = units
		return err
	}},
	{env: "MINYI_COMMUNITIES", key: "communities", apply: func(c *Config, v string) error {
		// readable on a button; flows checks that its data fits too
		communities, err := buttonNames(v, false)
		if err == nil && len(communities) > 60 {
			err = errors.New("more than 60 communities do not fit as buttons")
		}
		c.Communities = communities
		return err
	}},
	textSetting("MINYI_BOT_DESCRIPTION", "bot.description", 512, func(c *Config) *string { return &c.BotDescription },
		"您好！这里是街道“民意”诉求受理服务。您可以在这里反映身边的问题、意见和建议，工作人员会受理并在这里答复您。点【开始】即可。"),
	textSetting("MINYI_BOT_DESCRIPTION_EN", "bot.description_en", 512, func(c *Config) *string { return &c.BotDescriptionEN },
		"Hello! This is the sub-district office's public-opinion service. Report a problem, a concern or a suggestion here; staff will handle it and answer you in this chat. Press Start to begin."),
	textSetting("MINYI_BOT_SHORT_DESCRIPTION", "bot.short_description", 120, func(c *Config) *string { return &c.BotShortDescription },
		"街道民意诉求受理：反映问题、提出建议，办理进展在此答复。"),
	textSetting("MINYI_BOT_SHORT_DESCRIPTION_EN", "bot.short_description_en", 120, func(c *Config) *string { return &c.BotShortDescriptionEN },
		"Report concerns to the sub-district office and hear back here."),
	{env: "MINYI_SHUTDOWN_GRACE", key: "shutdown_grace", def: "20s", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 10*time.Minute {
			return errors.New("must be a duration from 1s to 10m, such as 20s")
		}
		c.ShutdownGrace = d
		return nil
	}},
	{env: "MINYI_FLOW_EXPIRY", key: "flow_expiry", def: "30m", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return errors.New("must be a duration from 1m to 24h, such as 30m")
		}
		c.FlowExpiry = d
		return nil
	}},
	{env: "MINYI_FLOWS_DIR", key: "flows.dir", apply: func(c *Config, v string) error {
		if v == "" {
			return nil // the built-in flows only
		}
		st, err := os.Stat(v)
		if err != nil || !st.IsDir() {
			return fmt.Errorf("%q is not a directory: name the directory that holds the flows' *.yaml files", v)
		}
		c.FlowsDir = v
		return nil
	}},
	{env: "MINYI_SESSION_TTL", key: "session_ttl", def: "720h", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return errors.New("must be a duration of at least 1h, such as 720h")
		}
		c.SessionTTL = d
		return nil
	}},
	{env: "MINYI_TIMEZONE", key: "timezone", def: "Asia/Shanghai", apply: func(c *Config, v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return errors.New("is not a known time zone such as Asia/Shanghai")
		}
		c.Timezone, c.Location = v, loc
		return nil
	}},
	{env: "MINYI_ADMINS", key: "admins", apply: func(c *Config, v string) error {
		c.Admins = nil
		for _, s := range splitList(v) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a Telegram user id (a positive number)", s)
			}
			c.Admins = append(c.Admins, id)
		}
		return nil
	}},
	{env: "MINYI_TAXONOMY", key: "classify.taxonomy", apply: func(c *Config, v string) error { c.Taxonomy = v; return nil }},
	{env: "MINYI_CLASSIFY_ORDER", key: "classify.order", apply: func(c *Config, v string) error {
		c.ClassifyOrder = nil
		seen := map[string]bool{}
		for _, name := range splitList(v) {
			if name != "llm" && name != "model" && name != "lexicon" {
				return fmt.Errorf("%q is not a classifier (llm, model, lexicon)", name)
			}
			if seen[name] {
				return fmt.Errorf("%q is listed twice", name)
			}
			seen[name] = true
			c.ClassifyOrder = append(c.ClassifyOrder, name)
		}
		if len(c.ClassifyOrder) > 0 && c.ClassifyOrder[len(c.ClassifyOrder)-1] != "lexicon" {
			return errors.New("must end with lexicon, which always answers, so that no concern is left untagged")
		}
		return nil
	}},
	{env: "MINYI_CLASSIFY_MODEL", key: "classify.model", apply: func(c *Config, v string) error { c.ClassifyModel = v; return nil }},
	{env: "MINYI_CLASSIFY_FALLBACK", key: "classify.fallback", def: "城乡建设", apply: func(c *Config, v string) error {
		c.ClassifyFallback = v
		return nil
	}},
	{env: "MINYI_MODEL_THRESHOLD", key: "classify.model_threshold", def: "0.3", apply: func(c *Config, v string) error {
		return parseUnit(v, &c.ModelThreshold)
	}},
	{env: "MINYI_LLM_BASE_URL", key: "llm.base_url", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("must be an http(s) URL such as https://dashscope.aliyuncs.com/compatible-mode/v1")
		}
		c.LLMBaseURL = v
		return nil
	}},
	{env: "MINYI_LLM_MODEL", key: "llm.model", apply: func(c *Config, v string) error { c.LLMModel = v; return nil }},
	{env: "MINYI_LLM_API_KEY", key: "llm.api_key", secret: true, apply: func(c *Config, v string) error { c.LLMAPIKey = v; return nil }},
	{env: "MINYI_LLM_TIMEOUT", key: "llm.timeout", def: "15s", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > 5*time.Minute {
			return errors.New("must be a duration from 100ms to 5m, such as 15s")
		}
		c.LLMTimeout = d
		return nil
	}},
	{env: "MINYI_LLM_RETRIES", key: "llm.retries", def: "2", apply: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			return errors.New("must be a whole number from 0 to 10")
		}
		c.LLMRetries = n
		return nil
	}},
	{env: "MINYI_LLM_JSON_MODE", key: "llm.json_mode", def: "true", apply: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.LLMJSONMode = b
		return nil
	}},
	{env: "MINYI_LLM_THRESHOLD", key: "llm.threshold", def: "0.5", apply: func(c *Config, v string) error {
		return parseUnit(v, &c.LLMThreshold)
	}},
	{env: "MINYI_GRIDS", key: "grids", apply: func(c *Config, v string) error {
		c.Grids = nil
		seen := map[string]bool{}
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' }) {
			name, grids, ok := strings.Cut(part, ":")
			if !ok {
				name, grids, ok = strings.Cut(part, "：")
			}
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				return fmt.Errorf("%q should be 社区:网格,网格", strings.TrimSpace(part))
			}
			cm := Community{Name: name}
			for _, g := range splitList(grids) {
				path := name + "/" + g
				switch {
				case seen[path]:
					return fmt.Errorf("%q is listed twice", path)
				case len(path) > 45: // readable on a button; flows checks that its data fits too
					return fmt.Errorf("%q is too long for a button (45 bytes)", path)
				case strings.ContainsAny(g, "/:"):
					return fmt.Errorf("grid %q may not hold / or :", g)
				}
				seen[path] = true
				cm.Grids = append(cm.Grids, g)
			}
			if len(cm.Grids) == 0 {
				return fmt.Errorf("community %q has no grids", name)
			}
			c.Grids = append(c.Grids, cm)
		}
		return nil
	}},
	{env: "MINYI_STAFF_CHAT", key: "staff_chat", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 {
			return errors.New("must be the staff group's chat id (a number, negative for groups)")
		}
		c.StaffChat = id
		return nil
	}},
	{env: "MINYI_SERVICE_LEVELS", key: "service_levels", def: "urgent=2h,utility=24h,general=168h,complex=360h", apply: func(c *Config, v string) error {
		c.ServiceLevels = map[string]time.Duration{}
		for _, kv := range splitList(v) {
			k, d, ok := strings.Cut(kv, "=")
			dur, err := time.ParseDuration(strings.TrimSpace(d))
			k = strings.TrimSpace(k)
			if !ok || err != nil || dur <= 0 {
				return fmt.Errorf("%q should be LEVEL=DURATION, such as general=168h", kv)
			}
			if k != "urgent" && k != "utility" && k != "general" && k != "complex" {
				return fmt.Errorf("%q is not a level (urgent, utility, general, complex)", k)
			}
			c.ServiceLevels[k] = dur
		}
		for _, k := range []string{"urgent", "utility", "general", "complex"} {
			if c.ServiceLevels[k] == 0 {
				return fmt.Errorf("gives no time for %s", k)
			}
		}
		return nil
	}},
	{env: "MINYI_ALERT_REPEAT", key: "alert_repeat", def: "15m", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return errors.New("must be a duration of at least 1m, such as 15m")
		}
		c.AlertRepeat = d
		return nil
	}},
	{env: "MINYI_ALERT_ESCALATE", key: "alert_escalate", def: "10m", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return errors.New("must be a duration from 1m to 24h, such as 10m")
		}
		c.AlertEscalate = d
		return nil
	}},
	{env: "MINYI_ALERT_STORM", key: "alert_storm", def: "5", apply: func(c *Config, v string) error {
		return parseCount(v, 0, &c.AlertStorm)
	}},
	{env: "MINYI_EMERGENCY_NUMBERS", key: "emergency_numbers", apply: func(c *Config, v string) error {
		numbers, err := parseNumbers(v)
		c.EmergencyNumbers = numbers
		return err
	}},
	{env: "MINYI_DUTY_PHONE", key: "duty_phone", apply: func(c *Config, v string) error {
		if v != "" && !phonePattern.MatchString(v) {
			return errors.New("must be a phone number such as 0731-88886666 (digits, spaces, -, + and brackets)")
		}
		c.DutyPhone = v
		return nil
	}},
	{env: "MINYI_RETENTION_DAYS", key: "retention_days", def: "1095", apply: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 30 {
			return errors.New("must be a whole number of days, 30 or more")
		}
		c.RetentionDays = n
		return nil
	}},
	{env: "MINYI_DIGEST_AT", key: "digest.at", def: "08:00", apply: func(c *Config, v string) error {
		t, err := time.Parse("15:04", v)
		if err != nil {
			return errors.New("must be a time of day such as 08:00")
		}
		c.DigestAt = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		return nil
	}},
	{env: "MINYI_DIGEST_CHATS", key: "digest.chats", apply: func(c *Config, v string) error {
		c.DigestChats = nil
		for _, s := range splitList(v) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a chat id", s)
			}
			c.DigestChats = append(c.DigestChats, id)
		}
		return nil
	}},
	{env: "MINYI_DIGEST_UNSURE", key: "digest.unsure", def: "0.3", apply: func(c *Config, v string) error {
		return parseUnit(v, &c.DigestUnsure)
	}},
	{env: "MINYI_LEAD_GROUP_MIN", key: "digest.lead_group_min", def: "3", apply: func(c *Config, v string) error {
		return parseCount(v, 2, &c.LeadGroupMin)
	}},
	{env: "MINYI_LEAD_AGED_DAYS", key: "digest.lead_aged_days", def: "3", apply: func(c *Config, v string) error {
		return parseCount(v, 1, &c.LeadAgedDays)
	}},
	{env: "MINYI_INTAKE_RECLAIM", key: "intake.reclaim", def: "1m", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return errors.New("must be a duration of at least 1s, such as 1m")
		}
		c.IntakeReclaim = d
		return nil
	}},
	{env: "MINYI_LEASE_TTL", key: "redis.lease_ttl", def: "15s", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 10*time.Minute {
			return errors.New("must be a duration from 1s to 10m, such as 15s")
		}
		c.LeaseTTL = d
		return nil
	}},
	{env: "MINYI_INTAKE_ATTEMPTS", key: "intake.attempts", def: "5", apply: func(c *Config, v string) error {
		return parseCount(v, 1, &c.IntakeAttempts)
	}},
	{env: "MINYI_LIMIT_CONCERNS_PER_DAY", key: "limits.concerns_per_day", def: "10", apply: func(c *Config, v string) error {
		return parseCount(v, 0, &c.ConcernsPerDay)
	}},
	{env: "MINYI_LIMIT_MESSAGES_PER_MINUTE", key: "limits.messages_per_minute", def: "30", apply: func(c *Config, v string) error {
		return parseCount(v, 0, &c.MessagesPerMinute)
	}},
	// The keyed APIs' limits are set where a hotline never reaches them and a flood
	// does at once. A hotline centre forwards a sub-district's concerns as they come,
	// a few hundred on its worst day, and a batch of an hour's backlog after an
	// outage of its own: 1 a second with 60 at once takes both (86,400 a day),
	// while a key posting 3,000 in a second (as in issue 13) gets 60 in and the rest
	// refused. An Open311 platform pulls a page every few minutes, or all of 90
	// days once at page_size 1000 (tens of pages): 5 a second with 20 at once takes
	// that in seconds, and stops one client from keeping minyi busy.
	{env: "MINYI_API_RATE", key: "api.rate", def: "1/s", apply: func(c *Config, v string) error {
		return parseRate(v, &c.APIRate)
	}},
	{env: "MINYI_API_BURST", key: "api.burst", def: "60", apply: func(c *Config, v string) error {
		return parseBurst(v, &c.APIBurst)
	}},
	{env: "MINYI_OPEN311_RATE", key: "open311.rate", def: "5/s", apply: func(c *Config, v string) error {
		return parseRate(v, &c.Open311Rate)
	}},
	{env: "MINYI_OPEN311_BURST", key: "open311.burst", def: "20", apply: func(c *Config, v string) error {
		return parseBurst(v, &c.Open311Burst)
	}},
	{env: "MINYI_LOG_LEVEL", key: "log.level", def: "info", apply: func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{env: "MINYI_LOG_FORMAT", key: "log.format", def: "text", apply: func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
}

var (
	tokenPattern  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	// a number to call: 110, 95598, 0731-88886666, +86 731 8888 6666, (0731) 88886666
	phonePattern = regexp.MustCompile(`^\+?[0-9(][0-9 ()-]{1,28}[0-9]$`)
)

// emergencyServices are the services advice names a number for (flows.EmergencyServices).
func emergencyServices() []string {
	return []string{"fire", "medical", "police", "traffic", "gas", "power", "crisis"}
}

// parseNumbers reads "service=number,…" into service → number. Gas and crisis
// may be left empty: advice then says where to find the number (gas has no
// national line).
func parseNumbers(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range splitList(v) {
		name, number, ok := strings.Cut(part, "=")
		name, number = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(number)
		known := false
		for _, s := range emergencyServices() {
			known = known || s == name
		}
		switch {
		case !ok:
			return nil, fmt.Errorf("%q should be SERVICE=NUMBER, such as gas=96777", part)
		case !known:
			return nil, fmt.Errorf("%q is not a service (%s)", name, strings.Join(emergencyServices(), ", "))
		case hasKey(out, name):
			return nil, fmt.Errorf("%q is given twice", name)
		case number == "" && name != "gas" && name != "crisis":
			return nil, fmt.Errorf("%s needs a number (only gas and crisis may be left empty)", name)
		case number != "" && !phonePattern.MatchString(number):
			return nil, fmt.Errorf("%s=%q is not a phone number", name, number)
		}
		out[name] = number
	}
	return out, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// parseRate reads a rate as N/s, N/m or N/h into a rate a second; 0 is no limit.
func parseRate(v string, to *float64) error {
	bad := errors.New("must be a rate such as 1/s, 30/m or 100/h (0: no limit)")
	if v == "0" {
		*to = 0
		return nil
	}
	n, unit, ok := strings.Cut(v, "/")
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[strings.TrimSpace(unit)]
	f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if !ok || per == 0 || err != nil || f < 0 || f > 1e6 || math.IsNaN(f) {
		return bad
	}
	*to = f / per
	return nil
}

// parseBurst reads how many requests a bucket holds.
func parseBurst(v string, to *int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100000 {
		return errors.New("must be a whole number from 1 to 100000 (to turn the limit off, set its rate to 0)")
	}
	*to = n
	return nil
}

// parseCount reads a whole number of at least least.
func parseCount(v string, least int, to *int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		return fmt.Errorf("must be a whole number, %d or more", least)
	}
	*to = n
	return nil
}

// parseUnit reads a number from 0 to 1.
func parseUnit(v string, to *float64) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		return errors.New("must be a number from 0 to 1")
	}
	*to = f
	return nil
}

// Classifiers is the order of classifiers to run: as configured, or by default the
// LLM if configured, then the model if configured, then the lexicon.
func (c *Config) Classifiers() []string {
	if len(c.ClassifyOrder) > 0 {
		return c.ClassifyOrder
	}
	var order []string
	if c.LLMBaseURL != "" {
		order = append(order, "llm")
	}
	if c.ClassifyModel != "" {
		order = append(order, "model")
	}
	return append(order, "lexicon")
}

// splitList splits a comma-separated list, accepting Chinese commas too.
// buttonNames reads a list of names that are shown on buttons: each at most 40
// bytes, none twice, and (noColon) none holding a ':', which a button's data cannot.
func buttonNames(v string, noColon bool) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, name := range splitList(v) {
		switch {
		case len(name) > 40:
			return nil, fmt.Errorf("%q is too long for a button (40 bytes, about 13 Chinese characters)", name)
		case noColon && strings.Contains(name, ":"):
			return nil, fmt.Errorf("%q holds a ':', which a button's data cannot", name)
		case seen[name]:
			return nil, fmt.Errorf("%q is listed twice", name)
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Env reads variables and files; tests pass their own.
type Env struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// OS is the process's own environment and file system.
var OS = Env{Getenv: os.Getenv, ReadFile: os.ReadFile}

// Load reads the file at path (none when empty), then the environment over it, and
// validates the result. All problems are reported at once, each naming its setting.
func Load(env Env, path string) (*Config, error) {
	values := map[string]string{}
	where := map[string]string{}
	var errs []error
	if path != "" {
		raw, err := env.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		file, err := flatten(raw)
		if err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		// grids is a map of community → grids; it arrives flattened as grids.社区 keys
		var gridParts []string
		for k, v := range file {
			if name, ok := strings.CutPrefix(k, "grids."); ok {
				gridParts = append(gridParts, name+":"+v)
				delete(file, k)
			}
		}
		if len(gridParts) > 0 {
			sort.Strings(gridParts)
			file["grids"] = strings.Join(gridParts, ";")
		}
		known := map[string]bool{}
		for _, s := range settings {
			known[s.key] = true
			if s.secret {
				known[s.key+"_file"] = true
			}
		}
		var unknown []string
		for k := range file {
			if !known[k] {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", path, k))
		}
		for _, s := range settings {
			if v, ok := file[s.key]; ok {
				values[s.key], where[s.key] = v, fmt.Sprintf("%s in %s", s.key, path)
			}
			if v, ok := file[s.key+"_file"]; ok && s.secret {
				errs = append(errs, readSecret(env, values, where, s, v, fmt.Sprintf("%s_file in %s", s.key, path))...)
			}
		}
	}
	for _, s := range settings {
		v, fileVar := env.Getenv(s.env), env.Getenv(s.env+"_FILE")
		switch {
		case v != "" && fileVar != "" && s.secret:
			errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: keep one", s.env, s.env))
		case fileVar != "" && s.secret:
			errs = append(errs, readSecret(env, values, where, s, fileVar, s.env+"_FILE")...)
		case v != "":
			values[s.key], where[s.key] = v, s.env
		}
	}
	c := &Config{}
	for _, s := range settings {
		v, ok := values[s.key]
		if !ok {
			v, where[s.key] = s.def, s.env
		}
		if err := s.apply(c, strings.TrimSpace(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where[s.key], err))
		}
	}
	if len(c.Communities) == 0 {
		for _, cm := range c.Grids {
			c.Communities = append(c.Communities, cm.Name)
		}
	}
	if (c.LLMBaseURL == "") != (c.LLMModel == "") {
		errs = append(errs, errors.New("MINYI_LLM_BASE_URL and MINYI_LLM_MODEL: set both to use an LLM, or neither"))
	}
	for _, name := range c.ClassifyOrder {
		switch {
		case name == "llm" && c.LLMBaseURL == "":
			errs = append(errs, errors.New("MINYI_CLASSIFY_ORDER: lists llm, but MINYI_LLM_BASE_URL is not set"))
		case name == "model" && c.ClassifyModel == "":
			errs = append(errs, errors.New("MINYI_CLASSIFY_ORDER: lists model, but MINYI_CLASSIFY_MODEL is not set"))
		}
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		errs = append(errs, errors.New("MINYI_WEBHOOK_SECRET: must be set with MINYI_WEBHOOK_URL, so that only Telegram can post updates"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func readSecret(env Env, values, where map[string]string, s setting, file, from string) []error {
	b, err := env.ReadFile(file)
	if err != nil {
		return []error{fmt.Errorf("%s: cannot read %s: %w", from, file, errors.Unwrap(err))}
	}
	values[s.key], where[s.key] = strings.TrimSpace(string(b)), fmt.Sprintf("%s (%s)", from, file)
	return nil
}

// flatten turns a YAML document into "section.key" → value; lists become comma-joined.
func flatten(raw []byte) (map[string]string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		switch t := v.(type) {
		case map[string]any:
			for k, sub := range t {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				if err := walk(name, sub); err != nil {
					return err
				}
			}
		case []any:
			var parts []string
			for _, item := range t {
				s := fmt.Sprint(item)
				if strings.ContainsAny(s, ",，、") {
					return fmt.Errorf("%s: %q holds a comma", prefix, s)
				}
				parts = append(parts, s)
			}
			out[prefix] = strings.Join(parts, ",")
		case nil:
			out[prefix] = ""
		default:
			out[prefix] = fmt.Sprint(t)
		}
		return nil
	}
	return out, walk("", doc)
}

// RequireTelegram reports what is missing to talk to Telegram.
func (c *Config) RequireTelegram() error {
	if c.TelegramToken == "" {
		return errors.New("MINYI_TELEGRAM_TOKEN (or MINYI_TELEGRAM_TOKEN_FILE) is not set: create a bot with @BotFather and put its token there; `minyi console` needs none")
	}
	return nil
}
