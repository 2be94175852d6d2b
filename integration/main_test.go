package integration_test

import (
	"os"
	"testing"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// TestMain runs the tests, stops the emulators they started, and fails if
// any goroutine outlives them.
func TestMain(m *testing.M) { os.Exit(emulator.RunTests(m)) }
