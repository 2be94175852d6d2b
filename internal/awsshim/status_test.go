package awsshim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// changes are the calls refused while a table reports a status other than
// ACTIVE.
var changes = []string{"UpdateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "TagResource", "UntagResource"}

func TestSetTableStatus(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	db, sink := loggedDDB(s.URL)
	ctx := context.Background()
	for _, status := range []types.TableStatus{
		types.TableStatusArchived, types.TableStatusArchiving, types.TableStatusInaccessibleEncryptionCredentials,
		types.TableStatusReplicationNotAuthorized, types.TableStatusDeleting, types.TableStatusUpdating, types.TableStatusCreating,
	} {
		t.Run(string(status), func(t *testing.T) {
			name := uniqueName(t)
			out, err := db.CreateTable(ctx, createTableInput(name, true))
			if err != nil {
				t.Fatal(err)
			}
			arn := aws.ToString(out.TableDescription.TableArn)
			calls := tableCalls(db)

			s.SetTableStatus(name, string(status))
			d := describe(t, db, name)
			if d.TableStatus != status {
				t.Errorf("DescribeTable: %s, want %s", d.TableStatus, status)
			}
			if aws.ToString(d.TableName) != name || len(d.GlobalSecondaryIndexes) != 1 || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive {
				t.Errorf("the rest of the description changed: %+v", d)
			}
			for _, op := range changes {
				err := calls[op](ctx, name, arn)
				if errorCode(err) != "ResourceInUseException" {
					t.Errorf("%s on a %s table: %v; want ResourceInUseException", op, status, err)
				} else if ae := errorMessage(err); !strings.Contains(ae, string(status)) || !strings.Contains(ae, name) {
					t.Errorf("%s: message %q does not name the status and the table", op, ae)
				}
			}
			for _, op := range []string{"DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource"} {
				if err := calls[op](ctx, name, arn); err != nil {
					t.Errorf("%s on a %s table: %v; reads are never refused", op, status, err)
				}
			}

			s.SetTableStatus(name, "")
			if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
				t.Errorf("after clearing: %s, want ACTIVE", st)
			}
			for _, op := range changes {
				if err := calls[op](ctx, name, arn); err != nil {
					t.Errorf("%s after clearing: %v", op, err)
				}
			}
		})
	}
	if w := sink.checksumWarnings(); len(w) > 0 {
		t.Errorf("SDK saw bad checksums on rewritten answers: %q", w)
	}
}

// ACTIVE set on a table still in its CREATING window shows it ACTIVE and
// lets changes through; a status set on a table moto does not know leaves
// it not found; DeleteTable forgets the status.
func TestSetTableStatusEdges(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{CreatingFor: time.Minute})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	s.SetTableStatus(name, "ACTIVE")
	if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
		t.Errorf("ACTIVE set during CREATING: %s", st)
	}
	if err := tableCalls(db)["UpdateTimeToLive"](ctx, name, ""); err != nil {
		t.Errorf("UpdateTimeToLive on a table set ACTIVE: %v", err)
	}
	s.SetTableStatus(name, "")
	if st := describe(t, db, name).TableStatus; st != types.TableStatusCreating {
		t.Errorf("after clearing: %s, want CREATING again (the window)", st)
	}

	ghost := uniqueName(t) + "-ghost"
	s.SetTableStatus(ghost, "ARCHIVED")
	if err := tableCalls(db)["DescribeTable"](ctx, ghost, ""); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeTable of a table moto does not know: %v; want ResourceNotFoundException", err)
	}

	s.SetTableStatus(name, "DELETING")
	if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
		t.Fatalf("DeleteTable of a DELETING table: %v; DeleteTable is never refused", err)
	}
	if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	if st := describe(t, db, name).TableStatus; st != types.TableStatusCreating {
		t.Errorf("recreated table: %s, want CREATING (the status was forgotten)", st)
	}
}

func TestSetIndexStatus(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := db.CreateTable(ctx, createTableInput(name, true)); err != nil {
		t.Fatal(err)
	}
	update := tableCalls(db)["UpdateTable"]
	for _, tc := range []struct {
		status      types.IndexStatus
		backfilling bool
	}{
		{types.IndexStatusCreating, true},
		{types.IndexStatusCreating, false},
		{types.IndexStatusUpdating, false},
		{types.IndexStatusDeleting, false},
	} {
		s.SetIndexStatus(name, "by-g", string(tc.status), tc.backfilling)
		s.SetIndexStatus(name, "not-there", "DELETING", false)
		d := describe(t, db, name)
		if len(d.GlobalSecondaryIndexes) != 1 {
			t.Fatalf("%s: indexes %+v, want by-g only (an index moto does not list is not added)", tc.status, d.GlobalSecondaryIndexes)
		}
		g := d.GlobalSecondaryIndexes[0]
		if g.IndexStatus != tc.status || aws.ToBool(g.Backfilling) != tc.backfilling {
			t.Errorf("index %s backfilling %v, want %s %v", g.IndexStatus, aws.ToBool(g.Backfilling), tc.status, tc.backfilling)
		}
		if d.TableStatus != types.TableStatusActive {
			t.Errorf("table %s, want ACTIVE (only the index is set)", d.TableStatus)
		}
		if err := update(ctx, name, ""); errorCode(err) != "ResourceInUseException" || !strings.Contains(errorMessage(err), string(tc.status)) {
			t.Errorf("UpdateTable while the index is %s: %v; want ResourceInUseException naming it", tc.status, err)
		}
		if err := tableCalls(db)["UpdateTimeToLive"](ctx, name, ""); err != nil {
			t.Errorf("UpdateTimeToLive while the index is %s: %v; only UpdateTable is refused", tc.status, err)
		}
		s.SetIndexStatus(name, "not-there", "", false)
	}
	s.SetIndexStatus(name, "by-g", "ACTIVE", false)
	if err := update(ctx, name, ""); err != nil {
		t.Errorf("UpdateTable with the index set ACTIVE: %v", err)
	}
	s.SetIndexStatus(name, "by-g", "", false)
	if g := describe(t, db, name).GlobalSecondaryIndexes[0]; g.IndexStatus != types.IndexStatusActive || g.Backfilling != nil {
		t.Errorf("after clearing: %s backfilling %v", g.IndexStatus, g.Backfilling)
	}
}

func TestSetSSEStatus(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	// Moto forgets KMS set by UpdateTable; the shim remembers it, and the
	// status set is shown over what it remembers.
	if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name),
		SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}}); err != nil {
		t.Fatal(err)
	}
	// A later UpdateTable's answer shows it too, as AWS's does.
	out, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), DeletionProtectionEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if sse := out.TableDescription.SSEDescription; sse == nil || sse.SSEType != types.SSETypeKms {
		t.Errorf("a later UpdateTable answers SSEDescription %+v; want the remembered KMS encryption", sse)
	}
	s.SetSSEStatus(name, "UPDATING")
	sse := describe(t, db, name).SSEDescription
	if sse == nil || sse.Status != types.SSEStatusUpdating || sse.SSEType != types.SSETypeKms || aws.ToString(sse.KMSMasterKeyArn) == "" {
		t.Errorf("SSEDescription %+v, want UPDATING over the remembered KMS encryption", sse)
	}
	if err := tableCalls(db)["UpdateTable"](ctx, name, ""); errorCode(err) != "ResourceInUseException" {
		t.Errorf("UpdateTable while SSE is UPDATING: %v; want ResourceInUseException", err)
	}
	s.SetSSEStatus(name, "")
	if sse := describe(t, db, name).SSEDescription; sse == nil || sse.Status != types.SSEStatusEnabled {
		t.Errorf("after clearing: %+v, want ENABLED", sse)
	}
	if err := tableCalls(db)["UpdateTable"](ctx, name, ""); err != nil {
		t.Errorf("UpdateTable after clearing: %v", err)
	}

	// A table without an SSEDescription gets one.
	plain := uniqueName(t) + "-plain"
	if _, err := db.CreateTable(ctx, createTableInput(plain, false)); err != nil {
		t.Fatal(err)
	}
	s.SetSSEStatus(plain, "ENABLING")
	if sse := describe(t, db, plain).SSEDescription; sse == nil || sse.Status != types.SSEStatusEnabling {
		t.Errorf("SSEDescription %+v, want status ENABLING", sse)
	}
}
