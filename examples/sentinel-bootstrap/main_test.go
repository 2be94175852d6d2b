package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// binary is the command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sentinel-bootstrap-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, progName)
	if err := goBuild(binary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer emulator.StopAll()
	return m.Run()
}

// goBuild builds this package into out, with the race detector when the
// tests run with it, so that the command's own goroutines are checked too.
func goBuild(out string, extra ...string) error {
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(append(args, extra...), ".")
	cmd := exec.Command("go", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// closedStdin, given to runBinary as stdin, starts the command with file
// descriptor 0 closed.
var closedStdin io.Reader = new(strings.Reader)

// baseEnv is the environment every run starts from: dummy credentials,
// us-east-1, no instance metadata, no AWS config files, and a HOME of its
// own so that no real AWS config file is read.
func baseEnv(t *testing.T) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"HOME":                        dir,
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
	}
}

// environ turns env into a process environment, without the variables
// whose value is "-" (unset).
func environ(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if v != "-" {
			out = append(out, k+"="+v)
		}
	}
	slices.Sort(out)
	return out
}

// runBinary runs the built command in baseEnv. stdin nil means /dev/null.
func runBinary(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	return runBinaryEnv(t, stdin, nil, args...)
}

// runBinaryEnv runs the built command in baseEnv changed by env (a value
// of "-" unsets the variable).
func runBinaryEnv(t *testing.T, stdin io.Reader, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	if stdin == closedStdin {
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `exec "$0" "$@" <&-`, binary}, args...)...)
		stdin = nil
	}
	e := baseEnv(t)
	maps.Copy(e, env)
	cmd.Env = environ(e)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		t.Fatalf("running %s %q: %v\nstdout:\n%s\nstderr:\n%s", progName, args, err, res.stdout, res.stderr)
	}
	t.Logf("$ %s %s  (exit %d)\n--- stdout ---\n%s--- stderr ---\n%s", progName, strings.Join(args, " "), res.code, res.stdout, res.stderr)
	return res
}

// wantCode fails the test unless the run exited with code.
func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// oneErrorLine fails the test unless stderr is exactly one line, and
// returns it.
func (r result) oneErrorLine(t *testing.T) string {
	t.Helper()
	if !strings.HasPrefix(r.stderr, progName+": ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("stderr is not one %q line:\n%s", progName+": …", r.stderr)
	}
	return strings.TrimSuffix(r.stderr, "\n")
}

func wantContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func wantNotContains(t *testing.T, out string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(out, w) {
			t.Errorf("output contains %q:\n%s", w, out)
		}
	}
}

// env is one test's view of the shared moto: its endpoint, SDK clients, and
// names no other test uses.
type env struct {
	endpoint string
	ssm      *ssm.Client
	ddb      *dynamodb.Client
	id       string // random, for names
	root     string // policy root, /t<id>/policies
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ep := emulator.Moto(t)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ep),
	}
	b := make([]byte, 5)
	rand.Read(b)
	id := hex.EncodeToString(b)
	return &env{
		endpoint: ep,
		ssm:      ssm.NewFromConfig(cfg),
		ddb:      dynamodb.NewFromConfig(cfg),
		id:       id,
		root:     "/t" + id + "/policies",
	}
}

// table is a table name unique to the test.
func (e *env) table(prefix string) string { return prefix + "-" + e.id }

// args are the flags every run against this env needs, followed by more.
func (e *env) args(more ...string) []string { return e.argsAt(e.endpoint, more...) }

// argsAt are the flags of args with another endpoint, such as a shim in
// front of the env's moto.
func (e *env) argsAt(endpoint string, more ...string) []string {
	return append([]string{"--endpoint-url", endpoint, "--policy-root", e.root, "--no-deletion-protection"}, more...)
}

// parameter returns the parameter's value, or ok=false if it does not exist.
func (e *env) parameter(t *testing.T, name string) (value string, ok bool) {
	t.Helper()
	out, err := e.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "ParameterNotFound") {
			return "", false
		}
		t.Fatalf("GetParameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value), true
}

// tableExists reports whether the table exists.
func (e *env) tableExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := e.ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "ResourceNotFoundException") {
			return false
		}
		t.Fatalf("DescribeTable %s: %v", name, err)
	}
	return true
}

// deadEndpoint returns the URL of a loopback port that nothing listens on.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
