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

// parameters plans, and unless WithPlanOnly creates, the policy parameters
// and, with WithPolicySigning, their signatures. An existing parameter is
// never modified.
func (r *runner) parameters(ctx context.Context, results []ParameterResult) {
	r.initParameters(results)
	var key *signingKey
	if r.cfg.signing != nil {
		k, err := r.describeSigningKey(ctx)
		if err != nil {
			r.failSigning(results, err)
			r.finishParameters(ctx, results)
			return
		}
		key = k
	}
	seen := r.readParameters(ctx, results)
	if key != nil {
		r.planSignatures(ctx, key, results, seen)
	}
	if !r.cfg.planOnly {
		var todo []int
		for i, res := range results {
			// A parameter that could not be read is created too: with
			// Overwrite=false, SSM refuses if it exists after all.
			create := res.Status != StatusFailed && (res.Action == ActionCreate || res.Action == ActionUnknown)
			if create || (key != nil && seen[i].wantSig && res.Signature.Status != StatusFailed) {
				todo = append(todo, i)
			}
		}
		forEach(r.cfg.concurrency, todo, func(i int) {
			p, res := &r.cfg.params[i], &results[i]
			if res.Action == ActionNone { // an existing policy, exactly ours, not signed yet
				r.signExisting(ctx, key, p, res, aws.ToString(seen[i].policy.Value))
				return
			}
			r.createPolicy(ctx, key, p, res, seen[i].wantSig)
		})
	}
	r.finishParameters(ctx, results)
}

func (r *runner) initParameters(results []ParameterResult) {
	for i, p := range r.cfg.params {
		results[i] = ParameterResult{Profile: p.profile, Name: p.name}
		if p.sigName != "" {
			results[i].Signature = &SignatureResult{Name: p.sigName}
		}
	}
}

// finishParameters sets the status of every result that has not failed.
func (r *runner) finishParameters(ctx context.Context, results []ParameterResult) {
	finish := func(status, errText *string) {
		switch {
		case *status == StatusFailed:
			if msg, ok := r.stoppedByPanic(ctx); ok {
				*errText = msg
			}
		case r.cfg.planOnly:
			*status = StatusPlanned
		default:
			*status = StatusOK
		}
	}
	for i := range results {
		res := &results[i]
		finish(&res.Status, &res.Error)
		if s := res.Signature; s != nil {
			finish(&s.Status, &s.Error)
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

// paramName is one name a batch reads or deletes: the policy parameter of
// profile i, or its signature parameter.
type paramName struct {
	i   int
	sig bool
}

// allNames lists the policy parameter of every profile, each followed by its
// signature parameter with WithPolicySigning.
func (r *runner) allNames() []paramName {
	out := make([]paramName, 0, 2*len(r.cfg.params))
	for i, p := range r.cfg.params {
		out = append(out, paramName{i: i})
		if p.sigName != "" {
			out = append(out, paramName{i: i, sig: true})
		}
	}
	return out
}

func (r *runner) nameOf(n paramName) string {
	if n.sig {
		return r.cfg.params[n.i].sigName
	}
	return r.cfg.params[n.i].name
}

// batchNames are the parameter names of one batch.
func (r *runner) batchNames(names []paramName, batch []int) []string {
	out := make([]string, len(batch))
	for j, k := range batch {
		out[j] = r.nameOf(names[k])
	}
	return out
}

// paramsSeen is what the plan read about one profile's parameters.
type paramsSeen struct {
	policy  *ssmtypes.Parameter // the existing policy parameter, or nil
	sig     *ssmtypes.Parameter // the existing signature parameter, or nil
	sigErr  error               // reading the signature parameter failed
	wantSig bool                // sign the policy's value once it is known to be exactly ours
}

// readParameters reads every parameter (and signature parameter) with
// GetParameters, ten names a call, and sets each result's action: none (with
// its version) when it exists, create when it does not, unknown when the
// read was denied.
func (r *runner) readParameters(ctx context.Context, results []ParameterResult) []paramsSeen {
	seen := make([]paramsSeen, len(results))
	names := r.allNames()
	forEach(r.cfg.concurrency, batches(len(names)), func(batch []int) {
		found, err := r.getParameters(ctx, r.batchNames(names, batch))
		for _, k := range batch {
			n := names[k]
			p, ok := found[r.nameOf(n)]
			if n.sig {
				switch {
				case err != nil:
					seen[n.i].sigErr = err
				case ok:
					seen[n.i].sig = &p
				}
				continue
			}
			res := &results[n.i]
			switch {
			case err != nil && isAccessDenied(err):
				res.Action, res.Error = ActionUnknown, "cannot read the parameter: "+describe(err)
			case err != nil:
				res.Action, res.Status, res.Error = ActionUnknown, StatusFailed, "reading the parameter: "+describe(err)
			case ok:
				res.Action, res.Version = ActionNone, p.Version
				res.Warnings = policyWarnings(p, r.cfg.sessionTable())
				seen[n.i].policy = &p
			default:
				res.Action = ActionCreate
				if p := r.cfg.params[n.i].policy; p != "" { // a starter policy names no session table
					res.Warnings = sessionTableWarnings([]byte(p), r.cfg.sessionTable())
				}
			}
		}
	})
	return seen
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

// noSSMRetries makes a PutParameter or DeleteParameters a single attempt
// as far as the SDK goes: its retries are the library's, so that throttling
// slows the pace instead of each call sleeping on its own, and so that the
// library knows whether an attempt whose answer was lost may have created
// (or deleted) the parameter.
func noSSMRetries(o *ssm.Options) { o.RetryMaxAttempts = 1 }

// put is the outcome of putNew.
type put struct {
	created bool                // this run created the parameter
	exists  *ssmtypes.Parameter // it existed, as read back (nil when it could not be read)
	version int64
	err     error // the write failed
}

// putNew creates one parameter of type String with Overwrite=false, paced to
// the rate SSM accepts. ParameterAlreadyExists (someone created it
// meanwhile) is not a failure; when an attempt of ours broke off first, the
// parameter is read back: the same value means this run created it.
// newParameterInput is the request that creates a policy or signature
// parameter: type String, tier Standard, never overwriting, with the tags.
// Run and Export both build their parameters with it.
func newParameterInput(name, value, description string, tags map[string]string) *ssm.PutParameterInput {
	return &ssm.PutParameterInput{
		Name:        aws.String(name),
		Value:       aws.String(value),
		Type:        ssmtypes.ParameterTypeString,
		Tier:        ssmtypes.ParameterTierStandard,
		Overwrite:   aws.Bool(false),
		Description: aws.String(description),
		Tags:        ssmTags(tags),
	}
}

func (r *runner) putNew(ctx context.Context, name, value, description string) put {
	in := newParameterInput(name, value, description, r.cfg.tags)
	out, unsure, err := attempt(ctx, r, retryRule{pace: r.writes}, func(ctx context.Context) (*ssm.PutParameterOutput, error) {
		return r.ssm.PutParameter(ctx, in, noSSMRetries)
	})
	switch {
	case err == nil:
		return put{created: true, version: out.Version}
	case !hasCode(err, codeParameterExists):
		return put{err: err}
	}
	var res put
	if unsure || r.cfg.signing != nil { // with signing, what exists decides what is signed
		found, rerr := r.getParameters(ctx, []string{name})
		if p, ok := found[name]; rerr == nil && ok {
			res.exists, res.version = &p, p.Version
			res.created = unsure && aws.ToString(p.Value) == value
		}
	}
	return res
}

// createParameter creates one policy parameter (see putNew) and records the
// outcome in res.
func (r *runner) createParameter(ctx context.Context, p *paramSpec, res *ParameterResult, value string) put {
	began := time.Now()
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseStart})
	out := r.putNew(ctx, res.Name, value, r.cfg.parameterDescription(p))
	switch {
	case out.created:
		res.Action, res.Version, res.Error = ActionCreate, out.version, ""
	case out.err == nil:
		res.Action, res.Version, res.Error = ActionNone, out.version, ""
	default:
		res.Status, res.Error = StatusFailed, "creating the parameter: "+describe(out.err)
	}
	status := res.Status
	if status == "" {
		status = StatusOK
	}
	r.emit(Event{Kind: "parameter", Resource: res.Name, Phase: PhaseDone, Action: res.Action, Status: status, Detail: res.Error, Elapsed: time.Since(began)})
	return out
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

// destroyParameters deletes the selected parameters and, with
// WithPolicySigning, their signature parameters, ten names a call. With
// WithPlanOnly it reads them to say which would be deleted.
func (r *runner) destroyParameters(ctx context.Context, results []ParameterResult) {
	r.initParameters(results)
	if r.cfg.planOnly {
		seen := r.readParameters(ctx, results)
		for i := range results {
			switch results[i].Action {
			case ActionNone:
				results[i].Action = ActionDelete
			case ActionCreate:
				results[i].Action = ActionNone // nothing there to delete
			}
			if s := results[i].Signature; s != nil {
				switch o := seen[i]; {
				case o.sigErr != nil && isAccessDenied(o.sigErr):
					s.Action, s.Error = ActionUnknown, "cannot read the signature parameter: "+describe(o.sigErr)
				case o.sigErr != nil:
					s.Action, s.Status, s.Error = ActionUnknown, StatusFailed, "reading the signature parameter: "+describe(o.sigErr)
				case o.sig != nil:
					s.Action = ActionDelete
				default:
					s.Action = ActionNone
				}
			}
		}
		r.dropAbsentSignatures(results)
		r.finishParameters(ctx, results)
		return
	}
	names := r.allNames()
	forEach(r.cfg.concurrency, batches(len(names)), func(batch []int) {
		out, unsure, err := attempt(ctx, r, retryRule{}, func(ctx context.Context) (*ssm.DeleteParametersOutput, error) {
			return r.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: r.batchNames(names, batch)}, noSSMRetries)
		})
		deleted := map[string]bool{}
		if err == nil {
			for _, n := range out.DeletedParameters {
				deleted[n] = true
			}
		}
		for _, k := range batch {
			n := names[k]
			action, status, errText := &results[n.i].Action, &results[n.i].Status, &results[n.i].Error
			if n.sig {
				s := results[n.i].Signature
				action, status, errText = &s.Action, &s.Status, &s.Error
			}
			switch {
			case err != nil:
				*action, *status, *errText = ActionDelete, StatusFailed, "deleting the parameter: "+describe(err)
			case deleted[r.nameOf(n)]:
				*action = ActionDelete
			case unsure && (!n.sig || r.cfg.signing != nil):
				// Listed in InvalidParameters after an attempt whose answer
				// was lost: that attempt deleted it. (A signature the options
				// did not ask for is most likely one that was never there.)
				*action = ActionDelete
			default: // listed in InvalidParameters: it was not there
				*action = ActionNone
			}
		}
	})
	r.dropAbsentSignatures(results)
	r.finishParameters(ctx, results)
}

// dropAbsentSignatures removes, without WithPolicySigning, the signature
// results of Destroy that found nothing to delete: the options did not ask
// for signatures, so only one that was there (or could not be read) is
// worth a line.
func (r *runner) dropAbsentSignatures(results []ParameterResult) {
	if r.cfg.signing != nil {
		return
	}
	for i := range results {
		if s := results[i].Signature; s != nil && s.Action == ActionNone && s.Status != StatusFailed && s.Error == "" {
			results[i].Signature = nil
		}
	}
}
