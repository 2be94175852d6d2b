package emulator

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// outputTail is how many bytes of emulator output are kept for error messages.
const outputTail = 16 << 10

// Server is a running emulator process on a loopback port.
type Server struct {
	// Endpoint is the base URL of the emulator, http://127.0.0.1:PORT.
	Endpoint string

	name    string
	cmd     *exec.Cmd
	out     *tailBuffer
	exited  chan struct{} // closed when cmd.Wait has returned
	waitErr error         // valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// errExited reports that an emulator process ended before it became ready.
var errExited = errors.New("process exited")

// Pid returns the process id of the emulator (the leader of its process group).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Output returns the last bytes the emulator wrote to stdout and stderr.
func (s *Server) Output() string { return s.out.String() }

// Stop kills the emulator's process group and waits for the process to be
// reaped. It is idempotent and safe to call concurrently.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if err := killGroup(s.cmd.Process); err != nil {
			s.stopErr = fmt.Errorf("emulator: kill %s (pid %d): %w", s.name, s.Pid(), err)
		}
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.stopErr = errors.Join(s.stopErr,
				fmt.Errorf("emulator: %s (pid %d) did not exit after SIGKILL", s.name, s.Pid()))
		}
	})
	return s.stopErr
}

// start launches argv, which must serve HTTP on port, and waits until ready
// reports success. The process outlives ctx; ctx only bounds the startup.
func start(ctx context.Context, name string, port int, argv []string, ready readyFunc) (*Server, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out := newTailBuffer(outputTail)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	// Grandchildren could keep the output pipes open; do not wait for them.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator: start %s: %w", name, err)
	}
	s := &Server{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port),
		name:     name,
		cmd:      cmd,
		out:      out,
		exited:   make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := waitReady(ctx, s, ready); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("emulator: %s (%s) not ready at %s: %w\n--- output tail ---\n%s",
			name, strings.Join(argv, " "), s.Endpoint, err, s.Output())
	}
	return s, nil
}

// startOnFreePort picks a free port, builds the command line for it and
// starts the emulator, retrying with another port when the process exits
// during startup (for example because the port was taken in the meantime).
func startOnFreePort(ctx context.Context, name string, argv func(port int) []string, ready readyFunc) (*Server, error) {
	const attempts = 3
	var err error
	for range attempts {
		var port int
		if port, err = FreePort(); err != nil {
			return nil, err
		}
		var s *Server
		if s, err = start(ctx, name, port, argv(port), ready); err == nil {
			return s, nil
		}
		if !errors.Is(err, errExited) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, err
}
