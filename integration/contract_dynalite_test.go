package integration_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// runOnDynalite creates the tables with Run on dynalite, which has neither
// TTL nor point-in-time recovery: point-in-time recovery is left alone
// (WithoutPointInTimeRecovery), and the one failure accepted is enabling
// TTL, after each table was created with the library's own CreateTable
// request.
func runOnDynalite(t *testing.T, cfg aws.Config, opts ...bootstrap.Option) *bootstrap.Report {
	t.Helper()
	opts = append([]bootstrap.Option{bootstrap.WithNameSuffix(bootstraptest.Suffix(t)), bootstrap.WithoutPointInTimeRecovery()}, opts...)
	rep, err := bootstrap.Run(context.Background(), cfg, opts...)
	var inc *bootstrap.IncompleteError
	if !errors.As(err, &inc) || len(inc.Failed) != len(rep.Tables) {
		t.Fatalf("Run on dynalite: err = %v, want an *IncompleteError failing each table on TTL\n%s", err, reportJSON(rep))
	}
	ddb := dynamodb.NewFromConfig(cfg)
	for _, tb := range rep.Tables {
		if tb.Action != bootstrap.ActionCreate || tb.Status != bootstrap.StatusFailed ||
			!slices.Equal(tb.Done, []string{"create table"}) || !strings.Contains(tb.Error, "does not support TTL") {
			t.Fatalf("table %s: %s/%s done %q error %q; want the table created and only TTL refused", tb.Name, tb.Action, tb.Status, tb.Done, tb.Error)
		}
		out, err := ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(tb.Name)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range out.Table.GlobalSecondaryIndexes {
			got = append(got, aws.ToString(g.IndexName))
		}
		if out.Table.TableStatus != types.TableStatusActive || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tb.GSIs))) {
			t.Fatalf("table %s: %s with indexes %q, want ACTIVE with %q", tb.Name, out.Table.TableStatus, got, tb.GSIs)
		}
	}
	return rep
}

// The contract suite on dynalite, which validates expressions as AWS does:
// every query Sentinel's commands make is accepted, and the ones Sentinel
// gets wrong (contract §4: the break-glass counts and the server-instance
// lookup filter on the sort key of the index they query) are refused with
// ValidationException. Sessions without a device are written and rewritten
// on the default sessions table.
func TestContractDynalite(t *testing.T) {
	t.Parallel()
	cfg := emulator.Config(emulator.Dynalite(t, emulator.DynaliteOptions{}))
	ddb := dynamodb.NewFromConfig(cfg)
	rep := runOnDynalite(t, cfg, bootstrap.WithAll(), bootstrap.WithRateLimits())
	tg := targetOf(ddb, rep)
	tg.validates = true
	checkStores(t, tg)
}

// The device-sessions listing on a sessions table made WithDeviceIndex is
// accepted by dynalite. (dynalite 4.0.0 does not refuse an empty string for
// an index key, as AWS does: the refusal is shown on moto, by
// TestContractMotoDeviceIndex and TestContractUpgradeFromOriginalBootstrap.)
func TestContractDynaliteDeviceIndex(t *testing.T) {
	t.Parallel()
	cfg := emulator.Config(emulator.Dynalite(t, emulator.DynaliteOptions{}))
	rep := runOnDynalite(t, cfg, bootstrap.WithSessions(), bootstrap.WithDeviceIndex())
	tg := targetOf(dynamodb.NewFromConfig(cfg), rep)
	tg.validates, tg.deviceIndex = true, true
	checkSessions(t, tg)
}
