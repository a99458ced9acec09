package concern

import "testing"

// A step with a code reads in Chinese as the sentence written before codes, and
// a sentence written before reads in English as the coded step does.
func TestHistoryWords(t *testing.T) {
	for _, c := range []struct {
		coded  StatusChange
		legacy string
		en     string
	}{
		{StatusChange{Code: HistAssigned, Args: []string{"区住建局"}}, "转交 区住建局", "transferred to 区住建局"},
		{StatusChange{Code: HistDuplicate, Args: []string{"20261126-0001"}}, "与 20261126-0001 重复", "duplicate of 20261126-0001"},
		{StatusChange{Code: HistLevel, Args: []string{"urgent"}}, "时限调整为紧急", "time limit set to urgent"},
		{StatusChange{Code: HistReopened}, "群众不满意，重新办理", "the reporter was not satisfied: handled again"},
	} {
		if got := c.coded.Text("zh"); got != c.legacy {
			t.Errorf("%s in zh: %q, want %q", c.coded.Code, got, c.legacy)
		}
		old := StatusChange{Note: c.legacy}
		if got := old.Text("en"); got != c.en {
			t.Errorf("%q in en: %q, want %q", c.legacy, got, c.en)
		}
	}
	noted := StatusChange{Code: HistAssigned, Args: []string{"照明所"}, Note: "请三天内处理"}
	if got := noted.Text("en"); got != "transferred to 照明所; 请三天内处理" {
		t.Errorf("a step with a note: %q", got)
	}
	if got := (StatusChange{Note: "已派人查看"}).Text("en"); got != "已派人查看" {
		t.Errorf("staff's own note: %q", got)
	}
	for by, want := range map[string]string{"staff 李四": "staff 李四", "工作人员 李四": "staff 李四", "管理员 9001": "admin 9001", "居民评价": "the reporter's rating", "rating": "the reporter's rating", "telegram": "telegram"} {
		if got := (StatusChange{By: by}).ByLabel("en"); got != want {
			t.Errorf("by %q in en: %q, want %q", by, got, want)
		}
	}
}
