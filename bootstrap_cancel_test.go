package bootstrap_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// Cancelling ctx while Run waits for a table returns promptly (the issue
// asks for under a second; the wait ends at once), with the ctx error in that
// table's result and in Run's error. TestMain's goleak check proves that no
// goroutine is left behind.
func TestCancelDuringWait(t *testing.T) {
	const cancelAfter = 100 * time.Millisecond

	waits := []struct {
		name  string
		table string
		sel   bootstrap.Option
		extra []bootstrap.Option
		// expect sets up a table that never stops waiting.
		expect func(d *mocks.MockDynamoDBAPI, describe func(*types.TableDescription) *gomock.Call)
		action string
	}{{
		name:  "table CREATING after CreateTable",
		table: "sentinel-requests",
		sel:   bootstrap.WithApprovals(),
		expect: func(d *mocks.MockDynamoDBAPI, describe func(*types.TableDescription) *gomock.Call) {
			gomock.InOrder(
				expectNotFound(d, "sentinel-requests"),
				d.EXPECT().CreateTable(gomock.Any(), named("sentinel-requests"), gomock.Any()).
					Return(&dynamodb.CreateTableOutput{TableDescription: creatingTable("sentinel-requests")}, nil),
				describe(creatingTable("sentinel-requests")).MinTimes(1),
			)
		},
		action: bootstrap.ActionCreate,
	}, {
		// Apply stops at the cancelled index wait: TTL, also off, is not
		// enabled afterwards (no expectation for it).
		name:  "index CREATING after UpdateTable",
		table: "sentinel-sessions",
		sel:   bootstrap.WithSessions(),
		extra: []bootstrap.Option{bootstrap.WithDeviceIndex()},
		expect: func(d *mocks.MockDynamoDBAPI, describe func(*types.TableDescription) *gomock.Call) {
			full := withIndex(activeTable(bootstrap.PurposeSessions, ""), deviceIndex)
			building := withStatus(full, types.TableStatusUpdating, types.IndexStatusActive)
			building.GlobalSecondaryIndexes[4].IndexStatus = types.IndexStatusCreating
			expectTTL(d, "sentinel-sessions", types.TimeToLiveStatusDisabled, "")
			expectPITR(d, "sentinel-sessions", types.PointInTimeRecoveryStatusEnabled)
			gomock.InOrder(
				expectDescribe(d, "sentinel-sessions", withoutIndex(full, "gsi-device-id")),
				expectAddIndex(d, "sentinel-sessions", withoutIndex(full, "gsi-device-id"), gsi{"gsi-device-id", "device_id", "created_at"}),
				describe(building).MinTimes(1),
			)
		},
		action: bootstrap.ActionUpdate,
	}}
	// Each stop gives ctx and a channel that yields when ctx was done.
	stops := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc, <-chan time.Time)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc, <-chan time.Time) {
			ctx, cancel := context.WithCancel(context.Background())
			at := make(chan time.Time, 1)
			time.AfterFunc(cancelAfter, func() { at <- time.Now(); cancel() })
			return ctx, cancel, at
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc, <-chan time.Time) {
			ctx, cancel := context.WithTimeout(context.Background(), cancelAfter)
			at := make(chan time.Time, 1)
			dl, _ := ctx.Deadline()
			at <- dl
			return ctx, cancel, at
		}, context.DeadlineExceeded},
	}

	for _, w := range waits {
		for _, stop := range stops {
			t.Run(w.name+"/"+stop.name, func(t *testing.T) {
				s, d := newMocks(t)
				// DescribeTable answers "still waiting" until ctx is done, and
				// then the ctx error, as the SDK does.
				describe := func(desc *types.TableDescription) *gomock.Call {
					return d.EXPECT().DescribeTable(gomock.Any(), named(w.table), gomock.Any()).DoAndReturn(
						func(ctx context.Context, _ *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
							if err := ctx.Err(); err != nil {
								return nil, err
							}
							return &dynamodb.DescribeTableOutput{Table: desc}, nil
						})
				}
				w.expect(d, describe)
				// A parameter that exists is unaffected.
				s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev")), gomock.Any()).
					Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{existingParam(paramName("dev"), validPolicy("dev"), 2)}}, nil)

				ctx, cancel, doneAt := stop.ctx()
				defer cancel()
				rep, err := bootstrap.Run(ctx, testConfig(), append([]bootstrap.Option{
					bootstrap.WithSSMClient(s), bootstrap.WithDynamoDBClient(d), bootstrap.WithProfiles("dev"), w.sel,
					bootstrap.WithWaitTimeout(time.Minute)}, w.extra...)...) // long: only ctx can end the wait
				returned := time.Now()

				if late := returned.Sub(<-doneAt); late > time.Second {
					t.Errorf("Run returned %s after ctx was done; want under 1s", late)
				}
				if rep == nil {
					t.Fatalf("no Report; err = %v", err)
				}
				if !errors.Is(err, stop.want) || !errors.Is(err, bootstrap.ErrIncomplete) {
					t.Errorf("err = %v; want it to match %v and ErrIncomplete", err, stop.want)
				}
				got := rep.Tables[0]
				t.Logf("table error: %s", got.Error)
				if got.Status != bootstrap.StatusFailed || got.Action != w.action {
					t.Errorf("table = %+v, want action %s, status failed", got, w.action)
				}
				checkContains(t, "table Error", got.Error, stop.want.Error())
				if p := rep.Parameters[0]; p.Status != bootstrap.StatusOK || p.Action != bootstrap.ActionNone {
					t.Errorf("parameter = %+v, want none, ok", p)
				}
			})
		}
	}
}
