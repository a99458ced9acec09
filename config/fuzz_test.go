package config

import (
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary files and one arbitrary variable to Load: it never
// panics; it either gives a configuration that passes its own checks, or an error
// that names a setting or the file; and no error ever shows the token.
func FuzzLoad(f *testing.F) {
	f.Add("telegram:\n  token_file: /t\nflow_expiry: 20m\n", "MINYI_SHARDS", "16")
	f.Add("grids:\n  阳光社区: [第一网格]\n", "MINYI_GRIDS", "和平社区:第一网格;阳光社区:")
	f.Add("telegram: [\n", "MINYI_ADMINS", "1,x")
	f.Add("digest:\n  at: \"25:00\"\n", "MINYI_DIGEST_CHATS", "-1,0")
	f.Add("llm:\n  base_url: http://x\n", "MINYI_CLASSIFY_ORDER", "llm,lexicon")
	f.Add("service_levels: urgent=1s\n", "MINYI_SERVICE_LEVELS", "general=0h")
	f.Add("", "MINYI_TELEGRAM_TOKEN", token)
	f.Fuzz(func(t *testing.T, file, name, value string) {
		vars := map[string]string{}
		if strings.HasPrefix(name, "MINYI_") {
			vars[name] = value
		}
		c, err := Load(env(vars, map[string]string{"minyi.yaml": file, "/t": token}), "minyi.yaml")
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "MINYI_") && !strings.Contains(msg, "minyi.yaml") {
				t.Fatalf("error names no setting: %v", err)
			}
			if strings.Contains(msg, token) {
				t.Fatalf("error shows the token: %v", err)
			}
			return
		}
		if c.Shards < 1 || c.FlowExpiry <= 0 || c.Location == nil || c.IntakeAttempts < 1 || c.TelegramRate < 0 {
			t.Fatalf("accepted an invalid configuration: %+v", c)
		}
	})
}
