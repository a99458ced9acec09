package locale

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The embedded catalog loads: every message in both languages, alike in what it fills.
func TestBuiltinLoads(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(c) < 300 || c["status_closed"].In("en") != "closed" || c["greeting"].In("zh") == "" {
		t.Fatalf("catalog of %d messages looks wrong", len(c))
	}
}

func TestLoadRefuses(t *testing.T) {
	for name, c := range map[string]struct{ yaml, want string }{
		"missing en":         {`a: {zh: 好}`, `message "a" has no en wording`},
		"other placeholders": {`a: {zh: "{id} 好", en: "{code} ok"}`, "fill different placeholders"},
		"other verbs":        {`a: {zh: "%d 件 %s", en: "%d"}`, "a different number of values"},
		"twice":              {"a: {zh: 好, en: ok}\n", `defined twice`},
		"unknown language":   {`a: {zh: 好, en: ok, fr: bon}`, `"fr" is not a language`},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"d/x.yaml": {Data: []byte(c.yaml)}}
			if name == "twice" {
				fsys["d/y.yaml"] = &fstest.MapFile{Data: []byte(c.yaml)}
			}
			if _, err := Load(fsys, "d"); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
