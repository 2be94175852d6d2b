package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// deadEndpoints points every endpoint setting the SDK knows at dead: the
// variables, and the config file's endpoint_url and services section.
func deadEndpoints(t *testing.T, dead string) map[string]string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "config")
	text := "[default]\nendpoint_url = " + dead + "\nservices = dead\n\n[services dead]\n" +
		"ssm =\n  endpoint_url = " + dead + "\ndynamodb =\n  endpoint_url = " + dead + "\nkms =\n  endpoint_url = " + dead + "\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"AWS_CONFIG_FILE":                     conf,
		"AWS_ENDPOINT_URL":                    dead,
		"AWS_ENDPOINT_URL_DYNAMODB":           dead,
		"AWS_ENDPOINT_URL_SSM":                dead,
		"AWS_ENDPOINT_URL_KMS":                dead,
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "-",
	}
}

// TestEndpointURLWinsOverEveryEndpointSetting: with every endpoint
// variable and the config file pointing at a dead port, --endpoint-url
// still reaches moto; without it, the command says once that the dead
// endpoint does not answer.
func TestEndpointURLWinsOverEveryEndpointSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dead := deadEndpoint(t)
	env := deadEndpoints(t, dead)
	requests := e.table("requests")
	args := []string{"--policy-root", e.root, "--profile", "dev", "--with-approvals", "--approval-table", requests, "--no-deletion-protection", "--yes"}

	r := runBinaryEnv(t, nil, env, args...)
	r.wantCode(t, 1)
	if want := "sentinel-bootstrap: cannot connect to " + dead + " (connection refused): check your network and the endpoint settings (AWS_ENDPOINT_URL and the like); nothing was changed"; r.oneErrorLine(t) != want {
		t.Errorf("without --endpoint-url:\n%s\nwant\n%s", r.stderr, want)
	}

	r = runBinaryEnv(t, nil, env, append([]string{"--endpoint-url", e.endpoint}, args...)...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Endpoint:    "+e.endpoint+"\n", "Apply complete: 2 created")
	wantNotContains(t, r.stdout+r.stderr, dead)
	if _, ok := e.parameter(t, e.root+"/dev"); !ok || !e.tableExists(t, requests) {
		t.Error("the resources are not in moto")
	}
}

// TestPlanHeaderNamesEndpointsFromTheEnvironment: without --endpoint-url,
// the header names the endpoints the variables set.
func TestPlanHeaderNamesEndpointsFromTheEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := runBinaryEnv(t, nil, map[string]string{"AWS_ENDPOINT_URL": e.endpoint},
		"--policy-root", e.root, "--profile", "dev", "--plan")
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Region:      us-east-1\nCredentials: from AWS_ACCESS_KEY_ID\nEndpoint:    "+e.endpoint+"\n\n")
}

// TestAWSProfile: credentials and region from a profile of the config
// files; the header names the profile.
func TestAWSProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	conf, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(conf, []byte("[profile team]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[team]\naws_access_key_id = team\naws_secret_access_key = team\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_CONFIG_FILE": conf, "AWS_SHARED_CREDENTIALS_FILE": creds,
		"AWS_ACCESS_KEY_ID": "-", "AWS_SECRET_ACCESS_KEY": "-", "AWS_REGION": "-"}
	r := runBinaryEnv(t, nil, env, e.args("--aws-profile", "team", "--profile", "dev", "--plan")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Region:      us-east-1\nAWS profile: team\nEndpoint:    "+e.endpoint+"\n\n")

	env["AWS_PROFILE"] = "team"
	r = runBinaryEnv(t, nil, env, e.args("--profile", "dev", "--plan")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "AWS profile: team\n")

	// Credentials in the environment win over the profile's; its region
	// still applies, and the header names both.
	env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "test", "test"
	r = runBinaryEnv(t, nil, env, e.args("--profile", "dev", "--plan")...)
	r.wantCode(t, 0)
	wantContains(t, r.stdout, "Region:      us-east-1\nAWS profile: team (its settings; the credentials are AWS_ACCESS_KEY_ID's)\n")
}

// TestNoCredentials: with no credentials anywhere, one short line on
// stderr names where the command looked and what to set, before any AWS
// call; exit 1.
func TestNoCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint})
	dir := t.TempDir()
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "-", "AWS_SECRET_ACCESS_KEY": "-", "AWS_SESSION_TOKEN": "-", "AWS_REGION": "-", "AWS_PROFILE": "-",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "nothing"), "AWS_CONFIG_FILE": filepath.Join(dir, "nothing-either"),
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for _, extra := range [][]string{{"--yes"}, {"--plan"}, {"--json", "--yes"}, {"--destroy", "--yes"}} {
		r := runBinaryEnv(t, nil, env, append([]string{"--endpoint-url", shim.URL, "--region", "us-east-1", "--profile", "dev", "--all"}, extra...)...)
		r.wantCode(t, 1)
		if n := strings.Count(r.stdout+r.stderr, "\n"); n > 4 {
			t.Errorf("%d lines of output, want at most 4:\n%s%s", n, r.stdout, r.stderr)
		}
		line := r.oneErrorLine(t)
		wantContains(t, line, "no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "--aws-profile", "AWS_PROFILE",
			filepath.Join(dir, "nothing"), filepath.Join(dir, "nothing-either"), "instance metadata", `"default"`)
		wantNotContains(t, line, "IMDS", "failed to refresh", "operation error")
		if r.stdout != "" {
			t.Errorf("stdout %q, want nothing", r.stdout)
		}
	}
	if calls := shim.Calls(); len(calls) != 0 {
		t.Errorf("AWS calls without credentials: %v", calls)
	}
}
