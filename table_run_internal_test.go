package bootstrap

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap/mocks"
)

// simTable is one DynamoDB table as the mocks of these tests serve it. It
// records every write as the change it makes, and settles like AWS, one poll
// after it was seen: CREATING and UPDATING become ACTIVE, indexes being
// built become ACTIVE, indexes being deleted go, SSE UPDATING becomes
// ENABLED.
type simTable struct {
	mu     sync.Mutex
	name   string
	desc   *types.TableDescription // nil: no table
	ttl    *types.TimeToLiveDescription
	pitr   *types.ContinuousBackupsDescription
	tags   map[string]string
	writes []string
	seen   bool
}

func clone[T any](t *testing.T, v *T) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func newSim(t *testing.T, o *observed, name string) *simTable {
	s := &simTable{name: name, desc: clone(t, o.desc), ttl: clone(t, o.ttl), pitr: clone(t, o.pitr), tags: maps.Clone(o.tags)}
	if s.ttl == nil {
		s.ttl = &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusDisabled}
	}
	if s.pitr == nil {
		s.pitr = ptPITR(types.PointInTimeRecoveryStatusDisabled)
	}
	if s.tags == nil {
		s.tags = map[string]string{}
	}
	return s
}

func (s *simTable) settle() {
	d := s.desc
	if d == nil {
		return
	}
	if d.TableStatus == types.TableStatusCreating || d.TableStatus == types.TableStatusUpdating {
		d.TableStatus = types.TableStatusActive
	}
	d.GlobalSecondaryIndexes = slices.DeleteFunc(d.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool {
		return g.IndexStatus == types.IndexStatusDeleting
	})
	for i := range d.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes[i].IndexStatus, d.GlobalSecondaryIndexes[i].Backfilling = types.IndexStatusActive, nil
	}
	if d.SSEDescription != nil && d.SSEDescription.Status == types.SSEStatusUpdating {
		d.SSEDescription.Status = types.SSEStatusEnabled
	}
}

// expect serves the table through ddb, for any number of calls.
func (s *simTable) expect(t *testing.T, ddb *mocks.MockDynamoDBAPI) {
	notFound := &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	ddb.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.desc == nil {
				return nil, notFound
			}
			if s.seen {
				s.settle()
			}
			s.seen = true
			return &dynamodb.DescribeTableOutput{Table: clone(t, s.desc)}, nil
		})
	ddb.EXPECT().DescribeTimeToLive(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: clone(t, s.ttl)}, nil
		})
	ddb.EXPECT().DescribeContinuousBackups(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(context.Context, *dynamodb.DescribeContinuousBackupsInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return &dynamodb.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: clone(t, s.pitr)}, nil
		})
	ddb.EXPECT().ListTagsOfResource(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(context.Context, *dynamodb.ListTagsOfResourceInput, ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return &dynamodb.ListTagsOfResourceOutput{Tags: dynamoTags(s.tags)}, nil
		})
	ddb.EXPECT().CreateTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.writes = append(s.writes, createText)
			d := &types.TableDescription{
				TableName: in.TableName, TableArn: aws.String("arn:aws:dynamodb:eu-west-1:123456789012:table/" + s.name), TableStatus: types.TableStatusCreating,
				KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, DeletionProtectionEnabled: in.DeletionProtectionEnabled,
				BillingModeSummary: &types.BillingModeSummary{BillingMode: in.BillingMode},
				SSEDescription:     &types.SSEDescription{Status: types.SSEStatusEnabled, SSEType: types.SSETypeKms},
			}
			for _, g := range in.GlobalSecondaryIndexes {
				d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: types.IndexStatusCreating})
			}
			for _, tag := range in.Tags {
				s.tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			s.desc, s.seen = d, false
			return &dynamodb.CreateTableOutput{TableDescription: clone(t, d)}, nil
		})
	ddb.EXPECT().UpdateTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.UpdateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			d := s.desc
			switch {
			case in.DeletionProtectionEnabled != nil:
				s.writes = append(s.writes, enableDP)
				d.DeletionProtectionEnabled = in.DeletionProtectionEnabled
			case in.SSESpecification != nil:
				s.writes = append(s.writes, encryptionText(aws.ToString(in.SSESpecification.KMSMasterKeyId)))
				d.SSEDescription = &types.SSEDescription{Status: types.SSEStatusUpdating, SSEType: types.SSETypeKms, KMSMasterKeyArn: in.SSESpecification.KMSMasterKeyId}
			case len(in.GlobalSecondaryIndexUpdates) == 1 && in.GlobalSecondaryIndexUpdates[0].Create != nil:
				c := in.GlobalSecondaryIndexUpdates[0].Create
				s.writes = append(s.writes, "add index "+aws.ToString(c.IndexName))
				d.AttributeDefinitions = in.AttributeDefinitions
				d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{IndexName: c.IndexName, KeySchema: c.KeySchema, Projection: c.Projection, IndexStatus: types.IndexStatusCreating})
				d.TableStatus = types.TableStatusUpdating
			default:
				t.Errorf("unexpected UpdateTable %+v", in)
			}
			s.seen = false
			return &dynamodb.UpdateTableOutput{TableDescription: clone(t, d)}, nil
		})
	ddb.EXPECT().UpdateTimeToLive(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			attr := aws.ToString(in.TimeToLiveSpecification.AttributeName)
			s.writes = append(s.writes, "enable TTL on "+attr)
			s.ttl = ptTTL(types.TimeToLiveStatusEnabled, attr)
			return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: in.TimeToLiveSpecification}, nil
		})
	ddb.EXPECT().UpdateContinuousBackups(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(context.Context, *dynamodb.UpdateContinuousBackupsInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.writes = append(s.writes, enablePITR)
			s.pitr = ptPITR(types.PointInTimeRecoveryStatusEnabled)
			return &dynamodb.UpdateContinuousBackupsOutput{ContinuousBackupsDescription: s.pitr}, nil
		})
	ddb.EXPECT().TagResource(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.TagResourceInput, _ ...func(*dynamodb.Options)) (*dynamodb.TagResourceOutput, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			set := map[string]string{}
			for _, tag := range in.Tags {
				set[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			s.writes = append(s.writes, "tag "+tagsText(set))
			maps.Copy(s.tags, set)
			return &dynamodb.TagResourceOutput{}, nil
		})
}

// runTable runs the loop for one table against ddb, as Run does.
func runTable(t *testing.T, spec *tableSpec, ddb DynamoDBAPI, planOnly bool) TableResult {
	t.Helper()
	c := &config{region: "eu-west-1", tables: []*tableSpec{spec}, planOnly: planOnly, waitTimeout: 5 * time.Second, concurrency: 1, ddb: ddb}
	r, ctx := newRunner(t.Context(), c, aws.Config{})
	defer r.stop(nil)
	return r.table(ctx, spec)
}

// startingState reports whether a planner case is a state a run can begin
// in (rather than one it passes through), and one apply can act on.
func startingState(tc planCase) bool {
	o := tc.obs
	return !o.created && !o.exists && len(o.done) == 0 && (o.desc == nil || o.ttl != nil) && !tc.unusable
}

// Plan equals apply: for every starting state the planner cases hold, the
// writes apply makes (recorded by the mocks) are exactly the changes plan
// reports, in order, and Done says so; and the planner's own answer is the
// same list. A state with problems fails both ways, with the same action
// and no change, and apply writes nothing.
func TestPlanEqualsApply(t *testing.T) {
	n := 0
	for _, tc := range planCases() {
		if !startingState(tc) {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			name := tc.spec.name
			planned := runTable(t, tc.spec, func() DynamoDBAPI {
				ddb := mocks.NewMockDynamoDBAPI(gomock.NewController(t))
				s := newSim(t, tc.obs, name)
				s.expect(t, ddb)
				t.Cleanup(func() {
					if len(s.writes) > 0 {
						t.Errorf("plan wrote %q", s.writes)
					}
				})
				return ddb
			}(), true)
			wantPlan, wantApply := StatusPlanned, StatusOK
			if len(tc.problems) > 0 {
				wantPlan, wantApply = StatusFailed, StatusFailed
			}
			if planned.Status != wantPlan {
				t.Fatalf("plan: %+v", planned)
			}
			if want := texts(planTable(tc.spec, tc.obs).changes); !slices.Equal(planned.Changes, want) {
				t.Errorf("plan reports %q; the planner says %q", planned.Changes, want)
			}

			ddb := mocks.NewMockDynamoDBAPI(gomock.NewController(t))
			s := newSim(t, tc.obs, name)
			s.expect(t, ddb)
			applied := runTable(t, tc.spec, ddb, false)
			if applied.Status != wantApply {
				t.Fatalf("apply: %+v", applied)
			}
			if !slices.Equal(s.writes, planned.Changes) {
				t.Errorf("apply wrote %q; plan said %q", s.writes, planned.Changes)
			}
			if !slices.Equal(applied.Done, s.writes) || !slices.Equal(applied.Changes, planned.Changes) {
				t.Errorf("apply reports changes %q, done %q; it wrote %q", applied.Changes, applied.Done, s.writes)
			}
			if applied.Action != planned.Action {
				t.Errorf("apply action %q; plan said %q", applied.Action, planned.Action)
			}

			if len(tc.problems) > 0 {
				return
			}
			// And then there is nothing left to do.
			again := runTable(t, tc.spec, ddb, true)
			if again.Action != ActionNone || len(again.Changes) != 0 {
				t.Errorf("after apply, plan says %s %q", again.Action, again.Changes)
			}
		})
	}
	if n < 25 {
		t.Errorf("only %d starting states; the planner cases should hold more", n)
	}
	t.Logf("%d starting states: plan equals apply", n)
}
