package bootstrap

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The signature of each policy parameter, with WithPolicySigning: planned
// from what readParameters saw (planSignatures), then written after the
// policy (createPolicy, signExisting). The library signs only a value it
// wrote, or would write, from the caller's own options (config.policyFor).

// failSigning fails every parameter and signature result when the key cannot
// sign: nothing is read or written.
func (r *runner) failSigning(results []ParameterResult, err error) {
	msg := r.signingFailure(err)
	for i := range results {
		res := &results[i]
		res.Action, res.Status, res.Error = ActionUnknown, StatusFailed, msg
		res.Signature.Action, res.Signature.Status, res.Signature.Error = ActionUnknown, StatusFailed, msg
	}
}

// planSignatures sets the action of every signature result, verifies the
// existing signatures (concurrently, at most WithConcurrency at once) and
// marks in seen which policies are to be signed.
func (r *runner) planSignatures(ctx context.Context, key *signingKey, results []ParameterResult, seen []paramsSeen) {
	idx := make([]int, len(results))
	for i := range idx {
		idx[i] = i
	}
	forEach(r.cfg.concurrency, idx, func(i int) {
		r.planSignature(ctx, key, &r.cfg.params[i], &results[i], &seen[i])
	})
}

func (r *runner) planSignature(ctx context.Context, key *signingKey, p *paramSpec, res *ParameterResult, o *paramsSeen) {
	s := res.Signature
	ours := r.cfg.policyFor(p)
	// The value the policy has, or gets from this run; "" when not known.
	value, known := "", false
	switch {
	case res.Action == ActionCreate:
		value, known = ours, true
	case o.policy != nil:
		value, known = aws.ToString(o.policy.Value), true
	}
	isOurs := known && value == ours && (o.policy == nil || o.policy.Type == ssmtypes.ParameterTypeString)

	switch {
	case res.Status == StatusFailed:
		s.Action, s.Status, s.Error = ActionUnknown, StatusFailed, "not checked: the policy parameter could not be read"
	case o.sigErr != nil:
		if isAccessDenied(o.sigErr) {
			s.Action, s.Error = ActionUnknown, "cannot read the signature parameter: "+describe(o.sigErr)
			// Written with Overwrite=false, so an existing one is kept.
			o.wantSig = isOurs || res.Action == ActionUnknown
		} else {
			s.Action, s.Status, s.Error = ActionUnknown, StatusFailed, "reading the signature parameter: "+describe(o.sigErr)
		}
	case o.sig != nil && !known:
		s.Action, s.Error = ActionNone, "not verified: the policy parameter could not be read"
	case o.sig != nil:
		s.Action = ActionNone
		r.checkSignature(ctx, key, p, s, aws.ToString(o.sig.Value), value)
	case res.Action == ActionUnknown:
		s.Action, s.Error = ActionUnknown, "the policy parameter could not be read: it is signed if this run creates it"
		o.wantSig = true
	case isOurs:
		s.Action, o.wantSig = ActionCreate, true
	default:
		s.Action = ActionNone
		s.Warnings = append(s.Warnings, r.unsignedWarning(p))
	}
}

// checkSignature verifies an existing signature over value and records a
// warning when it does not match, or the failure of the check.
func (r *runner) checkSignature(ctx context.Context, key *signingKey, p *paramSpec, s *SignatureResult, raw, value string) {
	problem, err := r.verifySignature(ctx, key, raw, value)
	switch {
	case err != nil && isAccessDenied(err):
		s.Action, s.Error = ActionUnknown, "cannot verify the signature: "+describe(err)
	case err != nil:
		s.Status, s.Error = StatusFailed, "verifying the signature: "+describe(err)
	case problem != "":
		s.Warnings = append(s.Warnings, r.badSignatureWarning(p, problem))
	}
}

// createPolicy creates a policy parameter and, when wantSig, its signature.
// The value is signed before anything is written: when signing fails,
// nothing is, since an unsigned policy would be refused by Sentinel's Lambda
// with signing enforced.
func (r *runner) createPolicy(ctx context.Context, key *signingKey, p *paramSpec, res *ParameterResult, wantSig bool) {
	value := r.cfg.policyFor(p)
	if key == nil {
		r.createParameter(ctx, p, res, value)
		return
	}
	s := res.Signature
	sig := ""
	if wantSig {
		v, err := r.sign(ctx, key, value)
		if err != nil {
			res.Status, res.Error = StatusFailed, "not created: signing the policy failed ("+describe(err)+"), and Sentinel's Lambda with signing enforced refuses an unsigned policy"
			s.Status, s.Error = StatusFailed, "signing the policy: "+describe(err)
			return
		}
		sig = v
	}
	out := r.createParameter(ctx, p, res, value)
	switch {
	case out.err != nil:
		if wantSig {
			s.Status, s.Error = StatusFailed, "not written: the policy parameter was not created"
		}
	case !out.created && out.exists != nil && out.exists.Type == ssmtypes.ParameterTypeString && aws.ToString(out.exists.Value) == value:
		// Created meanwhile with exactly our value: signed all the same.
		if wantSig {
			r.createSignature(ctx, key, p, s, sig, value)
		}
	case !out.created:
		if wantSig {
			s.Action, s.Error = ActionUnknown, "not signed: the policy parameter already exists, and this run cannot tell that its value is the one it would write"
		}
	case wantSig:
		r.createSignature(ctx, key, p, s, sig, value)
	}
}

// signExisting signs an existing policy whose value is exactly what these
// options write (a run that stopped between the two writes), and creates its
// signature parameter.
func (r *runner) signExisting(ctx context.Context, key *signingKey, p *paramSpec, res *ParameterResult, value string) {
	s := res.Signature
	sig, err := r.sign(ctx, key, value)
	if err != nil {
		s.Status, s.Error = StatusFailed, "signing the policy: "+describe(err)
		return
	}
	r.createSignature(ctx, key, p, s, sig, value)
}

// createSignature creates the signature parameter with Overwrite=false. One
// that exists after all (created meanwhile) is verified, never overwritten.
func (r *runner) createSignature(ctx context.Context, key *signingKey, p *paramSpec, s *SignatureResult, sig, value string) {
	began := time.Now()
	r.emit(Event{Kind: "signature", Resource: s.Name, Phase: PhaseStart})
	out := r.putNew(ctx, s.Name, sig, signatureDescription(p))
	switch {
	case out.created:
		s.Action, s.Error = ActionCreate, ""
	case out.err != nil:
		s.Action, s.Status, s.Error = ActionCreate, StatusFailed, "creating the signature parameter: "+describe(out.err)
	case out.exists != nil:
		s.Action, s.Error = ActionNone, ""
		r.checkSignature(ctx, key, p, s, aws.ToString(out.exists.Value), value)
	default:
		s.Action, s.Error = ActionUnknown, "the signature parameter exists but could not be read, so it was not verified"
	}
	status := s.Status
	if status == "" {
		status = StatusOK
	}
	r.emit(Event{Kind: "signature", Resource: s.Name, Phase: PhaseDone, Action: s.Action, Status: status, Detail: s.Error, Elapsed: time.Since(began)})
}

// signatureDescription is the Description of a signature parameter.
func signatureDescription(p *paramSpec) string { return "Sentinel policy signature of " + p.name }
