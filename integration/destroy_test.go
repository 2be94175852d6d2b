package integration_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

func (e *env) destroy(extra ...bootstrap.Option) (*bootstrap.Report, error) {
	e.t.Helper()
	return bootstrap.Destroy(context.Background(), e.cfg, e.opts(extra...)...)
}

// Destroy deletes exactly what the options select, and nothing else.
func TestIntegrationDestroyDeletesExactlyTheSelection(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	e.mustRun(bootstrap.WithProfiles("a", "b"), bootstrap.WithAll(), bootstrap.WithoutDeletionProtection())

	plan, err := e.destroy(bootstrap.WithProfiles("a", "zz"), bootstrap.WithApprovals(), bootstrap.WithPlanOnly())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Mode != bootstrap.ModeDestroy || plan.Parameters[0].Action != bootstrap.ActionDelete || plan.Parameters[1].Action != bootstrap.ActionNone ||
		plan.Tables[0].Action != bootstrap.ActionDelete || plan.Tables[0].Status != bootstrap.StatusPlanned {
		t.Errorf("destroy plan: %s", reportJSON(plan))
	}
	if got := len(e.tablesWithSuffix()); got != 3 {
		t.Fatalf("the destroy plan deleted something: %d tables left", got)
	}

	rep, err := e.destroy(bootstrap.WithProfiles("a", "zz"), bootstrap.WithApprovals())
	if err != nil {
		t.Fatalf("Destroy: %v\n%s", err, reportJSON(rep))
	}
	if rep.Summary != (bootstrap.Summary{Delete: 2, None: 1}) {
		t.Errorf("summary %+v, want 2 deleted (a, approvals) and 1 none (zz)", rep.Summary)
	}
	if got, want := e.tablesWithSuffix(), []string{"sentinel-breakglass" + e.suffix, "sentinel-sessions" + e.suffix}; !slices.Equal(got, want) {
		t.Errorf("tables left %v, want %v", got, want)
	}
	params := e.parameters()
	if _, ok := params[e.root()+"/a"]; ok || len(params) != 1 {
		t.Errorf("parameters left %v, want only b", params)
	}

	again, err := e.destroy(bootstrap.WithProfiles("a"), bootstrap.WithApprovals())
	if err != nil || again.Summary != (bootstrap.Summary{None: 2}) {
		t.Errorf("second Destroy: %v %+v, want nothing to delete", err, again.Summary)
	}
}

// A deletion-protected table is a clear failure: Destroy never turns the
// protection off. The rest of the selection is still deleted.
func TestIntegrationDestroyRefusesProtectedTables(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	e.mustRun(bootstrap.WithProfiles("a"), bootstrap.WithSessions())
	rep, err := e.destroy(bootstrap.WithProfiles("a"), bootstrap.WithSessions())
	var inc *bootstrap.IncompleteError
	if !errors.As(err, &inc) || len(inc.Failed) != 1 || !strings.HasPrefix(inc.Failed[0], "table ") {
		t.Fatalf("err = %v, want the table named as failed", err)
	}
	tb := rep.Tables[0]
	if tb.Status != bootstrap.StatusFailed || !strings.Contains(tb.Error, "deletion protection is on") || !strings.Contains(tb.Error, "--no-deletion-protection-enabled") {
		t.Errorf("table result %+v", tb)
	}
	if d := e.table(tb.Name); d == nil {
		t.Error("the protected table was deleted")
	}
	if len(e.parameters()) != 0 {
		t.Error("the parameter was not deleted")
	}
}
