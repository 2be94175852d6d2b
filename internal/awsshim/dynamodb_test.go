package awsshim

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableCalls are the calls InvisibleFor hides a new table from, each as a
// function of the table's name and ARN.
func tableCalls(db *dynamodb.Client) map[string]func(ctx context.Context, name, arn string) error {
	return map[string]func(ctx context.Context, name, arn string) error{
		"DescribeTable": func(ctx context.Context, name, _ string) error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			return err
		},
		"DescribeTimeToLive": func(ctx context.Context, name, _ string) error {
			_, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
			return err
		},
		"DescribeContinuousBackups": func(ctx context.Context, name, _ string) error {
			_, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
			return err
		},
		"ListTagsOfResource": func(ctx context.Context, _, arn string) error {
			_, err := db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn)})
			return err
		},
		"UpdateTimeToLive": func(ctx context.Context, name, _ string) error {
			_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}})
			return err
		},
		"UpdateContinuousBackups": func(ctx context.Context, name, _ string) error {
			_, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(name),
				PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
			return err
		},
		"UpdateTable": func(ctx context.Context, name, _ string) error {
			_, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), DeletionProtectionEnabled: aws.Bool(true)})
			return err
		},
		"TagResource": func(ctx context.Context, _, arn string) error {
			_, err := db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"UntagResource": func(ctx context.Context, _, arn string) error {
			_, err := db.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}})
			return err
		},
	}
}

func TestInvisibleAfterCreate(t *testing.T) {
	t.Parallel()
	const window = 1500 * time.Millisecond
	s := newShim(t, Options{InvisibleFor: window})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	out, err := db.CreateTable(ctx, createTableInput(name, false))
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	created := s.TableTimings()[name].Created
	arn := aws.ToString(out.TableDescription.TableArn)

	calls := tableCalls(db)
	ops := slices.Sorted(maps.Keys(calls))
	end := created.Add(window)
	late := map[string]bool{} // calls that may have arrived after the window
	for _, op := range ops {
		err := calls[op](ctx, name, arn)
		var nf *types.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
		case !time.Now().Before(end): // a loaded machine
			late[op] = true
			t.Logf("%s returned after the window: %v", op, err)
		default:
			t.Errorf("%s just after CreateTable: %v; want *types.ResourceNotFoundException", op, err)
		}
	}

	// ListTables and moto itself know the table all along.
	lt, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || !slices.Contains(lt.TableNames, name) {
		t.Errorf("ListTables during the window: %v %v; want the table listed", err, lt)
	}
	if !tableExists(t, name) {
		t.Error("the table does not exist in moto")
	}
	// A second CreateTable is moto's business: the table exists.
	_, err = db.CreateTable(ctx, createTableInput(name, false))
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("second CreateTable during the window: %v; want *types.ResourceInUseException", err)
	}

	// The SDK's own waiter retries not-found and sees the table once the
	// window is over.
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("TableExists waiter: %v", err)
	}
	if elapsed := time.Since(created); elapsed < window-50*time.Millisecond {
		t.Errorf("visible after %s, want about %s", elapsed, window)
	}
	if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
		t.Errorf("after the window: %s, want ACTIVE", st)
	}
	for _, op := range ops {
		if late[op] {
			continue // done already
		}
		if err := calls[op](ctx, name, arn); err != nil {
			t.Errorf("%s after the window: %v", op, err)
		}
	}
}

// The invisible window runs alongside the CREATING window: once the table
// can be seen it is still CREATING, and changes are refused as such.
func TestInvisibleThenCreating(t *testing.T) {
	t.Parallel()
	const invisible = 300 * time.Millisecond
	s := newShim(t, Options{InvisibleFor: invisible, CreatingFor: 10 * time.Second})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	out, err := db.CreateTable(ctx, createTableInput(name, false))
	if err != nil {
		t.Fatal(err)
	}
	created := s.TableTimings()[name].Created
	if st := out.TableDescription.TableStatus; st != types.TableStatusCreating {
		t.Errorf("CreateTable answer %s, want CREATING", st)
	}
	err = tableCalls(db)["DescribeTable"](ctx, name, "")
	if errorCode(err) != "ResourceNotFoundException" && time.Since(created) < invisible {
		t.Fatalf("DescribeTable at once: %v; want ResourceNotFoundException", err)
	}
	time.Sleep(time.Until(created.Add(invisible + 100*time.Millisecond)))
	if st := describe(t, db, name).TableStatus; st != types.TableStatusCreating {
		t.Errorf("after the invisible window: %s, want CREATING", st)
	}
	if err := tableCalls(db)["UpdateTimeToLive"](ctx, name, ""); errorCode(err) != "ResourceInUseException" {
		t.Errorf("UpdateTimeToLive while CREATING: %v; want ResourceInUseException", err)
	}
}
