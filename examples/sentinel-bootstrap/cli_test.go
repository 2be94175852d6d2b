package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sentinel-tools/bootstrap"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	defs := (&cli{}).flags()
	help := usageText(defs)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--profile", "dev", "--help"}} {
		r := runBinary(t, nil, args...)
		r.wantCode(t, 0)
		if r.stderr != "" {
			t.Errorf("%q: stderr %q, want nothing", args, r.stderr)
		}
		if r.stdout != help {
			t.Errorf("%q printed:\n%s\nwant:\n%s", args, r.stdout, help)
		}
	}
	for _, d := range defs {
		name := "--" + d.name
		if d.arg != "" {
			name += " " + d.arg
		}
		if d.short != 0 {
			name = fmt.Sprintf("-%c, %s", d.short, name)
		}
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `( |$)`).MatchString(help) {
			t.Errorf("the help text does not describe %s", name)
		}
	}
	wantContains(t, help, "-h, --help", "--endpoint-url http://127.0.0.1:5000", "What to provision:", "Tables:", "How:", "Output:",
		"Commands:", "completion bash|zsh|fish", "Examples:", "130 interrupted", "143 terminated", "2 changes pending")
	for i, line := range strings.Split(help, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("help line %d is %d columns wide: %q", i+1, n, line)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--version", "version"} {
		r := runBinary(t, nil, arg)
		r.wantCode(t, 0)
		if !regexp.MustCompile(`^sentinel-bootstrap \S+\n$`).MatchString(r.stdout) || r.stderr != "" {
			t.Errorf("%s printed %q on stdout and %q on stderr", arg, r.stdout, r.stderr)
		}
	}

	// A release build sets the version at link time.
	bin := filepath.Join(t.TempDir(), progName)
	if err := goBuild(bin, "-ldflags", "-X main.version=v9.8.7"); err != nil {
		t.Fatal(err)
	}
	out, err := osexec.Command(bin, "version").Output()
	if err != nil || string(out) != "sentinel-bootstrap v9.8.7\n" {
		t.Errorf("version of a release build: %q, %v; want %q", out, err, "sentinel-bootstrap v9.8.7\n")
	}
}

// TestUsageErrors checks exit status 2, with one line on stderr naming the
// flag at fault and nothing on stdout, for mistakes found before any AWS
// call. The endpoint is a closed port, so an AWS call would fail the test.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), 70<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := []string{"--endpoint-url", "http://127.0.0.1:9"}
	for _, tc := range []struct {
		name string
		args []string
		want []string // in the error line
		line string   // the exact error line, when given
	}{
		{"unknown flag", []string{"--bogus"}, []string{"--bogus", "--help"}, ""},
		{"misspelt flag", []string{"--profile", "dev", "--jsn"}, nil, "sentinel-bootstrap: unknown flag --jsn: did you mean --json?"},
		{"single-letter flag with a flag name", []string{"--profile", "dev", "-o", "json"}, nil, "sentinel-bootstrap: unknown flag -o: did you mean --json?"},
		{"flag without value", []string{"--profile"}, []string{"--profile"}, ""},
		{"positional argument", []string{"--profile", "dev", "extra"}, []string{`"extra"`}, ""},
		{"bad duration", []string{"--profile", "dev", "--timeout", "soon"}, []string{"--timeout", "90s"}, ""},
		{"tag without =", []string{"--profile", "dev", "--tag", "team"}, []string{"--tag", "KEY=VALUE"}, ""},
		{"tag without key", []string{"--profile", "dev", "--tag", "=x"}, []string{"--tag", "KEY=VALUE"}, ""},
		{"policy file without =", []string{"--profile", "dev", "--policy-file", "dev"}, []string{"--policy-file", "PROFILE=PATH"}, ""},
		{"policy file missing", []string{"--profile", "dev", "--policy-file", "dev=" + filepath.Join(dir, "nope.yaml")}, []string{"--policy-file", "no such file"}, ""},
		{"policy file too big", []string{"--profile", "dev", "--policy-file", "dev=" + big}, []string{"--policy-file", "4096 bytes"}, ""},
		{"json without plan or yes", []string{"--profile", "dev", "--json"}, []string{"--plan", "--yes"}, ""},
		{"bad endpoint", []string{"--profile", "dev", "--endpoint-url", "localhost"}, []string{"--endpoint-url"}, ""},
		{"missing aws profile", []string{"--profile", "dev", "--aws-profile", "nosuchprofile"}, []string{"--aws-profile", "nosuchprofile"}, ""},
		// The library's validation, shown with flag names.
		{"invalid profile name", []string{"--profile", "bad name"}, nil,
			`sentinel-bootstrap: invalid --profile "bad name": a profile name may contain only A-Z, a-z, 0-9, '_', '.' and '-'`},
		{"nothing selected", nil, nil,
			"sentinel-bootstrap: nothing selected: pass --profile and/or --with-approvals, --with-breakglass, --with-sessions, --with-rate-limits or --all"},
		{"table name without its table", []string{"--profile", "dev", "--approval-table", "x-requests"}, nil,
			`sentinel-bootstrap: invalid --approval-table "x-requests": names a table that is not selected; add --with-approvals or --all, or drop the flag`},
		{"reserved tag", []string{"--profile", "dev", "--tag", "aws:x=1"}, []string{`invalid --tag "aws:x"`}, ""},
		{"bad region", []string{"--profile", "dev", "--region", "Mars"}, []string{`invalid --region (or AWS_REGION) "Mars"`}, ""},
		{"bad timeout", []string{"--profile", "dev", "--timeout", "0s"}, []string{`invalid --timeout "0s"`}, ""},
		{"bad kms key", []string{"--all", "--kms-key", "nokey"}, []string{`invalid --kms-key "nokey"`}, ""},
		{"bad policy root", []string{"--profile", "dev", "--policy-root", "sentinel"}, []string{`invalid --policy-root "sentinel"`}, ""},
		{"description without profile", []string{"--all", "--description", "hi"}, []string{`invalid --description "hi"`, "--profile"}, ""},
		{"policy for unselected profile", []string{"--profile", "dev", "--policy-file", "prod=" + big}, []string{"--policy-file"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, nil, append(append([]string(nil), closed...), tc.args...)...)
			r.wantCode(t, 2)
			line := r.oneErrorLine(t)
			if tc.line != "" && line != tc.line {
				t.Errorf("error line\n%s\nwant\n%s", line, tc.line)
			}
			wantContains(t, line, tc.want...)
			wantNotContains(t, line, "WithProfiles", "WithApprovalTable", "WithTags", "WithRegion", "WithPolicy")
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// TestInvalidPolicyFile: a policy file that is not a valid Sentinel policy
// is the library's validation error, naming the flag and the file.
func TestInvalidPolicyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dev.yaml")
	if err := os.WriteFile(path, []byte("version: \"2\"\nrules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, nil, "--endpoint-url", "http://127.0.0.1:9", "--profile", "dev", "--policy-file", "dev="+path, "--yes")
	r.wantCode(t, 2)
	wantContains(t, r.oneErrorLine(t), `invalid --policy-file "dev=`+path+`"`, `version: "1"`)
}

// TestPromptYesAppliesThenRerunIsUnchanged is the README's session: plan,
// "y" through a pipe, apply; then a rerun finds nothing to do, and does not
// ask (its stdin is empty).
func TestPromptYesAppliesThenRerunIsUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	requests := e.table("requests")
	args := e.args("--profile", "dev", "--profile", "prod", "--with-approvals", "--approval-table", requests)

	r := runBinary(t, strings.NewReader("y\n"), args...)
	r.wantCode(t, 0)
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
	wantContains(t, r.stdout,
		"Region:      us-east-1\nCredentials: from AWS_ACCESS_KEY_ID\nEndpoint:    "+e.endpoint+"\n\n",
		"  + parameter  "+e.root+"/dev\n",
		"  + parameter  "+e.root+"/prod\n",
		"  + table      "+requests+" (approvals)\n      create table\n      enable TTL on ttl\n      enable point-in-time recovery\n",
		"\nPlan: 3 to create, 0 to update, 0 unchanged.\n",
		"\nDo you want to apply these changes? [y/N] y\n",
		"\nApplying...\n",
		"  + parameter  "+e.root+"/dev: created (version 1)\n",
		"  + table      "+requests+" (approvals): created\n",
		"\nApply complete: 3 created, 0 updated, 0 unchanged, 0 failed.\n",
	)
	// Not a terminal: one line when the wait starts, one when it ends; one
	// count for the parameters.
	if n := strings.Count(r.stdout, "  "+requests+": "); n < 2 {
		t.Errorf("%d progress lines for %s, want a start and an end", n, requests)
	}
	if n := strings.Count(r.stdout, "  "+requests+": ready after "); n != 1 {
		t.Errorf("%d ready lines for %s, want 1", n, requests)
	}
	wantContains(t, r.stdout, "  2 parameters written\n")
	wantNotContains(t, r.stdout, "\r", "\x1b[")
	for _, p := range []string{"dev", "prod"} {
		v, ok := e.parameter(t, e.root+"/"+p)
		if !ok || !strings.Contains(v, "# Sentinel policy for profile: "+p) {
			t.Errorf("parameter %s/%s after apply: %q, exists %v", e.root, p, v, ok)
		}
	}
	if !e.tableExists(t, requests) {
		t.Errorf("table %s does not exist after apply", requests)
	}

	r = runBinary(t, strings.NewReader(""), args...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout,
		"  = parameter  "+e.root+"/dev (version 1)\n",
		"  = parameter  "+e.root+"/prod (version 1)\n",
		"  = table      "+requests+" (approvals)\n",
		"\nPlan: 0 to create, 0 to update, 3 unchanged.\n",
		"\nNo changes: everything is up to date.\n",
	)
	wantNotContains(t, r.stdout, "Do you want", "Applying")
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestPromptAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stdin string
		apply       bool
	}{
		{"Y", "Y\n", true},
		{"yes without newline", "YeS", true},
		{"n", "n\n", false},
		{"empty line", "\n", false},
		{"anything else", "sure\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := runBinary(t, strings.NewReader(tc.stdin), e.args("--profile", "dev")...)
			r.wantCode(t, 0)
			wantContains(t, r.stdout, "Do you want to apply these changes? [y/N] ")
			if tc.apply {
				wantContains(t, r.stdout, "Apply complete: 1 created")
			} else {
				wantContains(t, r.stdout, "\nApply cancelled.\n")
				wantNotContains(t, r.stdout, "Applying")
			}
			if _, ok := e.parameter(t, e.root+"/dev"); ok != tc.apply {
				t.Errorf("parameter exists: %v, want %v", ok, tc.apply)
			}
		})
	}
}

// TestNoAnswer: stdin at its end, or closed, gives no answer: nothing is
// applied, exit 2, and the message says to pass --yes.
func TestNoAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stdin io.Reader
	}{
		{"dev null", nil},
		{"empty input", strings.NewReader("")},
		{"closed", closedStdin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			requests := e.table("requests")
			r := runBinary(t, tc.stdin, e.args("--profile", "dev", "--with-approvals", "--approval-table", requests)...)
			r.wantCode(t, 2)
			wantContains(t, r.oneErrorLine(t), "--yes")
			wantContains(t, r.stdout, "Plan: 2 to create", "Do you want to apply these changes? [y/N] ")
			wantNotContains(t, r.stdout, "Applying")
			if _, ok := e.parameter(t, e.root+"/dev"); ok {
				t.Error("the parameter was created without an answer")
			}
			if e.tableExists(t, requests) {
				t.Error("the table was created without an answer")
			}
		})
	}
}

func TestPlanChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sessions := e.table("sessions")
	r := runBinary(t, nil, e.args("--profile", "dev", "--with-sessions", "--session-table", sessions, "--plan")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "  + parameter  "+e.root+"/dev\n", "  + table      "+sessions+" (sessions)\n", "\nPlan: 2 to create, 0 to update, 0 unchanged.\n")
	wantNotContains(t, r.stdout, "Do you want", "Applying", "No changes")
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
	if _, ok := e.parameter(t, e.root+"/dev"); ok {
		t.Error("--plan created the parameter")
	}
	if e.tableExists(t, sessions) {
		t.Error("--plan created the table")
	}
}

// decodeReport parses stdout as exactly one Report, with no unknown fields.
func decodeReport(t *testing.T, stdout string) *bootstrap.Report {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var rep bootstrap.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not a Report: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout has more than the Report:\n%s", stdout)
	}
	return &rep
}

func TestJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	breakglass := e.table("breakglass")
	args := e.args("--profile", "dev", "--profile", "prod", "--with-breakglass", "--breakglass-table", breakglass, "--json")

	check := func(rep *bootstrap.Report, mode, action, status string) {
		t.Helper()
		if rep.Mode != mode || rep.Region != "us-east-1" || rep.PolicyRoot != e.root {
			t.Errorf("mode %q region %q root %q; want %q us-east-1 %q", rep.Mode, rep.Region, rep.PolicyRoot, mode, e.root)
		}
		if len(rep.Parameters) != 2 || len(rep.Tables) != 1 {
			t.Fatalf("%d parameters and %d tables, want 2 and 1", len(rep.Parameters), len(rep.Tables))
		}
		for i, p := range []string{"dev", "prod"} {
			got := rep.Parameters[i]
			if got.Profile != p || got.Name != e.root+"/"+p || got.Action != action || got.Status != status {
				t.Errorf("parameter %d: %+v; want %s, %s, %s", i, got, p, action, status)
			}
		}
		if got := rep.Tables[0]; got.Name != breakglass || got.Purpose != bootstrap.PurposeBreakGlass || got.Action != action || got.Status != status {
			t.Errorf("table: %+v; want %s, %s, %s", got, breakglass, action, status)
		}
	}

	r := runBinary(t, nil, append(args, "--plan")...)
	r.wantCode(t, 0)
	if r.stderr != "" {
		t.Errorf("--json --plan wrote to stderr: %q", r.stderr)
	}
	rep := decodeReport(t, r.stdout)
	check(rep, bootstrap.ModePlan, bootstrap.ActionCreate, bootstrap.StatusPlanned)
	if want := (bootstrap.Summary{Create: 3}); rep.Summary != want {
		t.Errorf("summary %+v, want %+v", rep.Summary, want)
	}

	// --yes applies at once: no plan, no prompt, only the Report on stdout
	// (progress goes to stderr).
	r = runBinary(t, nil, append(args, "--yes")...)
	r.wantCode(t, 0)
	check(decodeReport(t, r.stdout), bootstrap.ModeApply, bootstrap.ActionCreate, bootstrap.StatusOK)
	wantNotContains(t, r.stderr, "Plan:", "Do you want")
	wantContains(t, r.stderr, "  "+breakglass+": ready after ")

	r = runBinary(t, nil, append(args, "--plan")...)
	r.wantCode(t, 0)
	check(decodeReport(t, r.stdout), bootstrap.ModePlan, bootstrap.ActionNone, bootstrap.StatusPlanned)
}

// TestResourceFailure: a table that exists with another key schema cannot be
// repaired; it fails, the rest is applied, and the exit status is 1.
func TestResourceFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := e.table("requests")
	_, err := e.ddb.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(bad),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	args := e.args("--profile", "dev", "--with-approvals", "--approval-table", bad)

	r := runBinary(t, nil, append(args, "--yes")...)
	r.wantCode(t, 1)
	wantContains(t, r.stdout,
		"  ! table      "+bad+" (approvals)\n      error: the key schema is (pk S HASH, sk S RANGE);",
		"\nPlan: 1 to create, 0 to update, 0 unchanged, 1 failed.\n",
		"  + parameter  "+e.root+"/dev: created (version 1)\n",
		"  ! table      "+bad+" (approvals): failed\n",
		"(--approval-table)",
		"\nApply incomplete: 1 created, 0 updated, 0 unchanged, 1 failed.\n",
	)
	wantContains(t, r.oneErrorLine(t), "1 resource failed (table "+bad+")", "run again")
	if _, ok := e.parameter(t, e.root+"/dev"); !ok {
		t.Error("the parameter was not created next to the failed table")
	}

	// Nothing else to do: no prompt, still exit 1.
	r = runBinary(t, nil, args...)
	r.wantCode(t, 1)
	wantNotContains(t, r.stdout, "Do you want")
	r.oneErrorLine(t)

	r = runBinary(t, nil, append(args, "--json", "--plan")...)
	r.wantCode(t, 1)
	rep := decodeReport(t, r.stdout)
	if got := rep.Tables[0]; got.Status != bootstrap.StatusFailed || !strings.Contains(got.Error, "key schema") {
		t.Errorf("table result %+v, want failed on its key schema", got)
	}
	wantContains(t, r.oneErrorLine(t), `"error" fields`)
}

// TestAWSUnreachable: an endpoint that refuses connections is said once,
// naming it, instead of once per resource; nothing is printed on stdout,
// and the exit status is 1, with --json too.
func TestAWSUnreachable(t *testing.T) {
	t.Parallel()
	dead := deadEndpoint(t)
	for _, extra := range [][]string{{"--yes"}, {"--plan", "--json"}, {"--json", "--yes"},
		{"--signing-key", "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-2222-3333-4444-555555555555", "--export", "cloudformation"}} {
		r := runBinary(t, nil, append([]string{"--endpoint-url", dead, "--profile", "dev", "--all"}, extra...)...)
		r.wantCode(t, 1)
		line := r.oneErrorLine(t)
		if want := "sentinel-bootstrap: cannot connect to " + dead + " (connection refused): check --endpoint-url, and that the endpoint is running; nothing was changed"; line != want {
			t.Errorf("error line\n%s\nwant\n%s", line, want)
		}
		if (extra[0] == "--yes" || extra[0] == "--signing-key") && r.stdout != "" {
			t.Errorf("stdout %q, want nothing", r.stdout)
		}
	}
}

func TestPolicyFileIsStoredVerbatim(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	policy := "# team policy\r\nversion: \"1\"\r\nrules:\r\n  - name: allow-oncall   \r\n    effect: allow\r\n    conditions:\r\n      profiles: [dev]\r\n    reason: \"on-call \u00e9quipe\"\r\n"
	path := filepath.Join(t.TempDir(), "dev.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, nil, e.args("--profile", "dev", "--profile", "prod", "--policy-file", "dev="+path, "--yes")...)
	r.wantCode(t, 0)
	if got, _ := e.parameter(t, e.root+"/dev"); got != policy {
		t.Errorf("the dev parameter holds\n%q\nwant the file's bytes\n%q", got, policy)
	}
	if got, _ := e.parameter(t, e.root+"/prod"); !strings.Contains(got, "default-deny") {
		t.Errorf("the prod parameter holds %q, want the starter policy", got)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sessions := e.table("sessions")
	r := runBinary(t, nil, e.args("--profile", "dev", "--with-sessions", "--session-table", sessions,
		"--tag", "team=platform", "--tag", "cost center=42", "--tag", "empty=", "--yes")...)
	r.wantCode(t, 0)
	want := map[string]string{"team": "platform", "cost center": "42", "empty": ""}

	out, err := e.ssm.ListTagsForResource(context.Background(), &ssm.ListTagsForResourceInput{
		ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(e.root + "/dev"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range out.TagList {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	for k, v := range want {
		if have, ok := got[k]; !ok || have != v {
			t.Errorf("parameter tag %q = %q (present %v), want %q; all tags: %v", k, have, ok, v, got)
		}
	}

	d, err := e.ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(sessions)})
	if err != nil {
		t.Fatal(err)
	}
	tt, err := e.ddb.ListTagsOfResource(context.Background(), &dynamodb.ListTagsOfResourceInput{ResourceArn: d.Table.TableArn})
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]string{}
	for _, tag := range tt.Tags {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if got["team"] != "platform" || got["cost center"] != "42" {
		t.Errorf("table tags %v, want %v", got, want)
	}
}

func TestIAMPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := runBinary(t, nil, e.args("--profile", "dev", "--generate-iam-policies", "--plan")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "\nIAM policies:\n", "\n# "+bootstrap.IAMPolicyReader+": ", "\n# "+bootstrap.IAMPolicyBootstrap+": ",
		`"arn:aws:ssm:us-east-1:*:parameter`+e.root+`/*"`)
}

// TestDetailedExitCode: --plan --detailed-exitcode exits 2 while changes
// are pending and 0 once they are applied, in text and in JSON; any error,
// a usage error included, is 1.
func TestDetailedExitCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	args := e.args("--profile", "dev", "--with-sessions", "--session-table", e.table("sessions"))
	plan := append(slices.Clone(args), "--plan", "--detailed-exitcode")

	r := runBinary(t, nil, plan...)
	r.wantCode(t, 2)
	wantContains(t, r.stdout, "Plan: 2 to create, 0 to update, 0 unchanged.\n")
	if r.stderr != "" {
		t.Errorf("stderr %q, want nothing: pending changes are not an error", r.stderr)
	}
	runBinary(t, nil, append(plan, "--json")...).wantCode(t, 2)
	// Without the flag a plan with changes is a success.
	runBinary(t, nil, append(slices.Clone(args), "--plan")...).wantCode(t, 0)

	runBinary(t, nil, append(slices.Clone(args), "--yes")...).wantCode(t, 0)

	r = runBinary(t, nil, plan...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Plan: 0 to create, 0 to update, 2 unchanged.\n")
	runBinary(t, nil, append(plan, "--json")...).wantCode(t, 0)

	// Usage errors are 1 with the flag, as in terraform; 2 without.
	r = runBinary(t, nil, append(plan, "--profile", "bad name")...)
	r.wantCode(t, 1)
	wantContains(t, r.oneErrorLine(t), `invalid --profile "bad name"`)
	runBinary(t, nil, append(plan, "--bogus")...).wantCode(t, 1)
	runBinary(t, nil, "--bogus", "--detailed-exitcode").wantCode(t, 1)
	runBinary(t, nil, "--plan", "--detailed-exitcode=true").wantCode(t, 1) // a usage error: the flag was given, with a value it does not take
	r = runBinary(t, nil, append(slices.Clone(args), "--detailed-exitcode")...)
	r.wantCode(t, 1)
	wantContains(t, r.oneErrorLine(t), "--detailed-exitcode goes with --plan")
	runBinary(t, nil, append(slices.Clone(args), "--plan", "--bogus")...).wantCode(t, 2)

	// A plan that fails (an endpoint that is not there) is 1.
	runBinary(t, nil, "--endpoint-url", deadEndpoint(t), "--profile", "dev", "--plan", "--detailed-exitcode").wantCode(t, 1)
}

// TestDestroy: --destroy shows what it would delete, asks once, deletes
// exactly that, and then finds nothing to delete.
func TestDestroy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	requests := e.table("requests")
	args := e.args("--profile", "dev", "--profile", "prod", "--with-approvals", "--approval-table", requests)
	runBinary(t, nil, append(slices.Clone(args), "--yes")...).wantCode(t, 0)

	destroy := append(slices.Clone(args), "--destroy")
	r := runBinary(t, nil, append(destroy, "--plan", "--detailed-exitcode")...)
	r.wantCode(t, 2)
	wantContains(t, r.stdout,
		"  - parameter  "+e.root+"/dev\n",
		"  - table      "+requests+" (approvals)\n",
		"\nPlan: 3 to delete, 0 absent.\n")
	if !e.tableExists(t, requests) {
		t.Fatal("--destroy --plan deleted the table")
	}

	r = runBinary(t, strings.NewReader("n\n"), destroy...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Do you want to delete these resources? [y/N] n\n", "Destroy cancelled.\n")

	r = runBinary(t, strings.NewReader("y\n"), destroy...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "\nDeleting...\n",
		"  - parameter  "+e.root+"/dev: deleted\n",
		"  - table      "+requests+" (approvals): deleted\n",
		"\nDestroy complete: 3 deleted, 0 absent, 0 failed.\n")
	if e.tableExists(t, requests) {
		t.Error("the table is still there")
	}
	if _, ok := e.parameter(t, e.root+"/prod"); ok {
		t.Error("the parameter is still there")
	}

	r = runBinary(t, nil, destroy...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "  = table      "+requests+" (approvals) (absent)\n", "\nNothing to delete.\n")
	runBinary(t, nil, append(destroy, "--plan", "--detailed-exitcode")...).wantCode(t, 0)
}

// --signing-key signs each new policy with a KMS key: the plan shows each
// signature as its own line, the apply writes it, and a rerun finds both.
func TestSigningKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(e.endpoint)}
	key, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	sig := "/sentinel/signatures" + e.root + "/dev"
	args := e.args("--profile", "dev", "--signing-key", aws.ToString(key.KeyMetadata.Arn), "--yes")

	r := runBinary(t, nil, args...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout,
		"  + parameter  "+e.root+"/dev\n",
		"  + signature  "+sig+"\n",
		"\nPlan: 2 to create, 0 to update, 0 unchanged.\n",
		"  + signature  "+sig+": created",
	)
	if v, ok := e.parameter(t, sig); !ok || !strings.Contains(v, `"algorithm":"RSASSA_PSS_SHA_256"`) {
		t.Errorf("signature parameter %s: %q, exists %v", sig, v, ok)
	}

	r = runBinary(t, nil, args...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "  = signature  "+sig+"\n", "\nNo changes: everything is up to date.\n")
}
