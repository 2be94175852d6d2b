package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// EndpointEnv names the environment variable that, when set, makes Moto
// return its value instead of starting moto_server.
const EndpointEnv = "BOOTSTRAP_TEST_ENDPOINT"

// shared is the moto instance shared by the whole test binary.
var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Moto returns the endpoint of the moto_server shared by the whole test
// binary, starting it on first use. When BOOTSTRAP_TEST_ENDPOINT is set it
// returns that value and starts nothing. A missing moto_server skips the
// test (fails it when CI is set); a failing start fails it. Call StopAll
// from TestMain after m.Run.
func Moto(tb testing.TB) string {
	tb.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return ep
	}
	if _, err := exec.LookPath(MotoCommand); err != nil {
		skipOrFatal(tb, fmt.Sprintf("%s not found on PATH; install with pip install 'moto[server]' "+
			"(or set %s to a running emulator)", MotoCommand, EndpointEnv))
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = StartMoto(context.Background())
	}
	if shared.err != nil {
		tb.Fatalf("emulator: shared moto: %v", shared.err)
	}
	return shared.srv.Endpoint
}

// StopAll stops the shared moto_server, if one was started. Call it from
// TestMain after m.Run. A later Moto call starts a new one.
func StopAll() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	shared.srv, shared.err = nil, nil
}

// Dynalite starts a fresh dynalite for this test with the given timings and
// stops it when the test ends. A missing node or dynalite skips the test
// (fails it when CI is set).
func Dynalite(tb testing.TB, o DynaliteOptions) string {
	tb.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFatal(tb, "node not found on PATH; install Node.js 20+ and run npm ci at the module root")
	}
	bin, err := DynalitePath()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(bin); errors.Is(err, os.ErrNotExist) {
		skipOrFatal(tb, fmt.Sprintf("dynalite not found at %s; run npm ci at the module root", bin))
	}
	s, err := StartDynalite(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return s.Endpoint
}

// skipOrFatal skips the test with a loud message, or fails it when the CI
// environment variable is non-empty.
func skipOrFatal(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("emulator missing in CI: %s", msg)
	}
	tb.Skipf("\n*****\n***** SKIPPING: %s\n*****", msg)
}

// RunTests is the TestMain of a package whose tests start emulators: it runs
// the tests, stops the shared emulators, and then fails if any goroutine
// outlives them (Run must leave nothing behind, also when ctx is cancelled
// in the middle of a wait). It returns the exit code for os.Exit.
func RunTests(m *testing.M) int {
	code := m.Run()
	StopAll()
	if code == 0 {
		if err := goleak.Find(leakIgnores...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	return code
}

// leakIgnores are goroutines that belong to no Run: the idle keep-alive
// connections of the SDK's shared HTTP transport.
var leakIgnores = []goleak.Option{
	goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
}
