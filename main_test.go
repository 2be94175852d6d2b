package bootstrap_test

import (
	"os"
	"testing"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// TestMain runs the unit tests (and, with -bench, the benchmarks), stops
// the emulators the benchmarks started, and fails if any goroutine outlives
// them. The integration tests are in ./integration.
func TestMain(m *testing.M) { os.Exit(emulator.RunTests(m)) }
