package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// codeInvalidSignature is KMS's answer to Verify for a signature that does
// not match (moto answers SignatureValid=false instead).
const codeInvalidSignature = "KMSInvalidSignatureException"

// signingKey is the WithPolicySigning key as DescribeKey shows it.
type signingKey struct {
	arn string
}

// errSigningKey marks a key that cannot sign as Sentinel verifies.
var errSigningKey = errors.New("the signing key cannot sign Sentinel policies")

// describeSigningKey reads the key once and checks that it can sign as
// Sentinel's Lambda verifies: an enabled asymmetric RSA key of usage
// SIGN_VERIFY offering RSASSA_PSS_SHA_256, in the run's region.
func (r *runner) describeSigningKey(ctx context.Context) (*signingKey, error) {
	given := r.cfg.signing.given
	out, err := call(ctx, r, retryRule{}, func(ctx context.Context) (*kms.DescribeKeyOutput, error) {
		return r.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(given)})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: reading the key: %s", errSigningKey, describe(err))
	}
	m := out.KeyMetadata
	if m == nil || aws.ToString(m.Arn) == "" {
		return nil, fmt.Errorf("%w: DescribeKey returned no key", errSigningKey)
	}
	arn := parseKMSKey(aws.ToString(m.Arn))
	create := "create one with aws kms create-key --key-spec RSA_4096 --key-usage SIGN_VERIFY, give it to the Lambda in SENTINEL_POLICY_SIGNING_KEY, and pass it here"
	switch {
	case m.KeyUsage != kmstypes.KeyUsageTypeSignVerify:
		return nil, fmt.Errorf("%w: its key usage is %s, and Sentinel verifies policies with an asymmetric RSA key of usage SIGN_VERIFY; %s", errSigningKey, orNone(string(m.KeyUsage)), create)
	case !strings.HasPrefix(string(m.KeySpec), "RSA_"):
		return nil, fmt.Errorf("%w: its key spec is %s, and Sentinel verifies with RSASSA_PSS_SHA_256, which needs an RSA key; %s", errSigningKey, orNone(string(m.KeySpec)), create)
	case !slices.Contains(m.SigningAlgorithms, signingAlgorithm):
		return nil, fmt.Errorf("%w: it does not offer %s, the algorithm Sentinel verifies with; %s", errSigningKey, signingAlgorithm, create)
	case m.KeyState != kmstypes.KeyStateEnabled:
		return nil, fmt.Errorf("%w: the key is %s, not Enabled; enable it (aws kms enable-key) or pass another key", errSigningKey, orNone(string(m.KeyState)))
	case arn.region != r.cfg.region:
		return nil, fmt.Errorf("%w: the key %s is in region %s, not in the run's region %s, where the Lambda verifies", errSigningKey, aws.ToString(m.Arn), arn.region, r.cfg.region)
	}
	return &signingKey{arn: aws.ToString(m.Arn)}, nil
}

func orNone(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// signingFailure is the message of every parameter and signature result when
// the key cannot sign: nothing is written, because a policy written unsigned
// would be refused by the Lambda with signing enforced.
func (r *runner) signingFailure(err error) string {
	return fmt.Sprintf("WithPolicySigning(%q): %v; nothing was written, because Sentinel's Lambda with signing enforced refuses an unsigned policy", r.cfg.signing.given, err)
}

// sign signs a policy value, the exact bytes written, and returns the
// signature parameter's value.
func (r *runner) sign(ctx context.Context, key *signingKey, value string) (string, error) {
	out, err := call(ctx, r, retryRule{}, func(ctx context.Context) (*kms.SignOutput, error) {
		return r.kms.Sign(ctx, &kms.SignInput{
			KeyId:            aws.String(key.arn),
			Message:          []byte(value),
			MessageType:      kmstypes.MessageTypeRaw,
			SigningAlgorithm: signingAlgorithm,
		})
	})
	if err != nil {
		return "", err
	}
	if len(out.Signature) == 0 {
		return "", errors.New("KMS Sign returned no signature")
	}
	return newEnvelope(value, key.arn, out.Signature, time.Now()), nil
}

// verifySignature checks an existing signature parameter's value raw over
// the policy value as Sentinel's Lambda does: it returns the problem, for a
// warning, or "" when the signature verifies; an error when the check
// itself failed.
func (r *runner) verifySignature(ctx context.Context, key *signingKey, raw, value string) (problem string, err error) {
	env, perr := parseEnvelope(raw, value)
	if perr != nil {
		return perr.Error(), nil
	}
	if env.algorithm != signingAlgorithm {
		return fmt.Sprintf("its algorithm is %s, and the Lambda verifies with %s only", env.algorithm, signingAlgorithm), nil
	}
	out, err := call(ctx, r, retryRule{}, func(ctx context.Context) (*kms.VerifyOutput, error) {
		return r.kms.Verify(ctx, &kms.VerifyInput{
			KeyId:            aws.String(key.arn),
			Message:          []byte(value),
			MessageType:      kmstypes.MessageTypeRaw,
			Signature:        env.signature,
			SigningAlgorithm: env.algorithm,
		})
	})
	switch {
	case err == nil && out.SignatureValid:
		return "", nil
	case err == nil || hasCode(err, codeInvalidSignature):
		return fmt.Sprintf("it does not verify with the key %s over the policy's current value", key.arn), nil
	}
	return "", err
}

// signCommand is Sentinel's own command that signs the policy of a profile:
// it reads a local policy file and overwrites both the policy and its
// signature parameter.
func (r *runner) signCommand(p *paramSpec) string {
	file := p.profile + ".yaml"
	var b strings.Builder
	fmt.Fprintf(&b, "sentinel policy push %s %s", p.profile, file)
	if p.name != DefaultPolicyRoot+"/"+p.profile {
		fmt.Fprintf(&b, " --policy-parameter %s", p.name)
	}
	fmt.Fprintf(&b, " --region %s --sign --key-id %s", r.cfg.region, r.cfg.signing.given)
	return b.String()
}

// unsignedWarning is the warning of an existing policy that has no signature
// and that Run does not sign, because it did not write it.
func (r *runner) unsignedWarning(p *paramSpec) string {
	return fmt.Sprintf("the policy %s has no signature (%s), so Sentinel's Lambda with signing enforced refuses it; bootstrap signs only the exact policy it writes, and this value is not that. "+
		"Review the policy, save it as %s.yaml, and sign it with Sentinel: %s (it overwrites %s and %s with the file's content)",
		p.name, p.sigName, p.profile, r.signCommand(p), p.name, p.sigName)
}

// badSignatureWarning is the warning of an existing signature that does not
// match its policy; it is never overwritten.
func (r *runner) badSignatureWarning(p *paramSpec, problem string) string {
	return fmt.Sprintf("the signature parameter %s does not sign the policy %s: %s. Sentinel's Lambda with signing enforced refuses the policy; bootstrap leaves the signature unchanged. "+
		"Review the policy, save it as %s.yaml, and sign it with Sentinel: %s",
		p.sigName, p.name, problem, p.profile, r.signCommand(p))
}
