package bootstrap

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// runner carries the clients and shared state of one Run or Destroy.
type runner struct {
	s   *settings
	ssm SSMAPI
	ddb DynamoDBAPI

	// writes paces PutParameter calls to the rate SSM accepts.
	writes *pacer

	progressMu sync.Mutex
}

func newRunner(s *settings, cfg aws.Config) *runner {
	r := &runner{s: s, ssm: s.ssm, ddb: s.ddb, writes: newPacer()}
	// The SDK's client-side retry quota (500 tokens, 14 per retry) runs dry
	// under sustained throttling or a flaky network and then fails calls
	// without trying; the library paces and bounds its own retries instead.
	ownRetryer := cfg.Retryer == nil && (cfg.RetryMode == "" || cfg.RetryMode == aws.RetryModeStandard)
	newRetryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
	}
	if r.ssm == nil && len(s.profiles) > 0 {
		r.ssm = ssm.NewFromConfig(cfg, func(o *ssm.Options) {
			o.Region = s.region
			if ownRetryer {
				o.Retryer = newRetryer()
			}
		})
	}
	if r.ddb == nil && len(s.selectedTables()) > 0 {
		r.ddb = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.Region = s.region
			if ownRetryer {
				o.Retryer = newRetryer()
			}
		})
	}
	return r
}

// emit reports progress; calls are serialised.
func (r *runner) emit(e Event) {
	if r.s.progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.s.progress(e)
}

// maxTransientRetries bounds the library's own retries of a 5xx answer or a
// broken connection, on top of the SDK's.
const maxTransientRetries = 4

// call runs op until it succeeds or fails for good. Throttling answers, and
// the errors that also says are worth waiting out, are retried until
// WithWaitTimeout has passed; transient failures (5xx, a broken connection)
// a few times more than the SDK did. Waits back off with jitter and end at
// once when ctx is done.
func (r *runner) call(ctx context.Context, also func(error) bool, op func(context.Context) error) error {
	deadline := time.Now().Add(r.s.waitTimeout)
	transient := maxTransientRetries
	for attempt := 0; ; attempt++ {
		err := op(ctx)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return err
		case isThrottle(err), also != nil && also(err):
		case isTransient(err) && transient > 0:
			transient--
		default:
			return err
		}
		d := backoff(attempt)
		if time.Now().Add(d).After(deadline) {
			return err
		}
		if serr := sleep(ctx, d); serr != nil {
			return serr
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
