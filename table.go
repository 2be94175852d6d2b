package bootstrap

// The life of a table, in reading order:
//
//	table.go          the schemas Sentinel's stores need, and the requests that build them
//	table_observe.go  the reads: what a table looks like now
//	table_plan.go     the pure planner: from what is wanted and what was observed to a plan
//	table_run.go      the loop that observes, plans and executes one change at a time
//	table_wait.go     the waits: a poll loop and the planner's answer as its predicate

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type purpose int

// The tables, in report order.
const (
	approvals purpose = iota
	breakglass
	sessions
	ratelimits
	numPurposes
)

// index is a global secondary index: its name, partition key and sort key.
// Every key attribute is a string, and every index projects ALL.
type index struct{ name, hash, sort string }

// schema describes one of Sentinel's tables (CONTRACT.md §1): a string
// partition key, no sort key, PAY_PER_REQUEST, TTL on one number attribute.
type schema struct {
	purpose      string // as in TableResult.Purpose
	defaultName  string
	selectOption string // the option that selects it, for messages
	nameOption   string // the option that names it, for messages
	iamPolicy    string // the name of its IAM document
	partitionKey string
	ttlAttribute string
	indexes      []index // always created
	optional     []index // created only when the options ask (see tableSpec)
}

// deviceIndex is the sessions index that WithDeviceIndex asks for. Sentinel
// writes device_id = "" for sessions without a device, which DynamoDB refuses
// for an index key, so it is not created by default.
var deviceIndex = index{"gsi-device-id", "device_id", "created_at"}

var schemas = [numPurposes]schema{
	approvals: {
		purpose: PurposeApprovals, defaultName: DefaultApprovalTable,
		selectOption: "WithApprovals", nameOption: "WithApprovalTable", iamPolicy: IAMPolicyApprovalTable,
		partitionKey: "id", ttlAttribute: "ttl",
		indexes: []index{
			{"gsi-requester", "requester", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
		},
	},
	breakglass: {
		purpose: PurposeBreakGlass, defaultName: DefaultBreakGlassTable,
		selectOption: "WithBreakGlass", nameOption: "WithBreakGlassTable", iamPolicy: IAMPolicyBreakGlassTable,
		partitionKey: "id", ttlAttribute: "ttl",
		indexes: []index{
			{"gsi-invoker", "invoker", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
		},
	},
	sessions: {
		purpose: PurposeSessions, defaultName: DefaultSessionTable,
		selectOption: "WithSessions", nameOption: "WithSessionTable", iamPolicy: IAMPolicySessionTable,
		partitionKey: "id", ttlAttribute: "ttl",
		indexes: []index{
			{"gsi-user", "user", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
			{"gsi-server-instance", "server_instance_id", "status"},
		},
		optional: []index{deviceIndex},
	},
	ratelimits: {
		purpose: PurposeRateLimits, defaultName: DefaultRateLimitTable,
		selectOption: "WithRateLimits", nameOption: "WithRateLimitTable", iamPolicy: IAMPolicyRateLimitTable,
		partitionKey: "PK", ttlAttribute: "TTL",
	},
}

// tableSpec is a selected table as the options want it: its schema, final
// name and everything Run sets on it. It is part of the resolved config.
type tableSpec struct {
	schema
	name               string
	region             string  // the table's region (for the commands its warnings give)
	indexes            []index // schema.indexes plus the optional ones asked for
	unwanted           []index // optional indexes not asked for: left alone if present
	deletionProtection bool
	kmsKey             string // "" for the AWS-managed key
	pitr               bool
	tags               map[string]string
}

func (t *tableSpec) indexNames() []string {
	names := make([]string, len(t.indexes))
	for i, x := range t.indexes {
		names[i] = x.name
	}
	return names
}

// attributeDefinitions defines the partition key and then each index key
// attribute once, in the order the indexes name them, all of type S.
func attributeDefinitions(partitionKey string, indexes []index) []types.AttributeDefinition {
	names := []string{partitionKey}
	for _, x := range indexes {
		for _, a := range []string{x.hash, x.sort} {
			if !slices.Contains(names, a) {
				names = append(names, a)
			}
		}
	}
	defs := make([]types.AttributeDefinition, len(names))
	for i, n := range names {
		defs[i] = types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	return defs
}

func (x index) keySchema() []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(x.hash), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(x.sort), KeyType: types.KeyTypeRange},
	}
}

func (x index) definition() types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(x.name),
		KeySchema:  x.keySchema(),
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// sseSpecification asks for KMS encryption with the chosen key, or the
// AWS-managed key without WithKMSKey.
func (t *tableSpec) sseSpecification() *types.SSESpecification {
	sse := &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}
	if t.kmsKey != "" {
		sse.KMSMasterKeyId = aws.String(t.kmsKey)
	}
	return sse
}

// dynamoTags are tags in key order.
func dynamoTags(tags map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// Requests, one per change (see table_plan.go).

// createTableInput is the complete CreateTable request for a table.
func (t *tableSpec) createTableInput() *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:                 aws.String(t.name),
		AttributeDefinitions:      attributeDefinitions(t.partitionKey, t.indexes),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String(t.partitionKey), KeyType: types.KeyTypeHash}},
		BillingMode:               types.BillingModePayPerRequest,
		SSESpecification:          t.sseSpecification(),
		DeletionProtectionEnabled: aws.Bool(t.deletionProtection),
	}
	for _, x := range t.indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, x.definition())
	}
	if len(t.tags) > 0 {
		in.Tags = dynamoTags(t.tags)
	}
	return in
}

func (t *tableSpec) deletionProtectionInput() *dynamodb.UpdateTableInput {
	return &dynamodb.UpdateTableInput{TableName: aws.String(t.name), DeletionProtectionEnabled: aws.Bool(true)}
}

func (t *tableSpec) encryptionInput() *dynamodb.UpdateTableInput {
	return &dynamodb.UpdateTableInput{TableName: aws.String(t.name), SSESpecification: t.sseSpecification()}
}

// addIndexInput creates one index (AWS takes one per UpdateTable). It
// defines every attribute the table defines now plus the new index's keys:
// AWS merges definitions, but some emulators replace them.
func (t *tableSpec) addIndexInput(d *types.TableDescription, x index) *dynamodb.UpdateTableInput {
	defs := slices.Clone(d.AttributeDefinitions)
	for _, a := range attributeDefinitions(t.partitionKey, []index{x})[1:] {
		if attrType(d, aws.ToString(a.AttributeName)) == "" {
			defs = append(defs, a)
		}
	}
	def := x.definition()
	return &dynamodb.UpdateTableInput{
		TableName:            aws.String(t.name),
		AttributeDefinitions: defs,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: def.IndexName, KeySchema: def.KeySchema, Projection: def.Projection,
		}}},
	}
}

func (t *tableSpec) ttlInput() *dynamodb.UpdateTimeToLiveInput {
	return &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(t.name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(t.ttlAttribute), Enabled: aws.Bool(true)},
	}
}

func (t *tableSpec) pitrInput() *dynamodb.UpdateContinuousBackupsInput {
	return &dynamodb.UpdateContinuousBackupsInput{
		TableName:                        aws.String(t.name),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
	}
}

func tagInput(arn string, tags map[string]string) *dynamodb.TagResourceInput {
	return &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: dynamoTags(tags)}
}
