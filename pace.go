package bootstrap

import (
	"context"
	"sync"
	"time"
)

// Pacing constants: see pacer.
const (
	paceFirstShare = 0.9                    // first pace: this share of the rate that recently succeeded
	paceCut        = 0.85                   // each further throttle: pace × this
	paceGain       = 0.05                   // each success: pace + this many calls a second (≈ +5 % a second at any pace)
	paceMin        = 0.2                    // calls a second: the slowest pace
	paceBlind      = 2.0                    // calls a second: the first pace when nothing succeeded lately
	paceCutEvery   = 250 * time.Millisecond // at most one cut in this long: calls in flight are throttled together
	paceQuiet      = 2 * time.Second        // this long without a throttle ends pacing
	paceWindow     = time.Second            // successes counted for the first pace
)

// pacer spaces write calls so that they fit the rate the service accepts.
// It starts unpaced (WithConcurrency alone bounds the calls). A throttle
// sets the pace a little under the rate that succeeded in the last second
// (2 a second if none did);
// each further throttle slows it by 15 % (at most every 250 ms, since calls
// in flight are throttled together); each success speeds it up by about 5 %
// a second. Under a steady limit the pace so settles just under it; after
// two seconds without a throttle (a passing hiccup, not a limit), pacing
// ends. It is safe for concurrent use.
type pacer struct {
	mu        sync.Mutex
	rate      float64   // calls per second; 0 means unpaced
	next      time.Time // earliest start of the next call
	lastCut   time.Time
	successes []time.Time // within the last paceWindow, oldest first
	now       func() time.Time
}

func newPacer() *pacer { return &pacer{now: time.Now} }

// wait blocks until the caller may start a call, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	if p.rate == 0 {
		p.mu.Unlock()
		return ctx.Err()
	}
	now := p.now()
	start := p.next
	if start.Before(now) {
		start = now
	}
	p.next = start.Add(time.Duration(float64(time.Second) / p.rate))
	p.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err()
}

// success records a call the service accepted.
func (p *pacer) success() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.successes = append(p.trim(now), now)
	switch {
	case p.rate == 0:
	case now.Sub(p.lastCut) >= paceQuiet:
		p.rate = 0
	default:
		p.rate += paceGain
	}
}

// throttled records a call the service refused as too fast.
func (p *pacer) throttled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.rate > 0 && now.Sub(p.lastCut) < paceCutEvery {
		return
	}
	p.lastCut = now
	if p.rate > 0 {
		p.rate = max(p.rate*paceCut, paceMin)
		return
	}
	rate := p.recentRate(now) * paceFirstShare
	if rate == 0 {
		rate = paceBlind
	}
	p.rate, p.next = max(rate, paceMin), now
}

// recentRate is the rate of the successes in the last paceWindow, over the
// time they actually span (a run that began 100 ms ago has 100 ms of them).
func (p *pacer) recentRate(now time.Time) float64 {
	p.successes = p.trim(now)
	if len(p.successes) == 0 {
		return 0
	}
	span := max(now.Sub(p.successes[0]), paceWindow/10)
	return float64(len(p.successes)) / span.Seconds()
}

// trim drops the successes older than paceWindow.
func (p *pacer) trim(now time.Time) []time.Time {
	cutoff := now.Add(-paceWindow)
	i := 0
	for i < len(p.successes) && p.successes[i].Before(cutoff) {
		i++
	}
	return p.successes[i:]
}
