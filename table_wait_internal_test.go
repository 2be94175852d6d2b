package bootstrap

import (
	"testing"
	"time"
)

// PollInterval exposes the poll schedule to the benchmarks (package
// bootstrap_test), which bound the DescribeTable calls of a wait with it.
var PollInterval = pollInterval

// noticeBound is how late Run may notice that a table turned ACTIVE after
// waiting w: max(250 ms, 10 % of w).
func noticeBound(w time.Duration) time.Duration { return max(250*time.Millisecond, w/10) }

// TestPollScheduleNoticesActiveInTime checks the promise of wait.go without
// timing anything: a table that turns ACTIVE just after a poll was answered
// (the worst case) is seen by the next poll, which is answered
// pollInterval(w) + one round trip later; that must be within
// max(250 ms, 10 % of the time waited), for every wait up to 30 minutes, on
// an endpoint that answers at once and on one that takes 20 ms.
func TestPollScheduleNoticesActiveInTime(t *testing.T) {
	const horizon = 30 * time.Minute
	for _, rtt := range []time.Duration{0, 20 * time.Millisecond} {
		// Every millisecond of the wait, and the schedule's corners.
		bad := 0
		check := func(w time.Duration) {
			if lag := pollInterval(w) + rtt; lag > noticeBound(w) {
				if bad++; bad <= 5 {
					t.Errorf("rtt %s: after waiting %s the next poll is answered %s later, more than max(250ms, 10%%) = %s", rtt, w, lag, noticeBound(w))
				}
			}
		}
		for w := time.Duration(0); w <= horizon; w += time.Millisecond {
			check(w)
		}
		for _, w := range []time.Duration{minPoll, time.Duration(float64(minPoll) / pollShare), 2500 * time.Millisecond, time.Duration(float64(maxPoll) / pollShare), horizon} {
			check(w - time.Nanosecond)
			check(w)
			check(w + time.Nanosecond)
		}

		// The same on the schedule as poll runs it: each poll answered
		// one round trip after it is sent, the next one sent
		// pollInterval(waited) after that.
		polls := 0
		for answered := rtt; answered <= horizon; polls++ {
			next := answered + pollInterval(answered) + rtt
			if lag := next - answered; lag > noticeBound(answered) {
				t.Fatalf("rtt %s: poll %d answered at %s, the next at %s: %s later, more than %s", rtt, polls, answered, next, lag, noticeBound(answered))
			}
			answered = next
		}
		t.Logf("rtt %s: %d polls in a %s wait", rtt, polls, horizon)
	}
}

// The schedule starts at once and fast, and backs off.
func TestPollScheduleShape(t *testing.T) {
	if got := pollInterval(0); got > 100*time.Millisecond || got <= 0 {
		t.Errorf("first interval %s, want tens of milliseconds", got)
	}
	last := time.Duration(0)
	for w := time.Duration(0); w <= time.Hour; w += 10 * time.Millisecond {
		got := pollInterval(w)
		if got < last {
			t.Fatalf("pollInterval(%s) = %s shrank from %s", w, got, last)
		}
		last = got
	}
	if last != maxPoll {
		t.Errorf("interval after an hour %s, want the cap %s", last, maxPoll)
	}
}
