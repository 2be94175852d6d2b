package bootstraptest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
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
	cfg := bootstraptest.Moto(t)
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
		if n := len(parametersUnder(t, cfg, rep.PolicyRoot)); n != 0 {
			t.Errorf("%d parameters left under %s", n, rep.PolicyRoot)
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
// removes what was created. Dynalite has no TTL, so every table fails there
// after it was created.
func TestRunFailsTheTestWithTheReportAndCleansUp(t *testing.T) {
	cfg := emulator.Config(emulator.Dynalite(t, emulator.DynaliteOptions{CreateTableMs: 50, DeleteTableMs: 50}))
	ft := newFakeT(t)
	ft.do(func() { bootstraptest.Run(ft, cfg, bootstrap.WithSessions()) })
	if !ft.failed || !strings.Contains(ft.msg, "does not support TTL") || !strings.Contains(ft.msg, `"table_status": "ACTIVE"`) {
		t.Fatalf("the test was not failed with the report: failed=%v\n%s", ft.failed, ft.msg)
	}
	tables, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || len(tables.TableNames) != 1 {
		t.Fatalf("before cleanup: tables %v, %v; want the one table", tables.TableNames, err)
	}
	ft.reset()
	ft.runCleanups()
	if ft.said() {
		t.Fatalf("cleanup reported: %s", ft.msg)
	}
	if d := describe(t, cfg, tables.TableNames[0]); d != nil {
		t.Errorf("cleanup left table %s (%s)", tables.TableNames[0], d.TableStatus)
	}
}

// TestTeardownIsQuietOnSuccess: a teardown that deletes what Run created
// says nothing.
func TestTeardownIsQuietOnSuccess(t *testing.T) {
	cfg := bootstraptest.Moto(t)
	ft := newFakeT(t)
	var rep *bootstrap.Report
	ft.do(func() { rep = bootstraptest.Run(ft, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithApprovals()) })
	if ft.said() || rep == nil {
		t.Fatalf("Run: %s", ft.msg)
	}
	ft.runCleanups()
	if ft.said() {
		t.Errorf("the teardown said: %s", ft.msg)
	}
	if d := describe(t, cfg, bootstraptest.TableName(rep, bootstrap.PurposeApprovals)); d != nil || len(parametersUnder(t, cfg, rep.PolicyRoot)) != 0 {
		t.Error("the teardown left resources behind")
	}
}

// TestTeardownWhenNothingWasCreated: when Run created nothing, the
// teardown makes no AWS call and says nothing.
func TestTeardownWhenNothingWasCreated(t *testing.T) {
	cfg := bootstraptest.Moto(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: aws.ToString(cfg.BaseEndpoint),
		Faults: awsshim.Faults{Rate: 1, Kinds: []awsshim.FaultKind{awsshim.FaultServerError}}})
	via := cfg.Copy()
	via.BaseEndpoint = aws.String(shim.URL)
	ft := newFakeT(t)
	ft.do(func() {
		bootstraptest.Run(ft, via, bootstrap.WithProfiles("dev"), bootstrap.WithApprovals(), bootstrap.WithWaitTimeout(time.Second))
	})
	if !ft.failed {
		t.Fatal("Run against an endpoint that answers only errors did not fail the test")
	}
	ft.reset()
	before := len(shim.Calls())
	ft.runCleanups()
	if ft.said() {
		t.Errorf("the teardown said: %s", ft.msg)
	}
	if n := len(shim.Calls()) - before; n != 0 {
		t.Errorf("the teardown made %d AWS calls for nothing", n)
	}
}

// TestTeardownDeletesOnlyWhatRunCreated: a parameter that Run failed to
// create, and that someone else created afterwards, is not deleted; the
// teardown says what it left and why.
func TestTeardownDeletesOnlyWhatRunCreated(t *testing.T) {
	cfg := bootstraptest.Moto(t)
	// One PutParameter goes through; the second is throttled until Run
	// gives up on it.
	shim := awsshim.StartT(t, awsshim.Options{Upstream: aws.ToString(cfg.BaseEndpoint), PutParameterLimit: 0.001, PutParameterBurst: 1})
	via := cfg.Copy()
	via.BaseEndpoint = aws.String(shim.URL)
	ft := newFakeT(t)
	var rep *bootstrap.Report
	ft.do(func() {
		rep = bootstraptest.Run(ft, via, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithConcurrency(1), bootstrap.WithWaitTimeout(time.Second))
	})
	if !ft.failed {
		t.Fatalf("Run did not fail: %s", ft.msg)
	}
	root := ""
	for line := range strings.Lines(ft.msg) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), `"policy_root": "`); ok {
			root = strings.TrimSuffix(v, `",`)
		}
	}
	if rep != nil || root == "" {
		t.Fatalf("no policy root in the report:\n%s", ft.msg)
	}
	names := parametersUnder(t, cfg, root)
	if len(names) != 1 {
		t.Fatalf("parameters after Run: %v, want one of the two", names)
	}
	other := root + "/dev"
	if names[0] == other {
		other = root + "/prod"
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(other), Value: aws.String("someone else's"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatal(err)
	}
	ft.reset()
	ft.runCleanups()
	if !ft.errored || !strings.Contains(ft.msg, "parameter "+other+", which this Run did not create") || !strings.Contains(ft.msg, "left in place: parameter "+names[0]) {
		t.Errorf("the teardown did not say what it left: %s", ft.msg)
	}
	if got := parametersUnder(t, cfg, root); len(got) != 2 {
		t.Errorf("parameters after the teardown: %v, want both left in place", got)
	}
}

func TestMotoStartsAndStopsWithTheTest(t *testing.T) {
	var endpoint string
	t.Run("test", func(t *testing.T) {
		cfg := bootstraptest.Moto(t)
		endpoint = aws.ToString(cfg.BaseEndpoint)
		if cfg.Region != "us-east-1" || !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
			t.Errorf("config: region %q endpoint %q", cfg.Region, endpoint)
		}
		if _, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
			t.Errorf("moto does not answer: %v", err)
		}
	})
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(endpoint, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("moto at %s still answers after its test ended", endpoint)
	}
}

// TestMotoIgnoresEndpointVariables: the configuration is not diverted by
// the environment's endpoint settings.
func TestMotoIgnoresEndpointVariables(t *testing.T) {
	for _, v := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SSM"} {
		t.Setenv(v, "http://127.0.0.1:9")
	}
	cfg := bootstraptest.Moto(t)
	ft := newFakeT(t)
	ft.do(func() { bootstraptest.Run(ft, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithSessions()) })
	if ft.said() {
		t.Errorf("Run: %s", ft.msg)
	}
	ft.runCleanups()
}

func TestMotoUsesTheEndpointVariable(t *testing.T) {
	t.Setenv(bootstraptest.EndpointEnv, "http://127.0.0.1:4566")
	t.Setenv("PATH", t.TempDir()) // nothing could be started
	cfg := bootstraptest.Moto(t)
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:4566" {
		t.Errorf("endpoint %q, want the variable's", got)
	}
}

// TestMotoMissing: without moto_server the test is skipped with an
// install hint; with BOOTSTRAP_REQUIRE_EMULATOR it fails; CI alone (set by
// other projects' pipelines) does not make it fail.
func TestMotoMissing(t *testing.T) {
	t.Setenv(bootstraptest.EndpointEnv, "")
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct {
		name    string
		env     map[string]string
		skipped bool
	}{
		{"plain", map[string]string{bootstraptest.RequireEmulatorEnv: "", "CI": ""}, true},
		{"CI only", map[string]string{bootstraptest.RequireEmulatorEnv: "", "CI": "true"}, true},
		{"required", map[string]string{bootstraptest.RequireEmulatorEnv: "1", "CI": ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ft := newFakeT(t)
			ft.do(func() { bootstraptest.Moto(ft) })
			if ft.skipped != tc.skipped || ft.failed == tc.skipped {
				t.Errorf("skipped %v failed %v, want skipped %v: %s", ft.skipped, ft.failed, tc.skipped, ft.msg)
			}
			if !strings.Contains(ft.msg, "pip install 'moto[server]'") || !strings.Contains(ft.msg, bootstraptest.EndpointEnv) {
				t.Errorf("the message does not say how to install moto: %s", ft.msg)
			}
		})
	}
}

// fakeT records what a test helper says instead of failing the real test.
type fakeT struct {
	testing.TB
	failed   bool // Fatalf
	errored  bool // Errorf
	skipped  bool // Skipf
	logged   bool // Logf
	msg      string
	cleanups []func()
}

func newFakeT(t *testing.T) *fakeT { return &fakeT{TB: t} }

// stop ends the helper's "test", as t.Fatalf and t.Skipf do.
var stop = errors.New("stop")

func (f *fakeT) Helper()           {}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic(stop)
}
func (f *fakeT) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	panic(stop)
}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errored, f.msg = true, f.msg+fmt.Sprintf(format, args...)
}
func (f *fakeT) Logf(format string, args ...any) {
	f.logged, f.msg = true, f.msg+fmt.Sprintf(format, args...)
}

// do runs fn as the body of a test.
func (f *fakeT) do(fn func()) {
	defer func() {
		if r := recover(); r != nil && r != stop {
			panic(r)
		}
	}()
	fn()
}

// said reports whether anything was reported.
func (f *fakeT) said() bool { return f.failed || f.errored || f.skipped || f.logged }

func (f *fakeT) reset() {
	f.failed, f.errored, f.skipped, f.logged, f.msg = false, false, false, false, ""
}

func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.do(f.cleanups[i])
	}
	f.cleanups = nil
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

// parametersUnder lists the parameters under root.
func parametersUnder(t *testing.T, cfg aws.Config, root string) []string {
	t.Helper()
	out, err := ssm.NewFromConfig(cfg).GetParametersByPath(context.Background(), &ssm.GetParametersByPathInput{Path: aws.String(root), Recursive: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.Parameters {
		names = append(names, aws.ToString(p.Name))
	}
	return names
}

// A signature that this Run did not create, under the name Sentinel reads
// for a policy the Run created, is not deleted by the teardown (Destroy
// deletes a policy's signature with it): the teardown leaves everything and
// says why.
func TestTeardownLeavesASignatureItDidNotCreate(t *testing.T) {
	cfg := bootstraptest.Moto(t)
	ft := newFakeT(t)
	var rep *bootstrap.Report
	ft.do(func() { rep = bootstraptest.Run(ft, cfg, bootstrap.WithProfiles("dev")) })
	if ft.failed || rep == nil {
		t.Fatalf("Run failed: %s", ft.msg)
	}
	policy := rep.Parameters[0].Name
	// Sentinel's name for the signature of a policy outside /sentinel/policies/.
	sig := "/sentinel/signatures/" + strings.TrimPrefix(policy, "/")
	client := ssm.NewFromConfig(cfg)
	if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(sig), Value: aws.String("someone else's signature"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatal(err)
	}
	ft.reset()
	ft.runCleanups()
	if !ft.errored || !strings.Contains(ft.msg, "signature "+sig+", which this Run did not create") {
		t.Errorf("the teardown did not say what it left: %s", ft.msg)
	}
	for _, name := range []string{policy, sig} {
		if _, err := client.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)}); err != nil {
			t.Errorf("%s after the teardown: %v; want it left in place", name, err)
		}
	}
}
