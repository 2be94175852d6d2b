package awsshim

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Shim is a running proxy on a loopback port in front of an upstream moto.
type Shim struct {
	// URL is the base URL clients use, http://127.0.0.1:PORT.
	URL string

	opts     Options
	upstream *url.URL
	srv      *http.Server
	rt       *http.Transport

	// writes makes every state-changing call atomic, as on AWS: moto checks
	// and changes state without a lock, so two concurrent CreateTable (or
	// PutParameter without Overwrite) calls for one name can both succeed.
	writes sync.Mutex

	mu     sync.Mutex // guards everything below
	plan   faultPlan
	puts   tokenBucket
	tables map[string]*tableState
	st     stats
	// dropArmed are the tables whose next CreateTable answer is dropped
	// (DropCreateAnswer); dropDone those whose answer was dropped once.
	dropArmed, dropDone map[string]bool
}

// Start starts a Shim on a free 127.0.0.1 port forwarding to o.Upstream.
func Start(o Options) (*Shim, error) {
	up, err := url.Parse(o.Upstream)
	if err != nil || up.Scheme == "" || up.Host == "" {
		return nil, fmt.Errorf("awsshim: bad upstream %q", o.Upstream)
	}
	plan, err := newFaultPlan(o.Faults)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("awsshim: listen: %w", err)
	}
	s := &Shim{
		URL:      "http://" + l.Addr().String(),
		opts:     o,
		upstream: up,
		rt:       newTransport(),
		plan:     plan,
		puts:     newTokenBucket(o.PutParameterLimit, o.PutParameterBurst),
		tables:   map[string]*tableState{},

		dropArmed: map[string]bool{},
		dropDone:  map[string]bool{},
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// StartT starts a Shim for a test, failing the test if it cannot, and
// closes it when the test ends.
func StartT(tb testing.TB, o Options) *Shim {
	tb.Helper()
	s, err := Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the shim, closing its listener and all connections.
func (s *Shim) Close() {
	_ = s.srv.Close()
	s.rt.CloseIdleConnections()
}

// SetFaults replaces the fault configuration and restarts the random
// sequence from f.Seed. It panics on an invalid configuration (unknown
// kind, rate outside 0..1), which Start would have refused.
func (s *Shim) SetFaults(f Faults) {
	plan, err := newFaultPlan(f)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.plan = plan
	s.mu.Unlock()
}

// ServeHTTP handles one client request: record, delay, maybe fault, then
// apply the AWS behaviour and forward.
func (s *Shim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // client went away mid-request
	}
	c := parseTarget(r.Header.Get("X-Amz-Target"))

	s.mu.Lock()
	idx := s.st.record(c, body)
	kind, faulted := s.plan.draw()
	faultDelay := s.plan.delay
	if faulted {
		s.st.fault(idx, c, kind)
	}
	// PutParameterLimit is applied as the request arrives, as AWS's front
	// end applies a quota: not after Delay (whose timer is late by up to a
	// millisecond, at random) nor after waiting for the writes before it
	// (moto's time on them), which would otherwise decide which call is
	// throttled. The answer still comes after Delay.
	throttle := false
	if c.service == "ssm" && c.op == "PutParameter" && (kind == "" || kind == FaultDropAfter || kind == FaultDelay) {
		throttle = !s.takePut(time.Now())
	}
	s.mu.Unlock()

	if !sleep(r, s.opts.Delay) {
		return
	}
	switch kind {
	case FaultServerError:
		writeError(w, c, http.StatusInternalServerError, "InternalServerError", "awsshim: injected server error")
		return
	case FaultThrottle:
		code := "ThrottlingException"
		if c.service == "dynamodb" {
			code = "ProvisionedThroughputExceededException"
		}
		writeError(w, c, http.StatusBadRequest, code, "awsshim: injected throttling: Rate exceeded")
		return
	case FaultDropBefore:
		drop(w)
		return
	case FaultDropAfter:
		s.handle(&discardWriter{}, r, c, idx, body, throttle)
		drop(w)
		return
	case FaultDelay:
		if !sleep(r, faultDelay) {
			return
		}
	}
	s.handle(w, r, c, idx, body, throttle)
}

// handle applies the AWS behaviour to one request, call number idx,
// forwarding it unless the shim answers it itself. A PutParameter over
// PutParameterLimit (throttle) is answered ThrottlingException.
func (s *Shim) handle(w http.ResponseWriter, r *http.Request, c call, idx int, body []byte, throttle bool) {
	if throttle {
		writeError(w, c, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	if !isRead(c) {
		s.writes.Lock()
		defer s.writes.Unlock()
	}
	var req *ddbRequest
	if c.service == "dynamodb" && ddbInspected[c.op] {
		parsed := parseDDB(body)
		req = &parsed
		if s.ddbBefore(w, c, req) {
			return
		}
	}
	resp, err := s.forward(r, body)
	if err != nil {
		if r.Context().Err() == nil {
			writeError(w, c, http.StatusBadGateway, "InternalServerError", "awsshim: upstream: "+err.Error())
		}
		return
	}
	defer resp.Body.Close()
	copyHeader(w.Header(), resp.Header)
	if req == nil || resp.StatusCode != http.StatusOK {
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(http.ErrAbortHandler) // upstream broke mid-answer; so do we
	}
	if rewritten, changed, err := s.ddbAfter(c, req, out); err != nil {
		writeError(w, c, http.StatusBadGateway, "InternalServerError", err.Error())
		return
	} else if changed {
		out = rewritten
	}
	if c.op == "CreateTable" && s.takeCreateDrop(req.table()) {
		s.dropAnswer(w, idx, c)
		return
	}
	writeBody(w, c, resp.StatusCode, out)
}

// takePut applies PutParameterLimit to one PutParameter call arriving at
// now, and reports whether it is admitted. s.mu must be held.
func (s *Shim) takePut(now time.Time) bool {
	if !s.puts.take(now) {
		s.st.throttled++
		return false
	}
	s.st.accepted = append(s.st.accepted, now)
	return true
}

// sleep waits d unless the client goes away first; it reports whether the
// request should go on.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
