package bootstrap

import (
	"context"
	"testing"
	"time"
)

// fakeClock drives a pacer without sleeping.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestPacer() (*pacer, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_000_000, 0)}
	return &pacer{now: c.now}, c
}

// succeed records n successes spaced every.
func succeed(p *pacer, c *fakeClock, n int, every time.Duration) {
	for range n {
		c.advance(every)
		p.success()
	}
}

func TestPacerStartsUnpaced(t *testing.T) {
	p, c := newTestPacer()
	if err := p.wait(context.Background()); err != nil || p.rate != 0 {
		t.Fatalf("wait = %v, rate %v; want no pacing before any throttle", err, p.rate)
	}
	succeed(p, c, 50, 10*time.Millisecond)
	if p.rate != 0 {
		t.Errorf("successes alone set a pace: %v", p.rate)
	}
}

func TestPacerFirstThrottleSetsPaceUnderWhatSucceeded(t *testing.T) {
	p, c := newTestPacer()
	_ = p.wait(context.Background())        // the first call
	succeed(p, c, 100, 10*time.Millisecond) // 100 a second
	p.throttled()
	if p.rate < 85 || p.rate > 95 {
		t.Errorf("pace %.1f/s after a throttle at 100/s, want about 90", p.rate)
	}
}

func TestPacerBlindStart(t *testing.T) {
	p, c := newTestPacer()
	_ = p.wait(context.Background())
	p.throttled() // before anything succeeded
	if p.rate != paceBlind || !p.blind {
		t.Fatalf("pace %v blind %v, want %v blind", p.rate, p.blind, paceBlind)
	}
	succeed(p, c, 1, 20*time.Millisecond)
	if p.blind || p.rate == paceBlind {
		t.Errorf("the first success did not set the pace from what succeeded: %v", p.rate)
	}
}

func TestPacerToleratesOccasionalThrottles(t *testing.T) {
	p, c := newTestPacer()
	_ = p.wait(context.Background())
	succeed(p, c, 100, 10*time.Millisecond)
	p.throttled()
	set := p.rate
	c.advance(time.Second) // past the cut cadence
	succeed(p, c, 50, 10*time.Millisecond)
	p.throttled() // 1 in 51: under the 5 % tolerance
	if p.rate < set {
		t.Errorf("one throttle in 51 calls cut the pace from %.1f to %.1f", set, p.rate)
	}
}

func TestPacerCutsUnderSustainedThrottling(t *testing.T) {
	p, c := newTestPacer()
	_ = p.wait(context.Background())
	succeed(p, c, 100, 10*time.Millisecond)
	p.throttled()
	// The service now accepts only 50 a second, and throttles a fifth of
	// the calls: the next cut lands just under 50.
	for range 10 {
		succeed(p, c, 4, 20*time.Millisecond)
		p.throttled()
	}
	if p.rate > 50 || p.rate < 40 {
		t.Errorf("pace %.1f/s under a 50/s limit, want just under 50", p.rate)
	}
	for range 200 { // cuts never go below the floor
		c.advance(paceCutEvery)
		p.throttled()
	}
	if p.rate < paceMin {
		t.Errorf("pace %v under the floor %v", p.rate, paceMin)
	}
}

func TestPacerRecoversAndEnds(t *testing.T) {
	p, c := newTestPacer()
	_ = p.wait(context.Background())
	succeed(p, c, 100, 10*time.Millisecond)
	p.throttled()
	p.rate = 10 // far too slow, e.g. after a passing hiccup
	c.advance(2 * paceQuiet)
	// Calls succeed at 100 a second (the concurrency limit, not the pace,
	// now bounds them): the pace grows quickly, then stops binding.
	for i := 0; i < 2000 && p.rate != 0; i++ {
		succeed(p, c, 1, 10*time.Millisecond)
	}
	if p.rate != 0 {
		t.Errorf("pace %.1f/s still set after 20 s without a throttle", p.rate)
	}
}
