package bootstraptest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
)

// TestMyService is the README's example, as a test that runs.
func TestMyService(t *testing.T) {
	t.Parallel()
	cfg := bootstraptest.Moto(t)
	rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithSessions())
	sessions := bootstraptest.TableName(rep, bootstrap.PurposeSessions) // e.g. sentinel-sessions-TestMyService-1f2e3d4c
	policy := rep.Parameters[0].Name                                    // e.g. /sentinel/policies-TestMyService-1f2e3d4c/dev
	// … point the code under test at cfg, sessions and policy …
	_, _ = sessions, policy
}

// TestREADMEExample: the README's example of "In other projects'
// integration tests" is TestMyService above, character for character.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## In other projects' integration tests\n")
	_, block, ok2 := strings.Cut(section, "\n```go\n")
	block, _, ok3 := strings.Cut(block, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no Go block in the README's section on other projects' integration tests")
	}
	_, fn, _ := strings.Cut(string(source), "\nfunc TestMyService(")
	fn, _, _ = strings.Cut(fn, "\n}\n")
	if want := "func TestMyService(" + fn + "\n}"; block != want {
		t.Errorf("the README's example differs from TestMyService:\n--- README ---\n%s\n--- readme_test.go ---\n%s", block, want)
	}
}
