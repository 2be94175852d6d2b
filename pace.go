package bootstrap

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"
)

// Pacing constants: see pacer.
const (
	paceTarget     = 0.05                   // a window with more throttled answers than this share (and paceCutEarly) is cut
	paceHold       = time.Second            // the pace is held this long after a cut,
	paceHoldMin    = 250 * time.Millisecond // or this long when a good and a bad pace are far apart,
	paceHoldMax    = 8 * time.Second        // or twice as long as last time (up to this) when they are close
	paceNarrow     = 0.02                   // close: the bad pace within this share above the good one
	paceQuiet      = time.Second            // quiet: this long (and paceCutCalls successes) since the last cut and throttle
	paceCutEvery   = 250 * time.Millisecond // a window of answers lasts at least this long,
	paceCutCalls   = 20                     // and holds this many answers,
	paceCutEarly   = 3                      // or this many throttles (fewer never cut)
	paceMin        = 0.2                    // calls a second: the slowest pace
	paceFirstCalls = 2                      // the first pace, when nothing has succeeded: this many calls per time since the first
	paceSamples    = 32                     // the rate that recently succeeded: that of the last this many successes,
	paceWindow     = 10 * time.Second       // within this long
	paceSpanMin    = 10 * time.Millisecond  // shortest time successes are counted over
	paceHorizon    = 100 * time.Millisecond // how far ahead a call reserves its slot
	paceSettleMax  = 500 * time.Millisecond // longest settling time after a change of pace
)

// pacer spaces write calls so that they fit the rate the service accepts,
// whatever its burst allowance (which AWS does not publish): it needs no
// burst to absorb the jitter of the calls, and it does not count on one.
//
// It starts unpaced (WithConcurrency alone bounds the calls). The first
// throttle sets the pace to the rate that has succeeded so far (when nothing
// has succeeded yet, to two calls per time since the first call). From then
// on the answers are judged in windows of at least 250 ms and 20 answers
// (or as soon as 3 are throttled); answers to calls made before a change of
// pace (within two round trips and the reservation horizon of it) are not
// counted, as they say nothing of the new pace.
//
//   - A window with fewer than 3 throttled answers, or at most 5 % of them,
//     makes the pace it began with the good pace; one with none at all, the
//     pace it had 100 ms (the reservation horizon) before its end, if that
//     is higher: the pace grows during a window, and the calls answered
//     last were reserved at about that pace. (A few throttles happen below
//     any limit: a call held up on the way arrives just after the next
//     one.)
//   - A window with more cuts the pace. If it went above the good pace, the
//     pace goes back to the good pace (or to the share of it that
//     succeeded, divided by 0.95, if that is higher: under a token bucket
//     the service accepts its limit, and the pace lands just above it), and
//     the pace its throttled calls were spaced at is the bad pace (that of
//     a round trip and the reservation horizon before the cut, when it is
//     above the good pace; else the pace it reached): the limit lies
//     between the two.
//     With strict spacing (a bucket of size 1), a pace just above the limit
//     has every other call throttled, so the share that succeeded says
//     nothing of how close the limit is; but the gap between a good and a
//     bad pace does. Otherwise (no good pace, or a window at it was cut) the
//     pace is cut to the share that succeeded, divided by 0.95, but by no
//     more than 5 % below the good pace when over half succeeded; the new
//     pace is taken as good and the old one as bad until a window says
//     otherwise (unless most calls at the good pace were throttled: then
//     neither is known).
//   - A cut applies at once: the slots reserved after it are given up, and
//     their calls reserved again at the new pace (see wait).
//   - The pace grows while it is not cut, up to the middle of the good and
//     the bad pace when both are known (a bad pace is forgotten after 8 s):
//     ×8 a second until the first cut (the first pace is only an estimate,
//     and a cut costs only the calls of a round trip or so);
//     after a cut, held, then ×1.1 a second (probing just above what the
//     service accepted), or ×2 a second while the bad pace is more than 2 %
//     above the good one. The hold is a second, a quarter of a second while
//     the two are far apart (halving the gap finds a strict limit in a few
//     windows), and twice as long as the last one (up to 8 s) when they are
//     close: each probe just above the limit costs throttles (a window
//     that raises the good pace brings a longer hold back to a second, and
//     leaves a shorter one as it is). ×2 a second too once a second has
//     passed without a cut or a throttle and 20 calls have succeeded since,
//     so a pace that is too low, after a passing hiccup, recovers quickly. Except in those last cases, it grows by no
//     more than ×8 (before the first cut) or ×1.025 (after) in the time a
//     window of answers takes, so that at a slow pace (3 a second) it does
//     not outgrow the judgement.
//   - When it is quiet in that sense and the pace is over twice the rate
//     that succeeds, it no longer binds, and pacing ends.
//
// A call waits for its slot to within microseconds (sleepPrecisely): Go's
// timers alone wake up to a millisecond late, a tenth of the spacing at
// 100 calls a second, and under strict spacing every call that arrives
// early is a slot lost. For the same reason a call starts no sooner than a
// spacing after the last one started (start): a call held up on its way to
// its slot (its goroutine not run for a millisecond on a busy machine)
// delays the ones after it instead of having the next one arrive early.
// Throttled calls are made again at the pace.
//
// In a simulation of 8 workers at 20 ms per request (pace_internal_test.go)
// it reaches about 100 % of a 100 calls/s token bucket of burst 10 (99 % of
// one of burst 5), and about 96 % of strict spacing at 100 calls/s when
// calls reach the service exactly when meant, 93 % with 0.15 ms of jitter
// (also 93 % when 3 % of them are held up by up to 3 ms more, where the
// best fixed pace reaches 95 %), 91 % when timers wake up to 1 ms late.
// Against the AWS-timing shim (BENCHMARKS.md), 1,000 writes reached
// 96–100 % of the quota with a token bucket of 10 and 90–92.5 % with strict
// spacing on a two-core machine (mean 91 %; 85–93 % when it was busy);
// 60 writes at 3 a second with a bucket, 92–99 %; never a failure. It is
// safe for concurrent use.
type pacer struct {
	mu           sync.Mutex
	rate         float64   // calls per second; 0 means unpaced
	next         time.Time // earliest start of the next call
	first        time.Time // the first call
	rtt          time.Duration
	lastCut      time.Time     // when the pace was last set or cut
	cut          bool          // the pace has been cut since it was set
	hold         time.Duration // how long the pace is held after this cut
	grown        time.Time     // when the pace last grew
	clean        int           // successes since the last throttle
	lastThrottle time.Time
	from         time.Time // the window of answers judged next began (see judge)
	began        float64   // the pace when it began
	calls        int       // answers since from
	throttle     int       // of which throttled
	good         float64   // the pace of the last window with few enough throttles; 0 if none
	bad          float64   // the lowest pace above good at which a window had too many; 0 if none
	badAt        time.Time // when bad was last set
	// successes are the last paceSamples within paceWindow (and one more), oldest first.
	successes []time.Time
	// slots are the starts of the slots reserved since the last one before
	// now, oldest first; a cut gives up those after it, and starts a new
	// epoch.
	slots   []time.Time
	epoch   uint64
	started time.Time  // when the last call started (see start)
	past    []pastRate // the paces of the last second (and the one before), oldest first
	now     func() time.Time
}

// pastRate is the pace from a moment on.
type pastRate struct {
	at   time.Time
	rate float64
}

// record notes the pace at now.
func (p *pacer) record(now time.Time) {
	p.past = append(sinceLast(p.past, func(e pastRate) bool { return now.Sub(e.at) > time.Second }), pastRate{now, p.rate})
}

// sinceLast drops the oldest entries of s (oldest first) for which past
// holds, all but the last of them.
func sinceLast[T any](s []T, past func(T) bool) []T {
	i := 0
	for i < len(s)-1 && past(s[i+1]) {
		i++
	}
	return s[i:]
}

// spacing is the time between two slots at rate calls a second.
func spacing(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }

// rateAt is the pace at t (the oldest one known if t is before it).
func (p *pacer) rateAt(t time.Time) float64 {
	if len(p.past) == 0 {
		return 0
	}
	r := p.past[0].rate
	for _, e := range p.past[1:] {
		if e.at.After(t) {
			break
		}
		r = e.rate
	}
	return r
}

func newPacer() *pacer { return &pacer{now: time.Now} }

// wait blocks until the caller may start a call, or ctx is done. A caller
// reserves the next slot, at most paceHorizon ahead (further ahead it sleeps
// paceHorizon and tries again), so that a faster pace set meanwhile applies
// to it within paceHorizon. A slower one applies at once: a cut gives up the
// slots reserved before it, and their callers reserve again at the new pace
// when they wake (else up to paceHorizon of calls would still go out at the
// pace just found too fast). When its slot comes, a call starts once a
// spacing has passed since the last one started (see start).
func (p *pacer) wait(ctx context.Context) error {
	for {
		d, epoch, ok := p.reserve()
		if !ok {
			if err := sleep(ctx, paceHorizon); err != nil {
				return err
			}
			continue
		}
		for {
			if err := sleepPrecisely(ctx, d); err != nil {
				return err
			}
			var held bool
			if d, held = p.start(epoch); !held {
				break // the slot was given up: reserve again
			}
			if d <= 0 {
				return nil
			}
		}
	}
}

// start records that a call reserved in epoch starts now, and returns 0
// and true; unless its slot was given up (false), or a spacing has not
// passed yet since the last call started: then it returns how long until
// it has. A call held up on its way to its slot (its timer late, its
// goroutine not run) would otherwise start just before the next one, and
// under strict spacing the next one would be throttled: a slot lost. So a
// call held up delays the ones after it, by as little as it was held up.
func (p *pacer) start(epoch uint64) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.epoch != epoch {
		return 0, false
	}
	now := p.now()
	if p.rate != 0 {
		if d := p.started.Add(spacing(p.rate)).Sub(now); d > 0 {
			return d, true
		}
	}
	p.started = now
	return 0, true
}

// paceSpin is how long before its slot a call stops sleeping and yields
// instead until the slot: Go's timers on Linux wake up to a millisecond
// late (the poller waits whole milliseconds), and two calls meant to be
// 10 ms apart would reach a strict quota anywhere from 9 to 11 ms apart.
const paceSpin = 1200 * time.Microsecond

// sleepPrecisely waits d, to within a few microseconds, or until ctx is
// done: it sleeps until paceSpin before the end, then yields the processor
// (runtime.Gosched) until the end. The yielding costs at most paceSpin of
// a processor's time per call, shared with every other goroutine.
func sleepPrecisely(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	if d > paceSpin {
		if err := sleep(ctx, d-paceSpin); err != nil {
			return err
		}
	}
	for time.Now().Before(end) {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return ctx.Err()
}

// reserve returns how long the caller must wait for its slot and the
// epoch it was reserved in (see start), or false if its slot is further
// away than paceHorizon (it then reserves nothing).
func (p *pacer) reserve() (time.Duration, uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.first.IsZero() {
		p.first = now
	}
	if p.rate == 0 {
		return 0, p.epoch, true
	}
	start := p.next
	if start.Before(now) {
		start = now
	}
	d := start.Sub(now)
	if d > paceHorizon {
		return d, p.epoch, false
	}
	p.next = start.Add(spacing(p.rate))
	p.slots = append(sinceLast(p.slots, func(s time.Time) bool { return !s.After(now) }), start)
	return d, p.epoch, true
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
	if p.bad > 0 && now.Sub(p.badAt) > paceHoldMax {
		p.bad = 0 // long ago: the limit may have grown
	}
	g := paceSlow
	switch {
	case p.cut && now.Sub(p.lastCut) < p.hold:
		g = growth{1, 1} // hold the pace a while after a cut
	case !p.cut:
		g = paceFast
	case quiet, p.bad > p.good*(1+paceNarrow) && p.good > 0:
		g = paceQuick // far from any limit seen lately, or up to the middle of a wide gap (see ceiling)
	}
	// Grow by g.perSecond, but by no more than g.perWindow in the time a
	// window of answers takes at this pace: at a slow pace, a window takes
	// longer than a second, and the pace must not outgrow the judgement.
	window := max(paceCutEvery.Seconds(), paceCutCalls/p.rate)
	perSecond := min(math.Log(g.perSecond), math.Log(g.perWindow)/window)
	p.rate = min(p.rate*math.Exp(perSecond*now.Sub(p.grown).Seconds()), max(p.ceiling(), p.rate))
	p.grown = now
	p.record(now)
}

// ceiling is the highest pace worth trying next: the middle of the good
// and the bad pace when both are known, +Inf otherwise.
func (p *pacer) ceiling() float64 {
	if p.good == 0 || p.bad == 0 {
		return math.Inf(1)
	}
	return (p.good + p.bad) / 2
}

// growth is how fast the pace grows while it is not cut.
type growth struct{ perSecond, perWindow float64 }

var (
	paceFast  = growth{8, 8}           // until the first cut (the first pace is only an estimate)
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
		// The first throttle: pace at the rate that has succeeded so far,
		// or, if nothing has yet, at two calls per time since the first
		// call (about a round trip): one call a round trip is what a single
		// caller makes unpaced, and the calls in flight were more.
		rate := p.recentRate(now)
		if rate == 0 {
			rate = paceFirstCalls / max(now.Sub(p.first), paceSpanMin).Seconds()
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
	if p.throttle < paceCutEarly || float64(p.throttle) <= paceTarget*float64(p.calls) {
		good := p.began
		if p.throttle == 0 {
			// The pace grew during the window: with no throttle at all, the
			// pace of paceHorizon ago, at which the calls answered last were
			// reserved, was good too.
			good = max(good, p.rateAt(now.Add(-paceHorizon)))
		}
		if good > p.good {
			// The limit is above the last good pace: probe as often as at
			// first (a hold doubled by close probes is a second again; a
			// short one, while far apart, stays short).
			p.hold = min(p.hold, paceHold)
		}
		p.good = good
		if p.bad <= p.good {
			p.bad = 0 // the limit has grown past it
		}
		p.from, p.began = now, p.rate
		p.calls, p.throttle = 0, 0
		return
	}
	// Of the calls made at this pace, the service accepted this share (at
	// least one call): pace just above that share of it, …
	accepted := float64(max(p.calls-p.throttle, 1)) / float64(p.calls)
	rate := p.rate * accepted / (1 - paceTarget)
	if p.good > 0 && p.rate > p.good {
		// … or, if the window went above the last good pace, at that pace:
		// the limit lies between the two (see ceiling). When they are close,
		// the pace is held twice as long as last time: each probe costs
		// throttles; when they are far apart, their middle is tried soon.
		rate = max(rate, p.good)
		if bad := p.sentAt(now); p.bad == 0 || bad < p.bad {
			p.bad, p.badAt = bad, now
		}
		if p.bad < p.good*(1+paceNarrow) {
			p.hold = min(2*max(p.hold, paceHold/2), paceHoldMax)
		} else {
			p.hold = paceHoldMin // far apart: try the middle soon
		}
	} else {
		// The last good pace is not good any more, or there was none: its
		// window may have been unlucky (a few calls held up on the way), or
		// the limit has dropped. Unless most calls were throttled, cut by
		// no more than paceTarget below it, and take the cut pace as good
		// and the old one as bad until a window says otherwise.
		if p.good > 0 && accepted >= 0.5 {
			rate = max(rate, p.good*(1-paceTarget))
			p.good, p.bad, p.badAt = rate, p.good, now // until a window says otherwise
		} else if p.good == 0 {
			// No window has been good yet (the first estimate grew too
			// fast): the limit lies between the cut pace and this one.
			p.good, p.bad, p.badAt = rate, p.rate, now
		} else {
			p.good, p.bad = 0, 0
		}
		p.hold = paceHold
		if p.bad > p.good*(1+paceNarrow) {
			p.hold = paceHoldMin // far apart: try the middle soon
		}
	}
	p.set(now, rate, true)
}

// sentAt is the pace at which the calls answered at now were spaced, as
// far as it can be told: the pace grows between a call's reservation (up to
// paceHorizon before it starts) and its answer (a round trip after), so the
// calls whose throttles cut the pace were spaced at the pace of a round trip
// and paceHorizon ago, not at the pace they are answered at. It is the pace
// at now when that one is not above the good pace (the window was cut while
// still at about the good pace), so that a bad pace stays above the good.
func (p *pacer) sentAt(now time.Time) float64 {
	if at := p.rateAt(now.Add(-p.rtt - paceHorizon)); at > p.good*(1+paceNarrow/4) {
		return min(at, p.rate)
	}
	return p.rate
}

// set changes the pace and starts a window of answers once the calls made
// before the change have been answered.
func (p *pacer) set(now time.Time, rate float64, cut bool) {
	rate = max(rate, paceMin)
	if rate < p.rate {
		// Give up the slots after now: their calls are reserved again at
		// the new pace, after the last slot taken.
		next := now
		for _, s := range p.slots {
			if !s.After(now) {
				next = s.Add(spacing(rate))
			}
		}
		p.next = next
		p.slots = nil
		p.epoch++
	}
	p.rate = rate
	p.lastCut, p.grown, p.cut = now, now, cut
	p.from, p.began = now.Add(min(2*p.rtt+paceHorizon, paceSettleMax)), p.rate
	p.calls, p.throttle = 0, 0
	p.record(now)
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
