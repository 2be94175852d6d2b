package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --export prints the resources as code and makes no AWS call: the
// endpoint is a dead port and no credentials are set, and it still works.
func TestExport(t *testing.T) {
	t.Parallel()
	noAWS := map[string]string{"AWS_ACCESS_KEY_ID": "-", "AWS_SECRET_ACCESS_KEY": "-"}
	dead := []string{"--endpoint-url", "http://127.0.0.1:9", "--profile", "dev", "--with-sessions"}

	r := runBinaryEnv(t, nil, noAWS, append(dead, "--export", "terraform")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, `resource "aws_dynamodb_table" "sessions"`, `resource "aws_ssm_parameter" "policy_dev"`, "prevent_destroy = true")
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}

	file := filepath.Join(t.TempDir(), "sentinel.yaml")
	r = runBinaryEnv(t, nil, noAWS, append(dead, "--export", "cloudformation", "--output", file)...)
	r.wantCode(t, 0)
	if r.stdout != "" {
		t.Errorf("stdout: %q; want the template in the file only", r.stdout)
	}
	wantContains(t, r.stderr, "wrote the cloudformation export to "+file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, string(b), "AWSTemplateFormatVersion", "AWS::DynamoDB::Table", "DeletionPolicy: Retain")
}

func TestExportUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "dev", "--export", "pulumi"}, `invalid --export "pulumi": give cloudformation or terraform`},
		{[]string{"--profile", "dev", "--output", "x.yaml"}, "--output goes with --export"},
		{[]string{"--profile", "dev", "--export", "terraform", "--plan"}, "drop --plan"},
		{[]string{"--profile", "dev", "--export", "terraform", "--s3-bucket", "b"}, "--s3-bucket"},
		{[]string{"--with-approvals", "--export", "terraform", "--kms-key", "alias/sentinel"}, "--kms-key"},
		{manyProfiles(120, "--export", "cloudformation", "--all"), "--s3-bucket"}, // over CloudFormation's inline limit
	} {
		r := runBinary(t, nil, tc.args...)
		if r.code == 0 {
			t.Errorf("%q: exit 0; want a usage error", tc.args)
			continue
		}
		line := r.oneErrorLine(t)
		if !strings.Contains(line, tc.want) || strings.Contains(line, "With") {
			t.Errorf("%q: %q; want it to name the flag (%q), never an option", tc.args, line, tc.want)
		}
	}
}

// manyProfiles is n --profile flags, then more.
func manyProfiles(n int, more ...string) []string {
	var args []string
	for i := range n {
		args = append(args, "--profile", fmt.Sprintf("team-%03d", i))
	}
	return append(args, more...)
}
