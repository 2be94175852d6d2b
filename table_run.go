package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableRun is the work on one table during a Run or Destroy.
type tableRun struct {
	*runner
	spec  *tableSpec
	res   *TableResult
	began time.Time
	// asked are the changes the plans asked for, in order: a change that a
	// concurrent run made meanwhile stays asked for, but is not done.
	asked []change
}

// table plans, and unless WithPlanOnly applies, one table. It never
// deletes, recreates or disables anything.
func (r *runner) table(ctx context.Context, spec *tableSpec) TableResult {
	return r.onTable(ctx, spec, (*tableRun).converge)
}

// onTable does work on one table and turns its outcome into the result,
// reporting the start and the end to WithProgress.
func (r *runner) onTable(ctx context.Context, spec *tableSpec, work func(*tableRun, context.Context) error) TableResult {
	res := TableResult{
		Purpose:      spec.purpose,
		Name:         spec.name,
		GSIs:         spec.indexNames(),
		TTLAttribute: spec.ttlAttribute,
	}
	t := &tableRun{runner: r, spec: spec, res: &res, began: time.Now()}
	r.emit(Event{Kind: "table", Resource: spec.name, Phase: PhaseStart})
	err := work(t, ctx)
	switch {
	case err != nil:
		res.Status, res.Error = StatusFailed, r.failure(ctx, err)
	case r.cfg.planOnly:
		res.Status = StatusPlanned
	default:
		res.Status = StatusOK
	}
	r.emit(Event{Kind: "table", Resource: spec.name, Phase: PhaseDone, Action: res.Action, Status: res.Status, Detail: res.Error, Elapsed: time.Since(t.began)})
	return res
}

// maxSteps bounds the loop for a table that someone keeps changing while
// bootstrap works on it (each wait is bounded by WithWaitTimeout).
const maxSteps = 64

// converge is the loop: observe, plan, and (unless WithPlanOnly) wait for
// AWS or make the next change, then plan again from what is known now,
// until the plan is empty. Creation is the planner's answer to "no table",
// so plan and apply cannot disagree.
func (t *tableRun) converge(ctx context.Context) error {
	o, err := t.observe(ctx)
	if err != nil {
		// Unread (denied, failed): what apply would do is unknown, as for a
		// parameter whose read failed.
		t.res.Action = ActionUnknown
		if (isAccessDenied(err) || isUnknownOperation(err)) && t.cfg.planOnly {
			t.res.Error = err.Error()
			return nil
		}
		return err
	}
	p := planTable(t.spec, o)
	t.record(o, p)
	if t.cfg.planOnly {
		return p.err()
	}

	var failed changeErrors // changes that failed: not tried again
	stop := func(err error) error {
		if len(failed) == 0 {
			return err
		}
		if err == nil {
			return failed
		}
		return fmt.Errorf("%w; %w", failed, err)
	}
	for step := 0; ; step++ {
		if err := p.err(); err != nil {
			return stop(err)
		}
		next := slices.IndexFunc(p.changes, func(c change) bool {
			return !slices.ContainsFunc(failed, func(f changeError) bool { return f.change.same(c) })
		})
		switch {
		case step == maxSteps:
			return stop(errors.New("the table kept changing while bootstrap worked on it (another run adding indexes?); run again later"))
		case p.wait != "":
			d, err := t.waitSettled(ctx, o, p.wait)
			if err != nil {
				return stop(err)
			}
			o.desc = d
		case next < 0:
			return stop(nil)
		default:
			c := p.changes[next]
			if err := t.execute(ctx, o, c); err != nil {
				failed = append(failed, changeError{c, err})
				// What was done before the failure (a table created, whose
				// description could not be read) is part of the result.
				t.record(o, p)
				if ctx.Err() != nil || c.kind == changeCreate {
					return stop(nil)
				}
			}
		}
		if err := t.complete(ctx, o, false); err != nil {
			return stop(err)
		}
		p = planTable(t.spec, o)
		t.record(o, p)
	}
}

// observe reads the table: its description, and what else the planner
// compares (see complete).
func (t *tableRun) observe(ctx context.Context) (*observed, error) {
	d, err := t.describe(ctx)
	if err != nil {
		return nil, err
	}
	o := &observed{desc: d}
	if err := t.complete(ctx, o, t.cfg.planOnly); err != nil {
		return nil, err
	}
	return o, nil
}

// complete reads what is not known yet of an existing table beyond its
// description, once AWS has nothing left to finish on it (or at once, when
// all is set: plan reads everything in one go).
func (t *tableRun) complete(ctx context.Context, o *observed, all bool) error {
	if o.desc == nil || o.detailsKnown(t.spec) {
		return nil
	}
	if p := planTable(t.spec, o); p.unusable || (p.wait != "" && !all) {
		return nil
	}
	return t.readDetails(ctx, o)
}

// record puts what is known and planned into the result: Changes lists
// what the plans asked for, Done what this run did. A plan with problems
// leaves the table alone: of what earlier plans asked for (before a wait
// showed the problem), only what was done remains, so that apply reports
// what plan would have.
func (t *tableRun) record(o *observed, p tablePlan) {
	res := t.res
	t.see(o.desc)
	if len(p.problems) > 0 {
		t.asked = slices.DeleteFunc(t.asked, func(c change) bool { return !slices.ContainsFunc(o.done, c.same) })
	}
	for _, c := range slices.Concat(o.done, p.changes) {
		if !slices.ContainsFunc(t.asked, c.same) {
			t.asked = append(t.asked, c)
		}
	}
	res.Changes, res.Done = texts(t.asked), texts(o.done)
	for _, w := range p.warnings {
		if !slices.Contains(res.Warnings, w) {
			res.Warnings = append(res.Warnings, w)
		}
	}
	switch {
	case p.unusable:
		res.Action = ActionUnknown
	case o.created || o.desc == nil && !o.exists:
		res.Action = ActionCreate
	case len(res.Changes) > 0:
		res.Action = ActionUpdate
	default:
		res.Action = ActionNone
	}
}

func texts(cs []change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.text)
	}
	return out
}

// see records the table's ARN and status as last described.
func (t *tableRun) see(d *types.TableDescription) {
	if d != nil {
		t.res.ARN, t.res.TableStatus = aws.ToString(d.TableArn), string(d.TableStatus)
	}
}

// err is the plan's problems as one error, or nil.
func (p tablePlan) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(p.problems, "; "))
}

// changeError is a change that failed.
type changeError struct {
	change change
	err    error
}

func (e changeError) Error() string { return e.change.text + ": " + e.err.Error() }
func (e changeError) Unwrap() error { return e.err }

// changeErrors are the failed changes of one table, on one line.
type changeErrors []changeError

func (e changeErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e changeErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i := range e {
		out[i] = e[i]
	}
	return out
}

// The executor: one change, and what is known afterwards.

// noSDKRetries makes a call a single attempt: its retries are the library's,
// which then knows whether an earlier attempt may have been carried out.
func noSDKRetries(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }

// execute makes one change and updates o with what is known afterwards.
func (t *tableRun) execute(ctx context.Context, o *observed, c change) error {
	t.emit(Event{Kind: "table", Resource: t.spec.name, Phase: PhaseWait, Detail: c.doing(), Elapsed: time.Since(t.began)})
	inUse := retryRule{notYet: isResourceInUse}
	if o.created {
		// A table this run created may not be visible everywhere yet.
		inUse.notYet = func(err error) bool { return isResourceInUse(err) || isNotFound(err) }
	}
	switch c.kind {
	case changeCreate:
		return t.create(ctx, o, c)
	case changeDeletionProtection:
		return t.updateTable(ctx, o, c, inUse, t.spec.deletionProtectionInput())
	case changeEncryption:
		return t.updateTable(ctx, o, c, inUse, t.spec.encryptionInput())
	case changeIndex:
		err := t.updateTable(ctx, o, c, inUse, t.spec.addIndexInput(o.desc, c.index))
		if err != nil && hasCode(err, codeValidation) {
			// A concurrent run may have added it first.
			if d, derr := t.describe(ctx); derr == nil && d != nil && findIndex(d, c.index.name) != nil {
				o.desc = d
				return nil
			}
		}
		return err
	case changeTTL:
		return t.enableTTL(ctx, o, c, inUse)
	case changePITR:
		notYet := inUse.notYet
		_, err := call(ctx, t.runner, retryRule{notYet: func(err error) bool { return hasCode(err, codePITRUnavailable) || notYet(err) }},
			func(ctx context.Context) (*dynamodb.UpdateContinuousBackupsOutput, error) {
				return t.ddb.UpdateContinuousBackups(ctx, t.spec.pitrInput())
			})
		switch {
		case err == nil:
			o.done = append(o.done, c)
			o.pitr = &types.ContinuousBackupsDescription{PointInTimeRecoveryDescription: &types.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: types.PointInTimeRecoveryStatusEnabled}}
			return nil
		case isUnknownOperation(err):
			return fmt.Errorf("the endpoint does not support it (%s); pass WithoutPointInTimeRecovery to skip it", errorCode(err))
		case hasCode(err, codePITRUnavailable):
			return fmt.Errorf("still unavailable after %s (WithWaitTimeout); run again later: %w", t.cfg.waitTimeout, err)
		}
		return err
	default: // changeTags: only those missing or different (re-sending an existing tag is not harmless on every endpoint)
		_, err := call(ctx, t.runner, inUse, func(ctx context.Context) (*dynamodb.TagResourceOutput, error) {
			return t.ddb.TagResource(ctx, tagInput(aws.ToString(o.desc.TableArn), c.tags))
		})
		if err == nil {
			o.done = append(o.done, c)
			o.tags = maps.Clone(o.tags)
			maps.Copy(o.tags, c.tags)
		}
		return err
	}
}

// create sends CreateTable without the SDK's automatic retries and retries
// it itself, so that it knows whether an attempt whose answer was lost may
// have created the table: ResourceInUseException on the first attempt means
// someone else created it; after an attempt of ours whose outcome is
// unknown, it means this run did.
func (t *tableRun) create(ctx context.Context, o *observed, c change) error {
	out, unsure, err := attempt(ctx, t.runner, retryRule{}, func(ctx context.Context) (*dynamodb.CreateTableOutput, error) {
		return t.ddb.CreateTable(ctx, t.spec.createTableInput(), noSDKRetries)
	})
	switch {
	case err == nil:
		*o = *newTable(t.spec, out.TableDescription)
	case isResourceInUse(err) && unsure:
		*o = observed{created: true} // ours, but nothing else is known
	case isResourceInUse(err):
		*o = observed{exists: true} // someone else's: read it, wait for it, bring it in line
		t.asked = nil               // what it needs is planned anew
	case unsure && ctx.Err() == nil:
		// An attempt whose answer was lost, then another failure (throttled
		// until WithWaitTimeout, refused): the lost attempt may have created
		// the table. If it is there, it is ours.
		d, derr := t.describe(ctx)
		if derr != nil || d == nil {
			return fmt.Errorf("%w (an earlier CreateTable's answer was lost, so the table may exist: run again to find out)", err)
		}
		*o = *newTable(t.spec, d)
	case unsure:
		return fmt.Errorf("%w (an earlier CreateTable's answer was lost, so the table may exist: run again to find out)", err)
	default:
		return err
	}
	if o.created {
		o.done = []change{c}
	}
	if o.desc == nil {
		d, err := t.describe(ctx)
		if err != nil {
			return err
		}
		o.desc = d
	}
	return nil
}

// updateTable sends one UpdateTable and takes its answer (or, without one,
// a new description) as what is known of the table now.
func (t *tableRun) updateTable(ctx context.Context, o *observed, c change, how retryRule, in *dynamodb.UpdateTableInput) error {
	out, err := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.UpdateTableOutput, error) {
		return t.ddb.UpdateTable(ctx, in)
	})
	if err != nil {
		return err
	}
	o.done = append(o.done, c)
	if out.TableDescription != nil {
		o.desc = out.TableDescription
		return nil
	}
	d, err := t.describe(ctx)
	if err != nil {
		return err
	}
	if d != nil {
		o.desc = d
	}
	return nil
}

// enableTTL turns TTL on. UpdateTimeToLive is not idempotent: when it is
// refused, TTL is read again, and a concurrent run having turned it on
// counts as success.
func (t *tableRun) enableTTL(ctx context.Context, o *observed, c change, how retryRule) error {
	_, err := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.UpdateTimeToLiveOutput, error) {
		return t.ddb.UpdateTimeToLive(ctx, t.spec.ttlInput())
	})
	switch {
	case err == nil:
		o.done = append(o.done, c)
		o.ttl = &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusEnabling, AttributeName: aws.String(t.spec.ttlAttribute)}
		return nil
	case isUnknownOperation(err):
		return fmt.Errorf("the endpoint does not support TTL (%s); Sentinel needs TTL on %q to expire records", errorCode(err), t.spec.ttlAttribute)
	case hasCode(err, codeValidation):
		out, derr := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.DescribeTimeToLiveOutput, error) {
			return t.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(t.spec.name)})
		})
		if derr == nil && out.TimeToLiveDescription != nil && aws.ToString(out.TimeToLiveDescription.AttributeName) == t.spec.ttlAttribute &&
			(out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled || out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
			o.ttl = out.TimeToLiveDescription
			return nil
		}
	}
	return err
}

// Destroy.

// destroyTable deletes one table and waits until it is gone. A table with
// deletion protection is a failure: Destroy never turns the protection off.
func (r *runner) destroyTable(ctx context.Context, spec *tableSpec) TableResult {
	return r.onTable(ctx, spec, (*tableRun).destroy)
}

func (t *tableRun) destroy(ctx context.Context) error {
	d, err := t.describe(ctx)
	if err != nil {
		t.res.Action = ActionUnknown
		return err
	}
	if d == nil {
		t.res.Action = ActionNone
		return nil
	}
	t.res.Action = ActionDelete
	t.see(d)
	if aws.ToBool(d.DeletionProtectionEnabled) {
		return fmt.Errorf("deletion protection is on, and Destroy never turns it off: if you really mean to delete this table, turn it off yourself (aws dynamodb update-table --region %s --table-name %s --no-deletion-protection-enabled) and run again", t.spec.region, t.spec.name)
	}
	if t.cfg.planOnly {
		return nil
	}
	if d.TableStatus != types.TableStatusDeleting {
		_, err = call(ctx, t.runner, retryRule{notYet: isResourceInUse}, func(ctx context.Context) (*dynamodb.DeleteTableOutput, error) {
			return t.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t.spec.name)})
		})
		switch {
		case isNotFound(err):
			t.res.TableStatus = ""
			return nil
		case err != nil:
			return fmt.Errorf("deleting the table: %w", err)
		}
	}
	return t.waitGone(ctx)
}
