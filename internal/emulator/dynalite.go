package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DynaliteOptions are the table state timings of a dynalite instance, in
// milliseconds. Zero means zero (tables change state at once), not the
// dynalite default of 500ms.
type DynaliteOptions struct {
	CreateTableMs, DeleteTableMs, UpdateTableMs int
}

// DynalitePath returns <module root>/node_modules/.bin/dynalite, installed
// by `npm ci` from the package-lock.json at the module root.
func DynalitePath() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "node_modules", ".bin", "dynalite"), nil
}

// StartDynalite starts dynalite from the module's node_modules on a free
// loopback port with the given timings and waits until it answers HTTP.
// ctx bounds only the startup; the process runs until Stop.
func StartDynalite(ctx context.Context, o DynaliteOptions) (*Server, error) {
	bin, err := DynalitePath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("emulator: dynalite not installed (run npm ci at the module root): %w", err)
	}
	argv := func(port int) []string {
		return []string{bin,
			"--host", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--createTableMs", strconv.Itoa(o.CreateTableMs),
			"--deleteTableMs", strconv.Itoa(o.DeleteTableMs),
			"--updateTableMs", strconv.Itoa(o.UpdateTableMs),
		}
	}
	return startOnFreePort(ctx, "dynalite", argv, httpAnswers("POST", "/", "{}"))
}

// ModuleRoot walks up from the working directory to the first directory
// that holds a go.mod file.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("emulator: module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("emulator: module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
