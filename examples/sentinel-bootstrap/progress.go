package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-tools/bootstrap"
)

// progress shows, while Run applies, which tables are waiting for what.
//
// On a terminal it keeps one status line per waiting table, redrawn in place
// every second ("waiting for sentinel-requests: table ACTIVE; the table is
// still CREATING (12s)"). Otherwise (a pipe, a file, a CI log) it prints one
// line when a table starts waiting for something new and one when the table
// is finished, never one per poll. Parameters only add up to a final count.
type progress struct {
	w     io.Writer
	tty   bool
	width int // terminal columns; longer status lines are cut

	mu      sync.Mutex
	tables  map[string]*tableWait
	waiting []string // tables in the status block, in order
	drawn   int      // lines of the status block on screen
	written int      // parameters written
	failed  int      // parameters that failed
	stop    chan struct{}
	stopped chan struct{}
	now     func() time.Time
}

// tableWait is what one table is waiting for.
type tableWait struct {
	what    string        // e.g. "table ACTIVE"
	detail  string        // what, and what is still pending
	elapsed time.Duration // since work on the table began, as of at
	at      time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, tty: isTerminal(w), width: columns(), tables: map[string]*tableWait{}, now: time.Now}
	if p.tty {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

// isTerminal reports whether stdin, stdout or stderr (an *os.File) is a
// terminal, that is a character device.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// columns is the terminal width from $COLUMNS, or 80.
func columns() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 10 {
		return n
	}
	return 80
}

// tick redraws the status block every second so that the elapsed times move.
func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if len(p.waiting) > 0 {
				p.redraw()
			}
			p.mu.Unlock()
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
				p.failed++
			case e.Action == bootstrap.ActionCreate: // not one someone else created meanwhile
				p.written++
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
	what, _, _ := strings.Cut(e.Detail, "; ")
	tw := p.tables[e.Resource]
	if tw == nil {
		tw = &tableWait{}
		p.tables[e.Resource] = tw
	}
	isNew := tw.what != what
	tw.what, tw.detail, tw.elapsed, tw.at = what, e.Detail, e.Elapsed, p.now()
	if !p.tty {
		if isNew {
			fmt.Fprintf(p.w, "  waiting for %s: %s\n", e.Resource, what)
		}
		return
	}
	if !slices.Contains(p.waiting, e.Resource) {
		p.waiting = append(p.waiting, e.Resource)
	}
	p.redraw()
}

func (p *progress) done(e bootstrap.Event) {
	if p.tables[e.Resource] == nil {
		return // it never waited: the results say the rest
	}
	delete(p.tables, e.Resource)
	word := "ready"
	if e.Status == bootstrap.StatusFailed {
		word = "failed"
	}
	msg := fmt.Sprintf("  %s: %s after %s", e.Resource, word, durationText(e.Elapsed))
	if !p.tty {
		fmt.Fprintln(p.w, msg)
		return
	}
	p.waiting = slices.DeleteFunc(p.waiting, func(n string) bool { return n == e.Resource })
	p.redraw(msg)
}

// redraw erases the status block, prints the permanent lines, and draws the
// block again, leaving the cursor at the end of its last line.
func (p *progress) redraw(permanent ...string) {
	var b strings.Builder
	if p.drawn > 0 {
		b.WriteString("\r\x1b[K")
		for range p.drawn - 1 {
			b.WriteString("\x1b[1A\x1b[K")
		}
	}
	for _, l := range permanent {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	now := p.now()
	for i, name := range p.waiting {
		tw := p.tables[name]
		if i > 0 {
			b.WriteByte('\n')
		}
		line := fmt.Sprintf("  waiting for %s: %s (%s)", name, tw.detail, durationText(tw.elapsed+now.Sub(tw.at)))
		b.WriteString(cut(line, p.width-1))
	}
	p.drawn = len(p.waiting)
	io.WriteString(p.w, b.String())
}

// finish stops the redraws, clears the status block and prints the count of
// parameters written. Call it once, after Run returns.
func (p *progress) finish() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn > 0 {
		p.waiting = nil
		p.redraw()
	}
	if p.written+p.failed > 0 {
		msg := fmt.Sprintf("  %d parameter%s written", p.written, plural(p.written))
		if p.failed > 0 {
			msg += fmt.Sprintf(", %d failed", p.failed)
		}
		fmt.Fprintln(p.w, msg)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// cut shortens s to at most n runes, so that a status line never wraps.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
