package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// building is the built-in 反映诉求 with one question more, 楼栋号, after the
// description, kept as a custom field: what an office adds without a rebuild.
func building(t *testing.T, version string) string {
	t.Helper()
	raw, err := os.ReadFile("../../flows/defs/report.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), "version: 1\n", "version: "+version+"\n", 1)
	s = strings.Replace(s, "  fields: {text: text, photos: photos, place: place, contact: contact}\n",
		"  fields: {text: text, photos: photos, place: place, contact: contact}\n  custom: [building]\n", 1)
	s = strings.Replace(s, "  - id: photos\n", `  - id: building
    type: text
    field: building
    min_len: 1
    max_len: 20
    label: {zh: 楼栋号, en: Building}
    prompt: {zh: 请填写楼栋号（如 3栋2单元）。, en: "Which building is it (e.g. Block 3, Unit 2)?"}
    want: {zh: 楼栋号, en: a building number}

  - id: photos
`, 1)
	return s
}

// A flow added in a directory works end to end in the console: the extra
// question is asked, its answer kept with the concern, shown by /show and
// written by the export; the same flow changed under a version already used is
// refused at start-up, naming the file.
func TestFlowFromAFileEndToEnd(t *testing.T) {
	srv.Flush(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.yaml"), []byte(building(t, "2")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	t.Setenv("MINYI_FLOWS_DIR", dir)
	t.Setenv("MINYI_ADMINS", "10001")
	t.Setenv("MINYI_LOG_LEVEL", "error")
	t.Setenv("MINYI_COMMUNITIES", "阳光社区,和平社区")
	var out, errOut bytes.Buffer
	before := time.Now()
	in := "/report\n东门的路灯坏了一个多月，晚上很黑，老人出门不安全\n3栋2单元\n跳过\n跳过\n匿名\n提交\n:quit\n"
	if code := run([]string{"console", "--web", ""}, strings.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("console: %d\n%s\n%s", code, out.String(), errOut.String())
	}
	said := out.String()
	if !strings.Contains(said, "请填写楼栋号") || !strings.Contains(said, "【楼栋号】3栋2单元") {
		t.Fatalf("the extra question was not asked or summed up:\n%s", said)
	}
	id := before.In(mustShanghai(t)).Format("20060102") + "-0001"
	if !strings.Contains(said, id) { // the run crossed midnight in Shanghai
		id = time.Now().In(mustShanghai(t)).Format("20060102") + "-0001"
	}
	if !strings.Contains(said, id) {
		t.Fatalf("no receipt %s:\n%s", id, said)
	}
	out.Reset()
	if code := run([]string{"console", "--web", ""}, strings.NewReader("/show "+id+"\n:quit\n"), &out, &errOut); code != 0 {
		t.Fatalf("console: %d\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "楼栋号：3栋2单元") {
		t.Fatalf("/show lacks the custom field:\n%s", out.String())
	}
	out.Reset()
	day := id[:4] + "-" + id[4:6] + "-" + id[6:8]
	if code := run([]string{"export", "--from", day, "--format", "csv"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("export: %d\n%s", code, errOut.String())
	}
	if csv := out.String(); !strings.Contains(csv, "其他信息") || !strings.Contains(csv, "楼栋号：3栋2单元") {
		t.Fatalf("the export lacks the custom field:\n%s", csv)
	}

	// the same version with other steps: refused, at the file
	changed := strings.Replace(building(t, "2"), "max_len: 20", "max_len: 30", 1)
	if err := os.WriteFile(filepath.Join(dir, "report.yaml"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"console", "--web", ""}, strings.NewReader(":quit\n"), &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), filepath.Join(dir, "report.yaml")+":1: flow \"report\" version 2 was used with other steps: raise version to 3") {
		t.Fatalf("a changed flow under its version: %d\n%s", code, errOut.String())
	}
}

func mustShanghai(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// minyi flows check names each mistake at its file and line, and passes good files.
func TestFlowsCheck(t *testing.T) {
	t.Setenv("MINYI_REDIS_URL", "")
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("report.yaml", building(t, "2"))
	var out, errOut bytes.Buffer
	if code := run([]string{"flows", "check", dir}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok — 2 flows: file v1 (built in), report v2 ("+filepath.Join(dir, "report.yaml")+")") {
		t.Fatalf("a good directory: %d\n%s%s", code, out.String(), errOut.String())
	}
	for name, c := range map[string]struct{ body, want string }{
		"same version, other steps": {strings.Replace(building(t, "2"), "version: 2", "version: 1", 1), "report.yaml:1: flow \"report\" changes the built-in flow but keeps its version 1: raise version to 2"},
		"untranslated":              {strings.Replace(building(t, "2"), `en: "Which building is it (e.g. Block 3, Unit 2)?"`, `en: ""`, 1), "report.yaml:43: flow \"report\" step 2 (building) prompt has no en wording: write both zh and en"},
		"unknown step type":         {strings.Replace(building(t, "2"), "type: text\n    field: building", "type: number\n    field: building", 1), "report.yaml:38: flow \"report\" step 2 (building): unknown type \"number\" (one of text, choice"},
		"unknown field":             {strings.Replace(building(t, "2"), "custom: [building]", "custom: [floor]", 1), "report.yaml:16: flow \"report\": custom field \"floor\" is filled by no step"},
		"malformed":                 {strings.Replace(building(t, "2"), "    min_len: 1\n", "    min_len: [1\n", 1), "report.yaml:39: did not find expected ',' or ']'"},
		"long button data":          {strings.ReplaceAll(building(t, "2"), "id: building", "id: "+strings.Repeat("b", 60)), "report.yaml:37: flow \"report\" step 2 (" + strings.Repeat("b", 60) + "): id makes its buttons' data 80 bytes; Telegram keeps 64: shorten the id"},
	} {
		write("report.yaml", c.body)
		out.Reset()
		errOut.Reset()
		if code := run([]string{"flows", "check", dir}, strings.NewReader(""), &out, &errOut); code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%s: %d, want %q in\n%s", name, code, c.want, errOut.String())
		}
	}
}

// minyi flows check reads the versions used and records none: a draft checked,
// changed and checked again under the same version is not refused.
func TestFlowsCheckRecordsNothing(t *testing.T) {
	srv.Flush(t)
	t.Setenv("MINYI_REDIS_URL", srv.URL())
	dir := t.TempDir()
	for _, body := range []string{building(t, "3"), strings.Replace(building(t, "3"), "max_len: 20", "max_len: 30", 1)} {
		if err := os.WriteFile(filepath.Join(dir, "report.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := run([]string{"flows", "check", dir}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("check: %d\n%s", code, errOut.String())
		}
	}
	if got := strings.TrimPrefix(srv.Do(t, "HLEN", "minyi:flows:versions"), ":"); got != "0" {
		t.Fatalf("the check recorded %s versions", got)
	}
}
