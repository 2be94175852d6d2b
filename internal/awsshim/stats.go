package awsshim

import (
	"maps"
	"slices"
	"time"
)

// stats is what a Shim records about the calls it saw. Guarded by Shim.mu.
type stats struct {
	log       []Call
	calls     []string
	counts    map[string]int
	writes    int
	faulted   map[FaultKind]int
	faultLog  []FaultEvent
	throttled int
	accepted  []time.Time
}

// record appends a call and returns its index in calls.
func (s *stats) record(c call, body []byte) int {
	if s.counts == nil {
		s.counts = map[string]int{}
	}
	s.log = append(s.log, Call{Action: c.action, Resources: resources(c, body), Body: body})
	s.calls = append(s.calls, c.action)
	s.counts[c.action]++
	if !isRead(c) {
		s.writes++
	}
	return len(s.calls) - 1
}

// fault records an injected fault on call number idx.
func (s *stats) fault(idx int, c call, k FaultKind) {
	if s.faulted == nil {
		s.faulted = map[FaultKind]int{}
	}
	s.faulted[k]++
	s.faultLog = append(s.faultLog, FaultEvent{Index: idx, Call: c.action, Kind: k})
}

// Calls returns every operation the shim forwarded or answered, in arrival
// order, as IAM action names such as "dynamodb:CreateTable". Faulted and
// throttled calls are included: the client did make them.
func (s *Shim) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.calls)
}

// CallLog returns every call as Calls does, with the resources it names
// and its request body.
func (s *Shim) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.log)
}

// Counts returns how many times each IAM action appears in Calls.
func (s *Shim) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.st.counts)
}

// Writes returns how many calls in Calls may change state: every operation
// whose name does not start with Describe, Get, List, Query or Scan (and is
// not BatchGetItem or TransactGetItems, nor one of the KMS operations that
// only compute, such as Sign and Verify).
func (s *Shim) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.writes
}

// Faulted returns how many faults of each kind were injected.
func (s *Shim) Faulted() map[FaultKind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.st.faulted)
}

// FaultLog returns every injected fault in order.
func (s *Shim) FaultLog() []FaultEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.faultLog)
}

// Throttled returns how many PutParameter calls PutParameterLimit refused.
func (s *Shim) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.throttled
}

// AcceptedPuts returns when each PutParameter call accepted by the limiter
// arrived (and was admitted), in order, for measuring the achieved write
// rate.
func (s *Shim) AcceptedPuts() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.accepted)
}

// Reset clears the recorded calls, counters and fault log. Table timing
// state, the rate limiter and the fault sequence are kept.
func (s *Shim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = stats{}
}
