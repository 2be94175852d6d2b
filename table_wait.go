package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Poll timing: the first poll comes at once, the next minPoll later, then
// the interval grows to pollShare of the time waited so far, up to maxPoll.
// So a table that turns ACTIVE is noticed within max(minPoll,
// pollShare×waited) plus one round trip: within 250 ms, or 10 % of the wait,
// whichever is more.
const (
	minPoll   = 40 * time.Millisecond
	maxPoll   = 20 * time.Second
	pollShare = 0.08
)

// pollInterval is the delay before the next poll after waiting for waited.
func pollInterval(waited time.Duration) time.Duration {
	return min(max(time.Duration(float64(waited)*pollShare), minPoll), maxPoll)
}

// waitSettled polls the table until the planner has nothing left to wait
// for (its answer is the predicate), and returns the last description. A
// table that turns unusable (DELETING, ARCHIVED, …) or disappears fails at
// once.
func (t *tableRun) waitSettled(ctx context.Context, o *observed, what string) (*types.TableDescription, error) {
	return t.poll(ctx, what, func(d *types.TableDescription) (string, error) {
		if d == nil && !o.created && !o.exists {
			return "", errors.New("the table disappeared while bootstrap waited for it; run again")
		}
		now := *o
		now.desc = d
		p := planTable(t.spec, &now)
		if p.unusable {
			return "", p.err()
		}
		return p.wait, nil
	})
}

// waitGone waits until the table no longer exists.
func (t *tableRun) waitGone(ctx context.Context) error {
	_, err := t.poll(ctx, "deleting", func(d *types.TableDescription) (string, error) {
		if d == nil {
			t.res.TableStatus = "" // gone
			return "", nil
		}
		return "deleting", nil
	})
	return err
}

// poll describes the table until check finds nothing pending (or fails),
// bounded by WithWaitTimeout and ctx, reporting each poll to WithProgress
// with what is pending.
func (t *tableRun) poll(ctx context.Context, what string, check func(*types.TableDescription) (pending string, err error)) (*types.TableDescription, error) {
	start := time.Now()
	deadline := start.Add(t.cfg.waitTimeout)
	pending := what
	for {
		t.emit(Event{Kind: "table", Resource: t.spec.name, Phase: PhaseWait, Detail: pending, Elapsed: time.Since(t.began)})
		d, err := t.describe(ctx)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("waiting (%s): %w", pending, err)
		}
		t.see(d)
		if pending, err = check(d); err != nil || pending == "" {
			return d, err
		}
		now := time.Now()
		if !now.Before(deadline) {
			return nil, fmt.Errorf("gave up waiting after %s (WithWaitTimeout) while %s (table status %s); AWS goes on with it: run again later to finish the rest", t.cfg.waitTimeout, pending, statusText(d))
		}
		if err := sleep(ctx, min(pollInterval(now.Sub(start)), deadline.Sub(now))); err != nil {
			return nil, fmt.Errorf("waiting (%s): %w", pending, err)
		}
	}
}

// statusText is the table's status for a message.
func statusText(d *types.TableDescription) string {
	if d == nil {
		return "not visible yet"
	}
	return string(d.TableStatus)
}
