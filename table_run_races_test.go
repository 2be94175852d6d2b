package bootstrap_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// CreateTable answering ResourceInUseException means someone else is
// creating the table: Run waits for it to be ACTIVE, reads it, and reports
// none when the other creator finished the job, or update (and does it) when
// TTL and PITR are still off. It never reports create: it did not create it.
func TestConcurrentCreatorResourceInUse(t *testing.T) {
	const name = "sentinel-requests"
	inUse := map[string]error{
		"modeled": opErr("DynamoDB", "CreateTable", &types.ResourceInUseException{Message: aws.String("Table already exists: " + name)}),
		"generic": opErr("DynamoDB", "CreateTable", apiErr("ResourceInUseException", "Table already exists: "+name)),
	}
	tests := []struct {
		name    string
		ttl     types.TimeToLiveStatus
		pitr    types.PointInTimeRecoveryStatus
		action  string
		changes []string
	}{
		{"other creator finished", types.TimeToLiveStatusEnabled, types.PointInTimeRecoveryStatusEnabled, bootstrap.ActionNone, nil},
		{"TTL and PITR still off", types.TimeToLiveStatusDisabled, types.PointInTimeRecoveryStatusDisabled, bootstrap.ActionUpdate, []string{"enable TTL on ttl", "enable point-in-time recovery"}},
	}
	for _, tc := range tests {
		for kind, err := range inUse {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				s, d := newMocks(t)
				active := activeTable(bootstrap.PurposeApprovals, "")
				activeAgain := expectDescribe(d, name, active).Times(1) // the wait's last poll: then TTL and PITR are read
				gomock.InOrder(
					expectNotFound(d, name),
					d.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).Return(nil, err).Times(1),
					expectDescribe(d, name, withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)),
					activeAgain,
				)
				expectTTL(d, name, tc.ttl, "ttl").After(activeAgain).Times(1)
				expectPITR(d, name, tc.pitr).After(activeAgain).Times(1)
				if tc.action == bootstrap.ActionUpdate {
					d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil).Times(1)
					expectEnablePITR(d, name).Times(1)
				}

				rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals())...)
				got := rep.Tables[0]
				checkTable(t, got, tc.action, bootstrap.StatusOK, tc.changes...)
				if got.TableStatus != "ACTIVE" || got.ARN != tableARN(name) {
					t.Errorf("TableStatus, ARN = %q, %q", got.TableStatus, got.ARN)
				}
			})
		}
	}
}

// A table found CREATING is waited for; what it needs is read only once it
// is ACTIVE, since the other creator may have done part of it meanwhile.
func TestTableFoundCreatingIsWaitedFor(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-breakglass"
	active := activeTable(bootstrap.PurposeBreakGlass, "")
	creating := withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)

	lastRead := expectDescribe(d, name, active) // the wait's last poll
	gomock.InOrder(
		expectDescribe(d, name, creating), // the first read
		expectDescribe(d, name, creating), // the wait's first poll
		lastRead,
	)
	// TTL and point-in-time recovery are read once, when the table is ACTIVE.
	expectTTL(d, name, types.TimeToLiveStatusEnabled, "ttl").After(lastRead)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).After(lastRead)

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
	checkTable(t, rep.Tables[0], bootstrap.ActionNone, bootstrap.StatusOK)
}

// UpdateTimeToLive is not idempotent: when it answers ValidationException,
// TTL is read again, and TTL already on (or turning on) for "ttl" counts as
// success; anything else is a failure that keeps the AWS error.
func TestUpdateTimeToLiveValidationExceptionRereads(t *testing.T) {
	tests := []struct {
		name   string
		status types.TimeToLiveStatus
		attr   string
		ok     bool
	}{
		{"enabled meanwhile", types.TimeToLiveStatusEnabled, "ttl", true},
		{"enabling meanwhile", types.TimeToLiveStatusEnabling, "ttl", true},
		{"still disabled", types.TimeToLiveStatusDisabled, "", false},
		{"enabled on another attribute", types.TimeToLiveStatusEnabled, "expires_at", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			const name = "sentinel-sessions"
			expectDescribe(d, name, activeTable(bootstrap.PurposeSessions, "")).Times(1)
			expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)
			gomock.InOrder(
				expectTTL(d, name, types.TimeToLiveStatusDisabled, ""),
				d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).
					Return(nil, opErr("DynamoDB", "UpdateTimeToLive", apiErr("ValidationException", "TimeToLive is already enabled"))).Times(1),
				expectTTL(d, name, tc.status, tc.attr),
			)

			rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithSessions())...)
			got := rep.Tables[0]
			if tc.ok {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				checkTable(t, got, bootstrap.ActionUpdate, bootstrap.StatusOK, "enable TTL on ttl")
				return
			}
			checkIncomplete(t, err, []string{"table " + name})
			if got.Status != bootstrap.StatusFailed || got.Action != bootstrap.ActionUpdate {
				t.Errorf("result = %+v, want update, failed", got)
			}
			checkContains(t, "Error", got.Error, "enable TTL on ttl", "ValidationException")
		})
	}
}

// UpdateTable adding an index answering ValidationException because a
// concurrent run added it first: the index is there, so Run waits for it and
// succeeds.
func TestAddIndexRacedByConcurrentRun(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-sessions"
	old := activeTable(bootstrap.PurposeSessions, "")
	full := withIndex(old, deviceIndex)
	building := withStatus(full, types.TableStatusActive, "")
	building.GlobalSecondaryIndexes[4].IndexStatus = types.IndexStatusCreating

	expectTTL(d, name, types.TimeToLiveStatusEnabled, "ttl").Times(1)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)
	gomock.InOrder(
		expectDescribe(d, name, old),
		d.EXPECT().UpdateTable(gomock.Any(), named(name), gomock.Any()).
			Return(nil, opErr("DynamoDB", "UpdateTable", apiErr("ValidationException", "Attempting to create an index which already exists"))).Times(1),
		expectDescribe(d, name, building), // the look after the refusal: it is there
		expectDescribe(d, name, building), // waiting for it
		expectDescribe(d, name, full),
	)
	rep := mustRun(t, opts(clients(s, d), bootstrap.WithSessions(), bootstrap.WithDeviceIndex())...)
	got := rep.Tables[0]
	checkTable(t, got, bootstrap.ActionUpdate, bootstrap.StatusOK, "add index gsi-device-id")
	if len(got.Done) != 0 {
		t.Errorf("Done = %q; the concurrent run added the index, not this one", got.Done)
	}
}
