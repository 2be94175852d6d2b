package awsshim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The windows below are long compared with a moto round trip (a few ms) so
// that the tests hold on a loaded 2-core machine under -race.

func TestCreatingWindow(t *testing.T) {
	t.Parallel()
	const window = time.Second
	s := newShim(t, Options{CreatingFor: window})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)

	out, err := db.CreateTable(ctx, createTableInput(name, true))
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	created := time.Now()
	td := out.TableDescription
	if td.TableStatus != types.TableStatusCreating || td.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating {
		t.Fatalf("CreateTable answer: table %s, index %s; want CREATING", td.TableStatus, td.GlobalSecondaryIndexes[0].IndexStatus)
	}
	// A rewritten moto body; TestRewrittenAnswersHaveValidCRC32 checks its CRC.
	d := describe(t, db, name)
	if d.TableStatus != types.TableStatusCreating || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating {
		t.Fatalf("DescribeTable: table %s, index %s; want CREATING", d.TableStatus, d.GlobalSecondaryIndexes[0].IndexStatus)
	}
	if aws.ToString(d.TableName) != name || d.CreationDateTime == nil {
		t.Errorf("rewritten description lost fields: %+v", d)
	}

	ttl := &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)},
	}
	_, err = db.UpdateTimeToLive(ctx, ttl)
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("UpdateTimeToLive while CREATING: %v; want *types.ResourceInUseException", err)
	}
	_, err = db.TagResource(ctx, &dynamodb.TagResourceInput{
		ResourceArn: td.TableArn,
		Tags:        []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	if !errors.As(err, &inUse) {
		t.Fatalf("TagResource while CREATING: %v; want *types.ResourceInUseException", err)
	}

	waitActive(t, db, name, 5*time.Second)
	if elapsed := time.Since(created); elapsed < window-50*time.Millisecond {
		t.Errorf("ACTIVE after %s, want about %s", elapsed, window)
	}
	d = describe(t, db, name)
	if d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive {
		t.Errorf("index %s after the window, want ACTIVE", d.GlobalSecondaryIndexes[0].IndexStatus)
	}
	if _, err := db.UpdateTimeToLive(ctx, ttl); err != nil {
		t.Fatalf("UpdateTimeToLive after the window: %v", err)
	}

	// DeleteTable forgets the timing state: a new table of the same name
	// gets a new CREATING window.
	if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
		t.Fatalf("DeleteTable: %v", err)
	}
	s.mu.Lock()
	_, kept := s.tables[name]
	s.mu.Unlock()
	if kept {
		t.Error("DeleteTable kept the table's timing state")
	}
}

func TestSecondCreateTableForwarded(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{CreatingFor: time.Second})
	db := ddbClient(s.URL, 1)
	name := uniqueName(t)
	if _, err := db.CreateTable(context.Background(), createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	_, err := db.CreateTable(context.Background(), createTableInput(name, false))
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second CreateTable: %v; want moto's ResourceInUseException", err)
	}
}

func TestIndexCreatingWindow(t *testing.T) {
	t.Parallel()
	const window = time.Second
	s := newShim(t, Options{IndexCreatingFor: window})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
		t.Fatal(err)
	}
	idx := gsiDef("by-g")
	update := &dynamodb.UpdateTableInput{
		TableName: aws.String(name),
		// moto replaces (not merges) AttributeDefinitions, so send all.
		AttributeDefinitions: attrDefs(true),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: idx.IndexName, KeySchema: idx.KeySchema, Projection: idx.Projection,
		}}},
	}
	out, err := db.UpdateTable(ctx, update)
	if err != nil {
		t.Fatalf("UpdateTable: %v", err)
	}
	started := time.Now()
	check := func(what string, td *types.TableDescription) {
		t.Helper()
		if td.TableStatus != types.TableStatusUpdating || len(td.GlobalSecondaryIndexes) != 1 ||
			td.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating ||
			!aws.ToBool(td.GlobalSecondaryIndexes[0].Backfilling) {
			t.Fatalf("%s: table %s, indexes %+v; want UPDATING with by-g CREATING and backfilling", what, td.TableStatus, td.GlobalSecondaryIndexes)
		}
	}
	check("UpdateTable answer", out.TableDescription)
	check("DescribeTable", describe(t, db, name))

	_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), DeletionProtectionEnabled: aws.Bool(false)})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("UpdateTable while index CREATING: %v; want *types.ResourceInUseException", err)
	}
	waitActive(t, db, name, 5*time.Second)
	if elapsed := time.Since(started); elapsed < window-50*time.Millisecond {
		t.Errorf("ACTIVE after %s, want about %s", elapsed, window)
	}
	if st := describe(t, db, name).GlobalSecondaryIndexes[0].IndexStatus; st != types.IndexStatusActive {
		t.Errorf("index %s after the window, want ACTIVE", st)
	}
}

func TestPITRUnavailableWindow(t *testing.T) {
	t.Parallel()
	const creating, window = 300 * time.Millisecond, 1500 * time.Millisecond
	s := newShim(t, Options{CreatingFor: creating, PITRUnavailableFor: window})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	// The shim decides by the time a call arrives. A call that returned
	// before the end of a window arrived within it, so its answer must be
	// the window's; a call that returned later may have arrived later (a
	// loaded machine) and proves nothing, so the check is made again on a
	// new table, a few times at most.
	for attempt := 1; ; attempt++ {
		name := uniqueName(t)
		if _, err := db.CreateTable(ctx, createTableInput(name, false)); err != nil {
			t.Fatal(err)
		}
		timing := s.TableTimings()[name]
		pitr := func() (time.Time, error) {
			_, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
				TableName:                        aws.String(name),
				PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
			})
			return time.Now(), err
		}
		inconclusive := func(what string, returned, end time.Time) bool {
			if !returned.Before(end) && attempt < 5 {
				t.Logf("attempt %d: %s returned %s after its window ended; trying again", attempt, what, returned.Sub(end))
				return true
			}
			return false
		}

		returned, err := pitr()
		if got := errorCode(err); got != "ResourceInUseException" {
			if inconclusive("the call while CREATING", returned, timing.Active) {
				continue
			}
			t.Fatalf("UpdateContinuousBackups while CREATING: %v; want ResourceInUseException", err)
		}
		time.Sleep(time.Until(timing.Active))
		returned, err = pitr()
		var unavailable *types.ContinuousBackupsUnavailableException
		if errorCode(err) != "ContinuousBackupsUnavailableException" || !errors.As(err, &unavailable) {
			if inconclusive("the call just after ACTIVE", returned, timing.Active.Add(window)) {
				continue
			}
			t.Fatalf("UpdateContinuousBackups just after ACTIVE: %v; want ContinuousBackupsUnavailableException", err)
		}
		deadline := time.Now().Add(window + 5*time.Second)
		for {
			_, err = pitr()
			if err == nil {
				break
			}
			if errorCode(err) != "ContinuousBackupsUnavailableException" || time.Now().After(deadline) {
				t.Fatalf("UpdateContinuousBackups after the window: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
			t.Errorf("table %s after the window, want ACTIVE", st)
		}
		return
	}
}

func TestTableTimings(t *testing.T) {
	t.Parallel()
	const window = 600 * time.Millisecond
	s := newShim(t, Options{CreatingFor: window})
	db := ddbClient(s.URL, 1)
	name := uniqueName(t)

	before := time.Now()
	if _, err := db.CreateTable(context.Background(), createTableInput(name, true)); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	after := time.Now()
	tt, ok := s.TableTimings()[name]
	if !ok {
		t.Fatalf("TableTimings has no %s: %v", name, s.TableTimings())
	}
	if tt.Created.Before(before) || tt.Created.After(after) {
		t.Errorf("Created %v, not within the CreateTable call [%v, %v]", tt.Created, before, after)
	}
	if got := tt.Active.Sub(tt.Created); got != window {
		t.Errorf("Active − Created = %s, want CreatingFor %s", got, window)
	}
	if !tt.Noticed.IsZero() {
		t.Errorf("Noticed %v before any DescribeTable", tt.Noticed)
	}

	// Answers that still say CREATING are not noticing.
	if st := describe(t, db, name).TableStatus; st != types.TableStatusCreating {
		t.Fatalf("DescribeTable at once: %s, want CREATING", st)
	}
	if n := s.TableTimings()[name].Noticed; !n.IsZero() {
		t.Errorf("Noticed %v after a CREATING answer", n)
	}

	time.Sleep(time.Until(tt.Active) + 50*time.Millisecond)
	asked := time.Now()
	if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
		t.Fatalf("DescribeTable after the window: %s, want ACTIVE", st)
	}
	answered := time.Now()
	first := s.TableTimings()[name].Noticed
	if first.Before(asked) || first.After(answered) {
		t.Errorf("Noticed %v, not within the first ACTIVE DescribeTable [%v, %v]", first, asked, answered)
	}

	// Later answers keep the first; Reset keeps the timings.
	describe(t, db, name)
	s.Reset()
	if got := s.TableTimings()[name].Noticed; !got.Equal(first) {
		t.Errorf("Noticed moved from %v to %v", first, got)
	}

	// Tables not created through the shim have no timing.
	other := StartT(t, Options{Upstream: s.opts.Upstream})
	describe(t, ddbClient(other.URL, 1), name)
	if got := other.TableTimings(); len(got) != 0 {
		t.Errorf("TableTimings of a shim that created nothing: %v", got)
	}
}
