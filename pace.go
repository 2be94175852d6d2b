package bootstrap

import (
	"context"
	"sync"
	"time"
)

// Pacing constants: see pacer.
const (
	paceFirstShare = 0.9         // first pace: this share of what succeeded in the last second
	paceCut        = 0.85        // each further throttle: pace × this
	paceGain       = 0.05        // each success: pace + this many calls per second (≈ +5 % a second at any pace)
	paceMin        = 0.2         // calls per second, the slowest pace
	paceCutEvery   = time.Second // at most one cut per this long: calls in flight are throttled together
	paceWindow     = time.Second // successes counted for the first pace
)

// pacer spaces write calls so that they fit the rate the service accepts. It
// starts unpaced (WithConcurrency alone bounds the calls). The first throttle
// sets the pace to a little under the rate that succeeded in the last
// second; each further throttle slows it by 15 % (once a second at most,
// since calls in flight are throttled together); each success speeds it up a
// little, so the pace settles just under the service's limit and follows it
// if the limit moves. It is safe for concurrent use.
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
	p.successes = append(p.successes, now)
	cutoff := now.Add(-paceWindow)
	i := 0
	for i < len(p.successes) && p.successes[i].Before(cutoff) {
		i++
	}
	p.successes = p.successes[i:]
	if p.rate > 0 {
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
	if p.rate == 0 {
		n := 0
		for _, t := range p.successes {
			if !t.Before(now.Add(-paceWindow)) {
				n++
			}
		}
		p.rate = max(float64(n)*paceFirstShare, paceMin)
		p.next = now.Add(time.Duration(float64(time.Second) / p.rate))
		return
	}
	p.rate = max(p.rate*paceCut, paceMin)
}
