package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/locale"
)

// submitUrgent walks a resident through a report and returns the receipt the
// engine words for a submission the screening found urgent with hazard.
func submitUrgent(t *testing.T, m *Machine, lang, hazard string) string {
	t.Helper()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s := Session{Lang: lang}
	n := 0
	step := func(in Input) Result {
		n++
		in.ID, in.Time, in.ChatID, in.UserID, in.Channel = "in-"+string(rune('a'+n)), at.Add(time.Duration(n)*time.Second), 1001, 1001, "test"
		res := m.Run(s, in, func(e Effect) EffectResult {
			if e.Kind != EffectSubmit {
				t.Fatalf("effect %s", e.Kind)
			}
			return EffectResult{ConcernID: "20261126-0001", Urgent: true, Hazard: hazard}
		})
		s = res.Session
		return res
	}
	step(Input{Kind: InputText, Text: "/report"})
	step(Input{Kind: InputText, Text: "燃气管道有泄漏的味道，在和平社区5号楼一单元，非常浓！"})
	step(Input{Kind: InputText, Text: "跳过"})
	step(Input{Kind: InputText, Text: "和平社区5号楼一单元"})
	step(Input{Kind: InputText, Text: "匿名"})
	res := step(Input{Kind: InputText, Text: "提交"})
	if len(res.Messages) == 0 {
		t.Fatal("no receipt")
	}
	return res.Messages[len(res.Messages)-1].Text
}

// The receipt of an emergency starts with what to do now, in the resident's
// language, with the configured numbers and duty phone, and says staff are alerted.
func TestUrgentReceiptStartsWithAdvice(t *testing.T) {
	m := testMachine(t)
	got := submitUrgent(t, m, "zh", "gas")
	for _, want := range []string{"🚨 疑似燃气泄漏：请立即离开，不要开关任何电器", "不要使用明火", "到室外安全处再拨打燃气公司的抢修电话（印在燃气表或燃气缴费单上）",
		"已通知值班工作人员。", "✅ 您的诉求已收到，编号 20261126-0001。"} {
		if !strings.Contains(got, want) {
			t.Errorf("receipt lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(got, "🚨 疑似燃气泄漏") || strings.Contains(got, "值班电话") {
		t.Errorf("receipt does not start with the advice, or names a duty phone none was given:\n%s", got)
	}
	if strings.Index(got, "已通知值班工作人员") > strings.Index(got, "✅") {
		t.Errorf("staff alerted is said after the receipt:\n%s", got)
	}

	m = testMachine(t, WithEmergencyNumbers(map[string]string{"gas": "96777", "fire": "119", "crisis": ""}), WithDutyPhone("0731-88886666"))
	got = submitUrgent(t, m, "en", "gas")
	for _, want := range []string{"🚨 Possible gas leak: leave now. Do not switch anything on or off, no flames", "call the gas emergency line, 96777",
		"The sub-district's duty phone: 0731-88886666", "Staff on duty have been alerted.", "Its number is 20261126-0001"} {
		if !strings.Contains(got, want) {
			t.Errorf("receipt lacks %q:\n%s", want, got)
		}
	}
	if got := submitUrgent(t, m, "zh", "selfharm"); !strings.Contains(got, "当地的心理援助热线") || !strings.Contains(got, "110 或 120") {
		t.Errorf("self-harm advice without a crisis line:\n%s", got)
	}
	if got := submitUrgent(t, testMachine(t), "zh", "selfharm"); !strings.Contains(got, "心理援助热线 12356") {
		t.Errorf("self-harm advice with the default crisis line:\n%s", got)
	}
	// collective action is not the resident's danger: the service does not mark
	// the receipt urgent, and an unknown hazard gets the general advice
	if got := submitUrgent(t, m, "zh", "collective"); !strings.HasPrefix(got, "🚨 情况紧急") {
		t.Errorf("a hazard without advice of its own:\n%s", got)
	}
}

// Every hazard's advice names its numbers in both languages, with nothing left unfilled.
func TestEveryAdviceIsFilled(t *testing.T) {
	want := map[string][]string{
		"gas": {"120"}, "fire": {"119"}, "electric": {"95598"}, "collapse": {"119"}, "trapped": {"119"}, "flood": {"119"},
		"violence": {"110"}, "selfharm": {"110", "120", "12356"}, "missing": {"110"}, "medical": {"120"}, "toxic": {"120"},
		"crowd": {"110"}, "suspicious": {"110"}, "traffic": {"122", "120"}, "": {"110", "119", "120"},
	}
	m := testMachine(t)
	for hazard, numbers := range want {
		if hazard != "" && !m.hasAdvice(hazard) {
			t.Errorf("%s has no advice of its own", hazard)
		}
		for _, lang := range locale.Languages {
			r := &run{m: m, s: &Session{}, lang: lang}
			got := r.advice(hazard)
			if strings.ContainsAny(got, "{}") {
				t.Errorf("%s/%s: a placeholder left: %s", hazard, lang, got)
			}
			for _, n := range numbers {
				if !strings.Contains(got, n) {
					t.Errorf("%s/%s does not say %s: %s", hazard, lang, n, got)
				}
			}
		}
	}
}

func TestEmergencyNumbersChecked(t *testing.T) {
	if _, err := NewDefault(WithEmergencyNumbers(map[string]string{"ambulance": "120"})); err == nil || !strings.Contains(err.Error(), `"ambulance": not a service`) {
		t.Fatalf("an unknown service: %v", err)
	}
	if _, err := NewDefault(WithEmergencyNumbers(map[string]string{"fire": " "})); err == nil || !strings.Contains(err.Error(), `"fire" is empty`) {
		t.Fatalf("an empty fire number: %v", err)
	}
	if _, err := NewDefault(WithEmergencyNumbers(map[string]string{"gas": "", "crisis": ""})); err != nil {
		t.Fatalf("gas and crisis may be left empty: %v", err)
	}
	if len(DefaultEmergencyNumbers()) != len(EmergencyServices()) {
		t.Fatal("a service without a default")
	}
}
