package bootstrap

import (
	"context"
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
	if !r.cfg.planOnly {
		var todo []int
		for i, res := range results {
			// A parameter that could not be read is created too: with
			// Overwrite=false, SSM refuses if it exists after all.
			if res.Status != StatusFailed && (res.Action == ActionCreate || res.Action == ActionUnknown) {
				todo = append(todo, i)
			}
		}
		forEach(r.cfg.concurrency, todo, func(i int) { r.createParameter(ctx, &r.cfg.params[i], &results[i]) })
	}
	r.finishParameters(ctx, results)
}

func (r *runner) initParameters(results []ParameterResult) {
	for i, p := range r.cfg.params {
		results[i] = ParameterResult{Profile: p.profile, Name: p.name}
	}
}

// finishParameters sets the status of every result that has not failed.
func (r *runner) finishParameters(ctx context.Context, results []ParameterResult) {
	for i := range results {
		switch res := &results[i]; {
		case res.Status == StatusFailed:
			if msg, ok := r.stoppedByPanic(ctx); ok {
				res.Error = msg
			}
		case r.cfg.planOnly:
			res.Status = StatusPlanned
		default:
			res.Status = StatusOK
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

// batchNames are the parameter names of one batch of results.
func batchNames(results []ParameterResult, batch []int) []string {
	names := make([]string, len(batch))
	for j, i := range batch {
		names[j] = results[i].Name
	}
	return names
}

// readParameters reads every parameter with GetParameters, ten names a call,
// and sets each result's action: none (with its version) when it exists,
// create when it does not, unknown when the read was denied.
func (r *runner) readParameters(ctx context.Context, results []ParameterResult) {
	forEach(r.cfg.concurrency, batches(len(results)), func(batch []int) {
		found, err := r.getParameters(ctx, batchNames(results, batch))
		for _, i := range batch {
			res := &results[i]
			switch p, ok := found[res.Name]; {
			case err != nil && isAccessDenied(err):
				res.Action, res.Error = ActionUnknown, "cannot read the parameter: "+describe(err)
			case err != nil:
				res.Action, res.Status, res.Error = ActionUnknown, StatusFailed, "reading the parameter: "+describe(err)
			case ok:
				res.Action, res.Version = ActionNone, p.Version
				res.Warnings = policyWarnings(p, r.cfg.sessionTable())
			default:
				res.Action = ActionCreate
				if p := r.cfg.params[i].policy; p != "" { // a starter policy names no session table
					res.Warnings = sessionTableWarnings([]byte(p), r.cfg.sessionTable())
				}
			}
		}
	})
}

// getParameters reads up to ten parameters and returns those that exist.
func (r *runner) getParameters(ctx context.Context, names []string) (map[string]ssmtypes.Parameter, error) {
	out, err := call(ctx, r, retryRule{}, func(ctx context.Context) (*ssm.GetParametersOutput, error) {
		return r.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
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

// policyWarnings checks an existing value, which is never changed, as
// Sentinel would judge it; sessionTable is the selected sessions table, or
// "" (see sessionTableWarnings).
func policyWarnings(p ssmtypes.Parameter, sessionTable string) []string {
	if p.Type == ssmtypes.ParameterTypeSecureString {
		return []string{"the parameter is a SecureString, so bootstrap did not check its content; bootstrap creates String parameters"}
	}
	return existingPolicyWarnings(aws.ToString(p.Value), sessionTable)
}

// noSSMRetries makes a PutParameter a single attempt: its retries are the
// library's, so that throttling slows the pace instead of each call sleeping
// on its own, and so that the library knows whether an attempt whose answer
// was lost may have created the parameter.
func noSSMRetries(o *ssm.Options) { o.RetryMaxAttempts = 1 }

// createParameter creates one parameter with Overwrite=false, paced to the
// rate SSM accepts. ParameterAlreadyExists (someone created it meanwhile) is
// action none, not a failure.
func (r *runner) createParameter(ctx context.Context, p *paramSpec, res *ParameterResult) {
	began := time.Now()
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseStart})
	value := r.cfg.policyFor(p)
	in := &ssm.PutParameterInput{
		Name:        aws.String(res.Name),
		Value:       aws.String(value),
		Type:        ssmtypes.ParameterTypeString,
		Tier:        ssmtypes.ParameterTierStandard,
		Overwrite:   aws.Bool(false),
		Description: aws.String(r.cfg.parameterDescription(p)),
		Tags:        ssmTags(r.cfg.tags),
	}
	out, unsure, err := attempt(ctx, r, retryRule{pace: r.writes}, func(ctx context.Context) (*ssm.PutParameterOutput, error) {
		return r.ssm.PutParameter(ctx, in, noSSMRetries)
	})
	switch {
	case err == nil:
		res.Action, res.Version, res.Error = ActionCreate, out.Version, ""
	case hasCode(err, codeParameterExists):
		res.Action, res.Error = ActionNone, ""
		if unsure {
			r.claimParameter(ctx, res, value)
		}
	default:
		res.Status, res.Error = StatusFailed, "creating the parameter: "+describe(err)
	}
	status := res.Status
	if status == "" {
		status = StatusOK
	}
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseDone, Action: res.Action, Status: status, Detail: res.Error, Elapsed: time.Since(began)})
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

// destroyParameters deletes the selected parameters, ten a call. With
// WithPlanOnly it reads them to say which would be deleted.
func (r *runner) destroyParameters(ctx context.Context, results []ParameterResult) {
	r.initParameters(results)
	if r.cfg.planOnly {
		r.readParameters(ctx, results)
		for i := range results {
			switch results[i].Action {
			case ActionNone:
				results[i].Action = ActionDelete
			case ActionCreate:
				results[i].Action = ActionNone // nothing there to delete
			}
		}
		r.finishParameters(ctx, results)
		return
	}
	forEach(r.cfg.concurrency, batches(len(results)), func(batch []int) {
		out, err := call(ctx, r, retryRule{}, func(ctx context.Context) (*ssm.DeleteParametersOutput, error) {
			return r.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: batchNames(results, batch)})
		})
		deleted := map[string]bool{}
		if err == nil {
			for _, n := range out.DeletedParameters {
				deleted[n] = true
			}
		}
		for _, i := range batch {
			res := &results[i]
			switch {
			case err != nil:
				res.Action, res.Status, res.Error = ActionDelete, StatusFailed, "deleting the parameter: "+describe(err)
			case deleted[res.Name]:
				res.Action = ActionDelete
			default: // listed in InvalidParameters: it was not there
				res.Action = ActionNone
			}
		}
	})
	r.finishParameters(ctx, results)
}
