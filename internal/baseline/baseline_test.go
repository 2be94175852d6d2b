package baseline_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/baseline"
	"github.com/sentinel-tools/bootstrap/internal/canonjson"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

func TestMain(m *testing.M) {
	code := m.Run()
	emulator.StopAll()
	os.Exit(code)
}

// The baseline's CreateTableInput is the library's, byte for byte: the
// library's golden files are the reference.
func TestCreateTableInputMatchesLibraryGolden(t *testing.T) {
	for _, c := range []struct {
		golden string
		spec   baseline.TableSpec
	}{
		{"create_table_approvals", baseline.ApprovalsTable(bootstrap.DefaultApprovalTable)},
		{"create_table_breakglass", baseline.BreakGlassTable(bootstrap.DefaultBreakGlassTable)},
		{"create_table_sessions", baseline.SessionsTable(bootstrap.DefaultSessionTable)},
	} {
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.golden+".golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		got := canonical(t, baseline.CreateTableInput(c.spec, baseline.Options{}))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: baseline CreateTableInput differs from the library's golden file\ngot:\n%s\nwant:\n%s", c.golden, got, want)
		}
	}
	if got := baseline.AllTables("-x"); len(got) != 3 || got[0].Name != bootstrap.DefaultApprovalTable+"-x" ||
		got[1].Name != bootstrap.DefaultBreakGlassTable+"-x" || got[2].Name != bootstrap.DefaultSessionTable+"-x" {
		t.Errorf("AllTables(-x) = %+v", got)
	}
}

func TestPollSchedule(t *testing.T) {
	var got []time.Duration
	d := baseline.DefaultFirstPoll
	for range 8 {
		got = append(got, d)
		d = baseline.NextPoll(d, baseline.DefaultMaxPoll)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Errorf("poll intervals %v, want %v", got, want)
	}
}

// Against moto through the shim (tables CREATING for a while): the baseline
// ends in the state the library creates, so that the library finds nothing
// to do afterwards, and a second baseline run writes nothing.
func TestEndStateMatchesLibrary(t *testing.T) {
	shim := awsshim.StartT(t, awsshim.Options{Upstream: emulator.Moto(t), CreatingFor: 400 * time.Millisecond})
	cfg := emulator.Config(shim.URL)
	ctx := context.Background()
	suffix := fmt.Sprintf("-bl%08x", rand.Uint32())
	root := bootstrap.DefaultPolicyRoot + suffix
	profiles := []string{"dev", "prod", "1"} // "1" needs quoting in YAML
	fast := baseline.Options{FirstPoll: 100 * time.Millisecond, MaxPoll: 400 * time.Millisecond}

	res, err := baseline.Run(ctx, cfg, profiles, root, baseline.AllTables(suffix), fast)
	if err != nil {
		t.Fatalf("baseline.Run: %v", err)
	}
	if res.ParametersCreated != 3 || res.TablesCreated != 3 || res.Polls < 3 || res.Waited < 3*400*time.Millisecond {
		t.Errorf("fresh run: %+v; want 3 parameters and 3 tables created, at least a poll each, 1.2 s waited", res)
	}
	counts := shim.Counts()
	for action, want := range map[string]int{
		"ssm:GetParameter": 3, "ssm:PutParameter": 3, "dynamodb:CreateTable": 3,
		"dynamodb:UpdateTimeToLive": 3, "dynamodb:UpdateContinuousBackups": 3,
		"dynamodb:DescribeTable": 3 + res.Polls,
	} {
		if counts[action] != want {
			t.Errorf("%s called %d times, want %d (all: %v)", action, counts[action], want, counts)
		}
	}

	// The library (plan mode) finds everything as it would have made it.
	rep, err := bootstrap.Run(ctx, cfg, bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...), bootstrap.WithAll(), bootstrap.WithPlanOnly())
	if err != nil {
		t.Fatalf("bootstrap.Run (plan) after the baseline: %v", err)
	}
	for _, p := range rep.Parameters {
		if p.Action != bootstrap.ActionNone || len(p.Warnings) > 0 {
			t.Errorf("library plan on the baseline's parameter %s: %s %v", p.Name, p.Action, p.Warnings)
		}
	}
	for _, tb := range rep.Tables {
		if tb.Action != bootstrap.ActionNone || len(tb.Warnings) > 0 {
			t.Errorf("library plan on the baseline's table %s: %s %v %v", tb.Name, tb.Action, tb.Changes, tb.Warnings)
		}
	}

	// A second baseline run (plan, then apply) reads and writes nothing new.
	for _, planOnly := range []bool{true, false} {
		shim.Reset()
		o := fast
		o.PlanOnly = planOnly
		res, err = baseline.Run(ctx, cfg, profiles, root, baseline.AllTables(suffix), o)
		if err != nil {
			t.Fatalf("second baseline.Run (plan %v): %v", planOnly, err)
		}
		if res.ParametersExisting != 3 || res.TablesExisting != 3 || res.ParametersCreated+res.TablesCreated+res.TablesRepaired+res.Polls != 0 {
			t.Errorf("second run (plan %v): %+v; want everything existing", planOnly, res)
		}
		want := map[string]int{"ssm:GetParameter": 3, "dynamodb:DescribeTable": 3, "dynamodb:DescribeTimeToLive": 3, "dynamodb:DescribeContinuousBackups": 3}
		if got := shim.Counts(); fmt.Sprint(got) != fmt.Sprint(want) || shim.Writes() != 0 {
			t.Errorf("second run (plan %v) calls %v (%d writes), want %v", planOnly, got, shim.Writes(), want)
		}
	}

	// The starter policies are the library's, apart from the baseline's time
	// stamp line (the library writes none: its policies are deterministic).
	libSuffix := suffix + "-lib"
	if _, err := bootstrap.Run(ctx, cfg, bootstrap.WithNameSuffix(libSuffix), bootstrap.WithProfiles(profiles...)); err != nil {
		t.Fatalf("bootstrap.Run: %v", err)
	}
	ps := ssm.NewFromConfig(cfg)
	generated := regexp.MustCompile(`(?m)^# Generated: .*\n`)
	for _, p := range profiles {
		var values [2]string
		for i, r := range []string{root, bootstrap.DefaultPolicyRoot + libSuffix} {
			out, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(r + "/" + p)})
			if err != nil {
				t.Fatal(err)
			}
			values[i] = generated.ReplaceAllString(aws.ToString(out.Parameter.Value), "")
		}
		if values[0] != values[1] {
			t.Errorf("profile %s: baseline policy\n%s\nlibrary policy\n%s", p, values[0], values[1])
		}
	}

	// And the baseline plan on fresh names writes nothing.
	shim.Reset()
	o := fast
	o.PlanOnly = true
	fresh := suffix + "-fresh"
	res, err = baseline.Run(ctx, cfg, profiles, bootstrap.DefaultPolicyRoot+fresh, baseline.AllTables(fresh), o)
	if err != nil || res.ParametersCreated != 3 || res.TablesCreated != 3 || shim.Writes() != 0 {
		t.Errorf("baseline plan on fresh names: %+v, %v, %d writes; want 3+3 to create and no write", res, err, shim.Writes())
	}
}

// canonical renders v as the library's golden files do.
func canonical(t *testing.T, v any) []byte {
	t.Helper()
	out, err := canonjson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
