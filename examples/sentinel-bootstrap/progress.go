package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-tools/bootstrap"
)

// heartbeat is the longest a log goes without a line about a resource that
// is being waited for.
const heartbeat = 10 * time.Second

// tick is how often the progress looks at the clock: the live block is
// redrawn when its text changes, and heartbeats are due within a tick.
const tick = 250 * time.Millisecond

// progress shows, while Run applies, which resources are waited for, and
// for what.
//
// On a terminal (live) it keeps one status line per waiting resource,
// redrawn in place ("  sentinel-requests: creating [12s]"), each fitted to
// the terminal's width, and prints a permanent line when one is finished.
// In a log (a pipe, a file, CI) it prints no escape sequence: a line when
// each wait begins ("  sentinel-requests: creating..."), a heartbeat at
// least every 10 s while it lasts ("  sentinel-requests: still creating...
// [10s elapsed]"), and a final line per resource. Parameters only add up to
// a final count.
type progress struct {
	w     io.Writer
	live  bool
	width func() int // terminal columns, when live
	// verb is the final word of a finished resource: "ready", "deleted".
	verb string
	now  func() time.Time

	mu      sync.Mutex
	waits   map[string]*waiting
	order   []string // live: the resources in the status block, in order
	drawn   int      // live: lines of the status block on screen
	shown   string   // live: the block as last drawn
	counts  map[string]int
	stop    chan struct{}
	stopped chan struct{}
}

// waiting is one resource being waited for.
type waiting struct {
	detail string    // what for, as the library says it: "creating", "adding index gsi-user"
	began  time.Time // when work on the resource began
	last   time.Time // log: when its last line was printed
}

// newProgress starts showing progress on w: live when w is a terminal
// (width gives its current width), as a log otherwise. Call finish once
// Run has returned.
func newProgress(w io.Writer, live bool, width func() int, verb string) *progress {
	p := newProgressAt(w, live, width, verb, time.Now)
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go p.ticks()
	return p
}

// newProgressAt is a progress with the clock now and no ticker: tick is
// called by hand (tests).
func newProgressAt(w io.Writer, live bool, width func() int, verb string, now func() time.Time) *progress {
	return &progress{w: w, live: live, width: width, verb: verb, now: now,
		waits: map[string]*waiting{}, counts: map[string]int{}}
}

func (p *progress) ticks() {
	defer close(p.stopped)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.tick()
			p.mu.Unlock()
		}
	}
}

// tick redraws the live block or prints the heartbeats that are due.
func (p *progress) tick() {
	if p.live {
		p.redraw()
		return
	}
	now := p.now()
	for _, name := range p.order {
		w := p.waits[name]
		if now.Sub(w.last) >= heartbeat-tick {
			fmt.Fprintf(p.w, "  %s: still %s... [%s elapsed]\n", name, w.detail, durationText(now.Sub(w.began)))
			w.last = now
		}
	}
}

// event is the WithProgress callback.
func (p *progress) event(e bootstrap.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Kind == "parameter" {
		if e.Phase == bootstrap.PhaseDone {
			switch {
			case e.Status == bootstrap.StatusFailed:
				p.counts["failed"]++
			case e.Action == bootstrap.ActionCreate: // not one someone else created meanwhile
				p.counts["written"]++
			case e.Action == bootstrap.ActionDelete:
				p.counts["deleted"]++
			}
		}
		return
	}
	switch e.Phase {
	case bootstrap.PhaseWait:
		p.wait(e)
	case bootstrap.PhaseDone:
		p.done(e)
	}
}

func (p *progress) wait(e bootstrap.Event) {
	now := p.now()
	w := p.waits[e.Resource]
	if w == nil {
		w = &waiting{}
		p.waits[e.Resource] = w
		p.order = append(p.order, e.Resource)
	}
	w.began = now.Add(-e.Elapsed)
	if w.detail == e.Detail {
		return // a poll of the same wait
	}
	w.detail = e.Detail
	if p.live {
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "  %s: %s...\n", e.Resource, e.Detail)
	w.last = now
}

func (p *progress) done(e bootstrap.Event) {
	if p.waits[e.Resource] == nil {
		return // it never waited: the results say the rest
	}
	delete(p.waits, e.Resource)
	p.order = remove(p.order, e.Resource)
	word := p.verb
	if e.Status == bootstrap.StatusFailed {
		word = "failed"
	}
	tail := fmt.Sprintf(": %s after %s", word, durationText(e.Elapsed))
	if !p.live {
		fmt.Fprintf(p.w, "  %s%s\n", e.Resource, tail)
		return
	}
	p.redraw("  " + shortenMiddle(e.Resource, p.width()-1-2-len(tail)) + tail)
}

// redraw erases the live block, prints the permanent lines, and draws the
// block again, leaving the cursor at the end of its last line. Every line
// is narrower than the terminal, so none wraps and the erase is exact.
func (p *progress) redraw(permanent ...string) {
	width := max(p.width(), minWidth)
	now := p.now()
	lines := make([]string, 0, len(p.order))
	for _, name := range p.order {
		w := p.waits[name]
		lines = append(lines, fitLine(name, w.detail, durationText(now.Sub(w.began)), width))
	}
	block := strings.Join(lines, "\n")
	if len(permanent) == 0 && block == p.shown {
		return
	}
	var b strings.Builder
	if p.drawn > 0 {
		b.WriteString("\r")
		if p.drawn > 1 {
			fmt.Fprintf(&b, "\x1b[%dA", p.drawn-1)
		}
		b.WriteString("\x1b[J")
	}
	for _, l := range permanent {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(block)
	p.drawn, p.shown = len(lines), block
	io.WriteString(p.w, b.String())
}

// finish stops the clock, clears the live block and prints the count of
// parameters written (or deleted). Call it once, after Run returns.
func (p *progress) finish() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.drawn > 0 {
		p.order = nil
		p.redraw()
		p.drawn = 0
	}
	var parts []string
	for _, k := range []string{"written", "deleted", "failed"} {
		n := p.counts[k]
		switch {
		case n == 0:
		case len(parts) == 0:
			parts = append(parts, fmt.Sprintf("%d parameter%s %s", n, plural(n), k))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(p.w, "  %s\n", strings.Join(parts, ", "))
	}
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fitLine is a live status line, "  NAME: DETAIL [ELAPSED]", fitted into
// width-1 columns (the last column would make some terminals wrap): the
// detail is shortened first, then the name (in the middle, keeping its
// end, where suffixes differ), each with "…"; the elapsed time always shows.
func fitLine(name, detail, elapsed string, width int) string {
	budget := width - 1
	tail := " [" + elapsed + "]"
	over := 2 + runes(name) + 2 + runes(detail) + runes(tail) - budget
	if over > 0 {
		keep := max(runes(detail)-over, min(runes(detail), 10))
		over -= runes(detail) - keep
		detail = shortenEnd(detail, keep)
	}
	if over > 0 {
		keep := max(runes(name)-over, min(runes(name), 8))
		over -= runes(name) - keep
		name = shortenMiddle(name, keep)
	}
	line := "  " + name + ": " + detail + tail
	if over > 0 {
		line = shortenEnd(line, budget)
	}
	return line
}

func runes(s string) int { return len([]rune(s)) }

// shortenEnd cuts s to n runes, the last one "…".
func shortenEnd(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}

// shortenMiddle cuts s to n runes, replacing its middle with "…".
func shortenMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
