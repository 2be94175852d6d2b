package integration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// Table states AWS shows and moto does not, made by the shim: a table not
// found for a moment after CreateTable, tables that will not become ACTIVE
// by themselves, and a CreateTable whose answer was lost.

// tableNames are the names of the three tables of WithAll in this env.
func (e *env) tableNames() []string {
	return []string{"sentinel-requests" + e.suffix, "sentinel-breakglass" + e.suffix, "sentinel-sessions" + e.suffix}
}

// checkTTLAndPITR fails the test unless TTL is enabled on ttl and
// point-in-time recovery is enabled on the table.
func (e *env) checkTTLAndPITR(name string) {
	e.t.Helper()
	ctx := context.Background()
	ttl, err := e.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeTimeToLive %s: %v", name, err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
		e.t.Errorf("%s: TTL %+v, want ENABLED on ttl", name, ttl.TimeToLiveDescription)
	}
	pitr, err := e.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeContinuousBackups %s: %v", name, err)
	}
	if d := pitr.ContinuousBackupsDescription; d == nil || d.PointInTimeRecoveryDescription == nil ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		e.t.Errorf("%s: point-in-time recovery %+v, want ENABLED", name, pitr.ContinuousBackupsDescription)
	}
}

// A fresh Run over tables that AWS does not find for 700 ms after their
// CreateTable succeeded still creates them completely: the not-found of a
// table this run created is waited out, TTL and point-in-time recovery are
// enabled.
func TestIntegrationTableInvisibleAfterCreate(t *testing.T) {
	const window = 700 * time.Millisecond
	e := newEnv(t, awsshim.Options{InvisibleFor: window})
	rep, err := e.run(bootstrap.WithProfiles("dev"), bootstrap.WithAll())
	if err != nil {
		t.Fatalf("Run over tables invisible for %s after CreateTable: %v\n%s", window, err, reportJSON(rep))
	}
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)
	if got := e.shim.Counts()["dynamodb:CreateTable"]; got != 3 {
		t.Errorf("%d CreateTable calls, want 3", got)
	}
	for _, name := range e.tableNames() {
		e.checkTTLAndPITR(name)
	}
	e.shim.Reset()
	assertAll(t, e.mustRun(bootstrap.WithProfiles("dev"), bootstrap.WithAll()), bootstrap.ActionNone, bootstrap.StatusOK)
	if w := e.shim.Writes(); w != 0 {
		t.Errorf("the rerun wrote %d times: %v", w, e.shim.Counts())
	}
}

// A table that is ARCHIVED or INACCESSIBLE_ENCRYPTION_CREDENTIALS will not
// become ACTIVE by itself: plan and apply fail it at once, naming the
// status, even with a wait bound of ten minutes; the other tables are done.
func TestIntegrationTableUnavailableStatusFailsAtOnce(t *testing.T) {
	for _, status := range []types.TableStatus{types.TableStatusArchived, types.TableStatusInaccessibleEncryptionCredentials} {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, awsshim.Options{})
			opts := []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithWaitTimeout(10 * time.Minute)}
			e.mustRun(opts...)
			sessions := "sentinel-sessions" + e.suffix
			e.shim.SetTableStatus(sessions, string(status))

			for _, mode := range [][]bootstrap.Option{{bootstrap.WithPlanOnly()}, nil} {
				e.shim.Reset()
				// A library that waited for the status would wait the whole
				// WithWaitTimeout; the deadline ends the test long before.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				began := time.Now()
				rep, err := bootstrap.Run(ctx, e.cfg, e.opts(append(opts, mode...)...)...)
				took := time.Since(began)
				cancel()
				if rep == nil {
					t.Fatalf("Run: no report, err %v", err)
				}
				t.Logf("%s: Run returned after %s: %v", rep.Mode, took.Round(time.Millisecond), err)
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%s: Run was still waiting for the %s table after %s (WithWaitTimeout is 10 minutes): %v", rep.Mode, status, took, err)
				}
				for _, tb := range rep.Tables {
					if tb.Name != sessions {
						if tb.Action != bootstrap.ActionNone || tb.Error != "" {
							t.Errorf("%s %s: %s/%s %q, want none and no error", rep.Mode, tb.Name, tb.Action, tb.Status, tb.Error)
						}
						continue
					}
					if tb.Status != bootstrap.StatusFailed || tb.Action != bootstrap.ActionUnknown {
						t.Errorf("%s %s: %s/%s, want unknown/failed, never none or ok", rep.Mode, tb.Name, tb.Action, tb.Status)
					}
					if !strings.Contains(tb.Error, string(status)) {
						t.Errorf("%s %s: error %q does not name the status %s", rep.Mode, tb.Name, tb.Error, status)
					}
					if strings.Contains(tb.Error, "WithWaitTimeout") {
						t.Errorf("%s %s: error %q is a timeout; the status is not waited for", rep.Mode, tb.Name, tb.Error)
					}
					if tb.Status == bootstrap.StatusFailed && !errors.Is(err, bootstrap.ErrIncomplete) {
						t.Errorf("%s: err = %v, want ErrIncomplete for the failed table", rep.Mode, err)
					}
				}
				if w := e.shim.Writes(); w != 0 {
					t.Errorf("%s wrote %d times: %v", rep.Mode, w, e.shim.Counts())
				}
			}
		})
	}
}

// A CreateTable that AWS carried out but whose answer was lost (the retry
// gets ResourceInUseException) still reports the table created by this run,
// and the table is completed: TTL and point-in-time recovery enabled.
func TestIntegrationLostCreateAnswerIsCreate(t *testing.T) {
	e := newEnv(t, awsshim.Options{DropFirstCreateAnswer: true})
	rep, err := e.run(bootstrap.WithAll())
	if got := e.shim.Faulted()[awsshim.FaultDropAfter]; got != 3 {
		t.Fatalf("%d CreateTable answers dropped, want 3 (one per table)", got)
	}
	if err != nil {
		t.Fatalf("Run with lost CreateTable answers: %v\n%s", err, reportJSON(rep))
	}
	assertAll(t, rep, bootstrap.ActionCreate, bootstrap.StatusOK)
	for _, name := range e.tableNames() {
		if e.table(name) == nil {
			t.Fatalf("table %s does not exist", name)
		}
		e.checkTTLAndPITR(name)
	}
	e.shim.Reset()
	assertAll(t, e.mustRun(bootstrap.WithAll()), bootstrap.ActionNone, bootstrap.StatusOK)
}
