package flows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/concern"
	"github.com/minyi-project/minyi/period"
)

// Every message key the code can produce is in the catalog, in both languages:
// the literal keys of t(…), Text(…) and Render(…) calls and of refusals anywhere
// in the module, and the keys built from a prefix and a known value.
func TestEveryKeyTheCodeProducesIsInTheCatalog(t *testing.T) {
	_, cat, err := Builtin()
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
			lit := func(e ast.Expr) {
				if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
					k, _ := strconv.Unquote(b.Value)
					keys[k] = fset.Position(b.Pos()).String()
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
				case (name == "t" || name == "refusal") && len(n.Args) > 0:
					lit(n.Args[0])
				case (name == "Text" || name == "Render") && len(n.Args) > 1:
					lit(n.Args[1])
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Refused" {
					lit(n.Value)
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
		keys["period_"+string(p)] = "flows/commands.go periodProblem"
	}
	for _, c := range []concern.Capacity{concern.Verbatim, concern.Paraphrase} {
		keys["capacity_"+string(c)] = "flows/commands.go caseCard"
	}
	for _, h := range []string{"today", "yesterday", "week", "earlier"} {
		keys["heard_"+h] = "flows/commands.go caseCard"
	}
	for _, k := range []InputKind{InputText, InputPhoto, InputLocation, InputContact} {
		keys["kind_"+string(k)] = "flows/machine.go unexpected"
	}
	for k, where := range keys {
		if k == "" || strings.ContainsAny(k, " /:.%{") {
			continue // not a key: a literal argument of another kind
		}
		text, ok := cat[k]
		if !ok {
			t.Errorf("%s: message %q is not in the catalog", where, k)
			continue
		}
		for _, lang := range Languages {
			if strings.TrimSpace(text[lang]) == "" {
				t.Errorf("%s: message %q has no %s wording", where, k, lang)
			}
		}
	}
}
