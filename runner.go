package bootstrap

import (
	"context"
	"runtime/debug"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// runner carries the clients and shared state of one Run or Destroy.
type runner struct {
	cfg *config
	ssm SSMAPI
	ddb DynamoDBAPI
	kms KMSAPI // with WithPolicySigning only

	// writes paces PutParameter calls to the rate SSM accepts.
	writes *pacer

	// stop cancels the run's context, with the reason as its cause.
	stop context.CancelCauseFunc

	progressMu sync.Mutex
	panicked   *PanicError // the WithProgress callback panicked; guarded by progressMu
}

// newRunner builds the clients the config does not bring, and the run's
// context, which stop (or a panic in the progress callback) cancels.
func newRunner(ctx context.Context, c *config, awsCfg aws.Config) (*runner, context.Context) {
	r := &runner{cfg: c, ssm: c.ssm, ddb: c.ddb, kms: c.kms, writes: newPacer()}
	// The SDK's client-side retry quota (500 tokens, 14 per retry) runs dry
	// under sustained throttling or a flaky network and then fails calls
	// without trying; the library paces and bounds its own retries instead.
	ownRetryer := awsCfg.Retryer == nil && (awsCfg.RetryMode == "" || awsCfg.RetryMode == aws.RetryModeStandard)
	newRetryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
	}
	if r.ssm == nil && len(c.params) > 0 {
		r.ssm = ssm.NewFromConfig(awsCfg, func(o *ssm.Options) {
			o.Region = c.region
			if ownRetryer {
				o.Retryer = newRetryer()
			}
		})
	}
	if r.ddb == nil && len(c.tables) > 0 {
		r.ddb = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
			o.Region = c.region
			if ownRetryer {
				o.Retryer = newRetryer()
			}
		})
	}
	if r.kms == nil && c.signing != nil {
		r.kms = kms.NewFromConfig(awsCfg, func(o *kms.Options) {
			o.Region = c.region
			if ownRetryer {
				o.Retryer = newRetryer()
			}
		})
	}
	ctx, r.stop = context.WithCancelCause(ctx)
	return r, ctx
}

// emit reports progress. Calls are serialised. A panic in the callback is
// recovered here, on whichever goroutine made the call: it stops the whole
// run (its context is cancelled with a *PanicError as the cause), and no
// further events are sent.
func (r *runner) emit(e Event) {
	if r.cfg.progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	if r.panicked != nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.panicked = &PanicError{Value: v, Stack: debug.Stack()}
			r.stop(r.panicked)
		}
	}()
	r.cfg.progress(e)
}

// panicErr is the recovered panic of the progress callback, or nil.
func (r *runner) panicErr() *PanicError {
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	return r.panicked
}

// failure is the message of a result that failed with err. When the run
// was stopped by a panic in the progress callback, it says so instead of
// "context canceled".
func (r *runner) failure(ctx context.Context, err error) string {
	if msg, ok := r.stoppedByPanic(ctx); ok {
		return msg
	}
	return err.Error()
}

// stoppedByPanic is the message of every result that the panic of the
// progress callback left unfinished.
func (r *runner) stoppedByPanic(ctx context.Context) (string, bool) {
	p := r.panicErr()
	if p == nil || ctx.Err() == nil {
		return "", false
	}
	return "stopped: the WithProgress callback panicked (" + p.valueText() + "), so the run was cancelled before this finished", true
}
