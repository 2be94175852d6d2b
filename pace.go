package bootstrap

import (
	"context"
	"math"
	"sync"
	"time"
)

// Pacing constants: see pacer.
const (
	paceTarget    = 0.05                   // the share of throttled answers the pace aims at
	paceHold      = time.Second            // the pace is held this long after a cut
	paceQuiet     = time.Second            // quiet: this long (and paceCutCalls successes) since the last cut and throttle
	paceCutEvery  = 250 * time.Millisecond // a window of answers lasts at least this long,
	paceCutCalls  = 20                     // and holds this many answers,
	paceCutEarly  = 3                      // or this many throttles
	paceMin       = 0.2                    // calls a second: the slowest pace
	paceSamples   = 32                     // the rate that recently succeeded: that of the last this many successes,
	paceWindow    = 10 * time.Second       // within this long
	paceSpanMin   = 10 * time.Millisecond  // shortest time successes are counted over
	paceHorizon   = 100 * time.Millisecond // how far ahead a call reserves its slot
	paceSettleMax = 500 * time.Millisecond // longest settling time after a change of pace
)

// pacer spaces write calls so that they fit the rate the service accepts,
// whatever its burst allowance (which AWS does not publish): it needs no
// burst to absorb the jitter of the calls, and it does not count on one.
//
// It starts unpaced (WithConcurrency alone bounds the calls). The first
// throttle sets the pace to the rate that has succeeded so far (when nothing
// has succeeded yet, to one call per time since the first call). From then
// on the answers are judged in windows of at least 250 ms and 20 answers
// (or as soon as 3 are throttled); answers to calls made before a change of
// pace (within two round trips and the reservation horizon of it) are not
// counted, as they say nothing of the new pace.
//
//   - A window with at most 5 % of its answers throttled makes the pace it
//     began with the good pace.
//   - A window with more cuts the pace to the share of it that succeeded,
//     divided by 0.95: under a token bucket the service accepts its limit
//     and the pace lands just above it, where the bucket throttles about
//     5 % of the calls. If the window began above the good pace, the pace
//     goes back no lower than the good pace: with strict spacing (a bucket
//     of size 1) a pace just above the limit has every other call
//     throttled, which says nothing of how close the limit is.
//   - The pace grows while it is not cut: ×2 a second until the first cut
//     (the first pace is only an estimate); after a cut, held for a second,
//     then ×1.1 a second (probing just above what the service accepted);
//     ×2 a second once a second has passed without a cut or a throttle and
//     20 calls have succeeded since, so a pace that is too low, after a
//     passing hiccup, recovers quickly. Except in that last case, it grows
//     by no more than ×2 (before the first cut) or ×1.025 (after) in the
//     time a window of answers takes, so that at a slow pace (3 a second)
//     it does not outgrow the judgement.
//   - When it is quiet in that sense and the pace is over twice the rate
//     that succeeds, it no longer binds, and pacing ends.
//
// Throttled calls are made again at the pace. In a simulation of 8 workers
// at 20 ms per request (pace_internal_test.go) it reaches about 100 % of a
// 100 calls/s token bucket of burst 10 (97 % of one of burst 5) and 84 % of
// strict spacing at 100 calls/s when calls reach the service with up to
// 1.3 ms of jitter (89 % with none), where every throttle is a slot lost.
// Against the AWS-timing shim on a loaded two-core machine (BENCHMARKS.md),
// 1,000 writes reached 99.6 % of the quota with a token bucket of 10 and 74 %
// with strict spacing, where the best fixed pace reached 72–78 %; 60 writes
// at 3 a second, 92–100 %; never a failure. It is safe for concurrent use.
type pacer struct {
	mu           sync.Mutex
	rate         float64   // calls per second; 0 means unpaced
	next         time.Time // earliest start of the next call
	first        time.Time // the first call
	rtt          time.Duration
	lastCut      time.Time // when the pace was last set or cut
	cut          bool      // the pace has been cut since it was set
	grown        time.Time // when the pace last grew
	clean        int       // successes since the last throttle
	lastThrottle time.Time
	from         time.Time // the window of answers judged next began (see judge)
	began        float64   // the pace when it began
	calls        int       // answers since from
	throttle     int       // of which throttled
	good         float64   // the pace of the last window with few enough throttles; 0 if none
	// successes are the last paceSamples within paceWindow (and one more), oldest first.
	successes []time.Time
	now       func() time.Time
}

func newPacer() *pacer { return &pacer{now: time.Now} }

// wait blocks until the caller may start a call, or ctx is done. A caller
// reserves the next slot, at most paceHorizon ahead (further ahead it sleeps
// paceHorizon and tries again), so that a faster pace set meanwhile applies
// to it within paceHorizon.
func (p *pacer) wait(ctx context.Context) error {
	for {
		d, ok := p.reserve()
		switch {
		case !ok:
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

// reserve returns how long the caller must wait for its slot, or false if
// its slot is further away than paceHorizon (it then reserves nothing).
func (p *pacer) reserve() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.first.IsZero() {
		p.first = now
	}
	if p.rate == 0 {
		return 0, true
	}
	start := p.next
	if start.Before(now) {
		start = now
	}
	d := start.Sub(now)
	if d > paceHorizon {
		return d, false
	}
	p.next = start.Add(time.Duration(float64(time.Second) / p.rate))
	return d, true
}

// success records a call the service accepted.
func (p *pacer) success() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.answered(now)
	p.successes = append(p.trim(now), now)
	if p.rate == 0 {
		return
	}
	if p.counts(now) {
		p.calls++
		p.judge(now)
	}
	p.clean++
	quiet := p.clean >= paceCutCalls && now.Sub(p.lastCut) >= paceQuiet && now.Sub(p.lastThrottle) >= paceQuiet
	if quiet && p.rate > 2*p.recentRate(now) {
		p.rate = 0 // it no longer binds
		return
	}
	g := paceSlow
	switch {
	case p.cut && now.Sub(p.lastCut) < paceHold:
		g = growth{1, 1} // hold the pace a while after a cut
	case !p.cut:
		g = paceFast
	case quiet:
		g = paceQuick
	}
	// Grow by g.perSecond, but by no more than g.perWindow in the time a
	// window of answers takes at this pace: at a slow pace, a window takes
	// longer than a second, and the pace must not outgrow the judgement.
	window := max(paceCutEvery.Seconds(), paceCutCalls/p.rate)
	perSecond := min(math.Log(g.perSecond), math.Log(g.perWindow)/window)
	p.rate *= math.Exp(perSecond * now.Sub(p.grown).Seconds())
	p.grown = now
}

// growth is how fast the pace grows while it is not cut.
type growth struct{ perSecond, perWindow float64 }

var (
	paceFast  = growth{2, 2}           // until the first cut (the first pace is only an estimate)
	paceSlow  = growth{1.1, 1.025}     // after a cut: probing just above what the service accepted
	paceQuick = growth{2, math.Inf(1)} // once quiet: far from any limit seen lately
)

// throttled records a call the service refused as too fast.
func (p *pacer) throttled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.answered(now)
	if p.rate == 0 {
		// The first throttle: pace at the rate that has succeeded so far.
		rate := p.recentRate(now)
		if rate == 0 {
			rate = 1 / max(now.Sub(p.first), paceSpanMin).Seconds()
		}
		p.set(now, rate, false)
		return
	}
	p.clean, p.lastThrottle = 0, now
	if p.counts(now) {
		p.calls++
		p.throttle++
		p.judge(now)
	}
}

// judge ends the current window of answers once it is long enough: the
// pace it began with is good if at most paceTarget of them were throttled,
// and the pace is cut if more were.
func (p *pacer) judge(now time.Time) {
	if p.throttle < paceCutEarly && (now.Sub(p.from) < paceCutEvery || p.calls < paceCutCalls) {
		return
	}
	if float64(p.throttle) <= paceTarget*float64(p.calls) {
		p.good = p.began
		p.from, p.began = now, p.rate
		p.calls, p.throttle = 0, 0
		return
	}
	// Of the calls made at this pace, the service accepted this share (at
	// least one call): pace just above that share of it, …
	accepted := float64(max(p.calls-p.throttle, 1)) / float64(p.calls)
	rate := p.rate * accepted / (1 - paceTarget)
	if p.good > 0 && p.began > p.good {
		// … or, if the window began above the last good pace, at that pace.
		rate = max(rate, p.good)
	} else {
		p.good = 0 // the last good pace is not good any more
	}
	p.set(now, rate, true)
}

// set changes the pace and starts a window of answers once the calls made
// before the change have been answered.
func (p *pacer) set(now time.Time, rate float64, cut bool) {
	p.rate = max(rate, paceMin)
	p.lastCut, p.grown, p.cut = now, now, cut
	p.from, p.began = now.Add(min(2*p.rtt+paceHorizon, paceSettleMax)), p.rate
	p.calls, p.throttle = 0, 0
}

// answered notes an answer: the first one measures a round trip.
func (p *pacer) answered(now time.Time) {
	if p.rtt == 0 && !p.first.IsZero() {
		p.rtt = max(now.Sub(p.first), time.Millisecond)
	}
}

// counts reports whether an answer at now counts towards the next cut.
func (p *pacer) counts(now time.Time) bool { return p.rate != 0 && !now.Before(p.from) }

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
