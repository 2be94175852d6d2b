package integration_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// wantIndexes is what Sentinel queries, written out independently of the
// library's schemas: index name → partition key, sort key.
var wantIndexes = map[string]map[string][2]string{
	"sentinel-requests": {
		"gsi-requester": {"requester", "created_at"},
		"gsi-status":    {"status", "created_at"},
		"gsi-profile":   {"profile", "created_at"},
	},
	"sentinel-breakglass": {
		"gsi-invoker": {"invoker", "created_at"},
		"gsi-status":  {"status", "created_at"},
		"gsi-profile": {"profile", "created_at"},
	},
	"sentinel-sessions": {
		"gsi-user":            {"user", "created_at"},
		"gsi-status":          {"status", "created_at"},
		"gsi-profile":         {"profile", "created_at"},
		"gsi-server-instance": {"server_instance_id", "status"},
	},
}

// checkTable compares a table as moto describes it with Sentinel's schema.
func (e *env) checkTable(base string, deletionProtection bool) {
	t := e.t
	t.Helper()
	name := base + e.suffix
	d := e.table(name)
	if d == nil {
		t.Fatalf("table %s does not exist", name)
	}
	if len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != "id" || d.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("%s: key schema %+v, want id HASH only", name, d.KeySchema)
	}
	seen := map[string]bool{}
	for _, a := range d.AttributeDefinitions {
		n := aws.ToString(a.AttributeName)
		if seen[n] {
			t.Errorf("%s: attribute %s defined twice", name, n)
		}
		seen[n] = true
		if a.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("%s: attribute %s is %s, want S", name, n, a.AttributeType)
		}
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("%s: billing %+v, want PAY_PER_REQUEST", name, d.BillingModeSummary)
	}
	if d.SSEDescription == nil || d.SSEDescription.SSEType != types.SSETypeKms || d.SSEDescription.Status != types.SSEStatusEnabled {
		t.Errorf("%s: SSE %+v, want KMS ENABLED", name, d.SSEDescription)
	}
	if aws.ToBool(d.DeletionProtectionEnabled) != deletionProtection {
		t.Errorf("%s: deletion protection %v, want %v", name, aws.ToBool(d.DeletionProtectionEnabled), deletionProtection)
	}
	want := wantIndexes[base]
	if len(d.GlobalSecondaryIndexes) != len(want) {
		t.Errorf("%s: %d indexes, want %d", name, len(d.GlobalSecondaryIndexes), len(want))
	}
	for _, g := range d.GlobalSecondaryIndexes {
		keys, ok := want[aws.ToString(g.IndexName)]
		if !ok {
			t.Errorf("%s: unexpected index %s", name, aws.ToString(g.IndexName))
			continue
		}
		if len(g.KeySchema) != 2 || aws.ToString(g.KeySchema[0].AttributeName) != keys[0] || g.KeySchema[0].KeyType != types.KeyTypeHash ||
			aws.ToString(g.KeySchema[1].AttributeName) != keys[1] || g.KeySchema[1].KeyType != types.KeyTypeRange {
			t.Errorf("%s: index %s keys %+v, want %v", name, aws.ToString(g.IndexName), g.KeySchema, keys)
		}
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("%s: index %s projection %+v, want ALL", name, aws.ToString(g.IndexName), g.Projection)
		}
		for _, k := range keys {
			if !seen[k] {
				t.Errorf("%s: index key %s has no attribute definition", name, k)
			}
		}
	}
	ctx := context.Background()
	ttl, err := e.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
		t.Errorf("%s: TTL %+v, want ENABLED on ttl", name, ttl.TimeToLiveDescription)
	}
	pitr, err := e.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := pitr.ContinuousBackupsDescription; d == nil || d.PointInTimeRecoveryDescription == nil ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Errorf("%s: point-in-time recovery %+v, want ENABLED", name, pitr.ContinuousBackupsDescription)
	}
}

// checkStarterPolicy asserts the value is a starter policy for profile.
func checkStarterPolicy(t *testing.T, profile, value string) {
	t.Helper()
	var doc struct {
		Version string `yaml:"version"`
		Rules   []struct {
			Name       string              `yaml:"name"`
			Effect     string              `yaml:"effect"`
			Conditions map[string][]string `yaml:"conditions"`
			Reason     string              `yaml:"reason"`
		} `yaml:"rules"`
	}
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		t.Fatalf("starter policy for %s is not YAML: %v\n%s", profile, err, value)
	}
	if doc.Version != "1" || len(doc.Rules) != 1 || doc.Rules[0].Name != "default-deny" || doc.Rules[0].Effect != "deny" ||
		!slices.Equal(doc.Rules[0].Conditions["profiles"], []string{profile}) || doc.Rules[0].Reason != "Default deny - customize this policy" {
		t.Errorf("starter policy for %s: %+v\n%s", profile, doc, value)
	}
	if !strings.Contains(value, "# ") || !strings.Contains(value, profile) {
		t.Errorf("starter policy for %s lacks its header:\n%s", profile, value)
	}
}

var profiles3 = []string{"dev", "staging", "prod"}

func TestIntegrationFreshThenRerun(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	rep := e.mustRun(bootstrap.WithProfiles(profiles3...), bootstrap.WithAll())
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)

	params := e.parameters()
	if len(params) != 3 {
		t.Fatalf("%d parameters under %s, want 3: %v", len(params), e.root(), params)
	}
	for _, p := range profiles3 {
		got, ok := params[e.root()+"/"+p]
		if !ok {
			t.Fatalf("no parameter for %s", p)
		}
		checkStarterPolicy(t, p, got.value)
	}
	if got := e.tablesWithSuffix(); len(got) != 3 {
		t.Fatalf("tables %v, want 3", got)
	}
	for _, base := range []string{"sentinel-requests", "sentinel-breakglass", "sentinel-sessions"} {
		e.checkTable(base, true)
	}

	e.shim.Reset()
	rep = e.mustRun(bootstrap.WithProfiles(profiles3...), bootstrap.WithAll())
	assertAll(t, rep, bootstrap.ActionNone, bootstrap.StatusOK)
	if w := e.shim.Writes(); w != 0 {
		t.Errorf("rerun made %d write calls, want 0: %v", w, e.shim.Counts())
	}
	if rep.Summary != (bootstrap.Summary{None: 6}) {
		t.Errorf("rerun summary %+v, want 6 none", rep.Summary)
	}
}

func TestIntegrationPlanOnFreshEndpointChangesNothing(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	rep := e.mustRun(bootstrap.WithProfiles(profiles3...), bootstrap.WithAll(), bootstrap.WithPlanOnly())
	if rep.Mode != bootstrap.ModePlan {
		t.Errorf("mode %q, want plan", rep.Mode)
	}
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusPlanned)
	if w := e.shim.Writes(); w != 0 {
		t.Errorf("plan made %d write calls: %v", w, e.shim.Counts())
	}
	if got := e.tablesWithSuffix(); len(got) != 0 {
		t.Errorf("plan left tables %v", got)
	}
	if got := e.parameters(); len(got) != 0 {
		t.Errorf("plan left parameters %v", got)
	}
}

func TestIntegrationExistingParameterIsNeverChanged(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	custom := "# ours, hand-written\nversion: \"1\"\nrules:\n  - name: allow-dev\n    effect: allow\n    conditions: {profiles: [dev]}\n"
	e.putParameter(e.root()+"/dev", custom)
	for i := range 3 {
		rep := e.mustRun(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("dev", "version: \"1\"\nrules:\n  - name: x\n    effect: deny\n    conditions: {profiles: [dev]}\n"))
		if p := rep.Parameters[0]; p.Action != bootstrap.ActionNone || p.Version != 1 {
			t.Errorf("run %d: dev is %s version %d, want none version 1", i, p.Action, p.Version)
		}
	}
	got := e.parameters()[e.root()+"/dev"]
	if got.value != custom || got.version != 1 {
		t.Errorf("dev parameter changed: version %d\n%q\nwant\n%q", got.version, got.value, custom)
	}
}

func TestIntegrationConcurrentRuns(t *testing.T) {
	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := newEnv(t, awsshim.Options{CreatingFor: 300 * time.Millisecond})
			profiles := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
			errs := make([]error, n)
			reps := make([]*bootstrap.Report, n)
			concurrently(n, func(i int) {
				reps[i], errs[i] = e.run(bootstrap.WithProfiles(profiles...), bootstrap.WithAll())
			})
			created := map[string]int{}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("run %d: %v\n%s", i, err, reportJSON(reps[i]))
				}
				for _, p := range reps[i].Parameters {
					if p.Action == bootstrap.ActionCreate {
						created[p.Name]++
					}
				}
				for _, tb := range reps[i].Tables {
					if tb.Action == bootstrap.ActionCreate {
						created[tb.Name]++
					}
				}
			}
			for name, c := range created {
				if c != 1 {
					t.Errorf("%s reported created by %d runs", name, c)
				}
			}
			if got := e.tablesWithSuffix(); len(got) != 3 {
				t.Errorf("tables %v, want 3", got)
			}
			params := e.parameters()
			if len(params) != len(profiles) {
				t.Errorf("%d parameters, want %d", len(params), len(profiles))
			}
			for name, p := range params {
				if p.version != 1 {
					t.Errorf("%s has version %d: written more than once", name, p.version)
				}
			}
			for _, base := range []string{"sentinel-requests", "sentinel-breakglass", "sentinel-sessions"} {
				e.checkTable(base, true)
			}
			assertAll(t, e.mustRun(bootstrap.WithProfiles(profiles...), bootstrap.WithAll()), bootstrap.ActionNone, bootstrap.StatusOK)
		})
	}
}

func TestIntegrationWaitsForCreatingTables(t *testing.T) {
	const window = 2 * time.Second
	e := newEnv(t, awsshim.Options{CreatingFor: window, Delay: 5 * time.Millisecond})
	began := time.Now()
	rep := e.mustRun(bootstrap.WithProfiles("dev"), bootstrap.WithAll())
	if took := time.Since(began); took < window {
		t.Errorf("Run took %s, less than the CREATING window %s: it did not wait", took, window)
	}
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)
	// Not a single refused call: TTL and PITR were each enabled once per
	// table, only after the table became ACTIVE.
	c := e.shim.Counts()
	if c["dynamodb:UpdateTimeToLive"] != 3 || c["dynamodb:UpdateContinuousBackups"] != 3 || c["dynamodb:CreateTable"] != 3 {
		t.Errorf("calls %v, want exactly 3 CreateTable, UpdateTimeToLive and UpdateContinuousBackups", c)
	}
	for _, base := range []string{"sentinel-requests", "sentinel-breakglass", "sentinel-sessions"} {
		e.checkTable(base, true)
	}
}

func TestIntegrationWaitTimeoutFailsOnlyTheTables(t *testing.T) {
	const window = 3 * time.Second
	e := newEnv(t, awsshim.Options{CreatingFor: window})
	began := time.Now()
	rep, err := e.run(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithAll(), bootstrap.WithWaitTimeout(500*time.Millisecond))
	var inc *bootstrap.IncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, bootstrap.ErrIncomplete) {
		t.Fatalf("err = %v, want *IncompleteError", err)
	}
	if len(inc.Failed) != 3 {
		t.Errorf("failed %v, want the 3 tables", inc.Failed)
	}
	for _, p := range rep.Parameters {
		if p.Status != bootstrap.StatusOK {
			t.Errorf("parameter %s: %s %s", p.Name, p.Status, p.Error)
		}
	}
	for _, tb := range rep.Tables {
		if tb.Status != bootstrap.StatusFailed || !strings.Contains(tb.Error, "WithWaitTimeout") || !strings.Contains(tb.Error, "CREATING") {
			t.Errorf("table %s: %s %q, want a failure naming WithWaitTimeout and CREATING", tb.Name, tb.Status, tb.Error)
		}
		if !strings.Contains(err.Error(), tb.Name) {
			t.Errorf("error %q does not name %s", err, tb.Name)
		}
	}
	// The half-finished run converges: once AWS is done, the next run
	// enables TTL and point-in-time recovery, and the one after has nothing to do.
	time.Sleep(time.Until(began.Add(window + 200*time.Millisecond)))
	rep = e.mustRun(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithAll())
	for _, tb := range rep.Tables {
		if tb.Action != bootstrap.ActionUpdate || !slices.Equal(tb.Changes, []string{"enable TTL on ttl", "enable point-in-time recovery"}) {
			t.Errorf("table %s: %s %v, want update enabling TTL and PITR", tb.Name, tb.Action, tb.Changes)
		}
	}
	assertAll(t, e.mustRun(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithAll()), bootstrap.ActionNone, bootstrap.StatusOK)
}
