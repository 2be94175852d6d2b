package bootstrap

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

//go:generate go tool mockgen -destination=mocks/ssm.go -package=mocks -mock_names=SSMAPI=MockSSMAPI github.com/sentinel-tools/bootstrap SSMAPI
//go:generate go tool mockgen -destination=mocks/dynamodb.go -package=mocks -mock_names=DynamoDBAPI=MockDynamoDBAPI github.com/sentinel-tools/bootstrap DynamoDBAPI
//go:generate go tool mockgen -destination=mocks/kms.go -package=mocks -mock_names=KMSAPI=MockKMSAPI github.com/sentinel-tools/bootstrap KMSAPI

// SSMAPI is the subset of the SSM API that this package calls. *ssm.Client
// satisfies it; pass another implementation with WithSSMClient.
type SSMAPI interface {
	// GetParameters reads up to 10 policy parameters per call.
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	// PutParameter creates a policy parameter (always with Overwrite=false).
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	// DeleteParameters removes up to 10 parameters per call; only Destroy calls it.
	DeleteParameters(ctx context.Context, in *ssm.DeleteParametersInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error)
}

// DynamoDBAPI is the subset of the DynamoDB API that this package calls.
// *dynamodb.Client satisfies it; pass another implementation with
// WithDynamoDBClient.
type DynamoDBAPI interface {
	// DescribeTable reads a table; it is polled while AWS builds one.
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	// CreateTable creates a missing table, with its whole layout.
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	// UpdateTable adds a missing GSI (one per call), and turns on deletion
	// protection or KMS encryption on an existing table.
	UpdateTable(ctx context.Context, in *dynamodb.UpdateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTableOutput, error)
	// DescribeTimeToLive reads TTL (UpdateTimeToLive is not idempotent).
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	// UpdateTimeToLive turns TTL on.
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
	// DescribeContinuousBackups reads point-in-time recovery (not with
	// WithoutPointInTimeRecovery).
	DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
	// UpdateContinuousBackups turns point-in-time recovery on.
	UpdateContinuousBackups(ctx context.Context, in *dynamodb.UpdateContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error)
	// ListTagsOfResource reads a table's tags (only with WithTags).
	ListTagsOfResource(ctx context.Context, in *dynamodb.ListTagsOfResourceInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error)
	// TagResource adds the WithTags tags a table lacks.
	TagResource(ctx context.Context, in *dynamodb.TagResourceInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TagResourceOutput, error)
	// DeleteTable is called only by Destroy.
	DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

// KMSAPI is the subset of the KMS API that this package calls, only with
// WithPolicySigning. *kms.Client satisfies it; pass another implementation
// with WithKMSClient.
type KMSAPI interface {
	// DescribeKey reads the signing key once per Run, to check it can sign.
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	// Sign signs a policy value that Run writes (MessageType RAW).
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	// Verify checks an existing signature over the current policy value.
	Verify(ctx context.Context, in *kms.VerifyInput, optFns ...func(*kms.Options)) (*kms.VerifyOutput, error)
}

var (
	_ SSMAPI      = (*ssm.Client)(nil)
	_ DynamoDBAPI = (*dynamodb.Client)(nil)
	_ KMSAPI      = (*kms.Client)(nil)
)
