package bootstrap_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// Shared fixtures for the mock-based unit tests. The table layouts below are
// written out from the issue (what Sentinel reads and writes), not taken from
// the library, so that they are an independent oracle.

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
	testKMSARN  = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
	// shortWait keeps every wait and retry loop in the tests brief.
	shortWait = 2 * time.Second
)

// testConfig is a base aws.Config: a region, and nothing that could reach AWS
// (every test passes mock clients).
func testConfig() aws.Config { return aws.Config{Region: testRegion} }

type gsi struct{ name, hash, sort string }

type tableLayout struct {
	purpose string
	name    string // default name
	key     string // partition key
	ttl     string // TTL attribute
	gsis    []gsi
}

var layouts = []tableLayout{
	{bootstrap.PurposeApprovals, "sentinel-requests", "id", "ttl", []gsi{
		{"gsi-requester", "requester", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
	}},
	{bootstrap.PurposeBreakGlass, "sentinel-breakglass", "id", "ttl", []gsi{
		{"gsi-invoker", "invoker", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
	}},
	{bootstrap.PurposeSessions, "sentinel-sessions", "id", "ttl", []gsi{
		{"gsi-user", "user", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
		{"gsi-server-instance", "server_instance_id", "status"},
	}},
}

// rateLimitLayout is the rate-limit table (WithRateLimits; not in WithAll).
var rateLimitLayout = tableLayout{bootstrap.PurposeRateLimits, "sentinel-rate-limits", "PK", "TTL", nil}

// deviceIndex is the optional sessions index of WithDeviceIndex.
var deviceIndex = gsi{"gsi-device-id", "device_id", "created_at"}

func layout(purpose string) tableLayout {
	for _, l := range append(layouts, rateLimitLayout) {
		if l.purpose == purpose {
			return l
		}
	}
	panic("no layout for " + purpose)
}

func tableARN(name string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", testRegion, testAccount, name)
}

// activeTable describes a correct, ACTIVE table of the given purpose, as
// AWS would after a complete bootstrap: every GSI ACTIVE, PAY_PER_REQUEST,
// KMS encryption, deletion protection on.
func activeTable(purpose, name string) *types.TableDescription {
	l := layout(purpose)
	if name == "" {
		name = l.name
	}
	d := &types.TableDescription{
		TableName:                 aws.String(name),
		TableArn:                  aws.String(tableARN(name)),
		TableStatus:               types.TableStatusActive,
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String(l.key), KeyType: types.KeyTypeHash}},
		BillingModeSummary:        &types.BillingModeSummary{BillingMode: types.BillingModePayPerRequest},
		SSEDescription:            &types.SSEDescription{Status: types.SSEStatusEnabled, SSEType: types.SSETypeKms, KMSMasterKeyArn: aws.String(testKMSARN)},
		DeletionProtectionEnabled: aws.Bool(true),
	}
	attrs := []string{l.key}
	for _, g := range l.gsis {
		for _, a := range []string{g.hash, g.sort} {
			if !slices.Contains(attrs, a) {
				attrs = append(attrs, a)
			}
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, gsiDescription(g, types.IndexStatusActive))
	}
	for _, a := range attrs {
		d.AttributeDefinitions = append(d.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	return d
}

func gsiDescription(g gsi, status types.IndexStatus) types.GlobalSecondaryIndexDescription {
	return types.GlobalSecondaryIndexDescription{
		IndexName: aws.String(g.name),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(g.hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(g.sort), KeyType: types.KeyTypeRange},
		},
		Projection:  &types.Projection{ProjectionType: types.ProjectionTypeAll},
		IndexStatus: status,
	}
}

// withStatus returns a copy of d with the given table status; every GSI gets
// idx when it is not empty.
func withStatus(d *types.TableDescription, table types.TableStatus, idx types.IndexStatus) *types.TableDescription {
	c := *d
	c.TableStatus = table
	c.GlobalSecondaryIndexes = slices.Clone(d.GlobalSecondaryIndexes)
	if idx != "" {
		for i := range c.GlobalSecondaryIndexes {
			c.GlobalSecondaryIndexes[i].IndexStatus = idx
		}
	}
	return &c
}

// withoutIndex returns a copy of d without the named GSIs (and without
// attribute definitions that only they used), as a table made by an older
// bootstrap looks.
func withoutIndex(d *types.TableDescription, names ...string) *types.TableDescription {
	c := *d
	c.GlobalSecondaryIndexes = slices.DeleteFunc(slices.Clone(d.GlobalSecondaryIndexes), func(g types.GlobalSecondaryIndexDescription) bool {
		return slices.Contains(names, aws.ToString(g.IndexName))
	})
	used := map[string]bool{aws.ToString(d.KeySchema[0].AttributeName): true}
	for _, g := range c.GlobalSecondaryIndexes {
		for _, k := range g.KeySchema {
			used[aws.ToString(k.AttributeName)] = true
		}
	}
	c.AttributeDefinitions = slices.DeleteFunc(slices.Clone(d.AttributeDefinitions), func(a types.AttributeDefinition) bool {
		return !used[aws.ToString(a.AttributeName)]
	})
	return &c
}

// withIndex returns a copy of d with the GSI g added (ACTIVE), as a sessions
// table made with WithDeviceIndex looks.
func withIndex(d *types.TableDescription, g gsi) *types.TableDescription {
	c := *d
	c.GlobalSecondaryIndexes = append(slices.Clone(d.GlobalSecondaryIndexes), gsiDescription(g, types.IndexStatusActive))
	c.AttributeDefinitions = slices.Clone(d.AttributeDefinitions)
	for _, a := range []string{g.hash, g.sort} {
		if !slices.ContainsFunc(c.AttributeDefinitions, func(x types.AttributeDefinition) bool { return aws.ToString(x.AttributeName) == a }) {
			c.AttributeDefinitions = append(c.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
		}
	}
	return &c
}

// creatingTable is what CreateTable answers.
func creatingTable(name string) *types.TableDescription {
	return &types.TableDescription{TableName: aws.String(name), TableArn: aws.String(tableARN(name)), TableStatus: types.TableStatusCreating}
}

func ttlOutput(status types.TimeToLiveStatus, attr string) *dynamodb.DescribeTimeToLiveOutput {
	d := &types.TimeToLiveDescription{TimeToLiveStatus: status}
	if attr != "" {
		d.AttributeName = aws.String(attr)
	}
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: d}
}

func pitrOutput(status types.PointInTimeRecoveryStatus) *dynamodb.DescribeContinuousBackupsOutput {
	return &dynamodb.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: &types.ContinuousBackupsDescription{
		ContinuousBackupsStatus:        types.ContinuousBackupsStatusEnabled,
		PointInTimeRecoveryDescription: &types.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: status},
	}}
}

// Errors as the SDK returns them: an API error inside an OperationError.

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func opErr(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

func notFound(name string) error {
	return opErr("DynamoDB", "DescribeTable", &types.ResourceNotFoundException{Message: aws.String("Requested resource not found: Table: " + name + " not found")})
}

func accessDenied(service, op string) error {
	return opErr(service, op, apiErr("AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "+op))
}

// newMocks returns mock clients whose controller fails t on any unexpected
// call and checks at the end that every expected call was made.
func newMocks(t *testing.T) (*mocks.MockSSMAPI, *mocks.MockDynamoDBAPI) {
	t.Helper()
	ctrl := gomock.NewController(t)
	return mocks.NewMockSSMAPI(ctrl), mocks.NewMockDynamoDBAPI(ctrl)
}

// clients passes the mocks to Run, with a short wait bound.
func clients(s *mocks.MockSSMAPI, d *mocks.MockDynamoDBAPI) []bootstrap.Option {
	return []bootstrap.Option{bootstrap.WithSSMClient(s), bootstrap.WithDynamoDBClient(d), bootstrap.WithWaitTimeout(shortWait)}
}

func opts(base []bootstrap.Option, more ...bootstrap.Option) []bootstrap.Option {
	return append(slices.Clone(base), more...)
}

// named matches an SDK input whose TableName (or ResourceArn) is want.
type named string

func (m named) Matches(x any) bool {
	v := reflect.ValueOf(x)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	for _, field := range []string{"TableName", "ResourceArn"} {
		if f := v.Elem().FieldByName(field); f.IsValid() {
			s, ok := f.Interface().(*string)
			return ok && aws.ToString(s) == string(m)
		}
	}
	return false
}

func (m named) String() string { return "input for " + string(m) }

// paramNames matches a GetParametersInput asking for exactly these names.
func paramNames(names ...string) gomock.Matcher {
	return gomock.Cond(func(in *ssm.GetParametersInput) bool { return slices.Equal(in.Names, names) })
}

// paramNamed matches a PutParameterInput for the given name.
func paramNamed(name string) gomock.Matcher {
	return gomock.Cond(func(in *ssm.PutParameterInput) bool { return aws.ToString(in.Name) == name })
}

// Expectations for the reads of an existing table.

func expectDescribe(ddb *mocks.MockDynamoDBAPI, name string, d *types.TableDescription) *gomock.Call {
	return ddb.EXPECT().DescribeTable(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.DescribeTableOutput{Table: d}, nil)
}

func expectNotFound(ddb *mocks.MockDynamoDBAPI, name string) *gomock.Call {
	return ddb.EXPECT().DescribeTable(gomock.Any(), named(name), gomock.Any()).Return(nil, notFound(name))
}

func expectTTL(ddb *mocks.MockDynamoDBAPI, name string, status types.TimeToLiveStatus, attr string) *gomock.Call {
	return ddb.EXPECT().DescribeTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(ttlOutput(status, attr), nil)
}

func expectPITR(ddb *mocks.MockDynamoDBAPI, name string, status types.PointInTimeRecoveryStatus) *gomock.Call {
	return ddb.EXPECT().DescribeContinuousBackups(gomock.Any(), named(name), gomock.Any()).Return(pitrOutput(status), nil)
}

func expectTags(ddb *mocks.MockDynamoDBAPI, name string, tags map[string]string) *gomock.Call {
	out := &dynamodb.ListTagsOfResourceOutput{}
	for k, v := range tags {
		out.Tags = append(out.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return ddb.EXPECT().ListTagsOfResource(gomock.Any(), named(tableARN(name)), gomock.Any()).Return(out, nil)
}

// expectCorrectTable expects exactly one read of each setting of an existing,
// correct table (PITR when pitr, tags when tags is not nil), and nothing else.
func expectCorrectTable(ddb *mocks.MockDynamoDBAPI, purpose string, pitr bool, tags map[string]string) {
	l := layout(purpose)
	expectDescribe(ddb, l.name, activeTable(purpose, "")).Times(1)
	expectTTL(ddb, l.name, types.TimeToLiveStatusEnabled, l.ttl).Times(1)
	if pitr {
		expectPITR(ddb, l.name, types.PointInTimeRecoveryStatusEnabled).Times(1)
	}
	if tags != nil {
		expectTags(ddb, l.name, tags).Times(1)
	}
}

// freshTable expects the whole creation of a missing table, in order:
// DescribeTable (not found), CreateTable, DescribeTable CREATING then ACTIVE,
// UpdateTimeToLive on ttl, and UpdateContinuousBackups when pitr. The
// CreateTable input is stored in *created.
func freshTable(ddb *mocks.MockDynamoDBAPI, purpose, name string, pitr bool, created **dynamodb.CreateTableInput) {
	if name == "" {
		name = layout(purpose).name
	}
	calls := []any{
		expectNotFound(ddb, name),
		ddb.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).DoAndReturn(
			func(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
				if created != nil {
					*created = in
				}
				return &dynamodb.CreateTableOutput{TableDescription: creatingTable(name)}, nil
			}),
		expectDescribe(ddb, name, withStatus(activeTable(purpose, name), types.TableStatusCreating, types.IndexStatusCreating)),
		expectDescribe(ddb, name, activeTable(purpose, name)),
		ddb.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).DoAndReturn(
			func(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
				spec := in.TimeToLiveSpecification
				if spec == nil || aws.ToString(spec.AttributeName) != layout(purpose).ttl || !aws.ToBool(spec.Enabled) {
					return nil, fmt.Errorf("test: unexpected TTL specification %+v", spec)
				}
				return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: spec}, nil
			}),
	}
	if pitr {
		calls = append(calls, expectEnablePITR(ddb, name))
	}
	gomock.InOrder(calls...)
}

func expectEnablePITR(ddb *mocks.MockDynamoDBAPI, name string) *gomock.Call {
	return ddb.EXPECT().UpdateContinuousBackups(gomock.Any(), named(name), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *dynamodb.UpdateContinuousBackupsInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error) {
			if in.PointInTimeRecoverySpecification == nil || !aws.ToBool(in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled) {
				return nil, fmt.Errorf("test: PITR not enabled by %+v", in.PointInTimeRecoverySpecification)
			}
			return &dynamodb.UpdateContinuousBackupsOutput{ContinuousBackupsDescription: pitrOutput(types.PointInTimeRecoveryStatusEnabled).ContinuousBackupsDescription}, nil
		})
}

// getParametersFrom answers GetParameters as SSM does, from the parameters
// that exist: those found, and the other names as InvalidParameters.
func getParametersFrom(params map[string]ssmtypes.Parameter, names []string) *ssm.GetParametersOutput {
	out := &ssm.GetParametersOutput{}
	for _, n := range names {
		if p, ok := params[n]; ok {
			out.Parameters = append(out.Parameters, p)
		} else {
			out.InvalidParameters = append(out.InvalidParameters, n)
		}
	}
	return out
}

// validPolicy is a Sentinel policy that passes the package's checks.
func validPolicy(profile string) string {
	return fmt.Sprintf("version: \"1\"\nrules:\n  - name: allow-%s\n    effect: allow\n    conditions:\n      profiles: [%s]\n", profile, profile)
}

func existingParam(name, value string, version int64) ssmtypes.Parameter {
	return ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(value), Version: version, Type: ssmtypes.ParameterTypeString}
}

func paramName(profile string) string { return bootstrap.DefaultPolicyRoot + "/" + profile }

// Lookups in a Report.

func tableResult(t *testing.T, rep *bootstrap.Report, purpose string) bootstrap.TableResult {
	t.Helper()
	for _, r := range rep.Tables {
		if r.Purpose == purpose {
			return r
		}
	}
	t.Fatalf("no table result for %s in %+v", purpose, rep.Tables)
	return bootstrap.TableResult{}
}

func paramResult(t *testing.T, rep *bootstrap.Report, profile string) bootstrap.ParameterResult {
	t.Helper()
	for _, r := range rep.Parameters {
		if r.Profile == profile {
			return r
		}
	}
	t.Fatalf("no parameter result for %s in %+v", profile, rep.Parameters)
	return bootstrap.ParameterResult{}
}

// mustRun runs and fails the test if Run returns an error or no Report.
func mustRun(t *testing.T, o ...bootstrap.Option) *bootstrap.Report {
	t.Helper()
	rep, err := bootstrap.Run(context.Background(), testConfig(), o...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep == nil {
		t.Fatal("Run returned a nil Report")
	}
	return rep
}

func checkTable(t *testing.T, got bootstrap.TableResult, action, status string, changes ...string) {
	t.Helper()
	if got.Action != action || got.Status != status || !slices.Equal(got.Changes, changes) {
		t.Errorf("table %s: got action=%q status=%q changes=%q (error %q); want action=%q status=%q changes=%q",
			got.Name, got.Action, got.Status, got.Changes, got.Error, action, status, changes)
	}
}

func checkContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s = %q; want it to contain %q", what, s, sub)
		}
	}
}
