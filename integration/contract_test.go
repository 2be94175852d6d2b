package integration_test

// The Sentinel contract suite against moto: the tables Run creates, written
// and queried exactly as Sentinel's stores do (CONTRACT.md §1). The checks
// themselves are in contract_checks_test.go; dynalite, which validates
// expressions as AWS does, runs them too (contract_dynalite_test.go).

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// tableNames maps each table's purpose to its name, from the report.
func tableNames(rep *bootstrap.Report) map[string]string {
	names := map[string]string{}
	for _, tb := range rep.Tables {
		names[tb.Purpose] = tb.Name
	}
	return names
}

func targetOf(ddb *dynamodb.Client, rep *bootstrap.Report) contractTarget {
	n := tableNames(rep)
	return contractTarget{ddb: ddb,
		approvals: n[bootstrap.PurposeApprovals], breakglass: n[bootstrap.PurposeBreakGlass],
		sessions: n[bootstrap.PurposeSessions], ratelimits: n[bootstrap.PurposeRateLimits]}
}

// The default options: four session indexes, no gsi-device-id. Every
// store's calls work, sessions without a device included.
func TestContractMoto(t *testing.T) {
	t.Parallel()
	e := newEnv(t, awsshim.Options{})
	rep := e.mustRun(bootstrap.WithAll(), bootstrap.WithRateLimits())
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)
	tg := targetOf(e.ddb, rep)
	tg.emptyKeysRefused = true
	if tg.ratelimits == "" || tg.sessions == "" {
		t.Fatalf("tables %v, want the three tables and the rate-limit table", tableNames(rep))
	}
	t.Run("ratelimits-table", func(t *testing.T) { checkRateLimitTable(t, e.ddb, tg.ratelimits) })
	checkStores(t, tg)
}

// WithDeviceIndex: the device-sessions listing works, and Sentinel cannot
// write a session without a device (contract §1, the trade-off the docs of
// WithDeviceIndex describe).
func TestContractMotoDeviceIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t, awsshim.Options{})
	rep := e.mustRun(bootstrap.WithSessions(), bootstrap.WithDeviceIndex())
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)
	tg := targetOf(e.ddb, rep)
	tg.deviceIndex, tg.emptyKeysRefused = true, true
	if d := e.table(tg.sessions); d == nil || !hasIndex(d, "gsi-device-id") {
		t.Fatalf("sessions table %s has no gsi-device-id", tg.sessions)
	}
	checkSessions(t, tg)
}

func hasIndex(d *types.TableDescription, name string) bool {
	for _, g := range d.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) == name {
			return true
		}
	}
	return false
}

// checkRateLimitTable: partition key PK (S), no sort key, no index, TTL on
// TTL: the table Sentinel's limiter needs.
func checkRateLimitTable(t *testing.T, ddb *dynamodb.Client, name string) {
	ctx := context.Background()
	out, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != "PK" || d.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("%s: key schema %+v, want PK HASH only", name, d.KeySchema)
	}
	if len(d.AttributeDefinitions) != 1 || d.AttributeDefinitions[0].AttributeType != types.ScalarAttributeTypeS {
		t.Errorf("%s: attributes %+v, want PK S only", name, d.AttributeDefinitions)
	}
	if len(d.GlobalSecondaryIndexes) != 0 || len(d.LocalSecondaryIndexes) != 0 {
		t.Errorf("%s: has indexes, want none", name)
	}
	ttl, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "TTL" {
		t.Errorf("%s: TTL %+v, want ENABLED on TTL", name, ttl.TimeToLiveDescription)
	}
}
