package architecture

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/minyi-project/minyi/"

// who may import what (docs/ARCHITECTURE.md): an outside library only where it
// is the package's business, and the pure parts of minyi nothing with I/O.
var (
	// only these packages may import a path with this prefix
	onlyIn = map[string][]string{
		"github.com/redis/go-redis":         {"store"},
		"github.com/go-telegram/bot":        {"bot"},
		"github.com/alicebob/miniredis":     {"embedredis", "store/storetest"},
		module + "embedredis":               {"cmd/minyi"},
		"github.com/sashabaranov/go-openai": {"classify"},
		"github.com/prometheus/":            {"telemetry"},
		"github.com/xuri/excelize":          {"digest", "export", "report"},
	}
	// these import nothing of minyi but what is listed
	mayUse = map[string][]string{
		"period": {}, "backoff": {}, "lease": {}, "tasks": {}, "minhash": {}, "tghtml": {}, "locale": {}, "docx": {},
		// a 信息 and its documents: pure, no store
		"info": {"concern", "docx", "locale"},
		// 综合分析: reads through a small interface the store fills, renders its files
		"report": {"concern", "docx", "info", "locale"},
		// 征求意见: pure, as info is
		"consult":  {"concern", "minhash"},
		"concern":  {"locale"},
		"flows":    {"concern", "locale", "period"}, // the engine is pure: no store, transport or case service
		"config":   {"concern"},
		"dispatch": {"backoff", "flows", "telemetry"},
		"digest":   {"concern", "export", "locale", "minhash", "period", "tghtml"}, // export: the workbook's columns are the export's
		"console":  {"concern", "dispatch", "flows", "tghtml"},
		// the registry calls the case service and renders; it knows no store or transport
		"commands": {"cases", "concern", "consult", "digest", "flows", "info", "locale", "period", "report"},
		// the web workbench calls the case service, as the chat does, and writes its files (digest, export); no store, no transport
		"workbench": {"cases", "concern", "consult", "digest", "export", "info", "locale", "period", "report"},
		// the case service does not know how it is called
		"cases":  {"backoff", "classify", "concern", "digest", "flows", "index", "consult", "info", "intake", "locale", "period", "report", "store", "tasks", "telemetry"},
		"intake": {"backoff", "classify", "concern", "minhash", "store", "telemetry"},
	}
)

func TestImportRules(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: import rules not checked")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if strings.HasPrefix(pkg, "bench") {
			continue // the load harness is not minyi
		}
		seen++
		for _, imp := range fields[1:] {
			for prefix, allowed := range onlyIn {
				if strings.HasPrefix(imp, prefix) && !contains(allowed, pkg) {
					t.Errorf("%s imports %s: only %v may", pkg, imp, allowed)
				}
			}
			if allowed, ok := mayUse[pkg]; ok && strings.HasPrefix(imp, module) && !contains(allowed, strings.TrimPrefix(imp, module)) {
				t.Errorf("%s imports %s: it may use only %v of minyi", pkg, imp, allowed)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("go list found %d packages: is the module where this test thinks it is?", seen)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
