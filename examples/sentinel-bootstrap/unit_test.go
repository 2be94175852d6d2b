package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// waitEvents is what Run reports for a table that is created, stays
// CREATING for a while, and then gets an index: many polls, two waits.
func waitEvents(table string) []bootstrap.Event {
	ev := func(phase bootstrap.Phase, detail string, sec int) bootstrap.Event {
		return bootstrap.Event{Kind: "table", Resource: table, Phase: phase, Detail: detail, Elapsed: time.Duration(sec) * time.Second}
	}
	evs := []bootstrap.Event{ev(bootstrap.PhaseStart, "", 0), ev(bootstrap.PhaseWait, "table ACTIVE", 0)}
	for s := 1; s <= 12; s++ {
		evs = append(evs, ev(bootstrap.PhaseWait, "table ACTIVE; the table is still CREATING", s))
	}
	evs = append(evs, ev(bootstrap.PhaseWait, "index gsi-user ACTIVE", 13), ev(bootstrap.PhaseWait, "index gsi-user ACTIVE; index gsi-user is still CREATING", 14))
	done := ev(bootstrap.PhaseDone, "", 15)
	done.Status = bootstrap.StatusOK
	return append(evs, done)
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

func TestProgressNotTerminal(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b)
	if p.tty {
		t.Fatal("a strings.Builder is not a terminal")
	}
	for _, e := range append(waitEvents("sentinel-sessions"), paramEvents(3, 1)...) {
		p.event(e)
	}
	p.finish()
	want := "  waiting for sentinel-sessions: table ACTIVE\n" +
		"  waiting for sentinel-sessions: index gsi-user ACTIVE\n" +
		"  sentinel-sessions: ready after 15s\n" +
		"  3 parameters written, 1 failed\n"
	if b.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", b.String(), want)
	}
}

// screen plays terminal output: text, \n, \r, ESC[K (erase to the end of
// the line) and ESC[1A (cursor up), and returns the lines left on screen.
func screen(out string) []string {
	lines := []string{""}
	row, col := 0, 0
	for len(out) > 0 {
		switch {
		case strings.HasPrefix(out, "\x1b[K"):
			lines[row] = string([]rune(lines[row])[:col])
			out = out[3:]
			continue
		case strings.HasPrefix(out, "\x1b[1A"):
			row--
			out = out[4:]
			continue
		}
		r := []rune(out)[0]
		out = out[len(string(r)):]
		switch r {
		case '\n':
			row, col = row+1, 0
			if row == len(lines) {
				lines = append(lines, "")
			}
		case '\r':
			col = 0
		default:
			line := []rune(lines[row])
			for len(line) < col {
				line = append(line, ' ')
			}
			if col < len(line) {
				line[col] = r
			} else {
				line = append(line, r)
			}
			lines[row] = string(line)
			col++
		}
	}
	return lines
}

func TestProgressTerminal(t *testing.T) {
	var b strings.Builder
	now := time.Unix(1000, 0)
	p := &progress{w: &b, tty: true, width: 100, tables: map[string]*tableWait{}, now: func() time.Time { return now }}

	a, s := waitEvents("sentinel-requests"), waitEvents("sentinel-sessions")
	for i := range 10 { // both tables creating, polls interleaved
		p.event(a[i])
		p.event(s[i])
	}
	now = now.Add(4 * time.Second) // the ticker redraws with the time moved on
	p.redraw()
	got := screen(b.String())
	want := []string{
		"  waiting for sentinel-requests: table ACTIVE; the table is still CREATING (12s)",
		"  waiting for sentinel-sessions: table ACTIVE; the table is still CREATING (12s)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("screen while waiting:\n%q\nwant:\n%q", got, want)
	}

	for _, e := range a[10:] {
		p.event(e)
	}
	got = screen(b.String())
	want = []string{
		"  sentinel-requests: ready after 15s",
		"  waiting for sentinel-sessions: table ACTIVE; the table is still CREATING (12s)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("screen after one table is ready:\n%q\nwant:\n%q", got, want)
	}

	for _, e := range append(s[10:], paramEvents(2, 0)...) {
		p.event(e)
	}
	p.finish()
	got = screen(b.String())
	want = []string{"  sentinel-requests: ready after 15s", "  sentinel-sessions: ready after 15s", "  2 parameters written", ""}
	if !slices.Equal(got, want) {
		t.Errorf("screen at the end:\n%q\nwant:\n%q", got, want)
	}
}

func TestProgressCutsLongLines(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b, tty: true, width: 40, tables: map[string]*tableWait{}, now: time.Now}
	p.event(bootstrap.Event{Kind: "table", Resource: "a-very-long-table-name-indeed", Phase: bootstrap.PhaseWait, Detail: "table ACTIVE; the table is still CREATING"})
	for _, l := range screen(b.String()) {
		if n := len([]rune(l)); n >= 40 {
			t.Errorf("status line of %d columns on a 40-column terminal: %q", n, l)
		}
	}
}

func TestAsk(t *testing.T) {
	for _, tc := range []struct {
		in            string
		yes, answered bool
		echo          string
	}{
		{"y\n", true, true, "y\n"},
		{"  YES \r\n", true, true, "YES\n"},
		{"Yes", true, true, "Yes\n"},
		{"n\n", false, true, "n\n"},
		{"\n", false, true, "\n"},
		{"yes please\n", false, true, "yes please\n"},
		{"", false, false, ""},
	} {
		var out strings.Builder
		yes, answered := ask(strings.NewReader(tc.in), &out, "Q? ")
		if yes != tc.yes || answered != tc.answered || out.String() != "Q? "+tc.echo {
			t.Errorf("ask(%q) = %v, %v, printed %q; want %v, %v, %q", tc.in, yes, answered, out.String(), tc.yes, tc.answered, "Q? "+tc.echo)
		}
	}
	if _, answered := ask(iotest.ErrReader(errors.New("broken")), &strings.Builder{}, "Q? "); answered {
		t.Error("a failing stdin counts as an answer")
	}
	if _, answered := ask(nil, &strings.Builder{}, "Q? "); answered {
		t.Error("no stdin counts as an answer")
	}
}

// TestErrorText checks that the library's validation errors come out naming
// flags, for every option the command passes. Only the parts this command
// writes (or rewrites) are compared: the reasons are the library's.
func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		prefix string // the start of the message
		also   string // a part of the reason that names flags
	}{
		{[]string{"--profile", "a b"}, `invalid --profile "a b": `, ""},
		{nil, "nothing selected: ", "pass --profile and/or --with-approvals, --with-breakglass, --with-sessions or --all"},
		{[]string{"--profile", "a", "--policy-root", "/aws/x"}, `invalid --policy-root "/aws/x": `, ""},
		{[]string{"--profile", "a", "--approval-table", "s"}, `invalid --approval-table "s": `, "--with-approvals or --all, or drop the flag"},
		{[]string{"--profile", "a", "--session-table", "s"}, `invalid --session-table "s": `, "--with-sessions or --all, or drop the flag"},
		{[]string{"--profile", "a", "--breakglass-table", "b"}, `invalid --breakglass-table "b": `, "--with-breakglass or --all, or drop the flag"},
		{[]string{"--profile", "a", "--tag", "aws:k=v"}, `invalid --tag "aws:k": `, ""},
		{[]string{"--profile", "a", "--kms-key", "k"}, `invalid --kms-key "k": `, ""},
		{[]string{"--profile", "a", "--timeout", "25h"}, `invalid --timeout "25h0m0s": `, ""},
		{[]string{"--profile", "a", "--region", "X"}, `invalid --region (or AWS_REGION) "X": `, ""},
		{[]string{"--all", "--description", "d"}, `invalid --description "d": `, "add --profile"},
		{[]string{"--profile", "a", "--profile", "a"}, `invalid --profile "a": `, ""},
	} {
		c, err := parseArgs(tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		opts, err := c.options()
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		_, err = bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...)
		if !errors.Is(err, bootstrap.ErrInvalidConfig) {
			t.Fatalf("%q: Run returned %v, want a config error", tc.args, err)
		}
		got := errorText(err, c)
		if !strings.HasPrefix(got, tc.prefix) || !strings.Contains(got, tc.also) || optionName.MatchString(got) || strings.Contains(got, "option") {
			t.Errorf("%q:\n got %s\nwant %s…%s, naming flags only", tc.args, got, tc.prefix, tc.also)
		}
	}

	// No region anywhere.
	c, _ := parseArgs([]string{"--profile", "a"})
	opts, _ := c.options()
	_, err := bootstrap.Run(context.Background(), aws.Config{}, opts...)
	if got, want := errorText(err, c), "no region: pass --region, or set AWS_REGION (or region in your AWS config file)"; got != want {
		t.Errorf("no region:\n got %s\nwant %s", got, want)
	}
}

func TestCLIText(t *testing.T) {
	for in, want := range map[string]string{
		"gave up waiting for table ACTIVE after 1s (WithWaitTimeout): x":           "gave up waiting for table ACTIVE after 1s (--timeout): x",
		"the endpoint does not support it (X); pass WithoutPointInTimeRecovery to": "the endpoint does not support it (X); pass --no-pitr to",
		"choose another table name (WithSessionTable) or":                          "choose another table name (--session-table) or",
		"WithNameSuffix and WithConcurrency have no flag":                          "WithNameSuffix and WithConcurrency have no flag",
	} {
		if got := cliText(in); got != want {
			t.Errorf("cliText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIncompleteText(t *testing.T) {
	e := &bootstrap.IncompleteError{Failed: []string{"table a", "parameter /p/1", "parameter /p/2", "parameter /p/3", "parameter /p/4", "parameter /p/5", "parameter /p/6"}}
	got := errorText(e, &cli{})
	want := "7 resources failed (table a, parameter /p/1, parameter /p/2, parameter /p/3, parameter /p/4 and 2 more): see the errors above, fix the cause and run again"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	e = &bootstrap.IncompleteError{Failed: []string{"table a"}, Cause: context.Canceled}
	if got := errorText(e, &cli{}); !strings.HasPrefix(got, "interrupted (context canceled): 1 resource did not finish (table a)") {
		t.Errorf("cancelled: %s", got)
	}
}

func TestExitStatus(t *testing.T) {
	var b strings.Builder
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{usagef("bad"), 2},
		{&bootstrap.ConfigError{Option: "WithProfiles", Value: "x", Reason: "r"}, 2},
		{&bootstrap.IncompleteError{Failed: []string{"table t"}}, 1},
		{errors.New("something else"), 1},
	} {
		b.Reset()
		if got := exitStatus(&b, tc.err, &cli{set: map[string]bool{}}); got != tc.code {
			t.Errorf("exitStatus(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if (tc.err == nil) != (b.Len() == 0) || strings.Count(b.String(), "\n") > 1 {
			t.Errorf("exitStatus(%v) printed %q", tc.err, b.String())
		}
	}
}
