package flows

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/minyi-project/minyi/locale"
)

func TestBuiltinLoads(t *testing.T) {
	defs, cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 2 || defs[0].ID != FileFlow || defs[1].ID != ReportFlow {
		t.Fatalf("builtin flows = %v, want %q and %q", defs, FileFlow, ReportFlow)
	}
	for _, key := range catalogKeys {
		for _, l := range locale.Languages {
			if cat[key][l] == "" {
				t.Errorf("message %q has no %s wording", key, l)
			}
		}
	}
}

const consentFlow = `
id: report
version: 2
name: {zh: 代为反映, en: File for a resident}
start: {command: report, menu: report, button: {zh: 反映, en: Report}}
concern:
  fields: {text: text, consent: consent}
steps:
  - id: consent
    type: choice
    field: consent
    label: {zh: 居民同意, en: Consent}
    prompt: {zh: 居民是否同意代为反映？, en: "Does the resident agree?"}
    want: {zh: 点按钮选择, en: a button}
    options:
      - {value: yes, label: {zh: 同意, en: Agrees}}
      - {value: no, label: {zh: 不同意, en: Does not agree}}
  - id: said
    type: text
    field: text
    min_len: 2
    max_len: 5
    label: {zh: 内容, en: Text}
    prompt: {zh: 内容？, en: "Text?"}
    want: {zh: 文字, en: text}
`

func loadTestFlow(t *testing.T, flow string) ([]*Definition, locale.Catalog, error) {
	t.Helper()
	cat, err := locale.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	file, err := builtin.ReadFile("defs/file.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defs, err := LoadFS(fstest.MapFS{
		"d/flow.yaml": {Data: []byte(flow)},
		"d/file.yaml": {Data: file},
	}, "d")
	return defs, cat, err
}

// A choice step takes a press or a typed label, and a flow without a confirm step submits when done.
func TestChoiceFlowWithoutConfirm(t *testing.T) {
	defs, cat, err := loadTestFlow(t, consentFlow)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMachine(defs, cat)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	in := func(kind InputKind, text string) Input {
		at = at.Add(time.Second)
		in := Input{ID: "x", Time: at, ChatID: 7, UserID: 7, Kind: kind}
		if kind == InputButton {
			in.Data = text
		} else {
			in.Text = text
		}
		return in
	}
	res := m.Step(Session{}, in(InputText, "/report"))
	if got := res.Messages[0].Inline[0][1].Data; !strings.HasSuffix(got, ":consent:no") {
		t.Fatalf("second option's data = %q", got)
	}
	res = m.Step(res.Session, in(InputText, "随便"))
	if res.Session.Flow.Step != 0 || res.Messages[0].Text != cat.Render("zh", "choice_hint") {
		t.Fatalf("free text at a choice: step %d, said %q", res.Session.Flow.Step, res.Messages[0].Text)
	}
	res = m.Step(res.Session, in(InputText, "同意"))
	if res.Session.Flow.Step != 1 {
		t.Fatalf("typed label did not choose: step %d", res.Session.Flow.Step)
	}
	res = m.Step(res.Session, in(InputText, "六个字太长了"))
	if res.Effect != nil {
		t.Fatal("a too-long answer was accepted")
	}
	res = m.Step(res.Session, in(InputText, "好的"))
	if res.Effect == nil || res.Effect.Kind != EffectSubmit {
		t.Fatalf("finishing the last step gave effect %+v, want a submit", res.Effect)
	}
	if got := res.Effect.Draft.Fields["consent"].Choice; got != "yes" {
		t.Fatalf("consent = %q", got)
	}
}

// Each mistake a flow's author can make is refused at its file and line, with what to do.
func TestValidateRejects(t *testing.T) {
	long := strings.Repeat("x", 50)
	cases := map[string]struct {
		from, to, want string
		line           int
	}{
		"unknown type":        {"type: choice", "type: dropdown", `unknown type "dropdown" (one of text, choice`, 10},
		"no options":          {"    options:\n      - {value: yes, label: {zh: 同意, en: Agrees}}\n      - {value: no, label: {zh: 不同意, en: Does not agree}}\n", "", "a choice needs options", 9},
		"duplicate id":        {"id: said", "id: consent", "id is used twice", 18},
		"bad bounds":          {"min_len: 2", "min_len: 9", "min_len <= max_len", 22},
		"missing wording":     {`prompt: {zh: 内容？, en: "Text?"}`, "prompt: {zh: 内容？}", "prompt has no en wording: write both zh and en", 24},
		"option untranslated": {"label: {zh: 不同意, en: Does not agree}", "label: {zh: 不同意}", `option no has no en wording`, 17},
		"unknown yaml key":    {"min_len: 2", "min_length: 2", `"min_length" is not a key of a step`, 21},
		"malformed yaml":      {"    type: text\n", "    type: [text\n", "did not find expected", 18},
		"button too long":     {"{value: no,", "{value: " + long + ",", "makes its button's data 68 bytes; Telegram keeps 64", 17},
		"confirm not last":    {"  - id: said\n    type: text", "  - id: ok\n    type: confirm\n    prompt: {zh: 好, en: ok}\n  - id: said\n    type: text", "confirm must be the last step", 19},
		"field filled twice":  {"field: text", "field: consent", `field "consent" is filled twice`, 20},
		"no start":            {"start: {command: report, menu: report, button: {zh: 反映, en: Report}}", "", "start needs a command, a menu action or from_text", 2},
		"start typed badly":   {"command: report,", "command: /Report,", `start command "/Report" must be lower case`, 5},
		"unknown attribute":   {"consent: consent}", "mood: consent}", `concern field "mood" is not an attribute`, 7},
		"unfilled mapping":    {"{text: text,", "{text: words,", `maps "words", which no step fills`, 7},
		"unknown custom":      {"  fields: {text: text, consent: consent}\n", "  fields: {text: text, consent: consent}\n  custom: [building]\n", `custom field "building" is filled by no step`, 8},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			flow := strings.Replace(consentFlow, c.from, c.to, 1)
			if flow == consentFlow {
				t.Fatalf("case does not change the flow")
			}
			_, _, err := loadTestFlow(t, flow)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one saying %q", err, c.want)
			}
			if at := fmt.Sprintf("d/flow.yaml:%d: ", c.line); !strings.Contains(err.Error(), at) {
				t.Errorf("error %q is not at %s", err, at)
			}
		})
	}
}

func TestCatalogNeedsEveryKey(t *testing.T) {
	defs, cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	delete(cat, "receipt")
	if _, err := NewMachine(defs, cat); err == nil || !strings.Contains(err.Error(), `"receipt"`) {
		t.Fatalf("NewMachine without the receipt message: %v", err)
	}
}

// Step must not change the session it was given: the runner keeps it to retry after a failure.
func TestStepLeavesItsInputAlone(t *testing.T) {
	m := testMachine(t)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s := m.Step(Session{}, Input{ID: "1", Time: at, ChatID: 5, UserID: 5, Kind: InputText, Text: "/report"}).Session
	s = m.Step(s, Input{ID: "2", Time: at, ChatID: 5, UserID: 5, Kind: InputText, Text: "十个字以上的问题描述内容"}).Session
	s = m.Step(s, Input{ID: "3", Time: at, ChatID: 5, UserID: 5, Kind: InputPhoto, Photo: "P1"}).Session
	before := s.clone()
	m.Step(s, Input{ID: "4", Time: at, ChatID: 5, UserID: 5, Kind: InputPhoto, Photo: "P2"})
	if !reflect.DeepEqual(before, s) {
		t.Fatalf("Step changed its input session:\nbefore %+v\nafter  %+v", before.Flow, s.Flow)
	}
}

// Without configured communities the location step asks for a location or an address only.
func TestLocationWithoutCommunities(t *testing.T) {
	m, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s := Session{}
	for i, text := range []string{"/report", "十个字以上的问题描述内容", "跳过"} {
		res := m.Step(s, Input{ID: fmt.Sprint(i), Time: at, ChatID: 5, UserID: 5, Kind: InputText, Text: text})
		s = res.Session
		if i == 2 {
			if len(res.Messages) != 1 || len(res.Messages[0].Inline) != 0 || !strings.Contains(res.Messages[0].Text, "直接输入详细地址") {
				t.Fatalf("location prompt without communities: %+v", res.Messages)
			}
		}
	}
}

// A community or grid that cannot travel in a button's data is refused at start.
func TestButtonDataMustFit(t *testing.T) {
	long := strings.Repeat("长", 21) // 63 bytes
	if _, err := NewDefault(WithCommunities(long)); err == nil || !strings.Contains(err.Error(), "button's data") {
		t.Errorf("a community of 63 bytes: %v", err)
	}
	if _, err := NewDefault(WithGrids("阳光社区/第一:网格")); err == nil || !strings.Contains(err.Error(), "no ':'") {
		t.Errorf("a grid with ':': %v", err)
	}
	if _, err := NewDefault(WithCommunities(strings.Repeat("长", 20)), WithGrids(strings.Repeat("网", 21))); err != nil {
		t.Errorf("what fits is refused: %v", err)
	}
}

// A draft begun on version 1 of 反映诉求, continued after version 2 (one
// question more, 楼栋号) replaced it: the description already given is kept,
// the new question is asked, the resident is told, and the answer goes with
// the concern as a custom field under its label.
func TestDraftOfAnOlderVersionCarriesOver(t *testing.T) {
	v1, cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := builtin.ReadFile("defs/report.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), "version: 1\n", "version: 2\n", 1)
	s = strings.Replace(s, "  fields: {text: text, photos: photos, place: place, contact: contact}\n",
		"  fields: {text: text, photos: photos, place: place, contact: contact}\n  custom: [building]\n", 1)
	s = strings.Replace(s, "  - id: photos\n", "  - id: building\n    type: text\n    field: building\n    min_len: 1\n    max_len: 20\n"+
		"    label: {zh: 楼栋号, en: Building}\n    prompt: {zh: 请填写楼栋号。, en: \"Which building?\"}\n    want: {zh: 楼栋号, en: a building number}\n  - id: photos\n", 1)
	file, _ := builtin.ReadFile("defs/file.yaml")
	v2, err := LoadFS(fstest.MapFS{"d/report.yaml": {Data: []byte(s)}, "d/file.yaml": {Data: file}}, "d")
	if err != nil {
		t.Fatal(err)
	}
	old, err := NewMachine(v1, cat)
	if err != nil {
		t.Fatal(err)
	}
	now, err := NewMachine(v2, cat)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	in := func(text string) Input {
		at = at.Add(time.Second)
		return Input{ID: fmt.Sprint(at.Unix()), Time: at, ChatID: 7, UserID: 7, Kind: InputText, Text: text}
	}
	res := old.Step(Session{}, in("/report"))
	res = old.Step(res.Session, in("东门的路灯坏了一个多月，晚上很黑"))
	if res.Session.Flow.Step != 1 || res.Session.Flow.Version != 1 {
		t.Fatalf("on version 1: %+v", res.Session.Flow)
	}
	res = now.Step(res.Session, in("跳过")) // meant for the photos of version 1
	f := res.Session.Flow
	if f == nil || f.Version != 2 || now.StepID(ReportFlow, f.Step) != "building" || f.Answers["describe"].Text == "" {
		t.Fatalf("carried over: %+v", f)
	}
	if said := res.Messages[0].Text; !strings.Contains(said, "表单已更新") || !strings.Contains(said, "1项内容已保留") {
		t.Fatalf("the resident is told %q", said)
	}
	if !strings.Contains(res.Messages[1].Text, "请填写楼栋号") {
		t.Fatalf("the new question is not asked: %q", res.Messages[1].Text)
	}
	for _, answer := range []string{"3栋2单元", "跳过", "跳过", "匿名", "提交"} {
		res = now.Step(res.Session, in(answer))
	}
	if res.Effect == nil || res.Effect.Kind != EffectSubmit {
		t.Fatalf("not submitted: %+v", res.Messages)
	}
	d := res.Effect.Draft
	if d.Version != 2 || len(d.Custom) != 1 || d.Custom[0].Name != "building" || d.Custom[0].Value != "3栋2单元" || d.Custom[0].Label["zh"] != "楼栋号" ||
		!strings.Contains(d.Value(AttrText).Text, "路灯") {
		t.Fatalf("the draft: %+v", d)
	}
}

// A file replacing a built-in flow needs a version above it, or the same steps.
func TestMergeReplacesByVersion(t *testing.T) {
	v1, _, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	report := func(version int, steps int) *Definition {
		d := *v1[1]
		d.Version, d.Steps, d.File = version, d.Steps[:steps], "dir/report.yaml"
		d.Hash = d.contentHash()
		return &d
	}
	same := report(1, len(v1[1].Steps))
	if defs, err := Merge(v1, []*Definition{same}); err != nil || defs[1] != same {
		t.Fatalf("the same steps under the same version: %v", err)
	}
	if _, err := Merge(v1, []*Definition{report(1, 2)}); err == nil || !strings.Contains(err.Error(), "dir/report.yaml:1: flow \"report\" changes the built-in flow but keeps its version 1: raise version to 2") {
		t.Fatalf("changed under version 1: %v", err)
	}
	if _, err := Merge(v1, []*Definition{report(0, 2)}); err == nil || !strings.Contains(err.Error(), "is older than the built-in's") {
		t.Fatalf("older: %v", err)
	}
	extra := report(1, 2)
	extra.ID = "repair"
	if defs, err := Merge(v1, []*Definition{report(2, 2), extra}); err != nil || len(defs) != 3 || defs[1].Version != 2 || defs[2].ID != "repair" {
		t.Fatalf("a new version and a new flow: %v %v", defs, err)
	}
}
