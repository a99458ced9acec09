package flows_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minyi-project/minyi/commands"
	"github.com/minyi-project/minyi/commands/commandstest"
	"github.com/minyi-project/minyi/flows"
	"github.com/minyi-project/minyi/internal/flowplay"
	"github.com/minyi-project/minyi/internal/golden"
)

// The engine's scenarios (testdata/*.scenario, in the language of
// flowplay.Play), played on the built-in flows with the registry of typed
// commands over a case service of canned answers (commandstest.Fake), which
// traces each typed call in the transcript.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.scenario")
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".scenario")
		t.Run(name, func(t *testing.T) {
			fake := &commandstest.Fake{}
			m, reg, err := commands.NewEngine(fake, []flows.Option{flows.WithCommunities("阳光社区", "和平社区", "幸福里社区"),
				flows.WithGrids("和平社区/第一网格", "阳光社区/第一网格", "阳光社区/第二网格"), flows.WithOrgName("幸福街道", "Xingfu Sub-district"),
				flows.WithLocation(sh), flows.WithDutyPhone("0731-88886666")}, commands.WithUnits("区住建局", "区水务局"),
				commands.WithPublicURL("https://minyi.example.org/"))
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(file, ".scenario")+".golden", flowplay.Play(t, m, file, commandstest.Effects(fake, reg.Run)))
		})
	}
}
