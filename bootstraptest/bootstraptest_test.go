package bootstraptest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

func TestMain(m *testing.M) {
	code := m.Run()
	emulator.StopAll()
	os.Exit(code)
}

// Parallel tests each get their own names, find their resources ready, and
// leave nothing behind once their cleanups have run.
func TestRunInParallelLeavesNothingBehind(t *testing.T) {
	cfg := emulator.Config(emulator.Moto(t))
	const n = 6
	var (
		mu      sync.Mutex
		reports []*bootstrap.Report
	)
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint("test", i), func(t *testing.T) {
				t.Parallel()
				rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithAll())
				if rep.Summary.Create != 5 || rep.Summary.Failed != 0 {
					t.Errorf("summary %+v, want 5 created", rep.Summary)
				}
				sessions := bootstraptest.TableName(rep, bootstrap.PurposeSessions)
				d := describe(t, cfg, sessions)
				if d == nil || d.TableStatus != types.TableStatusActive || aws.ToBool(d.DeletionProtectionEnabled) {
					t.Errorf("table %s: %+v, want ACTIVE without deletion protection", sessions, d)
				}
				mu.Lock()
				reports = append(reports, rep)
				mu.Unlock()
			})
		}
	})
	// The group has finished, so every test's cleanup has run.
	if len(reports) != n {
		t.Fatalf("%d reports, want %d", len(reports), n)
	}
	seen := map[string]bool{}
	for _, rep := range reports {
		for _, tb := range rep.Tables {
			if seen[tb.Name] {
				t.Errorf("table name %s used by two tests", tb.Name)
			}
			seen[tb.Name] = true
			if d := describe(t, cfg, tb.Name); d != nil {
				t.Errorf("table %s is still there (%s)", tb.Name, d.TableStatus)
			}
		}
		if seen[rep.PolicyRoot] {
			t.Errorf("policy root %s used by two tests", rep.PolicyRoot)
		}
		seen[rep.PolicyRoot] = true
		out, err := ssm.NewFromConfig(cfg).GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String(rep.PolicyRoot), Recursive: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) != 0 {
			t.Errorf("%d parameters left under %s", len(out.Parameters), rep.PolicyRoot)
		}
	}
}

func TestSuffixIsUniqueAndValid(t *testing.T) {
	a, b := bootstraptest.Suffix(t), bootstraptest.Suffix(t)
	if a == b {
		t.Errorf("two suffixes are equal: %s", a)
	}
	t.Run("a name with spaces/and slashes that is much longer than thirty-two characters", func(t *testing.T) {
		s := bootstraptest.Suffix(t)
		if len(s) > 64 || strings.ContainsAny(s, " /") {
			t.Errorf("suffix %q is not a valid name suffix", s)
		}
	})
}

// A failing setup fails the test with the report, and its cleanup still
// removes what was created. Dynalite has no TTL, so every table fails there.
func TestRunFailsTheTestWithTheReportAndCleansUp(t *testing.T) {
	cfg := emulator.Config(emulator.Dynalite(t, emulator.DynaliteOptions{CreateTableMs: 50, DeleteTableMs: 50}))
	ft := &fakeT{TB: t, name: t.Name()}
	func() {
		defer func() { _ = recover() }() // fakeT.Fatalf stops the "test" like t.Fatalf
		bootstraptest.Run(ft, cfg, bootstrap.WithSessions())
	}()
	if !ft.failed || !strings.Contains(ft.msg, "does not support TTL") || !strings.Contains(ft.msg, `"table_status": "ACTIVE"`) {
		t.Fatalf("the test was not failed with the report: failed=%v\n%s", ft.failed, ft.msg)
	}
	tables, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || len(tables.TableNames) != 1 {
		t.Fatalf("before cleanup: tables %v, %v; want the one table", tables.TableNames, err)
	}
	ft.runCleanups()
	if ft.errored {
		t.Fatalf("cleanup reported: %s", ft.msg)
	}
	if d := describe(t, cfg, tables.TableNames[0]); d != nil {
		t.Errorf("cleanup left table %s (%s)", tables.TableNames[0], d.TableStatus)
	}
}

// fakeT records failures instead of failing the real test.
type fakeT struct {
	testing.TB
	name     string
	failed   bool // Fatalf
	errored  bool // Errorf
	msg      string
	cleanups []func()
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Name() string      { return f.name }
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic(errors.New("fatal"))
}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errored, f.msg = true, fmt.Sprintf(format, args...)
}
func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func describe(t *testing.T, cfg aws.Config, name string) *types.TableDescription {
	t.Helper()
	out, err := dynamodb.NewFromConfig(cfg).DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Table
}
