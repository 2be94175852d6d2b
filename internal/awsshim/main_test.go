package awsshim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

func TestMain(m *testing.M) {
	code := m.Run()
	emulator.StopAll()
	os.Exit(code)
}

// newShim starts a shim in front of the shared moto.
func newShim(t *testing.T, o Options) *Shim {
	t.Helper()
	o.Upstream = emulator.Moto(t)
	return StartT(t, o)
}

// ddbClient returns a DynamoDB client for endpoint; maxAttempts 1 disables
// SDK retries, 0 keeps the SDK default.
func ddbClient(endpoint string, maxAttempts int) *dynamodb.Client {
	return dynamodb.NewFromConfig(emulator.Config(endpoint), func(o *dynamodb.Options) {
		o.RetryMaxAttempts = maxAttempts
	})
}

// ssmClient returns an SSM client for endpoint; see ddbClient.
func ssmClient(endpoint string, maxAttempts int) *ssm.Client {
	return ssm.NewFromConfig(emulator.Config(endpoint), func(o *ssm.Options) {
		o.RetryMaxAttempts = maxAttempts
	})
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// uniqueName is a table or parameter name unique to this test run, since
// the moto instance is shared by every test in the binary.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("%s-%08x", unsafeChars.ReplaceAllString(t.Name(), "_"), rand.Uint32())
}

// createTableInput is a pay-per-request table with a string hash key pk and
// (with gsi) an index by-g on attribute g.
func createTableInput(name string, gsi bool) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrDefs(gsi),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
	if gsi {
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsiDef("by-g")}
	}
	return in
}

// attrDefs defines pk and, with g, the index key attribute g.
func attrDefs(g bool) []types.AttributeDefinition {
	defs := []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}
	if g {
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
	}
	return defs
}

// gsiDef is a global secondary index on g.
func gsiDef(name string) types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(name),
		KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// describe returns the table description or fails the test.
func describe(t *testing.T, db *dynamodb.Client, name string) *types.TableDescription {
	t.Helper()
	out, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	return out.Table
}

// waitActive polls DescribeTable until the table is ACTIVE and returns
// how long that took.
func waitActive(t *testing.T, db *dynamodb.Client, name string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for describe(t, db, name).TableStatus != types.TableStatusActive {
		if time.Since(start) > limit {
			t.Fatalf("table %s not ACTIVE after %s", name, limit)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start)
}

// errorCode returns the API error code of err, or "" if it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errorMessage returns the API error message of err, or "" if it has none.
func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
