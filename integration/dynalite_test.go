package integration_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// Dynalite has real CREATING→ACTIVE timing and strict validation, but no TTL
// or point-in-time recovery operations.
func TestIntegrationDynalite(t *testing.T) {
	endpoint := emulator.Dynalite(t, emulator.DynaliteOptions{CreateTableMs: 700, DeleteTableMs: 100, UpdateTableMs: 100})
	cfg := emulator.Config(endpoint)

	var mu sync.Mutex
	waits := map[string][]string{}
	progress := func(e bootstrap.Event) {
		if e.Phase == bootstrap.PhaseWait {
			mu.Lock()
			waits[e.Resource] = append(waits[e.Resource], e.Detail)
			mu.Unlock()
		}
	}
	rep, err := bootstrap.Run(context.Background(), cfg, bootstrap.WithAll(), bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithProgress(progress))
	var inc *bootstrap.IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("err = %v, want an *IncompleteError for the TTL step", err)
	}
	if len(inc.Failed) != 3 {
		t.Errorf("failed %v, want exactly the 3 tables", inc.Failed)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	for _, tb := range rep.Tables {
		if tb.Action != bootstrap.ActionCreate || tb.Status != bootstrap.StatusFailed || !strings.Contains(tb.Error, "does not support TTL") {
			t.Errorf("table %s: %s/%s %q, want create/failed saying the endpoint does not support TTL", tb.Name, tb.Action, tb.Status, tb.Error)
		}
		sawCreating := false
		for _, d := range waits[tb.Name] {
			sawCreating = sawCreating || strings.Contains(d, "CREATING")
		}
		if !sawCreating {
			t.Errorf("table %s: never waited on CREATING (waits %v)", tb.Name, waits[tb.Name])
		}
		out, err := ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(tb.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Table.TableStatus != types.TableStatusActive || len(out.Table.GlobalSecondaryIndexes) != len(tb.GSIs) {
			t.Errorf("table %s: %s with %d indexes, want ACTIVE with %d", tb.Name, out.Table.TableStatus, len(out.Table.GlobalSecondaryIndexes), len(tb.GSIs))
		}
	}
}
