package bootstrap_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// The loop of one table, for the states AWS can show that the original
// code got wrong (issue 9).

// expectCreate expects one CreateTable and checks that it is a single
// attempt as far as the SDK goes (the library retries it itself).
func expectCreate(t *testing.T, d *mocks.MockDynamoDBAPI, name string, out *dynamodb.CreateTableOutput, err error) *gomock.Call {
	return d.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).DoAndReturn(
		func(_ context.Context, _ *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
			o := dynamodb.Options{RetryMaxAttempts: 3}
			for _, fn := range optFns {
				fn(&o)
			}
			if o.RetryMaxAttempts != 1 {
				t.Errorf("CreateTable sent with RetryMaxAttempts %d; want 1 (the library's own retries decide who created the table)", o.RetryMaxAttempts)
			}
			return out, err
		})
}

// createAnswer500 is a CreateTable answered 500: it may have been carried out.
var createAnswer500 = opErr("DynamoDB", "CreateTable", &smithyhttp.ResponseError{
	Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError}},
	Err:      &types.InternalServerError{Message: aws.String("internal error")},
})

// AWS may answer ResourceNotFoundException for a moment after CreateTable:
// the new table is waited for, not failed, and TTL and point-in-time
// recovery are enabled.
func TestNewTableNotVisibleYetIsWaitedFor(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-requests"
	active := activeTable(bootstrap.PurposeApprovals, "")
	gomock.InOrder(
		expectNotFound(d, name),
		expectCreate(t, d, name, &dynamodb.CreateTableOutput{}, nil),
		expectNotFound(d, name).Times(3), // invisible for a moment
		expectDescribe(d, name, withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)),
		expectDescribe(d, name, active),
		d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil),
		expectEnablePITR(d, name),
	)
	rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals())...)
	got := rep.Tables[0]
	checkTable(t, got, bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
	if !slices.Equal(got.Done, got.Changes) {
		t.Errorf("Done = %q", got.Done)
	}
}

// A CreateTable that AWS carried out but whose answer was lost: the
// library's retry gets ResourceInUseException, and the table is still this
// run's creation.
func TestLostCreateAnswerIsStillCreate(t *testing.T) {
	lost := map[string]error{
		"connection broken": opErr("DynamoDB", "CreateTable", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}}),
		"500":               createAnswer500,
	}
	for kind, first := range lost {
		t.Run(kind, func(t *testing.T) {
			s, d := newMocks(t)
			const name = "sentinel-breakglass"
			active := activeTable(bootstrap.PurposeBreakGlass, "")
			gomock.InOrder(
				expectNotFound(d, name),
				expectCreate(t, d, name, nil, first),
				expectCreate(t, d, name, nil, opErr("DynamoDB", "CreateTable", &types.ResourceInUseException{Message: aws.String("Table already exists")})),
				expectDescribe(d, name, withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)),
				expectDescribe(d, name, withStatus(active, types.TableStatusCreating, types.IndexStatusCreating)),
				expectDescribe(d, name, active),
			)
			// Nothing else is known of the table: TTL and PITR are read.
			expectTTL(d, name, types.TimeToLiveStatusDisabled, "").Times(1)
			expectPITR(d, name, types.PointInTimeRecoveryStatusDisabled).Times(1)
			d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)
			expectEnablePITR(d, name)

			rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
			checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
		})
	}
}

// A CreateTable whose answer was lost, then a failure that says nothing of
// the table (a refusal): the table is looked for. There, it is this run's
// (create, done); not there, the result says it may exist.
func TestLostCreateAnswerThenRefusalLooksForTheTable(t *testing.T) {
	lostAnswer := createAnswer500
	refused := opErr("DynamoDB", "CreateTable", &smithy.GenericAPIError{Code: "ValidationException", Message: "refused"})
	const name = "sentinel-breakglass"
	active := activeTable(bootstrap.PurposeBreakGlass, "")

	t.Run("there", func(t *testing.T) {
		s, d := newMocks(t)
		gomock.InOrder(
			expectNotFound(d, name),
			expectCreate(t, d, name, nil, lostAnswer),
			expectCreate(t, d, name, nil, refused),
			expectDescribe(d, name, active),
		)
		// Found, it is as CreateTable made it: TTL and PITR follow, unread.
		d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)
		expectEnablePITR(d, name)
		rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
		checkTable(t, rep.Tables[0], bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
	})
	t.Run("not there", func(t *testing.T) {
		s, d := newMocks(t)
		gomock.InOrder(
			expectNotFound(d, name),
			expectCreate(t, d, name, nil, lostAnswer),
			expectCreate(t, d, name, nil, refused),
			expectNotFound(d, name),
		)
		rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithBreakGlass())...)
		checkIncomplete(t, err, []string{"table " + name})
		got := rep.Tables[0]
		if got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusFailed || len(got.Done) != 0 {
			t.Errorf("result %+v; want create, failed, nothing done", got)
		}
		checkContains(t, "Error", got.Error, "ValidationException", "answer was lost", "may exist")
	})
}

// LimitExceededException is a refusal: a CreateTable answered with it did
// nothing, so a ResourceInUseException after it is someone else's table
// (update), not this run's (create).
func TestLimitExceededThenInUseIsNotCreate(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-breakglass"
	active := activeTable(bootstrap.PurposeBreakGlass, "")
	gomock.InOrder(
		expectNotFound(d, name),
		expectCreate(t, d, name, nil, opErr("DynamoDB", "CreateTable", &types.LimitExceededException{Message: aws.String("too many tables being created")})),
		expectCreate(t, d, name, nil, opErr("DynamoDB", "CreateTable", &types.ResourceInUseException{Message: aws.String("Table already exists")})),
		expectDescribe(d, name, active),
	)
	expectTTL(d, name, types.TimeToLiveStatusDisabled, "").Times(1)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)
	d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.UpdateTimeToLiveOutput{}, nil)

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
	checkTable(t, rep.Tables[0], bootstrap.ActionUpdate, bootstrap.StatusOK, "enable TTL on ttl")
}

// A failure after CreateTable leaves a created table: the result says
// create, failed, and Done says what exists now.
func TestFailureAfterCreateSaysWhatWasDone(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-sessions"
	gomock.InOrder(
		expectNotFound(d, name),
		expectCreate(t, d, name, &dynamodb.CreateTableOutput{TableDescription: activeTable(bootstrap.PurposeSessions, "")}, nil),
		d.EXPECT().UpdateTimeToLive(gomock.Any(), named(name), gomock.Any()).
			Return(nil, opErr("DynamoDB", "UpdateTimeToLive", apiErr("AccessDeniedException", "not authorized to perform dynamodb:UpdateTimeToLive"))),
		expectEnablePITR(d, name), // independent of TTL: still made
	)
	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithSessions())...)
	checkIncomplete(t, err, []string{"table " + name})
	got := rep.Tables[0]
	if got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusFailed {
		t.Errorf("result %+v; want create, failed", got)
	}
	if want := []string{"create table", "enable point-in-time recovery"}; !slices.Equal(got.Done, want) {
		t.Errorf("Done = %q; want %q", got.Done, want)
	}
	if want := []string{"create table", "enable TTL on ttl", "enable point-in-time recovery"}; !slices.Equal(got.Changes, want) {
		t.Errorf("Changes = %q; want %q", got.Changes, want)
	}
	checkContains(t, "Error", got.Error, "enable TTL on ttl", "AccessDeniedException")
}

// A table created by this run whose description cannot be read afterwards
// (CreateTable answered without one, then DescribeTable refused) is still
// reported as created: create, failed, Done naming it.
func TestCreatedTableUnreadableAfterwardsIsDone(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-sessions"
	gomock.InOrder(
		expectNotFound(d, name),
		expectCreate(t, d, name, &dynamodb.CreateTableOutput{}, nil),
		d.EXPECT().DescribeTable(gomock.Any(), named(name), gomock.Any()).Return(nil, accessDenied("DynamoDB", "DescribeTable")),
	)
	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithSessions())...)
	checkIncomplete(t, err, []string{"table " + name})
	got := rep.Tables[0]
	if got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusFailed {
		t.Errorf("result %+v; want create, failed", got)
	}
	if want := []string{"create table"}; !slices.Equal(got.Done, want) {
		t.Errorf("Done = %q; want %q", got.Done, want)
	}
	checkContains(t, "Error", got.Error, "AccessDenied")
}

// Statuses from which a table does not become ACTIVE by itself fail at
// once, in plan and in apply, naming the status; never "none".
func TestUnusableTableStatusesFailAtOnce(t *testing.T) {
	for _, status := range []types.TableStatus{
		types.TableStatusArchived, types.TableStatusArchiving,
		types.TableStatusInaccessibleEncryptionCredentials, types.TableStatusReplicationNotAuthorized,
		types.TableStatusDeleting,
	} {
		for _, plan := range []bool{true, false} {
			t.Run(string(status)+map[bool]string{true: "/plan", false: "/apply"}[plan], func(t *testing.T) {
				s, d := newMocks(t)
				const name = "sentinel-requests"
				expectDescribe(d, name, withStatus(activeTable(bootstrap.PurposeApprovals, ""), status, "")).Times(1)
				o := opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithWaitTimeout(10*time.Minute))
				if plan {
					o = append(o, bootstrap.WithPlanOnly())
				}
				began := time.Now()
				rep, err := bootstrap.Run(t.Context(), testConfig(), o...)
				if time.Since(began) > 5*time.Second {
					t.Errorf("took %s: it waited for a status that never ends", time.Since(began))
				}
				checkIncomplete(t, err, []string{"table " + name})
				got := rep.Tables[0]
				if got.Status != bootstrap.StatusFailed || got.Action != bootstrap.ActionUnknown || got.TableStatus != string(status) {
					t.Errorf("result %+v; want unknown, failed, table status %s", got, status)
				}
				checkContains(t, "Error", got.Error, string(status))
			})
		}
	}
}
