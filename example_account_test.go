package bootstrap_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// exampleAccount is an AWS account for the runnable examples, served by the
// go.uber.org/mock mocks: it starts empty, creates what it is asked to
// (tables are ACTIVE at once, as on an emulator) and remembers it, so a
// second Run finds everything in place. Its options pass the mocks to Run.
type exampleAccount struct {
	mu     sync.Mutex
	params map[string]ssmtypes.Parameter
	tables map[string]*types.TableDescription
	ttl    map[string]bool
	pitr   map[string]bool
	opts   []bootstrap.Option
}

// panicReporter makes the mocks panic on an unexpected call (examples have
// no *testing.T).
type panicReporter struct{}

func (panicReporter) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (panicReporter) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func newExampleAccount() *exampleAccount {
	a := &exampleAccount{params: map[string]ssmtypes.Parameter{}, tables: map[string]*types.TableDescription{}, ttl: map[string]bool{}, pitr: map[string]bool{}}
	ctrl := gomock.NewController(panicReporter{})
	s, d := mocks.NewMockSSMAPI(ctrl), mocks.NewMockDynamoDBAPI(ctrl)

	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			return getParametersFrom(a.params, in.Names), nil
		})
	s.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.params[aws.ToString(in.Name)] = ssmtypes.Parameter{Name: in.Name, Value: in.Value, Type: in.Type, Version: 1}
			return &ssm.PutParameterOutput{Version: 1}, nil
		})

	d.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if t, ok := a.tables[aws.ToString(in.TableName)]; ok {
				return &dynamodb.DescribeTableOutput{Table: t}, nil
			}
			return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
		})
	d.EXPECT().CreateTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			name := aws.ToString(in.TableName)
			t := &types.TableDescription{
				TableName: in.TableName, TableArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/" + name),
				TableStatus: types.TableStatusActive, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions,
				BillingModeSummary:        &types.BillingModeSummary{BillingMode: in.BillingMode},
				SSEDescription:            &types.SSEDescription{Status: types.SSEStatusEnabled, SSEType: types.SSETypeKms},
				DeletionProtectionEnabled: in.DeletionProtectionEnabled,
			}
			for _, g := range in.GlobalSecondaryIndexes {
				t.GlobalSecondaryIndexes = append(t.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{
					IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: types.IndexStatusActive})
			}
			a.tables[name] = t
			return &dynamodb.CreateTableOutput{TableDescription: t}, nil
		})
	d.EXPECT().DescribeTimeToLive(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.ttl[aws.ToString(in.TableName)] {
				return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusEnabled, AttributeName: aws.String("ttl")}}, nil
			}
			return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusDisabled}}, nil
		})
	d.EXPECT().UpdateTimeToLive(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.ttl[aws.ToString(in.TableName)] = true
			return &dynamodb.UpdateTimeToLiveOutput{TimeToLiveSpecification: in.TimeToLiveSpecification}, nil
		})
	d.EXPECT().DescribeContinuousBackups(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeContinuousBackupsInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			status := types.PointInTimeRecoveryStatusDisabled
			if a.pitr[aws.ToString(in.TableName)] {
				status = types.PointInTimeRecoveryStatusEnabled
			}
			return &dynamodb.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: &types.ContinuousBackupsDescription{
				PointInTimeRecoveryDescription: &types.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: status}}}, nil
		})
	d.EXPECT().UpdateContinuousBackups(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.UpdateContinuousBackupsInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.pitr[aws.ToString(in.TableName)] = true
			return &dynamodb.UpdateContinuousBackupsOutput{}, nil
		})
	a.opts = []bootstrap.Option{bootstrap.WithSSMClient(s), bootstrap.WithDynamoDBClient(d)}
	return a
}
