package locale_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/cases"
	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/info"
	"github.com/minyi-project/minyi/locale"
	"github.com/minyi-project/minyi/period"
)

// Every message key the code can produce is in the catalog, in both languages:
// the literal keys of t(…), locale.Key(…), Text(…), Render(…), Printf(…) and
// Label(…) calls anywhere in the module, the digest's w(…) and bw(…) under their
// prefixes, every refusal the case service gives, and the keys built from a
// prefix and a known value.
func TestEveryKeyTheCodeProducesIsInTheCatalog(t *testing.T) {
	cat, err := locale.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{} // key → where
	fset := token.NewFileSet()
	filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || d.Name() == "bench") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit := func(e ast.Expr, prefix ...string) {
				if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
					k, _ := strconv.Unquote(b.Value)
					keys[strings.Join(prefix, "")+k] = fset.Position(b.Pos()).String()
				}
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				switch {
				case (name == "t" || name == "Key") && len(n.Args) > 0:
					lit(n.Args[0])
				case (name == "Text" || name == "Render" || name == "Printf" || name == "Label") && len(n.Args) > 1:
					lit(n.Args[1])
				case name == "audit" && len(n.Args) > 2: // an audited action, worded in /audit
					lit(n.Args[2], "action_")
				case (name == "change" || name == "annotate") && len(n.Args) > 3:
					lit(n.Args[3], "action_")
				case name == "w" && len(n.Args) > 1: // the digest's
					lit(n.Args[1], "dg_")
				case name == "bw" && len(n.Args) > 1: // the brief's
					lit(n.Args[1], "brief_")
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Action" {
					lit(n.Value, "action_") // an audit entry written directly
				}
			}
			return true
		})
		return nil
	})
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for _, p := range []period.Problem{period.BadDate, period.BadDays, period.Reversed, period.TooLong, period.Future} {
		keys["period_"+string(p)] = "commands/digest.go periodProblem"
	}
	for _, r := range cases.Reasons {
		keys[string(r)] = "cases.Reasons"
	}
	for _, st := range concern.Statuses {
		keys["status_"+string(st)] = "concern.Status.Label"
	}
	for _, l := range concern.Levels {
		keys["level_"+string(l)] = "concern.Level.Label"
	}
	for _, r := range concern.Roles {
		keys["role_"+string(r)] = "concern.Role.Label"
	}
	for _, r := range []concern.Rating{concern.Satisfied, concern.FairlySatisfied, concern.Unsatisfied} {
		keys["rating_"+string(r)] = "concern.Rating.Label"
	}
	for _, h := range []string{concern.HistAssigned, concern.HistDuplicate, concern.HistLevel, concern.HistReopened, concern.HistNote, concern.HistReplied, concern.HistInfo, concern.ByRating} {
		keys["hist_"+h] = "concern.StatusChange.Words"
	}
	for _, st := range info.States {
		keys["info_state_"+string(st)] = "info.State.Label"
	}
	for _, st := range append([]info.State{info.Sent}, info.Outcomes...) {
		keys["event_reported_"+string(st)] = "flows/events.go EventReported"
	}
	for _, w := range []info.Warning{info.WarnTopics, info.WarnLength} {
		keys[string(w)] = "info.Item.Warn"
	}
	for _, c := range []concern.Capacity{concern.Verbatim, concern.Paraphrase} {
		keys["capacity_"+string(c)] = "commands/show.go card"
	}
	for _, h := range []string{"today", "yesterday", "week", "earlier"} {
		keys["heard_"+h] = "commands/show.go card"
	}
	for _, k := range []flows.InputKind{flows.InputText, flows.InputPhoto, flows.InputLocation, flows.InputContact} {
		keys["kind_"+string(k)] = "flows/machine.go unexpected"
	}
	for k, where := range keys {
		if k == "" || strings.ContainsAny(k, " /:.%{") {
			continue // not a key: a literal argument of another kind
		}
		text, ok := cat[locale.Key(k)]
		if !ok {
			t.Errorf("%s: message %q is not in the catalog", where, k)
			continue
		}
		for _, lang := range locale.Languages {
			if strings.TrimSpace(text[lang]) == "" {
				t.Errorf("%s: message %q has no %s wording", where, k, lang)
			}
		}
	}
}
