package bootstrap_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// TestMain runs the unit tests (and, with -bench, the benchmarks), stops
// the emulators the benchmarks started, and then fails if any goroutine
// outlives them: Run must leave nothing behind, also when ctx is cancelled
// in the middle of a wait. The integration tests are in ./integration.
func TestMain(m *testing.M) {
	code := m.Run()
	emulator.StopAll()
	if code == 0 {
		if err := goleak.Find(leakIgnores...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// leakIgnores are goroutines that belong to no Run: the idle keep-alive
// connections of the SDK's shared HTTP transport.
var leakIgnores = []goleak.Option{
	goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
}
