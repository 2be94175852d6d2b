package main

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// lockedBuffer is a bytes.Buffer safe for a process to write while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is the command started in the background.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{}
	err            error
}

// startBinary starts the built command in baseEnv changed by env.
func startBinary(t *testing.T, stdin io.Reader, env map[string]string, args ...string) *running {
	t.Helper()
	cmd := exec.Command(binary, args...)
	e := baseEnv(t)
	maps.Copy(e, env)
	cmd.Env = environ(e)
	cmd.Stdin = stdin
	r := &running{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// waitFor waits until cond holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig and waits for the command to end; it returns the exit
// status and how long the command took to end after the signal.
func (r *running) signal(t *testing.T, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	sent := time.Now()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		t.Fatalf("the command did not end within a minute of %v\nstdout:\n%s\nstderr:\n%s", sig, r.stdout, r.stderr)
	}
	took := time.Since(sent)
	var ee *exec.ExitError
	switch {
	case r.err == nil:
		return 0, took
	case errors.As(r.err, &ee) && ee.Exited():
		return ee.ExitCode(), took
	}
	t.Fatalf("the command ended with %v, not an exit status\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	return 0, 0
}

// lastLine is the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestInterruptDuringPlanWithYes: a signal while the plan reads, with
// --yes, ends the command at once, writes nothing (counted by the shim),
// and says so; the exit status is 128 + the signal.
func TestInterruptDuringPlanWithYes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		word string
	}{
		{syscall.SIGINT, 130, "interrupted (SIGINT)"},
		{syscall.SIGTERM, 143, "terminated (SIGTERM)"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// Every request takes 30 s: a command that did not stop at the
			// signal would take at least that long.
			shim := awsshim.StartT(t, awsshim.Options{Upstream: emulator.Moto(t), Delay: 30 * time.Second})
			r := startBinary(t, nil, nil, "--endpoint-url", shim.URL, "--policy-root", e.root, "--profile", "dev",
				"--with-approvals", "--approval-table", e.table("requests"), "--no-deletion-protection", "--yes")
			waitFor(t, "the plan's first request", func() bool { return len(shim.Calls()) > 0 })
			code, took := r.signal(t, tc.sig)
			t.Logf("ended %s after the signal", took)
			if code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			if took > 10*time.Second {
				t.Errorf("the command took %s to end after the signal; the requests in flight were not cancelled", took)
			}
			if want := "sentinel-bootstrap: " + tc.word + " before anything was changed; run the same command again to apply"; lastLine(r.stderr.String()) != want {
				t.Errorf("last line %q, want %q\nstderr:\n%s", lastLine(r.stderr.String()), want, r.stderr)
			}
			if n := shim.Writes(); n != 0 {
				t.Errorf("%d write calls after an interrupt during the plan: %v", n, shim.Calls())
			}
			wantNotContains(t, r.stdout.String(), "Applying")
		})
	}
}

// TestInterruptAtPrompt: a signal at the prompt applies nothing.
func TestInterruptAtPrompt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint})
	stdin, w, err := os.Pipe() // never answers; an *os.File, so that Wait does not wait for it
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer stdin.Close()
	r := startBinary(t, stdin, nil, e.argsAt(shim.URL, "--profile", "dev")...)
	waitFor(t, "the prompt", func() bool { return strings.Contains(r.stdout.String(), "Do you want to apply these changes? [y/N] ") })
	code, _ := r.signal(t, syscall.SIGINT)
	if code != 130 {
		t.Errorf("exit status %d, want 130", code)
	}
	wantContains(t, lastLine(r.stderr.String()), "interrupted (SIGINT) before anything was changed")
	if n := shim.Writes(); n != 0 {
		t.Errorf("%d write calls after an interrupt at the prompt", n)
	}
}

// TestInterruptDuringApply: a signal while a table is being created stops
// the wait at once; the results and the last line say what was done and
// what is not finished, and what to run.
func TestInterruptDuringApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint, CreatingFor: 5 * time.Minute})
	requests := e.table("requests")
	r := startBinary(t, nil, nil, e.argsAt(shim.URL, "--profile", "dev", "--with-approvals", "--approval-table", requests, "--yes")...)
	waitFor(t, "the table's creation and the parameter", func() bool {
		c := shim.Counts()
		return c["dynamodb:CreateTable"] > 0 && c["ssm:PutParameter"] > 0 && strings.Contains(r.stdout.String(), requests+": ")
	})
	time.Sleep(200 * time.Millisecond) // the parameter's answer
	code, took := r.signal(t, syscall.SIGINT)
	t.Logf("ended %s after the signal", took)
	if code != 130 || took > 10*time.Second {
		t.Errorf("exit status %d after %s, want 130 at once", code, took)
	}
	out := r.stdout.String()
	wantContains(t, out, "  + parameter  "+e.root+"/dev: created (version 1)\n", "  ! table      "+requests+" (approvals): ", "Apply incomplete: ")
	last := lastLine(r.stderr.String())
	wantContains(t, last, "sentinel-bootstrap: interrupted (SIGINT): changed ", "parameter "+e.root+"/dev",
		"not finished: table "+requests, "run the same command again to finish")
	if strings.Count(r.stderr.String(), "\n") != 1 {
		t.Errorf("stderr is not one line:\n%s", r.stderr)
	}
}

// TestInterruptDuringSignedExport: a signal while a signed export waits
// for KMS ends it at once with 128 + the signal, saying the export was not
// written, and writes no file.
func TestInterruptDuringSignedExport(t *testing.T) {
	t.Parallel()
	shim := awsshim.StartT(t, awsshim.Options{Upstream: emulator.Moto(t), Delay: 30 * time.Second})
	output := t.TempDir() + "/sentinel.yaml"
	r := startBinary(t, nil, nil, "--endpoint-url", shim.URL, "--profile", "dev",
		"--signing-key", "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-2222-3333-4444-555555555555",
		"--export", "cloudformation", "--output", output)
	waitFor(t, "the export's first request", func() bool { return len(shim.Calls()) > 0 })
	code, took := r.signal(t, syscall.SIGINT)
	t.Logf("ended %s after the signal", took)
	if code != 130 {
		t.Errorf("exit status %d, want 130\nstderr:\n%s", code, r.stderr)
	}
	if took > 10*time.Second {
		t.Errorf("the command took %s to end after the signal", took)
	}
	if want := "sentinel-bootstrap: interrupted (SIGINT) before the export was written; run the same command again to export"; lastLine(r.stderr.String()) != want {
		t.Errorf("last line %q, want %q\nstderr:\n%s", lastLine(r.stderr.String()), want, r.stderr)
	}
	if _, err := os.Stat(output); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--output written after the interrupt (%v)", err)
	}
}
