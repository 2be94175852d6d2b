package bootstrap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// retryRule says how call retries one AWS operation. Every call retries
// throttling until WithWaitTimeout has passed, and transient failures (a 5xx
// answer, a connection that broke after it was made) a few times more than
// the SDK did.
type retryRule struct {
	// notYet reports the answers that mean "not yet" for this operation
	// (ResourceInUseException for a table that is being changed, …): they
	// are retried like throttling.
	notYet func(error) bool
	// pace, when set, spaces the attempts to the rate the service accepts:
	// each attempt waits its turn, and a throttled one slows the pace down
	// instead of backing off on its own.
	pace *pacer
}

// maxTransientRetries bounds the library's own retries of a 5xx answer or a
// broken connection, on top of the SDK's.
const maxTransientRetries = 4

// call runs op until it succeeds or fails for good (see retryRule), and returns
// its output. Waits back off with jitter and end at once when ctx is done.
func call[T any](ctx context.Context, r *runner, how retryRule, op func(context.Context) (T, error)) (T, error) {
	out, _, err := attempt(ctx, r, how, op)
	return out, err
}

// attempt is call that also reports whether an attempt failed in a way that
// may have been carried out all the same (a 5xx answer or a connection that
// broke after the request was sent): then a later "already exists" may be
// this run's own doing.
func attempt[T any](ctx context.Context, r *runner, how retryRule, op func(context.Context) (T, error)) (out T, unsure bool, err error) {
	deadline := time.Now().Add(r.cfg.waitTimeout)
	transient := maxTransientRetries
	for n := 0; ; n++ {
		if how.pace != nil {
			if err := how.pace.wait(ctx); err != nil {
				return out, unsure, err
			}
		}
		out, err = op(ctx)
		throttled := err != nil && isThrottle(err)
		if how.pace != nil {
			switch {
			case throttled:
				how.pace.throttled()
			case err == nil || !isTransient(err):
				how.pace.success() // the service answered: the rate was accepted
			}
		}
		switch {
		case err == nil:
			return out, unsure, nil
		case ctx.Err() != nil:
			return out, unsure, err
		case throttled && how.pace != nil:
			if time.Now().After(deadline) {
				return out, unsure, fmt.Errorf("still throttled after %s (WithWaitTimeout): %w", r.cfg.waitTimeout, err)
			}
			continue // the pace is the wait
		case throttled, how.notYet != nil && how.notYet(err):
		case isTransient(err) && transient > 0:
			transient--
			// A LimitExceededException is a refusal (4xx): nothing was done.
			unsure = unsure || !hasCode(err, codeLimitExceeded)
		default:
			return out, unsure, err
		}
		d := backoff(n)
		if time.Now().Add(d).After(deadline) {
			return out, unsure, err
		}
		if serr := sleep(ctx, d); serr != nil {
			return out, unsure, serr
		}
	}
}

// backoff is the delay before retry number attempt+1: 100 ms doubling to
// 3 s, with jitter in [50%, 100%].
func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 5)
	d = min(d, 3*time.Second)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forEach calls fn on every item, with at most n calls running at once.
func forEach[T any](n int, items []T, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Go(func() {
			for it := range ch {
				fn(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}
