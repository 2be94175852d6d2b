package bootstrap_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// convergeCase is an existing table that differs from what the options ask
// for. Apply must make exactly the writes listed (in order, with the waits
// between them), and plan must report the same action and changes with no
// write at all.
type convergeCase struct {
	name    string
	purpose string
	opts    []bootstrap.Option
	desc    *types.TableDescription // as first described; nil: correct and ACTIVE
	ttl     *dynamodb.DescribeTimeToLiveOutput
	pitr    types.PointInTimeRecoveryStatus // "": ENABLED
	tags    map[string]string               // existing tags, read only with WithTags
	// writes expects apply's calls after the first DescribeTable, in order.
	writes  func(d *mocks.MockDynamoDBAPI, name string) []any
	changes []string
	// warnings, when set: the result has one warning containing all of these.
	warnings []string
	// failure, when set: not repairable; the error contains these, and
	// nothing is written.
	failure []string
}

func TestConvergeExistingTable(t *testing.T) {
	sessions := activeTable(bootstrap.PurposeSessions, "")
	withDevice := withIndex(sessions, deviceIndex)
	approvals := activeTable(bootstrap.PurposeApprovals, "")
	ttlOff := ttlOutput(types.TimeToLiveStatusDisabled, "")
	const otherKey = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"

	tests := []convergeCase{{
		name: "TTL disabled", purpose: bootstrap.PurposeApprovals,
		ttl:     ttlOff,
		writes:  func(d *mocks.MockDynamoDBAPI, name string) []any { return []any{expectTTLWrite(d, name)} },
		changes: []string{"enable TTL on ttl"},
	}, {
		name: "TTL never set (no attribute, empty status)", purpose: bootstrap.PurposeApprovals,
		ttl:     &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{}},
		writes:  func(d *mocks.MockDynamoDBAPI, name string) []any { return []any{expectTTLWrite(d, name)} },
		changes: []string{"enable TTL on ttl"},
	}, {
		name: "PITR off", purpose: bootstrap.PurposeBreakGlass,
		pitr:    types.PointInTimeRecoveryStatusDisabled,
		writes:  func(d *mocks.MockDynamoDBAPI, name string) []any { return []any{expectPITRWrite(d, name)} },
		changes: []string{"enable point-in-time recovery"},
	}, {
		name: "sessions table of the original bootstrap, WithDeviceIndex: the index is added", purpose: bootstrap.PurposeSessions,
		opts: []bootstrap.Option{bootstrap.WithDeviceIndex()},
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			building := withStatus(withDevice, types.TableStatusUpdating, types.IndexStatusActive)
			building.GlobalSecondaryIndexes[4].IndexStatus = types.IndexStatusCreating
			return []any{
				expectAddIndex(d, name, sessions, deviceIndex),
				expectDescribe(d, name, building),
				expectDescribe(d, name, withDevice),
			}
		},
		changes: []string{"add index gsi-device-id"},
	}, {
		name: "sessions table with gsi-device-id, without WithDeviceIndex: left alone, with a warning", purpose: bootstrap.PurposeSessions,
		desc:     withDevice,
		warnings: []string{"gsi-device-id", `device_id = ""`, "cannot store or update sessions without a device", "aws dynamodb update-table --region eu-west-1 --table-name sentinel-sessions --global-secondary-index-updates '[{\"Delete\":{\"IndexName\":\"gsi-device-id\"}}]'"},
	}, {
		name: "two GSIs missing: one UpdateTable each, waiting between", purpose: bootstrap.PurposeSessions,
		opts: []bootstrap.Option{bootstrap.WithDeviceIndex()},
		desc: withoutIndex(sessions, "gsi-server-instance"),
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			halfBuilding := withStatus(sessions, types.TableStatusUpdating, types.IndexStatusActive)
			halfBuilding.GlobalSecondaryIndexes[3].IndexStatus = types.IndexStatusCreating
			fullBuilding := withStatus(withDevice, types.TableStatusActive, types.IndexStatusActive)
			fullBuilding.GlobalSecondaryIndexes[4].IndexStatus = types.IndexStatusCreating
			return []any{
				expectAddIndex(d, name, withoutIndex(sessions, "gsi-server-instance"), gsi{"gsi-server-instance", "server_instance_id", "status"}),
				expectDescribe(d, name, halfBuilding),
				expectDescribe(d, name, sessions),
				expectAddIndex(d, name, sessions, deviceIndex), // as the wait last saw it
				expectDescribe(d, name, fullBuilding),
				expectDescribe(d, name, withDevice),
			}
		},
		changes: []string{"add index gsi-server-instance", "add index gsi-device-id"},
	}, {
		name: "tags missing or different", purpose: bootstrap.PurposeApprovals,
		opts: []bootstrap.Option{bootstrap.WithTags(map[string]string{"team": "security", "env": "prod", "owner": "ops"})},
		tags: map[string]string{"team": "platform", "env": "prod", "cost-centre": "42"},
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			return []any{d.EXPECT().TagResource(gomock.Any(), sameJSON(&dynamodb.TagResourceInput{
				ResourceArn: aws.String(tableARN(name)),
				Tags: []types.Tag{ // only the missing and the different one
					{Key: aws.String("owner"), Value: aws.String("ops")},
					{Key: aws.String("team"), Value: aws.String("security")},
				},
			}), gomock.Any()).Return(&dynamodb.TagResourceOutput{}, nil)}
		},
		changes: []string{"tag owner=ops, team=security"},
	}, {
		name: "deletion protection off", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription {
			c := *approvals
			c.DeletionProtectionEnabled = aws.Bool(false)
			return &c
		}(),
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			return []any{
				expectUpdateTable(d, &dynamodb.UpdateTableInput{TableName: aws.String(name), DeletionProtectionEnabled: aws.Bool(true)}),
				expectDescribe(d, name, approvals),
			}
		},
		changes: []string{"enable deletion protection"},
	}, {
		name: "deletion protection off, WithoutDeletionProtection: left alone", purpose: bootstrap.PurposeApprovals,
		opts: []bootstrap.Option{bootstrap.WithoutDeletionProtection()},
		desc: func() *types.TableDescription {
			c := *approvals
			c.DeletionProtectionEnabled = aws.Bool(false)
			return &c
		}(),
	}, {
		name: "encrypted with an AWS owned key, not KMS", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription { c := *approvals; c.SSEDescription = nil; return &c }(),
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			return []any{
				expectUpdateTable(d, &dynamodb.UpdateTableInput{TableName: aws.String(name),
					SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}}),
				expectDescribe(d, name, approvals),
			}
		},
		changes: []string{"encrypt with KMS (AWS managed key)"},
	}, {
		name: "KMS with another key than WithKMSKey", purpose: bootstrap.PurposeApprovals,
		opts: []bootstrap.Option{bootstrap.WithKMSKey(otherKey)},
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			return []any{
				expectUpdateTable(d, &dynamodb.UpdateTableInput{TableName: aws.String(name),
					SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms, KMSMasterKeyId: aws.String(otherKey)}}),
				expectDescribe(d, name, approvals),
			}
		},
		changes: []string{"encrypt with KMS key " + otherKey},
	}, {
		name: "a GSI that is not Sentinel's is never touched", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription {
			c := *approvals
			foreign := gsiDescription(gsi{"gsi-tenant", "tenant", "created_at"}, types.IndexStatusActive)
			foreign.Projection = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
			c.GlobalSecondaryIndexes = append(slices.Clone(c.GlobalSecondaryIndexes), foreign)
			c.AttributeDefinitions = append(slices.Clone(c.AttributeDefinitions), types.AttributeDefinition{AttributeName: aws.String("tenant"), AttributeType: types.ScalarAttributeTypeN})
			return &c
		}(),
		ttl:     ttlOff,
		writes:  func(d *mocks.MockDynamoDBAPI, name string) []any { return []any{expectTTLWrite(d, name)} },
		changes: []string{"enable TTL on ttl"},
	}, {
		name: "everything at once, in order", purpose: bootstrap.PurposeSessions,
		opts: []bootstrap.Option{bootstrap.WithTags(map[string]string{"team": "security"}), bootstrap.WithDeviceIndex()},
		desc: func() *types.TableDescription {
			c := *sessions
			c.DeletionProtectionEnabled, c.SSEDescription = nil, nil
			return &c
		}(),
		ttl:  ttlOff,
		pitr: types.PointInTimeRecoveryStatusDisabled,
		tags: map[string]string{},
		writes: func(d *mocks.MockDynamoDBAPI, name string) []any {
			old := func() *types.TableDescription {
				c := *sessions
				c.DeletionProtectionEnabled, c.SSEDescription = nil, nil
				return &c
			}()
			return []any{
				expectUpdateTable(d, &dynamodb.UpdateTableInput{TableName: aws.String(name), DeletionProtectionEnabled: aws.Bool(true)}),
				expectDescribe(d, name, old),
				expectUpdateTable(d, &dynamodb.UpdateTableInput{TableName: aws.String(name),
					SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}}),
				expectDescribe(d, name, old),
				expectAddIndex(d, name, old, deviceIndex),
				expectDescribe(d, name, withDevice),
				expectTTLWrite(d, name),
				expectPITRWrite(d, name),
				d.EXPECT().TagResource(gomock.Any(), sameJSON(&dynamodb.TagResourceInput{
					ResourceArn: aws.String(tableARN(name)),
					Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("security")}},
				}), gomock.Any()).Return(&dynamodb.TagResourceOutput{}, nil),
			}
		},
		changes: []string{"enable deletion protection", "encrypt with KMS (AWS managed key)", "add index gsi-device-id",
			"enable TTL on ttl", "enable point-in-time recovery", "tag team=security"},
	}, {
		// Not repairable: never delete, recreate or disable anything.
		name: "different key schema", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription {
			c := *approvals
			c.KeySchema = []types.KeySchemaElement{
				{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("created_at"), KeyType: types.KeyTypeRange},
			}
			return &c
		}(),
		failure: []string{"key schema is (id S HASH, created_at S RANGE)", "partition key id (S) and no sort key"},
	}, {
		name: "GSI with different keys", purpose: bootstrap.PurposeBreakGlass,
		desc: func() *types.TableDescription {
			c := withStatus(activeTable(bootstrap.PurposeBreakGlass, ""), types.TableStatusActive, "")
			c.GlobalSecondaryIndexes[1].KeySchema = []types.KeySchemaElement{
				{AttributeName: aws.String("status"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("invoker"), KeyType: types.KeyTypeRange},
			}
			return c
		}(),
		failure: []string{"index gsi-status has keys (status S HASH, invoker S RANGE)", "needs (status S HASH, created_at S RANGE)"},
	}, {
		name: "GSI with another projection", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription {
			c := withStatus(approvals, types.TableStatusActive, "")
			c.GlobalSecondaryIndexes[2].Projection = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
			return c
		}(),
		failure: []string{"index gsi-profile projects KEYS_ONLY", "needs ALL"},
	}, {
		name: "TTL on another attribute", purpose: bootstrap.PurposeApprovals,
		ttl:     ttlOutput(types.TimeToLiveStatusEnabled, "expires_at"),
		failure: []string{`TTL is on attribute "expires_at"`, `"ttl"`},
	}, {
		// A table bootstrap cannot repair is left entirely alone: not even
		// the repairable PITR is turned on, and no change is reported.
		name: "not repairable plus repairable: nothing is written", purpose: bootstrap.PurposeApprovals,
		desc: func() *types.TableDescription {
			c := withStatus(approvals, types.TableStatusActive, "")
			c.GlobalSecondaryIndexes[2].Projection = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
			return c
		}(),
		pitr:    types.PointInTimeRecoveryStatusDisabled,
		failure: []string{"index gsi-profile projects KEYS_ONLY"},
	}}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var results [2]bootstrap.TableResult
			for i, plan := range []bool{true, false} {
				results[i] = runConverge(t, tc, plan)
			}
			plan, apply := results[0], results[1]
			if plan.Action != apply.Action || !slices.Equal(plan.Changes, apply.Changes) {
				t.Errorf("plan says %s %q, apply did %s %q", plan.Action, plan.Changes, apply.Action, apply.Changes)
			}
		})
	}
}

// runConverge runs one case in plan or apply mode and checks the result.
func runConverge(t *testing.T, tc convergeCase, plan bool) bootstrap.TableResult {
	t.Helper()
	s, d := newMocks(t)
	l := layout(tc.purpose)
	desc := tc.desc
	if desc == nil {
		desc = activeTable(tc.purpose, "")
	}
	ttl := tc.ttl
	if ttl == nil {
		ttl = ttlOutput(types.TimeToLiveStatusEnabled, "ttl")
	}
	pitr := tc.pitr
	if pitr == "" {
		pitr = types.PointInTimeRecoveryStatusEnabled
	}

	first := expectDescribe(d, l.name, desc).Times(1)
	d.EXPECT().DescribeTimeToLive(gomock.Any(), named(l.name), gomock.Any()).Return(ttl, nil).Times(1)
	expectPITR(d, l.name, pitr).Times(1)
	if tc.tags != nil {
		expectTags(d, l.name, tc.tags).Times(1)
	}
	if !plan && tc.writes != nil && tc.failure == nil {
		gomock.InOrder(append([]any{first}, tc.writes(d, l.name)...)...)
	}

	o := opts(clients(s, d), selectOption(tc.purpose))
	o = append(o, tc.opts...)
	if plan {
		o = append(o, bootstrap.WithPlanOnly())
	}
	rep, err := bootstrap.Run(t.Context(), testConfig(), o...)
	if rep == nil {
		t.Fatalf("no Report; err = %v", err)
	}
	got := rep.Tables[0]

	wantAction := bootstrap.ActionNone
	if len(tc.changes) > 0 {
		wantAction = bootstrap.ActionUpdate
	}
	wantStatus := bootstrap.StatusOK
	switch {
	case tc.failure != nil:
		wantStatus = bootstrap.StatusFailed
	case plan:
		wantStatus = bootstrap.StatusPlanned
	}
	mode := map[bool]string{true: "plan", false: "apply"}[plan]
	if got.Action != wantAction || got.Status != wantStatus || !slices.Equal(got.Changes, tc.changes) {
		t.Errorf("%s: action=%q status=%q changes=%q error=%q; want action=%q status=%q changes=%q",
			mode, got.Action, got.Status, got.Changes, got.Error, wantAction, wantStatus, tc.changes)
	}
	if tc.warnings != nil {
		if !slices.ContainsFunc(got.Warnings, func(w string) bool {
			for _, sub := range tc.warnings {
				if !strings.Contains(w, sub) {
					return false
				}
			}
			return true
		}) {
			t.Errorf("%s: warnings %q; want one containing %q", mode, got.Warnings, tc.warnings)
		}
	} else if len(got.Warnings) > 0 && tc.failure == nil {
		t.Errorf("%s: unexpected warnings %q", mode, got.Warnings)
	}
	if tc.failure != nil {
		checkIncomplete(t, err, []string{"table " + l.name})
		checkContains(t, mode+" Error", got.Error, tc.failure...)
	} else if err != nil {
		t.Errorf("%s: Run: %v", mode, err)
	}
	return got
}

func selectOption(purpose string) bootstrap.Option {
	switch purpose {
	case bootstrap.PurposeApprovals:
		return bootstrap.WithApprovals()
	case bootstrap.PurposeBreakGlass:
		return bootstrap.WithBreakGlass()
	}
	return bootstrap.WithSessions()
}

func expectTTLWrite(d *mocks.MockDynamoDBAPI, name string) *gomock.Call {
	return d.EXPECT().UpdateTimeToLive(gomock.Any(), sameJSON(&dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)},
	}), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)
}

func expectPITRWrite(d *mocks.MockDynamoDBAPI, name string) *gomock.Call {
	return d.EXPECT().UpdateContinuousBackups(gomock.Any(), sameJSON(&dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(name),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
	}), gomock.Any()).Return(&dynamodb.UpdateContinuousBackupsOutput{}, nil)
}

func expectUpdateTable(d *mocks.MockDynamoDBAPI, want *dynamodb.UpdateTableInput) *gomock.Call {
	return d.EXPECT().UpdateTable(gomock.Any(), sameJSON(want), gomock.Any()).Return(&dynamodb.UpdateTableOutput{}, nil)
}

// expectAddIndex expects an UpdateTable creating exactly one GSI. It defines
// every attribute the table (as last described, before) already defines, in
// order, plus the new index's keys that it lacks: AWS merges definitions,
// but some emulators replace them.
func expectAddIndex(d *mocks.MockDynamoDBAPI, name string, before *types.TableDescription, g gsi) *gomock.Call {
	defs := slices.Clone(before.AttributeDefinitions)
	for _, a := range []string{g.hash, g.sort} {
		if !slices.ContainsFunc(defs, func(x types.AttributeDefinition) bool { return aws.ToString(x.AttributeName) == a }) {
			defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
		}
	}
	return expectUpdateTable(d, &dynamodb.UpdateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: defs,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName:  aws.String(g.name),
			KeySchema:  gsiDescription(g, "").KeySchema,
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}},
	})
}
