package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sentinel-tools/bootstrap"
)

var createChanges = []string{"create table", "enable TTL on ttl", "enable point-in-time recovery"}

// partialReport is an apply in which one table was created in full, one
// was created and then failed (TTL refused), one failed before anything
// was done, one was partly updated, one parameter was created and one
// failed.
func partialReport() *bootstrap.Report {
	return &bootstrap.Report{
		Mode: bootstrap.ModeApply, Region: "us-east-1", PolicyRoot: "/sentinel/policies",
		Parameters: []bootstrap.ParameterResult{
			{Profile: "dev", Name: "/sentinel/policies/dev", Action: bootstrap.ActionCreate, Status: bootstrap.StatusOK, Version: 1},
			{Profile: "prod", Name: "/sentinel/policies/prod", Action: bootstrap.ActionCreate, Status: bootstrap.StatusFailed, Error: "ThrottlingException: Rate exceeded"},
		},
		Tables: []bootstrap.TableResult{
			{Purpose: "approvals", Name: "sentinel-requests", Action: bootstrap.ActionCreate, Status: bootstrap.StatusOK, Changes: createChanges, Done: createChanges},
			{Purpose: "breakglass", Name: "sentinel-breakglass", Action: bootstrap.ActionCreate, Status: bootstrap.StatusFailed,
				Changes: createChanges, Done: []string{"create table"}, Error: "enabling TTL: ValidationException: refused"},
			{Purpose: "sessions", Name: "sentinel-sessions", Action: bootstrap.ActionCreate, Status: bootstrap.StatusFailed,
				Changes: createChanges, Error: "creating the table: LimitExceededException: too many"},
			{Purpose: "approvals", Name: "other-requests", Action: bootstrap.ActionUpdate, Status: bootstrap.StatusFailed,
				Changes: []string{"enable deletion protection", "enable point-in-time recovery"}, Done: []string{"enable deletion protection"}, Error: "enabling point-in-time recovery: AccessDeniedException: no"},
		},
	}
}

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		changes, done, want []string
	}{
		{createChanges, nil, createChanges},
		{createChanges, createChanges, nil},
		{createChanges, []string{"create table"}, []string{"enable TTL on ttl", "enable point-in-time recovery"}},
		{createChanges, []string{"create table", "enable point-in-time recovery"}, []string{"enable TTL on ttl"}},
		{[]string{"tag a=1", "tag a=1"}, []string{"tag a=1"}, []string{"tag a=1"}},
	} {
		if got := missing(tc.changes, tc.done); !slices.Equal(got, tc.want) {
			t.Errorf("missing(%q, %q) = %q, want %q", tc.changes, tc.done, got, tc.want)
		}
	}
}

// TestPartialApplyIsTruthful: a table created before a later step failed
// counts as created, and the result says what is still missing.
func TestPartialApplyIsTruthful(t *testing.T) {
	var b strings.Builder
	printer{w: &b}.printResults(partialReport())
	want := `
  + parameter  /sentinel/policies/dev: created (version 1)
  ! parameter  /sentinel/policies/prod: failed
      error: ThrottlingException: Rate exceeded
  + table      sentinel-requests (approvals): created
  ! table      sentinel-breakglass (breakglass): created, then failed
      done: create table
      still missing: enable TTL on ttl, enable point-in-time recovery
      error: enabling TTL: ValidationException: refused
  ! table      sentinel-sessions (sessions): failed
      error: creating the table: LimitExceededException: too many
  ! table      other-requests (approvals): partly updated, then failed
      done: enable deletion protection
      still missing: enable point-in-time recovery
      error: enabling point-in-time recovery: AccessDeniedException: no

Apply incomplete: 3 created, 1 updated, 0 unchanged, 4 failed (1 created but not finished, 1 partly updated).
`
	if b.String() != want {
		t.Errorf("results:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestApplyLine(t *testing.T) {
	rep := &bootstrap.Report{Mode: bootstrap.ModeApply, Tables: []bootstrap.TableResult{
		{Name: "a", Action: bootstrap.ActionCreate, Status: bootstrap.StatusOK},
		{Name: "b", Action: bootstrap.ActionNone, Status: bootstrap.StatusOK},
		{Name: "c", Action: bootstrap.ActionUnknown, Status: bootstrap.StatusOK},
	}}
	if got, want := applyLine(rep), "Apply complete: 1 created, 0 updated, 1 unchanged, 1 unknown, 0 failed."; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	rep = &bootstrap.Report{Mode: bootstrap.ModeDestroy, Tables: []bootstrap.TableResult{
		{Name: "a", Action: bootstrap.ActionDelete, Status: bootstrap.StatusOK},
		{Name: "b", Action: bootstrap.ActionNone, Status: bootstrap.StatusOK},
		{Name: "c", Action: bootstrap.ActionDelete, Status: bootstrap.StatusFailed},
	}, Parameters: []bootstrap.ParameterResult{{Name: "/p", Action: bootstrap.ActionDelete, Status: bootstrap.StatusOK}}}
	if got, want := destroyLine(rep), "Destroy incomplete: 2 deleted, 1 absent, 1 failed."; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestInterruptedText(t *testing.T) {
	sigint, sigterm := signalError{syscall.SIGINT}, signalError{syscall.SIGTERM}
	for _, tc := range []struct {
		se            signalError
		rep           *bootstrap.Report
		destroy, plan bool
		want          string
	}{
		{sigint, nil, false, false, "interrupted (SIGINT) before anything was changed; run the same command again to apply"},
		{sigterm, nil, false, true, "terminated (SIGTERM) before anything was changed; run the same command again for the plan"},
		{sigint, nil, true, false, "interrupted (SIGINT) before anything was changed; run the same command again to delete"},
		{sigint, partialReport(), false, false, "interrupted (SIGINT): changed table sentinel-requests, table sentinel-breakglass, table other-requests, parameter /sentinel/policies/dev; " +
			"not finished: table sentinel-breakglass, table sentinel-sessions, table other-requests, parameter /sentinel/policies/prod; run the same command again to finish"},
		{sigint, &bootstrap.Report{Mode: bootstrap.ModeApply, Tables: []bootstrap.TableResult{{Name: "t", Action: bootstrap.ActionCreate, Status: bootstrap.StatusFailed, Error: "context canceled"}}},
			false, false, "interrupted (SIGINT): nothing was changed; not finished: table t; run the same command again to finish"},
		{sigint, &bootstrap.Report{Mode: bootstrap.ModeApply, Tables: []bootstrap.TableResult{{Name: "t", Action: bootstrap.ActionCreate, Status: bootstrap.StatusOK}}},
			false, false, "interrupted (SIGINT) after the last change: changed table t; nothing is left to do"},
		{sigint, &bootstrap.Report{Mode: bootstrap.ModeDestroy, Parameters: []bootstrap.ParameterResult{{Name: "/p", Action: bootstrap.ActionDelete, Status: bootstrap.StatusOK}}},
			true, false, "interrupted (SIGINT) after the last change: deleted parameter /p; nothing is left to do"},
	} {
		if got := interruptedText(tc.se, tc.rep, tc.destroy, tc.plan); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
