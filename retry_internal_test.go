package bootstrap

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The one retry loop every AWS call goes through (retry.go).

// Answers as the SDK returns them.
var (
	errThrottled = apiAnswer(400, "ThrottlingException")
	errInUse     = apiAnswer(400, "ResourceInUseException")
	errServer    = apiAnswer(500, "InternalServerError")
	errLimit     = apiAnswer(400, "LimitExceededException")
	errRefused   = apiAnswer(400, "ValidationException")
	errBroken    = &smithy.OperationError{ServiceID: "SSM", OperationName: "PutParameter",
		Err: &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}}}
)

func apiAnswer(status int, code string) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "CreateTable",
		Err: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
		}}
}

func retryRunner(waitTimeout time.Duration) *runner {
	return &runner{cfg: &config{waitTimeout: waitTimeout}}
}

// script is an operation that gives the answers in order, then succeeds
// with the number of the attempt; it counts its attempts.
type script struct {
	answers []error
	calls   int
}

func (s *script) op(context.Context) (int, error) {
	s.calls++
	if s.calls <= len(s.answers) {
		return 0, s.answers[s.calls-1]
	}
	return s.calls, nil
}

func TestAttemptRetriesWhatWaitingFixes(t *testing.T) {
	inUse := func(err error) bool { return isResourceInUse(err) }
	for _, tc := range []struct {
		name       string
		how        retryRule
		answers    []error
		wantCalls  int
		wantErr    error // nil: the call succeeds with the last attempt's output
		wantUnsure bool
	}{
		{"success at once", retryRule{}, nil, 1, nil, false},
		{"throttling is retried", retryRule{}, []error{errThrottled, errThrottled}, 3, nil, false},
		{"not yet, for this operation", retryRule{notYet: inUse}, []error{errInUse}, 2, nil, false},
		{"in use is final without notYet", retryRule{}, []error{errInUse}, 1, errInUse, false},
		{"a refusal is final", retryRule{notYet: inUse}, []error{errRefused}, 1, errRefused, false},
		{"a 5xx is retried and may have been done", retryRule{}, []error{errServer}, 2, nil, true},
		{"a broken connection is retried and may have been done", retryRule{}, []error{errBroken}, 2, nil, true},
		{"LimitExceeded is retried but was not done", retryRule{}, []error{errLimit}, 2, nil, false},
		{"unsure stays unsure", retryRule{}, []error{errServer, errLimit}, 3, nil, true},
		{"transient failures a few times only", retryRule{}, slices.Repeat([]error{errServer}, maxTransientRetries+1), maxTransientRetries + 1, errServer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answers: tc.answers}
			out, unsure, err := attempt(t.Context(), retryRunner(time.Minute), tc.how, s.op)
			if s.calls != tc.wantCalls {
				t.Errorf("%d attempts; want %d", s.calls, tc.wantCalls)
			}
			if unsure != tc.wantUnsure {
				t.Errorf("unsure = %v; want %v", unsure, tc.wantUnsure)
			}
			switch {
			case tc.wantErr == nil && (err != nil || out != tc.wantCalls):
				t.Errorf("= %d, %v; want the output of attempt %d, no error", out, err, tc.wantCalls)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v; want %v", err, tc.wantErr)
			}
		})
	}
}

// Throttling is retried until WithWaitTimeout has passed, then returned;
// with a pacer, the error says so and still unwraps to the throttle.
func TestAttemptGivesUpAfterTheWaitTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		how  retryRule
		want string
	}{
		{"backing off", retryRule{}, ""},
		{"paced", retryRule{pace: newPacer()}, "still throttled after 150ms (WithWaitTimeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answers: slices.Repeat([]error{errThrottled}, 1<<20)}
			_, _, err := attempt(t.Context(), retryRunner(150*time.Millisecond), tc.how, s.op)
			if !isThrottle(err) {
				t.Fatalf("err = %v; want the throttle", err)
			}
			if s.calls < 2 || s.calls >= 1<<20 {
				t.Errorf("%d attempts; want it retried, then given up", s.calls)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q; want it to say %q", err, tc.want)
			}
		})
	}
}

// A cancelled context ends the loop without another attempt, whether it is
// cancelled during the attempt or during the wait after it.
func TestAttemptStopsWithTheContext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel func(context.CancelFunc) // called from inside the attempt
	}{
		{"during the attempt", func(cancel context.CancelFunc) { cancel() }},
		{"during the wait", func(cancel context.CancelFunc) { time.AfterFunc(time.Millisecond, cancel) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			calls := 0
			_, _, err := attempt(ctx, retryRunner(time.Hour), retryRule{}, func(context.Context) (int, error) {
				calls++
				tc.cancel(cancel)
				return 0, errThrottled
			})
			if calls != 1 || err == nil {
				t.Errorf("%d attempts, err %v; want one attempt and an error", calls, err)
			}
		})
	}
}

// backoff doubles from 100 ms to at most 3 s, with jitter in [50%, 100%].
func TestBackoff(t *testing.T) {
	for n, ceiling := range []time.Duration{100, 200, 400, 800, 1600, 3000, 3000, 3000} {
		ceiling *= time.Millisecond
		for range 200 {
			if d := backoff(n); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %s; want within [%s, %s]", n, d, ceiling/2, ceiling)
			}
		}
	}
}

// forEach calls fn once per item, with exactly n calls at once at most.
func TestForEach(t *testing.T) {
	const n, items = 3, 40
	var (
		mu      sync.Mutex
		seen    = map[int]int{}
		running atomic.Int32
		most    atomic.Int32
		started atomic.Int32
		all     = make(chan struct{}) // closed once the first n calls run together
	)
	list := make([]int, items)
	for i := range list {
		list[i] = i
	}
	forEach(n, list, func(i int) {
		cur := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		if started.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Error("the first calls never ran together")
		}
		mu.Lock()
		seen[i]++
		mu.Unlock()
	})
	if got := most.Load(); got != n {
		t.Errorf("%d calls at once; want %d", got, n)
	}
	for i := range items {
		if seen[i] != 1 {
			t.Errorf("item %d: %d calls; want 1", i, seen[i])
		}
	}
	forEach(n, []int{}, func(int) { t.Error("called for no item") })
}
