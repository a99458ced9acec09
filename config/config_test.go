package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func env(vars map[string]string, files map[string]string) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		ReadFile: func(name string) ([]byte, error) {
			if v, ok := files[name]; ok {
				return []byte(v), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "https://api.telegram.org" || c.HTTPAddr != ":8080" || c.FlowExpiry != 30*time.Minute ||
		c.Timezone != "Asia/Shanghai" || c.Shards != 16 || c.RedisURL != "" || c.TelegramRate != 25 ||
		c.DigestAt != 8*time.Hour || c.DigestUnsure != 0.3 || len(c.DigestChats) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.RequireTelegram(); err == nil || !strings.Contains(err.Error(), "MINYI_TELEGRAM_TOKEN") {
		t.Fatalf("RequireTelegram without a token: %v", err)
	}
}

func TestFileThenEnv(t *testing.T) {
	file := `
telegram:
  token_file: /run/secrets/token
redis:
  url: redis://localhost:6379/0
communities: [阳光社区, 和平社区]
flow_expiry: 20m
admins: [1001, 1002]
org_name: 幸福街道
`
	c, err := Load(env(map[string]string{"MINYI_FLOW_EXPIRY": "45m", "MINYI_COMMUNITIES": "阳光社区，幸福里社区"},
		map[string]string{"/etc/minyi.yaml": file, "/run/secrets/token": token + "\n"}), "/etc/minyi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramToken != token || c.RedisURL != "redis://localhost:6379/0" || c.FlowExpiry != 45*time.Minute ||
		strings.Join(c.Communities, "|") != "阳光社区|幸福里社区" || len(c.Admins) != 2 || c.OrgName != "幸福街道" {
		t.Fatalf("config: %+v", c)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name  string
		vars  map[string]string
		file  string
		wants []string
	}{
		{"bad duration", map[string]string{"MINYI_FLOW_EXPIRY": "soon"}, "", []string{"MINYI_FLOW_EXPIRY: must be a duration"}},
		{"bad token", map[string]string{"MINYI_TELEGRAM_TOKEN": "nope"}, "", []string{"MINYI_TELEGRAM_TOKEN: is not a bot token"}},
		{"webhook needs https", map[string]string{"MINYI_WEBHOOK_URL": "http://bot.example.org/tg", "MINYI_WEBHOOK_SECRET": "s"}, "", []string{"MINYI_WEBHOOK_URL: must be https"}},
		{"webhook needs a secret", map[string]string{"MINYI_WEBHOOK_URL": "https://bot.example.org/tg"}, "", []string{"MINYI_WEBHOOK_SECRET: must be set"}},
		{"bad secret", map[string]string{"MINYI_WEBHOOK_SECRET": "has space"}, "", []string{"MINYI_WEBHOOK_SECRET: must be 1–256"}},
		{"bad admin", map[string]string{"MINYI_ADMINS": "12,abc"}, "", []string{`MINYI_ADMINS: "abc" is not a Telegram user id`}},
		{"bad zone", map[string]string{"MINYI_TIMEZONE": "Mars/Olympus"}, "", []string{"MINYI_TIMEZONE: is not a known time zone"}},
		{"bad redis", map[string]string{"MINYI_REDIS_URL": "http://x"}, "", []string{"MINYI_REDIS_URL: must be a redis://"}},
		{"both secret forms", map[string]string{"MINYI_TELEGRAM_TOKEN": token, "MINYI_TELEGRAM_TOKEN_FILE": "/x"}, "", []string{"MINYI_TELEGRAM_TOKEN and MINYI_TELEGRAM_TOKEN_FILE are both set"}},
		{"missing secret file", map[string]string{"MINYI_TELEGRAM_TOKEN_FILE": "/nope"}, "", []string{"MINYI_TELEGRAM_TOKEN_FILE: cannot read /nope"}},
		{"duplicate community", map[string]string{"MINYI_COMMUNITIES": "阳光社区,阳光社区"}, "", []string{`MINYI_COMMUNITIES: "阳光社区" is listed twice`}},
		{"long community", map[string]string{"MINYI_COMMUNITIES": strings.Repeat("长", 14)}, "", []string{"MINYI_COMMUNITIES: ", "too long for a button"}},
		{"long unit", map[string]string{"MINYI_UNITS": "区住建局," + strings.Repeat("长", 14)}, "", []string{"MINYI_UNITS: ", "too long for a button"}},
		{"unit with a colon", map[string]string{"MINYI_UNITS": "区住建局:城建科"}, "", []string{"MINYI_UNITS: ", "holds a ':'"}},
		{"public url in the clear", map[string]string{"MINYI_PUBLIC_URL": "http://minyi.example.org"}, "", []string{"MINYI_PUBLIC_URL: ", "must be https"}},
		{"public url not a url", map[string]string{"MINYI_PUBLIC_URL": "minyi"}, "", []string{"MINYI_PUBLIC_URL: ", "outside address"}},
		{"unit twice", map[string]string{"MINYI_UNITS": "区住建局，区住建局"}, "", []string{`MINYI_UNITS: "区住建局" is listed twice`}},
		{"bad log", map[string]string{"MINYI_LOG_FORMAT": "xml", "MINYI_LOG_LEVEL": "loud"}, "", []string{"MINYI_LOG_FORMAT: must be text or json", "MINYI_LOG_LEVEL:"}},
		{"file value", nil, "flow_expiry: 5s\n", []string{"flow_expiry in minyi.yaml: must be a duration"}},
		{"unknown file key", nil, "telegram:\n  tokn: x\n", []string{`minyi.yaml: unknown setting "telegram.tokn"`}},
		{"bad yaml", nil, "telegram: [\n", []string{"config file minyi.yaml:"}},
		{"shards", map[string]string{"MINYI_SHARDS": "0"}, "", []string{"MINYI_SHARDS: must be a whole number"}},
		{"unknown classifier", map[string]string{"MINYI_CLASSIFY_ORDER": "bert,lexicon"}, "", []string{`MINYI_CLASSIFY_ORDER: "bert" is not a classifier`}},
		{"order not ending in lexicon", map[string]string{"MINYI_CLASSIFY_ORDER": "lexicon,model", "MINYI_CLASSIFY_MODEL": "m.bin"}, "", []string{"MINYI_CLASSIFY_ORDER: must end with lexicon"}},
		{"llm in order, not configured", map[string]string{"MINYI_CLASSIFY_ORDER": "llm,lexicon"}, "", []string{"lists llm, but MINYI_LLM_BASE_URL is not set"}},
		{"model in order, no file", map[string]string{"MINYI_CLASSIFY_ORDER": "model,lexicon"}, "", []string{"lists model, but MINYI_CLASSIFY_MODEL is not set"}},
		{"llm half set", map[string]string{"MINYI_LLM_BASE_URL": "https://llm.example.org/v1"}, "", []string{"MINYI_LLM_BASE_URL and MINYI_LLM_MODEL: set both"}},
		{"bad threshold", map[string]string{"MINYI_LLM_THRESHOLD": "2"}, "", []string{"MINYI_LLM_THRESHOLD: must be a number from 0 to 1"}},
		{"bad llm timeout", map[string]string{"MINYI_LLM_TIMEOUT": "forever"}, "", []string{"MINYI_LLM_TIMEOUT: must be a duration"}},
		{"bad digest time", map[string]string{"MINYI_DIGEST_AT": "8am"}, "", []string{"MINYI_DIGEST_AT: must be a time of day such as 08:00"}},
		{"description too long", map[string]string{"MINYI_BOT_SHORT_DESCRIPTION": strings.Repeat("长", 121)}, "", []string{"MINYI_BOT_SHORT_DESCRIPTION: is 121 characters; Telegram takes at most 120"}},
		{"api key too short", map[string]string{"MINYI_API_KEYS": "hotline=short"}, "", []string{`MINYI_API_KEYS: the key of "hotline" must be 24–256 characters`}},
		{"api channel reserved", map[string]string{"MINYI_API_KEYS": "telegram=" + strings.Repeat("k", 24)}, "", []string{`MINYI_API_KEYS: channel "telegram": must be`}},
		{"api keys shared", map[string]string{"MINYI_API_KEYS": "hotline=" + strings.Repeat("k", 24) + ",webform=" + strings.Repeat("k", 24)}, "", []string{`MINYI_API_KEYS: "hotline" and "webform" have the same key`}},
		{"open311 keys malformed", map[string]string{"MINYI_OPEN311_KEYS": strings.Repeat("k", 24)}, "", []string{"MINYI_OPEN311_KEYS: must be name=key pairs"}},
		{"shutdown grace", map[string]string{"MINYI_SHUTDOWN_GRACE": "1h"}, "", []string{"MINYI_SHUTDOWN_GRACE: must be a duration from 1s to 10m"}},
		{"bad digest chat", map[string]string{"MINYI_DIGEST_CHATS": "-100500,staff"}, "", []string{`MINYI_DIGEST_CHATS: "staff" is not a chat id`}},
		{"bad digest unsure", map[string]string{"MINYI_DIGEST_UNSURE": "half"}, "", []string{"MINYI_DIGEST_UNSURE: must be a number from 0 to 1"}},
		{"digest time in file", nil, "digest:\n  at: \"25:00\"\n", []string{"digest.at in minyi.yaml: must be a time of day"}},
		{"api rate without a unit", map[string]string{"MINYI_API_RATE": "10"}, "", []string{"MINYI_API_RATE: must be a rate such as 1/s, 30/m or 100/h (0: no limit)"}},
		{"api rate per day", map[string]string{"MINYI_API_RATE": "100/d"}, "", []string{"MINYI_API_RATE: must be a rate"}},
		{"negative open311 rate", map[string]string{"MINYI_OPEN311_RATE": "-1/s"}, "", []string{"MINYI_OPEN311_RATE: must be a rate"}},
		{"api burst of 0", map[string]string{"MINYI_API_BURST": "0"}, "", []string{"MINYI_API_BURST: must be a whole number from 1 to 100000 (to turn the limit off, set its rate to 0)"}},
		{"open311 burst not a number", map[string]string{"MINYI_OPEN311_BURST": "lots"}, "", []string{"MINYI_OPEN311_BURST: must be a whole number"}},
		{"open311 rate in file", nil, "open311:\n  rate: fast\n", []string{"open311.rate in minyi.yaml: must be a rate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ""
			files := map[string]string{}
			if c.file != "" {
				path, files["minyi.yaml"] = "minyi.yaml", c.file
			}
			_, err := Load(env(c.vars, files), path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range c.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// The keyed APIs' limits: defaults a hotline never reaches, rates per second,
// minute or hour, and 0 to turn one off.
func TestAPILimits(t *testing.T) {
	c, err := Load(env(nil, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.APIRate != 1 || c.APIBurst != 60 || c.Open311Rate != 5 || c.Open311Burst != 20 {
		t.Errorf("defaults: API %v/s burst %d, Open311 %v/s burst %d", c.APIRate, c.APIBurst, c.Open311Rate, c.Open311Burst)
	}
	c, err = Load(env(map[string]string{"MINYI_API_RATE": "30/m", "MINYI_API_BURST": "5", "MINYI_OPEN311_RATE": "0"}, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.APIRate != 0.5 || c.APIBurst != 5 || c.Open311Rate != 0 {
		t.Errorf("30/m, burst 5, Open311 off: %v %d %v", c.APIRate, c.APIBurst, c.Open311Rate)
	}
	c, err = Load(env(nil, map[string]string{"m.yaml": "api:\n  rate: 360/h\nopen311:\n  rate: 2.5/s\n  burst: 7\n"}), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.APIRate != 0.1 || c.Open311Rate != 2.5 || c.Open311Burst != 7 {
		t.Errorf("from the file: %v %v %d", c.APIRate, c.Open311Rate, c.Open311Burst)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	_, err := Load(env(map[string]string{"MINYI_REDIS_URL": "http://:hunter2@x", "MINYI_WEBHOOK_SECRET": "bad secret!"}, nil), "")
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "bad secret!") {
		t.Fatalf("error shows a secret: %v", err)
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{"MINYI_FLOW_EXPIRY": "x", "MINYI_SHARDS": "x", "MINYI_TIMEZONE": "x"}, nil), "")
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestClassifierOrder(t *testing.T) {
	c, _ := Load(env(nil, nil), "")
	if got := strings.Join(c.Classifiers(), ","); got != "lexicon" {
		t.Fatalf("default order %q", got)
	}
	c, err := Load(env(map[string]string{"MINYI_LLM_BASE_URL": "https://llm.example.org/v1", "MINYI_LLM_MODEL": "qwen-plus", "MINYI_CLASSIFY_MODEL": "/m.bin"}, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Classifiers(), ","); got != "llm,model,lexicon" {
		t.Fatalf("order with both configured %q", got)
	}
	c, _ = Load(env(map[string]string{"MINYI_CLASSIFY_ORDER": "model，lexicon", "MINYI_CLASSIFY_MODEL": "/m.bin"}, nil), "")
	if got := strings.Join(c.Classifiers(), ","); got != "model,lexicon" {
		t.Fatalf("configured order %q", got)
	}
}

func TestGrids(t *testing.T) {
	c, err := Load(env(map[string]string{"MINYI_GRIDS": "阳光社区:第一网格,第二网格;和平社区：第一网格"}, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.GridPaths(), " "); got != "阳光社区/第一网格 阳光社区/第二网格 和平社区/第一网格" {
		t.Fatalf("grids %q", got)
	}
	if got := strings.Join(c.Communities, " "); got != "阳光社区 和平社区" {
		t.Fatalf("communities from the grids: %q", got)
	}
	c, err = Load(env(nil, map[string]string{"m.yaml": "grids:\n  阳光社区: [第一网格]\n  和平社区: [第一网格, 第二网格]\n"}), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.GridPaths()) != 3 {
		t.Fatalf("grids from the file: %v", c.GridPaths())
	}
	for v, want := range map[string]string{
		"阳光社区":     "should be 社区:网格,网格",
		"阳光社区:":    `community "阳光社区" has no grids`,
		"阳光社区:一,一": `"阳光社区/一" is listed twice`,
		"阳光社区:a/b": "may not hold / or :",
		"阳光社区:" + strings.Repeat("网", 12): "too long for a button",
	} {
		if _, err := Load(env(map[string]string{"MINYI_GRIDS": v}, nil), ""); err == nil || !strings.Contains(err.Error(), "MINYI_GRIDS: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("MINYI_GRIDS=%q: %v, want %q", v, err, want)
		}
	}
	if _, err := Load(env(map[string]string{"MINYI_SERVICE_LEVELS": "urgent=2h"}, nil), ""); err == nil || !strings.Contains(err.Error(), "gives no time for utility") {
		t.Errorf("incomplete service levels: %v", err)
	}
}

// The sample file names every setting (or its _file form, for secrets), and loads.
func TestExampleNamesEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../minyi.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file, err := flatten(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		_, plain := file[s.key]
		_, fromFile := file[s.key+"_file"]
		grid := s.key == "grids" && file["grids.阳光社区"] != ""
		if !plain && !fromFile && !grid {
			t.Errorf("minyi.example.yaml does not show %s (%s)", s.key, s.env)
		}
	}
	secrets := t.TempDir()
	for _, name := range []string{"telegram_token", "webhook_secret", "llm_key", "api_keys", "open311_keys"} {
		content := map[string]string{"telegram_token": token, "webhook_secret": "s3cret", "llm_key": "k",
			"api_keys": "hotline=" + strings.Repeat("h", 24), "open311_keys": "platform=" + strings.Repeat("p", 24)}[name]
		if err := os.WriteFile(filepath.Join(secrets, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sample := strings.ReplaceAll(string(raw), "/run/secrets/", secrets+"/")
	path := filepath.Join(t.TempDir(), "minyi.yaml")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Env{Getenv: func(string) string { return "" }, ReadFile: os.ReadFile}, path)
	if err != nil {
		t.Fatalf("the sample does not load: %v", err)
	}
	if len(c.APIKeys) != 1 || len(c.Open311Keys) != 1 || c.ShutdownGrace != 20*time.Second || c.BotShortDescription == "" {
		t.Errorf("the sample loaded as %+v", c)
	}
}

// MINYI_FLOWS_DIR names a directory; anything else is refused, naming it.
func TestFlowsDir(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(env(map[string]string{"MINYI_FLOWS_DIR": dir}, nil), "")
	if err != nil || cfg.FlowsDir != dir {
		t.Fatalf("a directory: %v %q", err, cfg.FlowsDir)
	}
	if _, err := Load(env(map[string]string{"MINYI_FLOWS_DIR": dir + "/none"}, nil), ""); err == nil || !strings.Contains(err.Error(), "MINYI_FLOWS_DIR") {
		t.Fatalf("no such directory: %v", err)
	}
}
