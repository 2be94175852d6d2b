package bootstrap_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// One table failing to be created leaves the other tables and the
// parameters done; Run returns the full Report and an error that matches
// ErrIncomplete and names the failed table.
func TestOneTableFailureLeavesOthersDone(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wait    time.Duration
		times   int // CreateTable calls: 0 means at least 2 (retried)
		code    string
		message string
	}{{
		name:    "ValidationException",
		err:     opErr("DynamoDB", "CreateTable", apiErr("ValidationException", "One or more parameter values were invalid")),
		times:   1,
		code:    "ValidationException",
		message: "create table",
	}, {
		name:    "LimitExceededException retried until WithWaitTimeout",
		err:     opErr("DynamoDB", "CreateTable", &types.LimitExceededException{Message: aws.String("Subscriber limit exceeded")}),
		wait:    300 * time.Millisecond,
		code:    "LimitExceededException",
		message: "create table",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			expectNotFound(d, "sentinel-requests").Times(1)
			create := d.EXPECT().CreateTable(gomock.Any(), named("sentinel-requests"), gomock.Any()).Return(nil, tc.err)
			if tc.times > 0 {
				create.Times(tc.times)
			} else {
				create.MinTimes(2)
			}
			freshTable(d, bootstrap.PurposeBreakGlass, "", true, nil)
			freshTable(d, bootstrap.PurposeSessions, "", true, nil)
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).
				Return(&ssm.GetParametersOutput{}, nil)
			s.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.PutParameterOutput{Version: 1}, nil).Times(2)

			o := opts(clients(s, d), bootstrap.WithAll(), bootstrap.WithProfiles("dev", "prod"))
			if tc.wait > 0 {
				o = append(o, bootstrap.WithWaitTimeout(tc.wait))
			}
			rep, err := bootstrap.Run(t.Context(), testConfig(), o...)

			if rep == nil {
				t.Fatalf("Run returned no Report; err = %v", err)
			}
			checkIncomplete(t, err, []string{"table sentinel-requests"})
			checkContains(t, "error", err.Error(), tc.code)

			failed := tableResult(t, rep, bootstrap.PurposeApprovals)
			if failed.Status != bootstrap.StatusFailed || failed.Action != bootstrap.ActionCreate {
				t.Errorf("approvals = %+v, want action create, status failed", failed)
			}
			checkContains(t, "approvals Error", failed.Error, tc.message, tc.code)

			for _, p := range []string{bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions} {
				checkTable(t, tableResult(t, rep, p), bootstrap.ActionCreate, bootstrap.StatusOK, "create table", "enable TTL on ttl", "enable point-in-time recovery")
			}
			for _, p := range []string{"dev", "prod"} {
				if got := paramResult(t, rep, p); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusOK || got.Version != 1 {
					t.Errorf("%s = %+v, want create, ok, version 1", p, got)
				}
			}
			if want := (bootstrap.Summary{Create: 4, Failed: 1}); rep.Summary != want {
				t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
			}
		})
	}
}

// checkIncomplete checks that err matches ErrIncomplete (and nothing it
// should not), names each failed resource, and is an *IncompleteError whose
// Failed lists exactly those resources.
func checkIncomplete(t *testing.T, err error, failed []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Run returned a nil error; want one naming %q", failed)
	}
	if !errors.Is(err, bootstrap.ErrIncomplete) {
		t.Errorf("errors.Is(%v, ErrIncomplete) = false", err)
	}
	if errors.Is(err, bootstrap.ErrInvalidConfig) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v matches ErrInvalidConfig or a context error", err)
	}
	var ie *bootstrap.IncompleteError
	if !errors.As(err, &ie) {
		t.Fatalf("errors.As(%T, *IncompleteError) = false", err)
	}
	if !slices.Equal(ie.Failed, failed) {
		t.Errorf("IncompleteError.Failed = %q, want %q", ie.Failed, failed)
	}
	if len(ie.Errors) != len(ie.Failed) {
		t.Errorf("IncompleteError has %d errors for %d failures", len(ie.Errors), len(ie.Failed))
	}
	for _, f := range failed {
		checkContains(t, "error", err.Error(), f)
	}
}

// A failed table and a failed parameter are both named, in report order:
// parameters, then tables, as in the Report.
func TestFailedTableAndParameterAreBothNamed(t *testing.T) {
	s, d := newMocks(t)
	expectNotFound(d, "sentinel-sessions")
	d.EXPECT().CreateTable(gomock.Any(), named("sentinel-sessions"), gomock.Any()).
		Return(nil, opErr("DynamoDB", "CreateTable", apiErr("ValidationException", "Table name is invalid")))
	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil)
	s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("dev")), gomock.Any()).Return(&ssm.PutParameterOutput{Version: 1}, nil)
	s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("prod")), gomock.Any()).
		Return(nil, opErr("SSM", "PutParameter", apiErr("AccessDeniedException", "not authorized to perform: ssm:PutParameter")))

	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithSessions(), bootstrap.WithProfiles("dev", "prod"))...)
	if rep == nil {
		t.Fatalf("no Report; err = %v", err)
	}
	checkIncomplete(t, err, []string{"parameter " + paramName("prod"), "table sentinel-sessions"})

	prod := paramResult(t, rep, "prod")
	if prod.Status != bootstrap.StatusFailed {
		t.Errorf("prod = %+v, want failed", prod)
	}
	checkContains(t, "prod Error", prod.Error, "creating the parameter", "AccessDeniedException")
	if dev := paramResult(t, rep, "dev"); dev.Status != bootstrap.StatusOK || dev.Action != bootstrap.ActionCreate {
		t.Errorf("dev = %+v, want create, ok", dev)
	}
	if want := (bootstrap.Summary{Create: 1, Failed: 2}); rep.Summary != want {
		t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
	}
}

// A table that cannot be read (being deleted, or an error that is not
// access denied) is a clear failure, in apply and in plan, with action
// unknown; nothing else is called for it, and the other table goes on.
func TestUnreadableTableFails(t *testing.T) {
	deleting := withStatus(activeTable(bootstrap.PurposeApprovals, ""), types.TableStatusDeleting, "")
	tests := []struct {
		name        string
		table       *types.TableDescription // DescribeTable answers this,
		err         error                   // or this
		message     []string
		tableStatus string
	}{{
		name:        "DELETING",
		table:       deleting,
		message:     []string{"being deleted", "run again"},
		tableStatus: "DELETING",
	}, {
		name:    "InternalServerError",
		err:     opErr("DynamoDB", "DescribeTable", &types.InternalServerError{Message: aws.String("Internal server error")}),
		message: []string{"describing the table", "InternalServerError"},
	}}
	for _, tc := range tests {
		for _, plan := range []bool{false, true} {
			name := tc.name + "/apply"
			if plan {
				name = tc.name + "/plan"
			}
			t.Run(name, func(t *testing.T) {
				s, d := newMocks(t)
				d.EXPECT().DescribeTable(gomock.Any(), named("sentinel-requests"), gomock.Any()).Return(describeOutput(tc.table, tc.err)).Times(1)
				o := opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithBreakGlass())
				if plan {
					expectNotFound(d, "sentinel-breakglass")
					o = append(o, bootstrap.WithPlanOnly())
				} else {
					freshTable(d, bootstrap.PurposeBreakGlass, "", true, nil)
				}

				rep, err := bootstrap.Run(t.Context(), testConfig(), o...)
				if rep == nil {
					t.Fatalf("no Report; err = %v", err)
				}
				checkIncomplete(t, err, []string{"table sentinel-requests"})
				got := tableResult(t, rep, bootstrap.PurposeApprovals)
				if got.Status != bootstrap.StatusFailed || got.Action != bootstrap.ActionUnknown || got.TableStatus != tc.tableStatus {
					t.Errorf("approvals = %+v, want action unknown, status failed, table status %q", got, tc.tableStatus)
				}
				checkContains(t, "approvals Error", got.Error, tc.message...)
				other := tableResult(t, rep, bootstrap.PurposeBreakGlass)
				if other.Action != bootstrap.ActionCreate || other.Status == bootstrap.StatusFailed {
					t.Errorf("breakglass = %+v, want create, not failed", other)
				}
			})
		}
	}
}

// A table that stays CREATING past WithWaitTimeout fails with a message
// naming the option; it is not a context error.
func TestWaitTimeoutFailsTheTable(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-requests"
	gomock.InOrder(
		expectNotFound(d, name),
		d.EXPECT().CreateTable(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.CreateTableOutput{TableDescription: creatingTable(name)}, nil),
		expectDescribe(d, name, creatingTable(name)).MinTimes(1),
	)
	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithWaitTimeout(200*time.Millisecond))...)
	if rep == nil {
		t.Fatalf("no Report; err = %v", err)
	}
	checkIncomplete(t, err, []string{"table " + name})
	got := rep.Tables[0]
	if got.Status != bootstrap.StatusFailed || got.TableStatus != "CREATING" {
		t.Errorf("result = %+v, want failed, table status CREATING", got)
	}
	checkContains(t, "Error", got.Error, "WithWaitTimeout", "CREATING")
}

func describeOutput(d *types.TableDescription, err error) (*dynamodb.DescribeTableOutput, error) {
	if err != nil {
		return nil, err
	}
	return &dynamodb.DescribeTableOutput{Table: d}, nil
}
