package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minyi-project/minyi/classify"
	"github.com/minyi-project/minyi/config"
	"github.com/minyi-project/minyi/flows"
)

// fixedScreen decides as it is told, by a word of the text: the figures below are
// the evaluation's arithmetic, whatever the screening engine of the day finds.
type fixedScreen map[string]classify.Flags

func (f fixedScreen) Screen(text string) classify.Flags {
	for word, flags := range f {
		if strings.Contains(text, word) {
			return flags
		}
	}
	return classify.Flags{}
}

var fixtureScreen = fixedScreen{
	"煤气味":      {Urgent: true, Hazard: classify.HazardGas, UrgentReason: "燃气泄漏", Now: []string{"越来越重"}},
	"着火了":      {Urgent: true, Hazard: classify.HazardFire, UrgentReason: "火情"},
	"stuck":    {Urgent: true, Hazard: classify.HazardMedical, UrgentReason: "someone unwell"},
	"找不到了":     {Discounted: []string{"一转眼"}},
	"集体上访":     {AdminsOnly: true, Sensitive: true},
	"去年着火":     {Urgent: true, Hazard: classify.HazardFire, UrgentReason: "火情：着火", Now: []string{"什么时候"}},
	"gas bill": {},
	"路灯坏了一个多月": {},
}

func TestScreenEvaluation(t *testing.T) {
	items, err := readScreenItems("testdata/screen_fixture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rep := evaluateScreen(fixtureScreen, items)
	o := rep.Overall
	if o.TP != 4 || o.FN != 1 || o.FP != 1 || o.TN != 2 || o.HazardRight != 3 || *o.Recall != 0.8 || *o.Precision != 0.8 || *o.FalseAlarmRate != 1.0/3 {
		t.Fatalf("overall: %+v", o)
	}
	if zh, en := rep.ByLang["zh"], rep.ByLang["en"]; zh.TP != 3 || zh.FN != 1 || zh.FP != 1 || zh.TN != 1 || en.TP != 1 || en.TN != 1 || en.HazardRight != 0 {
		t.Fatalf("by language: %+v", rep.ByLang)
	}
	by := map[string]hazardFigures{}
	for _, h := range rep.ByHazard {
		by[h.Hazard] = h
	}
	check := func(h string, urgent, found, right, flagged, flaggedOK, ordinary, falseAlarms int) {
		t.Helper()
		got := by[h]
		if got.Urgent != urgent || got.Found != found || got.HazardRight != right || got.Flagged != flagged || got.FlaggedOK != flaggedOK ||
			got.Ordinary != ordinary || got.FalseAlarms != falseAlarms {
			t.Errorf("%s: %+v", h, got)
		}
	}
	check("gas", 1, 1, 1, 1, 1, 1, 0)
	check("fire", 1, 1, 1, 2, 1, 1, 1)
	check("trapped", 1, 1, 0, 0, 0, 0, 0)
	check("medical", 0, 0, 0, 1, 0, 0, 0)
	check("missing", 1, 0, 0, 0, 0, 0, 0)
	check("collective", 1, 1, 1, 1, 1, 0, 0)
	check("", 0, 0, 0, 0, 0, 1, 0)
	if *by["fire"].Precision != 0.5 || by["trapped"].Precision != nil || *by["missing"].Recall != 0 {
		t.Errorf("fire precision %v, trapped %v, missing recall %v", by["fire"].Precision, by["trapped"].Precision, by["missing"].Recall)
	}
	if _, ok := by["crowd"]; ok {
		t.Error("a hazard absent from the data is listed")
	}
	var kinds []string
	for _, m := range rep.Misses {
		kinds = append(kinds, m.Kind+" "+m.ID)
	}
	if strings.Join(kinds, ", ") != "missed u4, false_alarm n1, hazard u3" {
		t.Fatalf("misses: %v", kinds)
	}
	var out bytes.Buffer
	rep.File = "fixture"
	rep.print(&out)
	for _, want := range []string{
		"screening of 8 items from fixture: 5 emergencies, 3 ordinary reports",
		"overall   recall 0.80 (4/5)   precision 0.80 (4/5)   false alarms 33.3% (1/3)   hazard right 3/4",
		"fire               1      1    1.00      1        2       0.50         1             1",
		"zh   recall 0.75 (3/4)",
		"MISSED      u4 [zh missing] 孩子在小区滑梯那里玩，一转眼就找不到了\n            ↳ discounted: 一转眼",
		"FALSE ALARM n1 [zh fire → fire] 去年着火的那栋楼外墙什么时候能修好\n            ↳ 火情：着火; now: 什么时候",
		"HAZARD      u3 [en trapped → medical] my dad is stuck",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The command end to end, with the built-in screening: the figures are whatever it
// finds today; what is checked is that every part is there and the JSON reads back.
func TestScreenEvalCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"classify", "screen-eval", "--data", "testdata/screen_fixture.jsonl", "--json"}, nil, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep screenReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil || rep.N != 8 || len(rep.ByLang) != 2 || len(rep.ByHazard) == 0 {
		t.Fatalf("JSON: %+v %v", rep, err)
	}
	for _, want := range []string{"screening of 8 items", "overall   recall", "hazard        urgent  found  recall", "en   recall", "zh   recall"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"x","text":"着火了","urgent":true,"hazard":"meteor"}`+"\n"), 0o644)
	errs.Reset()
	if code := run([]string{"classify", "screen-eval", "--data", bad}, nil, &out, &errs); code == 0 || !strings.Contains(errs.String(), `bad.jsonl: line 1: hazard "meteor"`) {
		t.Fatalf("a bad hazard: exit %d, %s", code, errs.String())
	}
}

// classify tag keeps the URGENT line scripts read, and adds the hazard after it.
func TestTagPrintsTheHazard(t *testing.T) {
	var out bytes.Buffer
	printFlags(&out, classify.Flags{Urgent: true, UrgentReason: "燃气泄漏：非常浓", Hazard: classify.HazardGas, Now: []string{"非常浓"}})
	if got := out.String(); got != "  URGENT: 燃气泄漏：非常浓\n  HAZARD: gas\n  NOW: 非常浓\n" {
		t.Fatalf("printed %q", got)
	}
	out.Reset()
	printFlags(&out, classify.ModelView{Answered: true, Urgent: true, Hazard: classify.HazardTrapped, Reason: "有人被困"}.Add(classify.Flags{}))
	if got := out.String(); !strings.HasPrefix(got, "  URGENT: 大模型判断：有人被困\n  HAZARD: trapped\n  BY MODEL:") {
		t.Fatalf("printed %q", got)
	}
	out.Reset()
	printFlags(&out, classify.Flags{AdminsOnly: true, Sensitive: true, SensitiveReason: "集体上访"})
	if got := out.String(); !strings.Contains(got, "  URGENT: 紧急情形\n  HAZARD: collective\n") || !strings.Contains(got, "ADMINS ONLY") || !strings.Contains(got, "  SENSITIVE: 集体上访") {
		t.Fatalf("printed %q", got)
	}
	out.Reset()
	if code := run([]string{"classify", "tag", "小区东门的路灯坏了一个多月"}, nil, &out, &bytes.Buffer{}); code != 0 || !strings.Contains(out.String(), "城乡建设") || strings.Contains(out.String(), "URGENT") {
		t.Fatalf("tag: exit %d\n%s", code, out.String())
	}
}

// The services configuration accepts are those the advice names, and each
// configured number reaches the engine.
func TestEmergencyServicesAgree(t *testing.T) {
	var parts []string
	for i, s := range flows.EmergencyServices() {
		parts = append(parts, fmt.Sprintf("%s=9%04d", s, i))
	}
	vars := map[string]string{"MINYI_EMERGENCY_NUMBERS": strings.Join(parts, ",")}
	cfg, err := config.Load(config.Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.EmergencyNumbers) != len(flows.EmergencyServices()) {
		t.Fatalf("configured %v", cfg.EmergencyNumbers)
	}
	if _, err := flows.NewDefault(flows.WithEmergencyNumbers(cfg.EmergencyNumbers)); err != nil {
		t.Fatalf("the engine refuses what configuration accepts: %v", err)
	}
	vars["MINYI_EMERGENCY_NUMBERS"] = "firebrigade=119"
	if _, err := config.Load(config.Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile}, ""); err == nil ||
		!strings.Contains(err.Error(), strings.Join(flows.EmergencyServices(), ", ")) {
		t.Fatalf("configuration lists other services: %v", err)
	}
}
