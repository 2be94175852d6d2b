package main

import (
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// runInTerminal runs the built command under a pseudo-terminal (script(1))
// whose size is set by setup, a shell command such as "stty cols 60".
// Its output is what the terminal received.
func runInTerminal(t *testing.T, setup string, env map[string]string, args ...string) result {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script (util-linux) is needed for the terminal tests: %v", err)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-qfec", setup+"\nexec "+shellQuote(binary)+" "+strings.Join(quoted, " "), "/dev/null")
	e := baseEnv(t)
	e["TERM"] = "xterm"
	maps.Copy(e, env)
	cmd.Env = environ(e)
	out, err := cmd.Output()
	res := result{stdout: string(out)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		t.Fatalf("script: %v", err)
	}
	t.Logf("$ %s %s  (exit %d, in a terminal)\n%q", progName, strings.Join(args, " "), res.code, res.stdout)
	return res
}

// blockLine is a live status line: it ends with the elapsed time.
var blockLine = regexp.MustCompile(`^  \S+: .* \[\d+s\]$`)

// TestTerminal60Columns: in a 60-column terminal no line is wider than 60
// columns, the status lines are redrawn in place (the screen ends without
// one of them), and the symbols are coloured.
func TestTerminal60Columns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint, CreatingFor: 4 * time.Second})
	// Short names: the plan and result lines are printed once and not cut
	// (a long one wraps; nothing redraws it), so only with short names does
	// every line fit in 60 columns. The status lines fit whatever the names.
	e.root = "/t" + e.id + "/p"
	requests, sessions := e.table("requests"), e.table("sessions")
	r := runInTerminal(t, "stty cols 60", nil, e.argsAt(shim.URL, "--profile", "dev", "--with-approvals", "--approval-table", requests,
		"--with-sessions", "--session-table", sessions, "--yes")...)
	r.wantCode(t, 0)
	out := r.stdout
	blocks := 0
	for _, seg := range segments(out) {
		if n := runes(seg); n > 60 {
			t.Errorf("a line of %d columns in a 60-column terminal: %q", n, seg)
		}
		if blockLine.MatchString(seg) {
			blocks++
		}
	}
	if blocks < 4 {
		t.Errorf("%d status lines drawn, want the two tables' lines redrawn while they are created", blocks)
	}
	final := play(out, 60)
	for _, l := range final.text() {
		if blockLine.MatchString(l) {
			t.Errorf("a status line left on the screen: %q\nscreen:\n%s", l, strings.Join(final.text(), "\n"))
		}
	}
	screen := strings.Join(final.text(), "\n")
	wantContains(t, screen, "  "+requests+": ready after ", "  "+sessions+": ready after ", "Apply complete: 3 created")
	wantContains(t, out, "\x1b[32m+\x1b[0m table") // colour on a terminal

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, nil},
		{"--no-color", nil, []string{"--no-color"}},
	} {
		r := runInTerminal(t, "stty cols 60", tc.env, e.argsAt(shim.URL, append([]string{"--profile", "new", "--plan"}, tc.args...)...)...)
		r.wantCode(t, 0)
		wantContains(t, r.stdout, "  + parameter  ")
		if strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("%s: escape sequences in %q", tc.name, r.stdout)
		}
	}
}

// TestTerminalResize: when the terminal narrows while a table is waited
// for, the status line is drawn to the new width (SIGWINCH). The terminal
// is narrowed 2 s after the table's creation reached the endpoint.
func TestTerminalResize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint, CreatingFor: 6 * time.Second})
	requests := e.table("requests-with-a-name-long-enough-to-be-shortened")
	narrow := filepath.Join(t.TempDir(), "narrow")
	setup := "stty cols 100; (while [ ! -e " + shellQuote(narrow) + " ]; do sleep 0.05; done; stty cols 44 </dev/tty) &"
	go func() {
		for shim.Counts()["dynamodb:CreateTable"] == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		_ = os.WriteFile(narrow, nil, 0o600)
	}()
	r := runInTerminal(t, setup, nil, e.argsAt(shim.URL, "--with-approvals", "--approval-table", requests, "--yes")...)
	r.wantCode(t, 0)
	var widths []int
	for _, seg := range segments(r.stdout) {
		if blockLine.MatchString(seg) {
			widths = append(widths, runes(seg))
		}
	}
	if len(widths) < 3 || slices.Max(widths) < 60 || widths[len(widths)-1] >= 44 {
		t.Errorf("status line widths %v: want some of 60 columns or more at first, narrower than 44 at the end", widths)
	}
}
