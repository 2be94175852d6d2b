package bootstrap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// Destroy deletes parameters ten a call and tables one a call, waits until
// each table is gone, and reports what was not there as none.
func TestDestroyDeletesAndWaits(t *testing.T) {
	s, d := newMocks(t)
	name := "sentinel-requests"
	unprotected := activeTable(bootstrap.PurposeApprovals, name)
	unprotected.DeletionProtectionEnabled = aws.Bool(false)
	gomock.InOrder(
		expectDescribe(d, name, unprotected),
		// Busy with another change at first: retried.
		d.EXPECT().DeleteTable(gomock.Any(), named(name), gomock.Any()).Return(nil, opErr("DynamoDB", "DeleteTable", &types.ResourceInUseException{Message: aws.String("busy")})),
		d.EXPECT().DeleteTable(gomock.Any(), named(name), gomock.Any()).Return(&dynamodb.DeleteTableOutput{}, nil),
		expectDescribe(d, name, withStatus(unprotected, types.TableStatusDeleting, types.IndexStatusDeleting)),
		expectNotFound(d, name),
	)
	var profiles, names []string
	for i := range 12 {
		p := string(rune('a' + i))
		profiles, names = append(profiles, p), append(names, paramName(p))
	}
	// With each policy its signature (WithPolicySigning or not): 24 names.
	// Only c's signature is there.
	s.EXPECT().DeleteParameters(gomock.Any(), gomock.Any(), gomock.Any()).Times(3).DoAndReturn(
		func(_ context.Context, in *ssm.DeleteParametersInput, _ ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
			if len(in.Names) > 10 {
				t.Errorf("DeleteParameters with %d names", len(in.Names))
			}
			out := &ssm.DeleteParametersOutput{}
			for _, n := range in.Names {
				if n == paramName("b") || strings.HasPrefix(n, "/sentinel/signatures/") && n != "/sentinel/signatures/c" { // not there
					out.InvalidParameters = append(out.InvalidParameters, n)
				} else {
					out.DeletedParameters = append(out.DeletedParameters, n)
				}
			}
			return out, nil
		})
	rep, err := bootstrap.Destroy(context.Background(), testConfig(), opts(clients(s, d), bootstrap.WithProfiles(profiles...), bootstrap.WithApprovals())...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != bootstrap.ModeDestroy || rep.Summary != (bootstrap.Summary{Delete: 13, None: 1}) {
		t.Errorf("mode %s summary %+v, want destroy with 13 deleted (12 policies or table, 1 signature) and 1 none", rep.Mode, rep.Summary)
	}
	for _, p := range rep.Parameters {
		switch sig := p.Signature; {
		case p.Profile == "c" && (sig == nil || sig.Name != "/sentinel/signatures/c" || sig.Action != bootstrap.ActionDelete || sig.Status != bootstrap.StatusOK):
			t.Errorf("c's signature, deleted with its policy: %+v", sig)
		case p.Profile != "c" && sig != nil:
			t.Errorf("%s: a signature result %+v for a signature that was not there", p.Profile, sig)
		}
	}
	if p := paramResult(t, rep, "b"); p.Action != bootstrap.ActionNone || p.Status != bootstrap.StatusOK {
		t.Errorf("missing parameter: %+v", p)
	}
	if tb := tableResult(t, rep, bootstrap.PurposeApprovals); tb.Action != bootstrap.ActionDelete || tb.Status != bootstrap.StatusOK || tb.TableStatus != "" {
		t.Errorf("table: %+v", tb)
	}
}

// A protected table is never unprotected or deleted; plan mode deletes nothing.
func TestDestroyProtectedAndPlan(t *testing.T) {
	for _, plan := range []bool{false, true} {
		s, d := newMocks(t)
		expectDescribe(d, "sentinel-sessions", activeTable(bootstrap.PurposeSessions, "sentinel-sessions"))
		expectDescribe(d, "sentinel-breakglass", func() *types.TableDescription {
			x := activeTable(bootstrap.PurposeBreakGlass, "sentinel-breakglass")
			x.DeletionProtectionEnabled = aws.Bool(false)
			return x
		}())
		o := opts(clients(s, d), bootstrap.WithBreakGlass(), bootstrap.WithSessions())
		if plan {
			o = append(o, bootstrap.WithPlanOnly())
		} else {
			d.EXPECT().DeleteTable(gomock.Any(), named("sentinel-breakglass"), gomock.Any()).Return(&dynamodb.DeleteTableOutput{}, nil)
			expectNotFound(d, "sentinel-breakglass")
		}
		rep, err := bootstrap.Destroy(context.Background(), testConfig(), o...)
		if err == nil {
			t.Fatal("Destroy of a protected table succeeded")
		}
		sessions := tableResult(t, rep, bootstrap.PurposeSessions)
		if sessions.Status != bootstrap.StatusFailed || !strings.Contains(sessions.Error, "deletion protection is on") || !strings.Contains(sessions.Error, "update-table --region eu-west-1 --table-name sentinel-sessions") || !strings.Contains(err.Error(), "table sentinel-sessions") {
			t.Errorf("plan=%v: protected table %+v, err %v", plan, sessions, err)
		}
		wantStatus := bootstrap.StatusOK
		if plan {
			wantStatus = bootstrap.StatusPlanned
		}
		if bg := tableResult(t, rep, bootstrap.PurposeBreakGlass); bg.Action != bootstrap.ActionDelete || bg.Status != wantStatus {
			t.Errorf("plan=%v: unprotected table %+v", plan, bg)
		}
	}
}

// A DeleteParameters whose answer was lost (a 503 after SSM carried it out)
// is retried; the retry reports the names as InvalidParameters, and they are
// still delete (this run deleted them), not none. The retry is the
// library's, not the SDK's (which would hide the lost answer): each call is
// a single attempt as far as the SDK goes.
func TestDestroyLostDeleteAnswerIsStillDelete(t *testing.T) {
	s, d := newMocks(t)
	names := []string{paramName("dev"), paramName("prod")}
	singleAttempt := func(optFns []func(*ssm.Options)) {
		o := ssm.Options{RetryMaxAttempts: 3}
		for _, fn := range optFns {
			fn(&o)
		}
		if o.RetryMaxAttempts != 1 {
			t.Errorf("DeleteParameters sent with RetryMaxAttempts %d; want 1 (the library's own retries know an answer was lost)", o.RetryMaxAttempts)
		}
	}
	gomock.InOrder(
		s.EXPECT().DeleteParameters(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, _ *ssm.DeleteParametersInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
				singleAttempt(optFns)
				return nil, opErr("SSM", "DeleteParameters", unavailable())
			}),
		s.EXPECT().DeleteParameters(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, in *ssm.DeleteParametersInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
				singleAttempt(optFns)
				return &ssm.DeleteParametersOutput{InvalidParameters: in.Names}, nil
			}),
	)
	rep, err := bootstrap.Destroy(context.Background(), testConfig(), opts(clients(s, d), bootstrap.WithProfiles("dev", "prod"))...)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range rep.Parameters {
		if p.Name != names[i] || p.Action != bootstrap.ActionDelete || p.Status != bootstrap.StatusOK {
			t.Errorf("%s: %s/%s; want delete/ok", p.Name, p.Action, p.Status)
		}
	}
	if rep.Summary != (bootstrap.Summary{Delete: 2}) {
		t.Errorf("Summary %+v; want 2 deleted", rep.Summary)
	}
}
