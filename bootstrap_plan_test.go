package bootstrap_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// Plan makes read calls only (the mocks expect no write, so any write fails
// the test) and reports the action apply would take for each resource.
func TestPlanReadsOnlyAndReportsActions(t *testing.T) {
	s, d := newMocks(t)

	expectNotFound(d, "sentinel-requests").Times(1) // approvals: missing

	expectDescribe(d, "sentinel-breakglass", activeTable(bootstrap.PurposeBreakGlass, "")).Times(1) // breakglass: TTL off
	expectTTL(d, "sentinel-breakglass", types.TimeToLiveStatusDisabled, "").Times(1)
	expectPITR(d, "sentinel-breakglass", types.PointInTimeRecoveryStatusEnabled).Times(1)

	expectCorrectTable(d, bootstrap.PurposeSessions, true, nil) // sessions: as wanted

	s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).
		Return(&ssm.GetParametersOutput{
			Parameters:        []ssmtypes.Parameter{existingParam(paramName("dev"), validPolicy("dev"), 7)},
			InvalidParameters: []string{paramName("prod")},
		}, nil).Times(1)

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithAll(), bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPlanOnly())...)

	if rep.Mode != bootstrap.ModePlan {
		t.Errorf("Mode = %q, want plan", rep.Mode)
	}
	checkTable(t, tableResult(t, rep, bootstrap.PurposeApprovals), bootstrap.ActionCreate, bootstrap.StatusPlanned,
		"create table", "enable TTL on ttl", "enable point-in-time recovery")
	checkTable(t, tableResult(t, rep, bootstrap.PurposeBreakGlass), bootstrap.ActionUpdate, bootstrap.StatusPlanned, "enable TTL on ttl")
	checkTable(t, tableResult(t, rep, bootstrap.PurposeSessions), bootstrap.ActionNone, bootstrap.StatusPlanned)

	if got := paramResult(t, rep, "dev"); got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusPlanned || got.Version != 7 {
		t.Errorf("dev = %+v, want none, planned, version 7", got)
	}
	if got := paramResult(t, rep, "prod"); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusPlanned || got.Version != 0 {
		t.Errorf("prod = %+v, want create, planned, no version", got)
	}
	if want := (bootstrap.Summary{Create: 2, Update: 1, None: 2}); rep.Summary != want {
		t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
	}
}

// A denied read gives action unknown with the reason in Error, the resource
// stays "planned", and every other resource is still planned.
func TestPlanAccessDeniedIsUnknownAndRunGoesOn(t *testing.T) {
	s, d := newMocks(t)

	// approvals: DescribeTable denied.
	d.EXPECT().DescribeTable(gomock.Any(), named("sentinel-requests"), gomock.Any()).
		Return(nil, accessDenied("DynamoDB", "DescribeTable")).Times(1)
	// breakglass: missing.
	expectNotFound(d, "sentinel-breakglass").Times(1)
	// sessions: the table can be described, but its TTL cannot be read.
	expectDescribe(d, "sentinel-sessions", activeTable(bootstrap.PurposeSessions, "")).Times(1)
	d.EXPECT().DescribeTimeToLive(gomock.Any(), named("sentinel-sessions"), gomock.Any()).
		Return(nil, accessDenied("DynamoDB", "DescribeTimeToLive")).Times(1)
	expectPITR(d, "sentinel-sessions", types.PointInTimeRecoveryStatusEnabled).MaxTimes(1)

	// 12 profiles: the first batch of 10 is denied, the second is readable
	// and both its parameters are missing.
	var profiles, first []string
	for i := range 12 {
		p := fmt.Sprintf("team%02d", i)
		profiles = append(profiles, p)
		if i < 10 {
			first = append(first, paramName(p))
		}
	}
	s.EXPECT().GetParameters(gomock.Any(), paramNames(first...), gomock.Any()).
		Return(nil, accessDenied("SSM", "GetParameters")).Times(1)
	s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("team10"), paramName("team11")), gomock.Any()).
		Return(&ssm.GetParametersOutput{InvalidParameters: []string{paramName("team10"), paramName("team11")}}, nil).Times(1)

	rep, err := runPlan(t, opts(clients(s, d), bootstrap.WithAll(), bootstrap.WithProfiles(profiles...), bootstrap.WithPlanOnly())...)
	if err != nil {
		t.Fatalf("Run: %v; a denied read in plan mode is not a failure", err)
	}

	approvals := tableResult(t, rep, bootstrap.PurposeApprovals)
	checkTable(t, approvals, bootstrap.ActionUnknown, bootstrap.StatusPlanned)
	checkContains(t, "approvals Error", approvals.Error, "access denied", "AccessDeniedException")

	checkTable(t, tableResult(t, rep, bootstrap.PurposeBreakGlass), bootstrap.ActionCreate, bootstrap.StatusPlanned,
		"create table", "enable TTL on ttl", "enable point-in-time recovery")

	sessions := tableResult(t, rep, bootstrap.PurposeSessions)
	if sessions.Action != bootstrap.ActionUnknown || sessions.Status != bootstrap.StatusPlanned {
		t.Errorf("sessions = %+v, want unknown, planned", sessions)
	}
	checkContains(t, "sessions Error", sessions.Error, "TTL", "access denied")

	for i, p := range profiles {
		got := paramResult(t, rep, p)
		if i < 10 {
			if got.Action != bootstrap.ActionUnknown || got.Status != bootstrap.StatusPlanned {
				t.Errorf("%s = %+v, want unknown, planned", p, got)
			}
			checkContains(t, p+" Error", got.Error, "AccessDeniedException")
			continue
		}
		if got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusPlanned || got.Error != "" {
			t.Errorf("%s = %+v, want create, planned", p, got)
		}
	}
	if want := (bootstrap.Summary{Create: 3, Unknown: 12}); rep.Summary != want {
		t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
	}
}

func runPlan(t *testing.T, o ...bootstrap.Option) (*bootstrap.Report, error) {
	t.Helper()
	rep, err := bootstrap.Run(t.Context(), testConfig(), o...)
	if rep == nil {
		t.Fatalf("Run returned no Report (err %v)", err)
	}
	return rep, err
}
