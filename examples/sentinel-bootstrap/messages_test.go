package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// TestErrorText checks that the library's validation errors come out naming
// flags, for every option the command passes. Only the parts this command
// writes (or rewrites) are compared: the reasons are the library's.
func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		prefix string // the start of the message
		also   string // a part of the reason that names flags
	}{
		{[]string{"--profile", "a b"}, `invalid --profile "a b": `, ""},
		{nil, "nothing selected: ", "pass --profile and/or --with-approvals, --with-breakglass, --with-sessions, --with-rate-limits or --all"},
		{[]string{"--profile", "a", "--policy-root", "/aws/x"}, `invalid --policy-root "/aws/x": `, ""},
		{[]string{"--profile", "a", "--approval-table", "s"}, `invalid --approval-table "s": `, "--with-approvals or --all, or drop the flag"},
		{[]string{"--profile", "a", "--session-table", "s"}, `invalid --session-table "s": `, "--with-sessions or --all, or drop the flag"},
		{[]string{"--profile", "a", "--breakglass-table", "b"}, `invalid --breakglass-table "b": `, "--with-breakglass or --all, or drop the flag"},
		{[]string{"--profile", "a", "--tag", "aws:k=v"}, `invalid --tag "aws:k": `, ""},
		{[]string{"--profile", "a", "--kms-key", "k"}, `invalid --kms-key "k": `, ""},
		{[]string{"--profile", "a", "--timeout", "25h"}, `invalid --timeout "25h0m0s": `, ""},
		{[]string{"--profile", "a", "--region", "X"}, `invalid --region (or AWS_REGION) "X": `, ""},
		{[]string{"--all", "--description", "d"}, `invalid --description "d": `, "add --profile"},
		{[]string{"--profile", "a", "--profile", "a"}, `invalid --profile "a": `, ""},
	} {
		c, defs, err := parseArgs(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		opts, err := c.options(defs)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		_, err = bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...)
		if !errors.Is(err, bootstrap.ErrInvalidConfig) {
			t.Fatalf("%q: Run returned %v, want a config error", tc.args, err)
		}
		got := errorText(err, c)
		if !strings.HasPrefix(got, tc.prefix) || !strings.Contains(got, tc.also) || optionName.MatchString(got) || strings.Contains(got, "option") {
			t.Errorf("%q:\n got %s\nwant %s…%s, naming flags only", tc.args, got, tc.prefix, tc.also)
		}
	}

	// No region anywhere.
	c, defs, _ := parseArgs([]string{"--profile", "a"})
	opts, _ := c.options(defs)
	_, err := bootstrap.Run(context.Background(), aws.Config{}, opts...)
	if got, want := errorText(err, c), "no region: pass --region, or set AWS_REGION (or region in your AWS config file)"; got != want {
		t.Errorf("no region:\n got %s\nwant %s", got, want)
	}
}

// TestEveryOptionHasItsFlag: the library options the flags set are the
// ones the messages map back to flags.
func TestEveryOptionHasItsFlag(t *testing.T) {
	for _, d := range (&cli{}).flags() {
		if d.to != nil && d.option == "" {
			t.Errorf("--%s sets a library option but does not name it", d.name)
		}
		if d.option != "" {
			if f, ok := flagFor(d.option); !ok || !strings.HasPrefix(f, "--"+d.name) {
				t.Errorf("option %s maps to %q, want --%s", d.option, f, d.name)
			}
		}
	}
}

func TestCLIText(t *testing.T) {
	for in, want := range map[string]string{
		"gave up waiting for table ACTIVE after 1s (WithWaitTimeout): x":           "gave up waiting for table ACTIVE after 1s (--timeout): x",
		"the endpoint does not support it (X); pass WithoutPointInTimeRecovery to": "the endpoint does not support it (X); pass --no-pitr to",
		"choose another table name (WithSessionTable) or":                          "choose another table name (--session-table) or",
		"WithNameSuffix and WithConcurrency have no flag":                          "WithNameSuffix and WithConcurrency have no flag",
	} {
		if got := cliText(in); got != want {
			t.Errorf("cliText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIncompleteText(t *testing.T) {
	e := &bootstrap.IncompleteError{Failed: []string{"table a", "parameter /p/1", "parameter /p/2", "parameter /p/3", "parameter /p/4", "parameter /p/5", "parameter /p/6"}}
	got := errorText(e, &cli{})
	want := "7 resources failed (table a, parameter /p/1, parameter /p/2, parameter /p/3, parameter /p/4 and 2 more): see the errors above, fix the cause and run again"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := errorText(e, &cli{json: true}); !strings.Contains(got, `see the "error" fields of the report`) {
		t.Errorf("--json: %s", got)
	}
}

// TestExitCode covers every exit status, without and with
// --detailed-exitcode.
func TestExitCode(t *testing.T) {
	sigint := signalError{syscall.SIGINT}
	sigterm := signalError{syscall.SIGTERM}
	for _, tc := range []struct {
		err             error
		plain, detailed int
	}{
		{nil, 0, 0},
		{errChangesPending, 2, 2},
		{usagef("bad"), 2, 1},
		{&bootstrap.ConfigError{Option: "WithProfiles", Value: "x", Reason: "r"}, 2, 1},
		{&bootstrap.IncompleteError{Failed: []string{"table t"}}, 1, 1},
		{fmt.Errorf("%w found", errNoCredentials), 1, 1},
		{errors.New("something else"), 1, 1},
		{interruptError{sig: sigint, msg: "x"}, 130, 130},
		{interruptError{sig: sigterm, msg: "x"}, 143, 143},
	} {
		if got := exitCode(tc.err, false); got != tc.plain {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.plain)
		}
		if got := exitCode(tc.err, true); got != tc.detailed {
			t.Errorf("exitCode(%v) with --detailed-exitcode = %d, want %d", tc.err, got, tc.detailed)
		}
	}
	if sigint.Error() != "interrupted (SIGINT)" || sigterm.Error() != "terminated (SIGTERM)" {
		t.Errorf("signal texts %q, %q", sigint, sigterm)
	}
}
