package bootstrap

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// exportSignatures is Export's signatureFunc: the signature parameters of
// the policies, one per policy parameter and in the same order, or nil when
// the options do not sign. With WithPolicySigning it is the only part of
// Export that calls AWS: it reads the key once (DescribeKey, refusing a key
// that cannot sign as Sentinel verifies) and signs exactly each policy's
// value (Sign). The requests are those Run sends for the signatures: name
// under /sentinel/signatures/, type String, tier Standard, the options'
// tags, and Sentinel's envelope as the value.
func exportSignatures(ctx context.Context, c *config, awsCfg aws.Config, policies []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
	if c.signing == nil {
		return nil, nil
	}
	r, ctx := newRunner(ctx, c, awsCfg)
	defer r.stop(nil)
	key, err := r.describeSigningKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("exporting signed policies: WithPolicySigning(%q): %w", c.signing.given, err)
	}
	out := make([]*ssm.PutParameterInput, len(policies))
	for i, in := range policies {
		p := &c.params[i]
		env, err := r.sign(ctx, key, aws.ToString(in.Value))
		if err != nil {
			return nil, fmt.Errorf("exporting signed policies: signing %s: %w", p.name, err)
		}
		out[i] = newParameterInput(p.sigName, env, signatureDescription(p), c.tags)
	}
	return out, nil
}

// placeholderSignatures is a signatureFunc that calls nothing: each
// signature parameter as exportSignatures writes it, but with no signature
// bytes and no key, so that it is no longer than the real one.
func placeholderSignatures(_ context.Context, c *config, _ aws.Config, policies []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
	if c.signing == nil {
		return nil, nil
	}
	out := make([]*ssm.PutParameterInput, len(policies))
	for i, in := range policies {
		p := &c.params[i]
		out[i] = newParameterInput(p.sigName, newEnvelope(aws.ToString(in.Value), "", nil, time.Time{}), signatureDescription(p), c.tags)
	}
	return out, nil
}
