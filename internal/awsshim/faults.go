package awsshim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// FaultEvent records one injected fault.
type FaultEvent struct {
	// Index is the position of the faulted call in Calls().
	Index int
	// Call is the IAM action name of the faulted call.
	Call string
	// Kind is the fault injected.
	Kind FaultKind
}

// faultPlan draws the fault of each request. Not safe for concurrent use;
// the Shim guards it with its mutex.
type faultPlan struct {
	rate  float64
	kinds []FaultKind
	delay time.Duration
	rng   *rand.Rand
}

// newFaultPlan validates f and seeds its random sequence.
func newFaultPlan(f Faults) (faultPlan, error) {
	kinds := slices.Clone(f.Kinds)
	if len(kinds) == 0 {
		kinds = slices.Clone(AllFaultKinds)
	}
	for _, k := range kinds {
		if !slices.Contains(AllFaultKinds, k) {
			return faultPlan{}, fmt.Errorf("awsshim: unknown fault kind %q", k)
		}
	}
	if f.Rate < 0 || f.Rate > 1 {
		return faultPlan{}, fmt.Errorf("awsshim: fault rate %v outside 0..1", f.Rate)
	}
	delay := f.Delay
	if delay <= 0 {
		delay = DefaultFaultDelay
	}
	seed := uint64(f.Seed)
	return faultPlan{
		rate:  f.Rate,
		kinds: kinds,
		delay: delay,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}, nil
}

// draw decides whether the next request is faulted and how. With Rate 0 it
// draws nothing, so the sequence only advances while faults are on.
func (p *faultPlan) draw() (FaultKind, bool) {
	if p.rate <= 0 || p.rng.Float64() >= p.rate {
		return "", false
	}
	return p.kinds[p.rng.IntN(len(p.kinds))], true
}

// drop closes the client connection without writing an answer, which the
// SDK sees as a connection error (and retries).
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // also closes the connection, silently
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter swallows an answer; drop-after faults produce the answer
// (so upstream state changes) and then drop the connection instead.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
