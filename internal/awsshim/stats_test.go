package awsshim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestCallsCountsWrites(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	db, ps := ddbClient(s.URL, 1), ssmClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	steps := []func() error{
		func() error { _, err := db.CreateTable(ctx, createTableInput(name, false)); return err },
		func() error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			return err
		},
		func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: key})
			return err
		},
		func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: key})
			return err
		},
		func() error { _, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name)}); return err },
		func() error {
			_, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/" + name), Value: aws.String("v"), Type: "String"})
			return err
		},
		func() error {
			_, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + name)})
			return err
		},
		func() error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:GetItem",
		"dynamodb:Scan", "ssm:PutParameter", "ssm:GetParameter", "dynamodb:DescribeTable"}
	if got := s.Calls(); !slices.Equal(got, want) {
		t.Errorf("Calls() = %v\nwant %v", got, want)
	}
	wantCounts := map[string]int{"dynamodb:CreateTable": 1, "dynamodb:DescribeTable": 2, "dynamodb:PutItem": 1,
		"dynamodb:GetItem": 1, "dynamodb:Scan": 1, "ssm:PutParameter": 1, "ssm:GetParameter": 1}
	if got := s.Counts(); !maps.Equal(got, wantCounts) {
		t.Errorf("Counts() = %v\nwant %v", got, wantCounts)
	}
	if got := s.Writes(); got != 3 {
		t.Errorf("Writes() = %d, want 3 (CreateTable, PutItem, PutParameter)", got)
	}
	s.Reset()
	if len(s.Calls()) != 0 || len(s.Counts()) != 0 || s.Writes() != 0 {
		t.Errorf("after Reset: %v %v %d", s.Calls(), s.Counts(), s.Writes())
	}
}

// TestConcurrentRequests sends hundreds of requests at once through a shim
// with a delay and faults on; run with -race.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{Delay: 20 * time.Millisecond, CreatingFor: 100 * time.Millisecond,
		Faults: Faults{Rate: 0.2, Seed: 1, Kinds: []FaultKind{FaultServerError, FaultThrottle, FaultDelay}, Delay: 10 * time.Millisecond}})
	db := ddbClient(s.URL, 0) // SDK default retries absorb the injected faults
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name),
					Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}})
			} else {
				_, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		t.Log(err)
	}
	// Retry quotas may give up on a few calls; most must get through.
	if failed > n/10 {
		t.Errorf("%d of %d concurrent calls failed", failed, n)
	}
	c := s.Counts()
	faults := 0
	for _, v := range s.Faulted() {
		faults += v
	}
	if total := c["dynamodb:PutItem"] + c["dynamodb:DescribeTable"]; total < n || total != len(s.Calls())-1 {
		t.Errorf("counted %d calls for %d requests (Calls has %d)", total, n, len(s.Calls()))
	}
	if faults == 0 {
		t.Error("no faults injected at rate 0.2")
	}
}
