package integration_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// oldTable creates, directly in moto, a table the way an older or
// hand-made setup left it: the given indexes, no SSE specification, no
// deletion protection, TTL and point-in-time recovery off, no tags.
func (e *env) oldTable(name string, key []types.KeySchemaElement, indexes ...types.GlobalSecondaryIndex) {
	e.t.Helper()
	defs := map[string]bool{}
	var attrs []types.AttributeDefinition
	add := func(ks []types.KeySchemaElement) {
		for _, k := range ks {
			if n := aws.ToString(k.AttributeName); !defs[n] {
				defs[n] = true
				attrs = append(attrs, types.AttributeDefinition{AttributeName: k.AttributeName, AttributeType: types.ScalarAttributeTypeS})
			}
		}
	}
	add(key)
	for _, g := range indexes {
		add(g.KeySchema)
	}
	in := &dynamodb.CreateTableInput{
		TableName: aws.String(name), KeySchema: key, AttributeDefinitions: attrs,
		BillingMode: types.BillingModePayPerRequest,
	}
	if len(indexes) > 0 {
		in.GlobalSecondaryIndexes = indexes
	}
	if _, err := e.ddb.CreateTable(context.Background(), in); err != nil {
		e.t.Fatalf("CreateTable %s: %v", name, err)
	}
}

func oldIndex(name, hash, sort string, projection types.ProjectionType) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName: aws.String(name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sort), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: projection},
	}
}

var idKey = []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}

// The original bootstrap made session tables with four indexes (which is
// what Sentinel can write to: no gsi-device-id), without KMS, protection, TTL
// or point-in-time recovery. Run repairs all of it, one index per
// UpdateTable, leaves a foreign index alone, and plan shows exactly what
// apply does.
func TestIntegrationDriftRepair(t *testing.T) {
	e := newEnv(t, awsshim.Options{IndexCreatingFor: time.Second})
	sessions, approvals := "sentinel-sessions"+e.suffix, "sentinel-requests"+e.suffix
	e.oldTable(sessions, idKey,
		oldIndex("gsi-user", "user", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-profile", "profile", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-server-instance", "server_instance_id", "status", types.ProjectionTypeAll))
	e.oldTable(approvals, idKey,
		oldIndex("gsi-requester", "requester", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-custom", "team", "created_at", types.ProjectionTypeKeysOnly)) // not Sentinel's

	opts := []bootstrap.Option{bootstrap.WithApprovals(), bootstrap.WithSessions(), bootstrap.WithTags(map[string]string{"team": "sentinel"})}
	wantChanges := map[string][]string{
		approvals: {"enable deletion protection", "encrypt with KMS (AWS managed key)", "add index gsi-status", "add index gsi-profile",
			"enable TTL on ttl", "enable point-in-time recovery", "tag team=sentinel"},
		sessions: {"enable deletion protection", "encrypt with KMS (AWS managed key)",
			"enable TTL on ttl", "enable point-in-time recovery", "tag team=sentinel"},
	}
	check := func(rep *bootstrap.Report, status string) {
		t.Helper()
		for _, tb := range rep.Tables {
			done := map[string][]string{bootstrap.StatusPlanned: nil, bootstrap.StatusOK: wantChanges[tb.Name]}[status]
			if tb.Action != bootstrap.ActionUpdate || tb.Status != status || !slices.Equal(tb.Changes, wantChanges[tb.Name]) || !slices.Equal(tb.Done, done) {
				t.Errorf("%s %s: %s/%s %q\n got %q (done %q)\nwant %q", rep.Mode, tb.Name, tb.Action, tb.Status, tb.Error, tb.Changes, tb.Done, wantChanges[tb.Name])
			}
		}
	}

	e.shim.Reset() // count only what Run does
	check(e.mustRun(append(opts, bootstrap.WithPlanOnly())...), bootstrap.StatusPlanned)
	if w := e.shim.Writes(); w != 0 {
		t.Fatalf("plan wrote %d times: %v", w, e.shim.Counts())
	}

	e.shim.Reset()
	check(e.mustRun(opts...), bootstrap.StatusOK)
	// One UpdateTable per index, never more than one index in a call.
	if got := e.shim.Counts()["dynamodb:UpdateTable"]; got != 2+2+2 {
		t.Errorf("%d UpdateTable calls, want 6 (2 tables × protection and KMS, 2 indexes)", got)
	}
	e.checkTable("sentinel-sessions", true)
	d := e.table(approvals)
	var names []string
	for _, g := range d.GlobalSecondaryIndexes {
		names = append(names, aws.ToString(g.IndexName))
		if aws.ToString(g.IndexName) == "gsi-custom" && g.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
			t.Errorf("foreign index gsi-custom was changed: %+v", g)
		}
	}
	slices.Sort(names)
	if want := []string{"gsi-custom", "gsi-profile", "gsi-requester", "gsi-status"}; !slices.Equal(names, want) {
		t.Errorf("approvals indexes %v, want %v", names, want)
	}

	e.shim.Reset()
	assertAll(t, e.mustRun(opts...), bootstrap.ActionNone, bootstrap.StatusOK)
	if w := e.shim.Writes(); w != 0 {
		t.Errorf("second run wrote %d times: %v", w, e.shim.Counts())
	}
}

// What bootstrap cannot repair fails with a message saying what differs and
// what to do, and the table is not touched at all.
func TestIntegrationDriftNotRepairable(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	requests, breakglass, sessions := "sentinel-requests"+e.suffix, "sentinel-breakglass"+e.suffix, "sentinel-sessions"+e.suffix
	e.oldTable(requests, []types.KeySchemaElement{
		{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
	})
	e.oldTable(breakglass, idKey,
		oldIndex("gsi-invoker", "invoker", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeKeysOnly),
		oldIndex("gsi-profile", "created_at", "profile", types.ProjectionTypeAll))
	e.oldTable(sessions, idKey,
		oldIndex("gsi-user", "user", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-profile", "profile", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-server-instance", "server_instance_id", "status", types.ProjectionTypeAll),
		oldIndex("gsi-device-id", "device_id", "created_at", types.ProjectionTypeAll))
	if _, err := e.ddb.UpdateTimeToLive(context.Background(), &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(sessions),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	}); err != nil {
		t.Fatal(err)
	}

	wantErr := map[string][]string{
		requests:   {"key schema is (pk S HASH, sk S RANGE)", "partition key id (S)", "cannot be changed in place"},
		breakglass: {"index gsi-status projects KEYS_ONLY", "needs ALL", "index gsi-profile has keys (created_at S HASH, profile S RANGE)", "delete that index yourself"},
		sessions:   {`TTL is on attribute "expires_at"`, `"ttl"`, "disable TTL yourself"},
	}
	for _, mode := range []bootstrap.Option{bootstrap.WithPlanOnly(), nil} {
		e.shim.Reset()
		rep, err := e.run(bootstrap.WithAll(), mode)
		if err == nil {
			t.Fatal("Run succeeded, want failures")
		}
		for _, tb := range rep.Tables {
			if tb.Status != bootstrap.StatusFailed || tb.Action != bootstrap.ActionNone || len(tb.Changes) != 0 {
				t.Errorf("%s %s: %s/%s changes %v, want none/failed and no changes", rep.Mode, tb.Name, tb.Action, tb.Status, tb.Changes)
			}
			for _, want := range wantErr[tb.Name] {
				if !strings.Contains(tb.Error, want) {
					t.Errorf("%s %s: error %q lacks %q", rep.Mode, tb.Name, tb.Error, want)
				}
			}
		}
		if w := e.shim.Writes(); w != 0 {
			t.Errorf("%s wrote %d times to tables it cannot repair: %v", rep.Mode, w, e.shim.Counts())
		}
	}
}
