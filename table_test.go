package bootstrap_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// A fresh run creates each table with exactly the golden CreateTableInput,
// waits for it to be ACTIVE, and only then enables TTL and PITR.
func TestFreshRunCreateTableInput(t *testing.T) {
	selectors := map[string]bootstrap.Option{
		bootstrap.PurposeApprovals:  bootstrap.WithApprovals(),
		bootstrap.PurposeBreakGlass: bootstrap.WithBreakGlass(),
		bootstrap.PurposeSessions:   bootstrap.WithSessions(),
		bootstrap.PurposeRateLimits: bootstrap.WithRateLimits(),
	}
	for _, l := range append(layouts, rateLimitLayout) {
		t.Run(l.purpose, func(t *testing.T) {
			s, d := newMocks(t)
			var created *dynamodb.CreateTableInput
			freshTable(d, l.purpose, "", true, &created)

			rep := mustRun(t, opts(clients(s, d), selectors[l.purpose])...)

			if created == nil {
				t.Fatal("CreateTable was not called")
			}
			assertGolden(t, "create_table_"+l.purpose+".golden.json", created)
			checkCreateTableSpec(t, created, l)

			if len(rep.Tables) != 1 {
				t.Fatalf("got %d table results, want 1", len(rep.Tables))
			}
			got := rep.Tables[0]
			checkTable(t, got, bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on "+l.ttl, "enable point-in-time recovery")
			if !slices.Equal(got.Done, got.Changes) {
				t.Errorf("Done = %q; want every change done: %q", got.Done, got.Changes)
			}
			wantGSIs := []string{}
			for _, g := range l.gsis {
				wantGSIs = append(wantGSIs, g.name)
			}
			if got.Purpose != l.purpose || got.Name != l.name || got.ARN != tableARN(l.name) ||
				got.TableStatus != "ACTIVE" || got.TTLAttribute != l.ttl || !slices.Equal(got.GSIs, wantGSIs) || got.Error != "" {
				t.Errorf("result = %+v", got)
			}
			if want := (bootstrap.Summary{Create: 1}); rep.Summary != want {
				t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
			}
			if rep.Mode != bootstrap.ModeApply || rep.Region != testRegion {
				t.Errorf("Mode, Region = %q, %q", rep.Mode, rep.Region)
			}
		})
	}
}

// checkCreateTableSpec checks a CreateTableInput against the layout in the
// issue, independently of the golden file.
func checkCreateTableSpec(t *testing.T, in *dynamodb.CreateTableInput, l tableLayout) {
	t.Helper()
	if aws.ToString(in.TableName) != l.name {
		t.Errorf("TableName = %q, want %q", aws.ToString(in.TableName), l.name)
	}
	if len(in.KeySchema) != 1 || aws.ToString(in.KeySchema[0].AttributeName) != l.key || in.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("KeySchema = %+v, want %s HASH only", in.KeySchema, l.key)
	}
	if in.BillingMode != types.BillingModePayPerRequest || in.ProvisionedThroughput != nil {
		t.Errorf("BillingMode = %q, ProvisionedThroughput = %+v", in.BillingMode, in.ProvisionedThroughput)
	}
	wantAttrs := map[string]bool{l.key: true}
	var gotGSIs []gsi
	for _, g := range in.GlobalSecondaryIndexes {
		if len(g.KeySchema) != 2 || g.KeySchema[0].KeyType != types.KeyTypeHash || g.KeySchema[1].KeyType != types.KeyTypeRange {
			t.Errorf("GSI %s KeySchema = %+v", aws.ToString(g.IndexName), g.KeySchema)
			continue
		}
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("GSI %s projection = %+v, want ALL", aws.ToString(g.IndexName), g.Projection)
		}
		gotGSIs = append(gotGSIs, gsi{aws.ToString(g.IndexName), aws.ToString(g.KeySchema[0].AttributeName), aws.ToString(g.KeySchema[1].AttributeName)})
	}
	if !slices.Equal(gotGSIs, l.gsis) {
		t.Errorf("GSIs = %v, want %v", gotGSIs, l.gsis)
	}
	for _, g := range l.gsis {
		wantAttrs[g.hash], wantAttrs[g.sort] = true, true
	}
	seen := map[string]bool{}
	for _, a := range in.AttributeDefinitions {
		n := aws.ToString(a.AttributeName)
		if seen[n] {
			t.Errorf("attribute %s defined twice", n)
		}
		seen[n] = true
		if a.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("attribute %s has type %s, want S", n, a.AttributeType)
		}
	}
	if !maps.Equal(seen, wantAttrs) {
		t.Errorf("attributes defined = %v, want %v", slices.Sorted(maps.Keys(seen)), slices.Sorted(maps.Keys(wantAttrs)))
	}
	if sse := in.SSESpecification; sse == nil || !aws.ToBool(sse.Enabled) || sse.SSEType != types.SSETypeKms || sse.KMSMasterKeyId != nil {
		t.Errorf("SSESpecification = %+v, want KMS with the AWS managed key", sse)
	}
	if in.DeletionProtectionEnabled == nil || !*in.DeletionProtectionEnabled {
		t.Errorf("DeletionProtectionEnabled = %v, want true", in.DeletionProtectionEnabled)
	}
	if len(in.Tags) != 0 {
		t.Errorf("Tags = %+v, want none", in.Tags)
	}
}

// WithAll creates the three tables, reported in the order approvals,
// breakglass, sessions.
func TestFreshRunAllTables(t *testing.T) {
	s, d := newMocks(t)
	for _, l := range layouts {
		freshTable(d, l.purpose, "", true, nil)
	}
	rep := mustRun(t, opts(clients(s, d), bootstrap.WithAll())...)

	var order []string
	for _, r := range rep.Tables {
		order = append(order, r.Purpose)
		checkTable(t, r, bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
	}
	if want := []string{"approvals", "breakglass", "sessions"}; !slices.Equal(order, want) {
		t.Errorf("tables in order %v, want %v", order, want)
	}
	if want := (bootstrap.Summary{Create: 3}); rep.Summary != want {
		t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
	}
}

// Each creation option shows in the CreateTable request, and only there.
func TestFreshRunCreateOptions(t *testing.T) {
	const aliasKey = "alias/sentinel"
	tests := []struct {
		name  string
		opts  []bootstrap.Option
		table string // the table name expected
		check func(t *testing.T, in *dynamodb.CreateTableInput)
	}{{
		name: "WithKMSKey alias",
		opts: []bootstrap.Option{bootstrap.WithKMSKey(aliasKey)},
		check: func(t *testing.T, in *dynamodb.CreateTableInput) {
			want := &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String(aliasKey)}
			assertSameJSON(t, "SSESpecification", in.SSESpecification, want)
		},
	}, {
		name: "WithKMSKey ARN",
		opts: []bootstrap.Option{bootstrap.WithKMSKey(testKMSARN)},
		check: func(t *testing.T, in *dynamodb.CreateTableInput) {
			want := &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String(testKMSARN)}
			assertSameJSON(t, "SSESpecification", in.SSESpecification, want)
		},
	}, {
		name: "WithoutDeletionProtection",
		opts: []bootstrap.Option{bootstrap.WithoutDeletionProtection()},
		check: func(t *testing.T, in *dynamodb.CreateTableInput) {
			if in.DeletionProtectionEnabled == nil || *in.DeletionProtectionEnabled {
				t.Errorf("DeletionProtectionEnabled = %v, want an explicit false", in.DeletionProtectionEnabled)
			}
		},
	}, {
		name: "WithTags",
		opts: []bootstrap.Option{bootstrap.WithTags(map[string]string{"team": "sec", "env": "prod"}), bootstrap.WithTags(map[string]string{"owner": "ops"})},
		check: func(t *testing.T, in *dynamodb.CreateTableInput) {
			want := []types.Tag{
				{Key: aws.String("env"), Value: aws.String("prod")},
				{Key: aws.String("owner"), Value: aws.String("ops")},
				{Key: aws.String("team"), Value: aws.String("sec")},
			}
			assertSameJSON(t, "Tags", in.Tags, want)
		},
	}, {
		name:  "WithApprovalTable",
		opts:  []bootstrap.Option{bootstrap.WithApprovalTable("acme-approvals")},
		table: "acme-approvals",
		check: func(t *testing.T, in *dynamodb.CreateTableInput) {
			if got := aws.ToString(in.TableName); got != "acme-approvals" {
				t.Errorf("TableName = %q", got)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			var created *dynamodb.CreateTableInput
			freshTable(d, bootstrap.PurposeApprovals, tc.table, true, &created)

			rep := mustRun(t, opts(clients(s, d), append([]bootstrap.Option{bootstrap.WithApprovals()}, tc.opts...)...)...)
			if created == nil {
				t.Fatal("CreateTable was not called")
			}
			tc.check(t, created)
			checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
		})
	}
}

// TTL is enabled only once the table and every index are ACTIVE, and PITR
// only after that.
func TestFreshRunEnablesTTLOnlyWhenActive(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-sessions"
	active := activeTable(bootstrap.PurposeSessions, "")
	indexesBuilding := withStatus(active, types.TableStatusActive, types.IndexStatusCreating)

	describeActive := expectDescribe(d, name, active)
	ttl := d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)
	gomock.InOrder(
		expectNotFound(d, name),
		d.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.CreateTableOutput{TableDescription: creatingTable(name)}, nil),
		expectDescribe(d, name, withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)),
		expectDescribe(d, name, indexesBuilding), // table ACTIVE, indexes not yet: keep waiting
		describeActive,
		ttl,
	)
	expectEnablePITR(d, name).After(describeActive)

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithSessions())...)
	checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
}

// WithoutPointInTimeRecovery makes no PITR call at all, not even a read: the
// mocks have no PITR expectation, so any such call fails the test.
func TestWithoutPointInTimeRecoveryMakesNoPITRCall(t *testing.T) {
	t.Run("fresh table", func(t *testing.T) {
		s, d := newMocks(t)
		freshTable(d, bootstrap.PurposeApprovals, "", false, nil)
		rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithoutPointInTimeRecovery())...)
		checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl")
	})
	t.Run("existing table", func(t *testing.T) {
		s, d := newMocks(t)
		expectCorrectTable(d, bootstrap.PurposeApprovals, false, nil)
		rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithoutPointInTimeRecovery())...)
		checkTable(t, rep.Tables[0], bootstrap.ActionNone, bootstrap.StatusOK)
	})
	t.Run("plan", func(t *testing.T) {
		s, d := newMocks(t)
		expectNotFound(d, "sentinel-requests")
		rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithPlanOnly())...)
		checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusPlanned, "create table", "enable TTL on ttl")
	})
}

// A new table may refuse PITR for a while (ContinuousBackupsUnavailable);
// the call is retried within the wait bound and the run ends ok.
func TestFreshRunRetriesPITRWhileUnavailable(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-breakglass"
	active := activeTable(bootstrap.PurposeBreakGlass, "")
	ttl := d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)
	gomock.InOrder(
		expectNotFound(d, name),
		d.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.CreateTableOutput{TableDescription: creatingTable(name)}, nil),
		expectDescribe(d, name, active),
		ttl,
		d.EXPECT().UpdateContinuousBackups(gomock.Any(), named(name), gomock.Any()).
			Return(nil, opErr("DynamoDB", "UpdateContinuousBackups", &types.ContinuousBackupsUnavailableException{Message: aws.String("Backups are being enabled for the table")})),
		expectEnablePITR(d, name),
	)
	rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
	checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
}
