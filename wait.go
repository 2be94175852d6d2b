package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Poll timing: the first poll comes minPoll after the wait begins, then the
// interval grows to pollShare of the time waited so far, up to maxPoll. So
// a table that turns ACTIVE is noticed within max(minPoll, pollShare×waited)
// plus one round trip: within 250 ms, or 10 % of the wait, whichever is more.
const (
	minPoll   = 40 * time.Millisecond
	maxPoll   = 20 * time.Second
	pollShare = 0.08
)

// pollInterval is the delay before the next poll after waiting for waited.
func pollInterval(waited time.Duration) time.Duration {
	return min(max(time.Duration(float64(waited)*pollShare), minPoll), maxPoll)
}

// waitActive waits until the table is ACTIVE with every index ACTIVE (and,
// if index is named, that index exists).
func (t *tableRun) waitActive(ctx context.Context, index string) (*types.TableDescription, error) {
	what := "table ACTIVE"
	if index != "" {
		what = "index " + index + " ACTIVE"
	}
	return t.poll(ctx, what, func(d *types.TableDescription) (string, error) {
		switch {
		case d == nil:
			return "", errors.New("the table disappeared while bootstrap waited for it; run again")
		case d.TableStatus == types.TableStatusDeleting:
			return "", errors.New("the table is being deleted; wait until it is gone, then run again to create it")
		}
		return pendingText(d, index), nil
	})
}

// waitGone waits until the table no longer exists.
func (t *tableRun) waitGone(ctx context.Context) error {
	_, err := t.poll(ctx, "table deleted", func(d *types.TableDescription) (string, error) {
		if d == nil {
			t.res.TableStatus = "" // gone
			return "", nil
		}
		return "the table is still " + string(d.TableStatus), nil
	})
	return err
}

// poll describes the table until check finds nothing pending (or fails),
// bounded by WithWaitTimeout and ctx, reporting progress as it goes.
func (t *tableRun) poll(ctx context.Context, what string, check func(*types.TableDescription) (pending string, err error)) (*types.TableDescription, error) {
	start := time.Now()
	deadline := start.Add(t.s.waitTimeout)
	detail := what
	for {
		t.emit(Event{Kind: "table", Resource: t.spec.name, Phase: PhaseWait, Detail: detail, Elapsed: time.Since(t.began)})
		d, err := t.describe(ctx)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if d != nil {
			t.res.TableStatus = string(d.TableStatus)
		}
		pending, err := check(d)
		if err != nil || pending == "" {
			return d, err
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, fmt.Errorf("gave up waiting for %s after %s (WithWaitTimeout): %s; AWS goes on with it: run again later to finish the rest", what, t.s.waitTimeout, pending)
		}
		detail = what + "; " + pending
		if err := sleep(ctx, min(pollInterval(now.Sub(start)), deadline.Sub(now))); err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", what, err)
		}
	}
}

// pendingText says what is not ready yet, or "" when everything is.
func pendingText(d *types.TableDescription, index string) string {
	if d.TableStatus != types.TableStatusActive {
		return "the table is still " + string(d.TableStatus)
	}
	if index != "" && findIndex(d, index) == nil {
		return "index " + index + " is not there yet"
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return fmt.Sprintf("index %s is still %s", aws.ToString(g.IndexName), g.IndexStatus)
		}
	}
	return ""
}
