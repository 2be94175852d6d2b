package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// maxBatch is the most names GetParameters and DeleteParameters take.
const maxBatch = 10

// parameters plans, and unless WithPlanOnly creates, the policy parameters.
// An existing parameter is never modified.
func (r *runner) parameters(ctx context.Context, results []ParameterResult) {
	r.initParameters(results)
	r.readParameters(ctx, results)
	if !r.s.planOnly {
		var todo []int
		for i, res := range results {
			// A parameter that could not be read is created too: with
			// Overwrite=false, SSM refuses if it exists after all.
			if res.Status != StatusFailed && (res.Action == ActionCreate || res.Action == ActionUnknown) {
				todo = append(todo, i)
			}
		}
		forEach(r.s.concurrency, todo, func(i int) { r.createParameter(ctx, &results[i]) })
	}
	r.finishParameters(results)
}

func (r *runner) initParameters(results []ParameterResult) {
	for i, p := range r.s.profiles {
		results[i] = ParameterResult{Profile: p, Name: r.s.parameterName(p)}
	}
}

// finishParameters sets the status of every result that has not failed.
func (r *runner) finishParameters(results []ParameterResult) {
	for i := range results {
		switch {
		case results[i].Status == StatusFailed:
		case r.s.planOnly:
			results[i].Status = StatusPlanned
		default:
			results[i].Status = StatusOK
		}
	}
}

// batches splits 0..n-1 into runs of at most maxBatch.
func batches(n int) [][]int {
	var out [][]int
	for lo := 0; lo < n; lo += maxBatch {
		b := make([]int, 0, maxBatch)
		for i := lo; i < min(lo+maxBatch, n); i++ {
			b = append(b, i)
		}
		out = append(out, b)
	}
	return out
}

// readParameters reads every parameter with GetParameters, ten names a call,
// and sets each result's action: none (with its version) when it exists,
// create when it does not, unknown when the read was denied.
func (r *runner) readParameters(ctx context.Context, results []ParameterResult) {
	forEach(r.s.concurrency, batches(len(results)), func(batch []int) {
		names := make([]string, len(batch))
		for j, i := range batch {
			names[j] = results[i].Name
		}
		found, err := r.getParameters(ctx, names)
		for _, i := range batch {
			res := &results[i]
			switch p, ok := found[res.Name]; {
			case err != nil && isAccessDenied(err):
				res.Action, res.Error = ActionUnknown, "cannot read the parameter: "+describe(err)
			case err != nil:
				res.Action, res.Status, res.Error = ActionUnknown, StatusFailed, "reading the parameter: "+describe(err)
			case ok:
				res.Action, res.Version = ActionNone, p.Version
				res.Warnings = policyWarnings(p)
			default:
				res.Action = ActionCreate
			}
		}
	})
}

// getParameters reads up to ten parameters and returns those that exist.
func (r *runner) getParameters(ctx context.Context, names []string) (map[string]ssmtypes.Parameter, error) {
	var out *ssm.GetParametersOutput
	err := r.call(ctx, nil, func(ctx context.Context) (err error) {
		out, err = r.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
		return err
	})
	if err != nil {
		return nil, err
	}
	found := make(map[string]ssmtypes.Parameter, len(out.Parameters))
	for _, p := range out.Parameters {
		found[aws.ToString(p.Name)] = p
	}
	return found, nil
}

// policyWarnings checks an existing value, which is never changed.
func policyWarnings(p ssmtypes.Parameter) []string {
	if p.Type == ssmtypes.ParameterTypeSecureString {
		return []string{"the parameter is a SecureString, so bootstrap did not check its content; bootstrap creates String parameters"}
	}
	return existingPolicyWarnings(aws.ToString(p.Value), "")
}

// withoutSDKRetries makes a PutParameter a single attempt: its retries are
// the library's, so that throttling slows the pace instead of each call
// sleeping on its own.
func withoutSDKRetries(o *ssm.Options) { o.RetryMaxAttempts = 1 }

// createParameter creates one parameter with Overwrite=false, paced to the
// rate SSM accepts. ParameterAlreadyExists (someone created it meanwhile) is
// action none, not a failure.
func (r *runner) createParameter(ctx context.Context, res *ParameterResult) {
	began := time.Now()
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseStart})
	status := StatusOK
	if err := r.putParameter(ctx, res); err != nil {
		status = StatusFailed
		res.Status, res.Error = status, "creating the parameter: "+describe(err)
	}
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseDone, Action: res.Action, Status: status, Detail: res.Error, Elapsed: time.Since(began)})
}

func (r *runner) putParameter(ctx context.Context, res *ParameterResult) error {
	in := &ssm.PutParameterInput{
		Name:        aws.String(res.Name),
		Value:       aws.String(r.s.policyFor(res.Profile)),
		Type:        ssmtypes.ParameterTypeString,
		Tier:        ssmtypes.ParameterTierStandard,
		Overwrite:   aws.Bool(false),
		Description: aws.String(r.s.parameterDescription(res.Profile)),
		Tags:        ssmTags(r.s.tags),
	}
	deadline := time.Now().Add(r.s.waitTimeout)
	transient := maxTransientRetries
	ambiguous := false // an earlier attempt may have succeeded unseen
	for attempt := 0; ; attempt++ {
		if err := r.writes.wait(ctx); err != nil {
			return err
		}
		out, err := r.ssm.PutParameter(ctx, in, withoutSDKRetries)
		switch {
		case err == nil:
			r.writes.success()
			res.Action, res.Version, res.Error = ActionCreate, out.Version, ""
			return nil
		case hasCode(err, codeParameterExists):
			r.writes.success()
			res.Action, res.Error = ActionNone, ""
			if ambiguous {
				r.claimParameter(ctx, res, aws.ToString(in.Value))
			}
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case isThrottle(err):
			r.writes.throttled()
			if time.Now().After(deadline) {
				return fmt.Errorf("still throttled after %s (WithWaitTimeout): %w", r.s.waitTimeout, err)
			}
		case isTransient(err) && transient > 0:
			transient--
			ambiguous = true
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// claimParameter finds out whether a parameter that "already exists" after
// an attempt of ours broke off is in fact ours: same value, so we created it.
func (r *runner) claimParameter(ctx context.Context, res *ParameterResult, value string) {
	found, err := r.getParameters(ctx, []string{res.Name})
	if p, ok := found[res.Name]; err == nil && ok {
		res.Version = p.Version
		if aws.ToString(p.Value) == value {
			res.Action = ActionCreate
		}
	}
}

func ssmTags(tags map[string]string) []ssmtypes.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]ssmtypes.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
