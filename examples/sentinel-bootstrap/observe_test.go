package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// TestDebug: --debug prints one line per AWS call, with the operation, the
// status, the request ID, the attempt and the duration, and never a body
// or a credential; without --debug nothing of it shows.
func TestDebug(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint})
	const keyID, secret = "AKIDSENTINELDEBUG", "s3cr3t-debug-value"
	env := map[string]string{"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "t0ken-debug-value"}
	args := e.argsAt(shim.URL, "--profile", "dev", "--with-approvals", "--approval-table", e.table("requests"), "--tag", "team=t3am-debug", "--yes", "--debug")

	r := runBinaryEnv(t, nil, env, args...)
	r.wantCode(t, 0)
	line := regexp.MustCompile(`^sentinel-bootstrap: debug: (SSM|DynamoDB) [A-Z][A-Za-z]+ status=\d{3} request-id=\S+ attempt=[1-9]\d* duration=\d+(\.\d+)?m?s$`)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("not a debug line: %q", l)
		}
	}
	// Per operation, as many lines as calls reached the endpoint.
	fromLines, fromShim := map[string]int{}, map[string]int{}
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 3 {
			fromLines[strings.ToLower(f[2])+":"+f[3]]++
		}
	}
	for _, c := range shim.Calls() {
		fromShim[c]++
	}
	if !maps.Equal(fromLines, fromShim) || len(fromShim) < 5 {
		t.Errorf("debug lines per operation %v, calls per operation %v", fromLines, fromShim)
	}
	wantNotContains(t, r.stderr, keyID, secret, "t0ken-debug-value", "t3am-debug", e.root, "Authorization", "{")
	// The progress is a log with --debug, also on a terminal: nothing is
	// redrawn over the debug lines.
	wantNotContains(t, r.stdout, "\x1b[")

	r = runBinaryEnv(t, nil, env, args[:len(args)-1]...)
	r.wantCode(t, 0)
	if r.stderr != "" {
		t.Errorf("without --debug, stderr %q", r.stderr)
	}
}

// TestDebugShowsAttempts: a call that is retried shows each attempt, the
// failed ones with their status.
func TestDebugShowsAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint,
		Faults: awsshim.Faults{Rate: 1, Kinds: []awsshim.FaultKind{awsshim.FaultServerError}}})
	r := runBinary(t, nil, e.argsAt(shim.URL, "--profile", "dev", "--plan", "--debug")...)
	r.wantCode(t, 1)
	wantContains(t, r.stderr, "debug: SSM GetParameters status=500 ", " attempt=1 ", " attempt=2 ", " attempt=3 ")
}

func TestUnreachableReason(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("send: %w", refused), "connection refused"},
		{&net.DNSError{Name: "ssm.example", IsNotFound: true}, "no such host ssm.example"},
		{&net.DNSError{Name: "ssm.example"}, "cannot look up ssm.example"},
		{&net.OpError{Op: "dial", Err: timeoutError{}}, "connection timed out"},
		{&net.OpError{Op: "read", Err: errors.New("reset")}, ""},
		{errors.New("something else"), ""},
	} {
		if got := unreachableReason(tc.err); got != tc.want {
			t.Errorf("unreachableReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestObserverUnreachable(t *testing.T) {
	var o observer
	o.record("http://a", false, "connection refused")
	o.record("http://a", false, "connection refused")
	o.record("http://b", true, "")
	if got, want := o.unreachable(), "cannot connect to http://a (connection refused)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	o.record("http://a", true, "")
	if got := o.unreachable(); got != "" {
		t.Errorf("an endpoint that answered once is not unreachable: %q", got)
	}
}
