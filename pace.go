package bootstrap

import (
	"context"
	"sync"
	"time"
)

// Pacing constants: see pacer.
const (
	paceFirstShare = 0.9                    // first pace: this share of the rate that recently succeeded
	paceCut        = 0.9                    // a cut: this share of the rate that recently succeeded (or of the pace, if lower)
	paceGain       = 0.05                   // each success: pace + this many calls a second (≈ +5 % a second at any pace)
	paceQuickGain  = 0.25                   // the same once paceQuiet has passed since the last cut (≈ +25 % a second)
	paceMin        = 0.2                    // calls a second: the slowest pace
	paceBlind      = 2.0                    // calls a second: the first pace when nothing has succeeded yet
	paceCutEvery   = 250 * time.Millisecond // at most one cut in this long: calls in flight are throttled together
	paceTolerance  = 0.05                   // throttled share of the calls since the last cut that does not cut the pace
	paceQuiet      = time.Second            // this long without a cut: grow quickly, and end pacing once it no longer binds
	paceSamples    = 32                     // the rate that recently succeeded: that of the last this many successes,
	paceWindow     = 10 * time.Second       // within this long
	paceSpanMin    = 10 * time.Millisecond  // shortest time successes are counted over
	paceHorizon    = 100 * time.Millisecond // how far ahead a call reserves its slot
)

// pacer spaces write calls so that they fit the rate the service accepts.
//
// It starts unpaced (WithConcurrency alone bounds the calls). The first
// throttle sets the pace a little under the rate that has succeeded so far;
// when nothing has succeeded yet, to 2 calls a second, and the first success
// then sets it from the rate that succeeded. After that:
//
//   - The pace is cut when more than 5 % of the calls answered since the
//     last cut were throttled, at most every 250 ms (calls in flight are
//     throttled together), to 90 % of the rate that recently succeeded (the
//     last 32 successes, within 10 s), or of the pace if that is lower.
//     While the service throttles, the rate it accepts is its limit, so one
//     cut lands just under the limit however far the pace had run ahead.
//   - A throttle now and then does not cut the pace: requests reach the
//     service with some jitter, and a service with a small burst allowance
//     throttles two that arrive close together even when the pace is well
//     under its limit. Cutting for each of those would drive the pace far
//     below the limit.
//   - Each success raises the pace: by about 5 % a second in the second
//     after a cut, by about 25 % a second after that (so a pace that is too
//     low, for example after a passing hiccup, recovers quickly). Once the
//     pace is over twice the rate that succeeds, it no longer binds, and
//     pacing ends.
//
// Under a steady limit the pace so settles just under it, and stays there:
// with 20 ms per request, a limit of 100 calls a second and a burst of 5,
// 1,000 writes run at 98.5 % of the limit (BENCHMARKS.md). It is safe for
// concurrent use.
type pacer struct {
	mu        sync.Mutex
	rate      float64     // calls per second; 0 means unpaced
	next      time.Time   // earliest start of the next call
	first     time.Time   // the first call
	lastCut   time.Time   // when the pace was last set or cut
	blind     bool        // paced at paceBlind: nothing had succeeded yet
	calls     int         // calls answered since lastCut
	throttles int         // of which throttled
	successes []time.Time // the last paceSamples within paceWindow (and one more), oldest first
	now       func() time.Time
}

func newPacer() *pacer { return &pacer{now: time.Now} }

// wait blocks until the caller may start a call, or ctx is done. A caller
// reserves the next slot, at most paceHorizon ahead (further ahead it sleeps
// paceHorizon and tries again), so that a faster pace set meanwhile applies
// to it within paceHorizon.
func (p *pacer) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := p.now()
		if p.first.IsZero() {
			p.first = now
		}
		if p.rate == 0 {
			p.mu.Unlock()
			return ctx.Err()
		}
		start := p.next
		if start.Before(now) {
			start = now
		}
		d := start.Sub(now)
		if d <= paceHorizon {
			p.next = start.Add(time.Duration(float64(time.Second) / p.rate))
		}
		p.mu.Unlock()
		switch {
		case d > paceHorizon:
			if err := sleep(ctx, paceHorizon); err != nil {
				return err
			}
		case d > 0:
			return sleep(ctx, d)
		default:
			return ctx.Err()
		}
	}
}

// success records a call the service accepted.
func (p *pacer) success() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.successes = append(p.trim(now), now)
	p.calls++
	switch {
	case p.rate == 0:
	case p.blind:
		// The first success: now there is a rate to go by.
		p.rate, p.next, p.blind = max(paceFirstShare*p.recentRate(now), paceMin), now, false
	case now.Sub(p.lastCut) < paceQuiet:
		p.rate += paceGain
	case p.rate > 2*p.recentRate(now):
		p.rate = 0 // it no longer binds
	default:
		p.rate += paceQuickGain
	}
}

// throttled records a call the service refused as too fast.
func (p *pacer) throttled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.calls++
	p.throttles++
	recent := p.recentRate(now)
	switch {
	case p.rate == 0 && recent == 0:
		p.rate, p.next, p.blind = paceBlind, now, true
	case p.rate == 0:
		p.rate, p.next = paceFirstShare*recent, now
	case now.Sub(p.lastCut) < paceCutEvery || float64(p.throttles) <= paceTolerance*float64(p.calls):
		return
	case recent > 0:
		p.rate = paceCut * min(p.rate, recent)
	default:
		p.rate *= paceCut
	}
	p.rate = max(p.rate, paceMin)
	p.lastCut, p.calls, p.throttles = now, 0, 0
}

// recentRate is the rate of the last paceSamples successes, or of all the
// successes in the last paceWindow if there are fewer (over the time since
// the first call if that is shorter: a run that began 100 ms ago has 100 ms
// of them).
func (p *pacer) recentRate(now time.Time) float64 {
	p.successes = p.trim(now)
	n := len(p.successes)
	if n == 0 {
		return 0
	}
	span := min(now.Sub(p.first), paceWindow)
	if n >= paceSamples {
		span = now.Sub(p.successes[0])
	}
	return float64(n) / max(span, paceSpanMin).Seconds()
}

// trim drops the successes older than paceWindow, and all but the last
// paceSamples.
func (p *pacer) trim(now time.Time) []time.Time {
	cutoff := now.Add(-paceWindow)
	i := max(0, len(p.successes)-paceSamples)
	for i < len(p.successes) && p.successes[i].Before(cutoff) {
		i++
	}
	return p.successes[i:]
}
