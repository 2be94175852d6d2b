package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// clock is a fake clock for progress tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func tableEvent(name string, phase bootstrap.Phase, detail string, elapsed time.Duration) bootstrap.Event {
	e := bootstrap.Event{Kind: "table", Resource: name, Phase: phase, Detail: detail, Elapsed: elapsed}
	if phase == bootstrap.PhaseDone {
		e.Status = bootstrap.StatusOK
	}
	return e
}

// paramEvents reports n parameters created, failed ones failing, and one
// found already created by someone else (not counted as written).
func paramEvents(n, failed int) []bootstrap.Event {
	var evs []bootstrap.Event
	for i := range n + failed + 1 {
		action, status := bootstrap.ActionCreate, bootstrap.StatusOK
		switch {
		case i == n+failed:
			action = bootstrap.ActionNone
		case i >= n:
			status = bootstrap.StatusFailed
		}
		evs = append(evs,
			bootstrap.Event{Kind: "parameter", Resource: "/p", Phase: bootstrap.PhaseStart},
			bootstrap.Event{Kind: "parameter", Resource: "/p", Phase: bootstrap.PhaseDone, Action: action, Status: status})
	}
	return evs
}

// playLog drives a log-mode progress through a 22 s creation of one table
// and a 3 s index wait of another, polled every 2 s, ticking every 250 ms.
func playLog(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	clk := &clock{t: time.Unix(1000, 0)}
	p := newProgressAt(&b, false, nil, "ready", clk.now)
	step := func(d time.Duration) {
		for range int(d / tick) {
			clk.advance(tick)
			p.tick()
		}
	}
	p.event(tableEvent("sentinel-requests", bootstrap.PhaseStart, "", 0))
	p.event(tableEvent("sentinel-requests", bootstrap.PhaseWait, "creating", 0))
	for s := 2; s <= 22; s += 2 {
		step(2 * time.Second)
		if s == 12 {
			p.event(tableEvent("sentinel-sessions", bootstrap.PhaseWait, "adding index gsi-user", 0))
		}
		if s == 14 {
			p.event(tableEvent("sentinel-sessions", bootstrap.PhaseDone, "", 3*time.Second))
		}
		if s < 22 {
			p.event(tableEvent("sentinel-requests", bootstrap.PhaseWait, "creating", time.Duration(s)*time.Second))
		}
	}
	p.event(tableEvent("sentinel-requests", bootstrap.PhaseDone, "", 22*time.Second))
	for _, e := range paramEvents(3, 1) {
		p.event(e)
	}
	p.finish()
	return b.String()
}

// TestProgressLog: in a log, a line when each wait begins, a heartbeat at
// least every 10 s per resource waited for, a final line per resource, no
// line per poll, and no escape sequence.
func TestProgressLog(t *testing.T) {
	got := playLog(t)
	want := "  sentinel-requests: creating...\n" +
		"  sentinel-requests: still creating... [10s elapsed]\n" +
		"  sentinel-sessions: adding index gsi-user...\n" +
		"  sentinel-sessions: ready after 3s\n" +
		"  sentinel-requests: still creating... [20s elapsed]\n" +
		"  sentinel-requests: ready after 22s\n" +
		"  3 parameters written, 1 failed\n"
	if got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if strings.ContainsAny(got, "\x1b\r") {
		t.Errorf("the log has escape sequences or carriage returns: %q", got)
	}
}

// TestProgressLogHeartbeatInterval: whatever the poll pattern, no gap
// between two lines about a waiting resource exceeds 10 s.
func TestProgressLogHeartbeatInterval(t *testing.T) {
	var b strings.Builder
	clk := &clock{t: time.Unix(0, 0)}
	p := newProgressAt(&b, false, nil, "ready", clk.now)
	p.event(tableEvent("t", bootstrap.PhaseWait, "creating", 0))
	last, worst := clk.now(), time.Duration(0)
	for range int(95 * time.Second / tick) {
		clk.advance(tick)
		n := b.Len()
		p.tick()
		if b.Len() != n {
			worst = max(worst, clk.now().Sub(last))
			last = clk.now()
		}
	}
	if worst > heartbeat || strings.Count(b.String(), "still creating") != 9 {
		t.Errorf("longest gap %s (want at most %s); log:\n%s", worst, heartbeat, b.String())
	}
}

func TestProgressLiveRedrawsWithoutDebris(t *testing.T) {
	var b strings.Builder
	clk := &clock{t: time.Unix(1000, 0)}
	width := 100
	p := newProgressAt(&b, true, func() int { return width }, "ready", clk.now)

	p.event(tableEvent("sentinel-requests", bootstrap.PhaseWait, "creating", 0))
	p.event(tableEvent("sentinel-sessions", bootstrap.PhaseWait, "creating", 0))
	for range 12 {
		clk.advance(time.Second)
		p.tick()
		p.event(tableEvent("sentinel-requests", bootstrap.PhaseWait, "creating", clk.now().Sub(time.Unix(1000, 0))))
	}
	want := []string{
		"  sentinel-requests: creating [12s]",
		"  sentinel-sessions: creating [12s]",
	}
	if got := play(b.String(), width).text(); !slices.Equal(got, want) {
		t.Errorf("screen while waiting:\n%q\nwant:\n%q", got, want)
	}

	p.event(tableEvent("sentinel-sessions", bootstrap.PhaseWait, "adding index gsi-user", 12*time.Second))
	p.event(tableEvent("sentinel-requests", bootstrap.PhaseDone, "", 13*time.Second))
	want = []string{
		"  sentinel-requests: ready after 13s",
		"  sentinel-sessions: adding index gsi-user [12s]",
	}
	if got := play(b.String(), width).text(); !slices.Equal(got, want) {
		t.Errorf("screen after one table is ready:\n%q\nwant:\n%q", got, want)
	}

	done := tableEvent("sentinel-sessions", bootstrap.PhaseDone, "", 15*time.Second)
	done.Status = bootstrap.StatusFailed
	p.event(done)
	for _, e := range paramEvents(2, 0) {
		p.event(e)
	}
	p.finish()
	want = []string{"  sentinel-requests: ready after 13s", "  sentinel-sessions: failed after 15s", "  2 parameters written"}
	if got := play(b.String(), width).text(); !slices.Equal(got, want) {
		t.Errorf("screen at the end:\n%q\nwant:\n%q", got, want)
	}
}

// TestProgressLiveFitsEveryWidth: at every width from 40 columns, every
// line drawn fits (so nothing wraps), the elapsed time always shows, and
// the screen ends without debris, also when the terminal narrows while a
// block is drawn.
func TestProgressLiveFitsEveryWidth(t *testing.T) {
	long := "sentinel-sessions-TestSomethingRatherLong-1f2e3d4c"
	detail := "waiting for index gsi-device-id to be deleted"
	for width := minWidth; width <= 140; width += 7 {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			var b strings.Builder
			clk := &clock{t: time.Unix(0, 0)}
			p := newProgressAt(&b, true, func() int { return width }, "ready", clk.now)
			p.event(tableEvent(long, bootstrap.PhaseWait, detail, 0))
			p.event(tableEvent("short", bootstrap.PhaseWait, "enabling point-in-time recovery", 0))
			clk.advance(754 * time.Second)
			p.tick()
			s := play(b.String(), width)
			if s.widest >= width {
				t.Errorf("a line of %d columns on a %d-column terminal:\n%s", s.widest, width, strings.Join(s.text(), "\n"))
			}
			for _, l := range s.text() {
				if !strings.HasSuffix(l, " [12m34s]") {
					t.Errorf("line without its elapsed time: %q", l)
				}
			}
			shortened := 2+len(long)+2+len(detail)+len(" [12m34s]") > width-1
			if got := s.text(); len(got) != 2 || strings.Contains(got[0], "…") != shortened {
				t.Errorf("screen %q: want two lines, the first shortened with … (%v)", got, shortened)
			}
			p.event(tableEvent(long, bootstrap.PhaseDone, "", 760*time.Second))
			p.event(tableEvent("short", bootstrap.PhaseDone, "", 760*time.Second))
			p.finish()
			s = play(b.String(), width)
			if got := s.text(); len(got) != 2 || !strings.HasSuffix(got[0], ": ready after 12m40s") || got[1] != "  short: ready after 12m40s" || s.widest >= width {
				t.Errorf("screen at the end: %q (widest %d)", got, s.widest)
			}
		})
	}
}

func TestFitLine(t *testing.T) {
	for _, tc := range []struct {
		name, detail string
		width        int
		want         string
	}{
		{"sentinel-requests", "creating", 80, "  sentinel-requests: creating [5s]"},
		{"sentinel-requests", "creating", 40, "  sentinel-requests: creating [5s]"},
		{"sentinel-requests", "enabling point-in-time recovery", 40, "  sentinel-requests: enabling poi… [5s]"},
		{"sentinel-sessions-TestMyService-1f2e3d4c", "adding index gsi-user", 40, "  sentinel-…e-1f2e3d4c: adding in… [5s]"},
		{"sentinel-sessions-TestMyService-1f2e3d4c", "adding index gsi-user", 60, "  sentinel-sessions-TestMyService-1f2e3d4c: adding in… [5s]"},
	} {
		got := fitLine(tc.name, tc.detail, "5s", tc.width)
		if got != tc.want || runes(got) >= tc.width {
			t.Errorf("fitLine(%q, %q, %d) = %q (%d columns), want %q", tc.name, tc.detail, tc.width, got, runes(got), tc.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		in       string
		n        int
		end, mid string
	}{
		{"abcdef", 10, "abcdef", "abcdef"},
		{"abcdef", 6, "abcdef", "abcdef"},
		{"abcdef", 5, "abcd…", "ab…ef"},
		{"abcdef", 4, "abc…", "a…ef"},
		{"abcdef", 1, "…", "…"},
	} {
		if got := shortenEnd(tc.in, tc.n); got != tc.end {
			t.Errorf("shortenEnd(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.end)
		}
		if got := shortenMiddle(tc.in, tc.n); got != tc.mid {
			t.Errorf("shortenMiddle(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.mid)
		}
	}
}

func TestProgressParameterCounts(t *testing.T) {
	for _, tc := range []struct {
		events []bootstrap.Event
		want   string
	}{
		{paramEvents(1, 0), "  1 parameter written\n"},
		{paramEvents(0, 2), "  2 parameters failed\n"},
		{nil, ""},
		{[]bootstrap.Event{{Kind: "parameter", Phase: bootstrap.PhaseDone, Action: bootstrap.ActionDelete, Status: bootstrap.StatusOK}}, "  1 parameter deleted\n"},
	} {
		var b strings.Builder
		p := newProgressAt(&b, false, nil, "ready", time.Now)
		for _, e := range tc.events {
			p.event(e)
		}
		p.finish()
		if b.String() != tc.want {
			t.Errorf("got %q, want %q", b.String(), tc.want)
		}
	}
}

// TestLogHeartbeats: piped, a table that stays CREATING for 22 s gets a
// line when its wait begins, at least two heartbeats, and a final line,
// with no escape sequence; so a CI watchdog sees life.
func TestLogHeartbeats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shim := awsshim.StartT(t, awsshim.Options{Upstream: e.endpoint, CreatingFor: 22 * time.Second})
	requests := e.table("requests")
	r := runBinary(t, nil, e.argsAt(shim.URL, "--with-approvals", "--approval-table", requests, "--yes")...)
	r.wantCode(t, 0)
	heartbeat := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(requests) + `: still .+\.\.\. \[(\d+)s elapsed\]$`)
	beats := heartbeat.FindAllStringSubmatch(r.stdout, -1)
	if len(beats) < 2 {
		t.Errorf("%d heartbeats during a 22 s wait, want at least 2:\n%s", len(beats), r.stdout)
	}
	for i, b := range beats {
		if want := fmt.Sprint(10 * (i + 1)); b[1] != want {
			t.Errorf("heartbeat %d says %ss elapsed, want %ss", i+1, b[1], want)
		}
	}
	wantContains(t, r.stdout, "  "+requests+": ready after 2") // 22 s or a little more
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\r") {
		t.Errorf("escape sequences or carriage returns in a log:\n%q", r.stdout)
	}
}
