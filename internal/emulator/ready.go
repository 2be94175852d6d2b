package emulator

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	// readyTimeout bounds how long an emulator may take to answer HTTP.
	readyTimeout = 30 * time.Second
	// readyInterval is the pause between two readiness probes.
	readyInterval = 50 * time.Millisecond
)

// readyFunc probes an endpoint once; nil means the emulator is serving.
type readyFunc func(ctx context.Context, c *http.Client, endpoint string) error

// probeClient is used only for readiness probes: no keep-alives, no proxy.
var probeClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// httpAnswers returns a readyFunc that sends method to endpoint+path and is
// satisfied by any HTTP answer, whatever its status.
func httpAnswers(method, path, body string) readyFunc {
	return func(ctx context.Context, c *http.Client, endpoint string) error {
		req, err := http.NewRequestWithContext(ctx, method, endpoint+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// waitReady polls ready every readyInterval until it succeeds, the process
// exits, ctx ends or readyTimeout passes.
func waitReady(ctx context.Context, s *Server, ready readyFunc) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(readyInterval)
	defer tick.Stop()
	var last error
	for {
		if last = ready(ctx, probeClient, s.Endpoint); last == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w: %v", errExited, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last probe: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}
