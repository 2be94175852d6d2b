package integration_test

import (
	"context"
	"errors"
	"slices"
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
		// dynalite keeps a new table CREATING for 700 ms: the wait polled it
		// more than once.
		if n := strings.Count(strings.Join(waits[tb.Name], "\n"), "creating"); n < 2 {
			t.Errorf("table %s: %d waits while creating (waits %v); want the CREATING table polled", tb.Name, n, waits[tb.Name])
		}
		if !slices.Equal(tb.Done, []string{"create table"}) {
			t.Errorf("table %s: Done %q; want [create table]: the table exists, TTL could not be enabled", tb.Name, tb.Done)
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
