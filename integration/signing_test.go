package integration_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// signingKey creates an RSA_2048 SIGN_VERIFY key in moto, as Sentinel's
// Lambda needs, behind an alias; it returns the key ARN and the alias.
func (e *env) signingKey() (arn, alias string) {
	e.t.Helper()
	ctx := context.Background()
	c := kms.NewFromConfig(e.cfg)
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	alias = "alias/sentinel-signing" + e.suffix
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		e.t.Fatalf("CreateAlias: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn), alias
}

// get reads one parameter directly, or returns nil when it does not exist.
func (e *env) get(name string) *ssmtypes.Parameter {
	e.t.Helper()
	out, err := e.ssm.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{name}})
	if err != nil {
		e.t.Fatalf("GetParameters %s: %v", name, err)
	}
	if len(out.Parameters) == 0 {
		return nil
	}
	return &out.Parameters[0]
}

// checkSigned verifies, as Sentinel's Lambda does, the signature the library
// wrote for the policy of res: KMS Verify with the key, RSASSA_PSS_SHA_256,
// over the exact bytes of the policy parameter's value; and the envelope's
// other fields.
func (e *env) checkSigned(res bootstrap.ParameterResult, keyARN, wantSig string) {
	e.t.Helper()
	if res.Signature == nil || res.Signature.Name != wantSig {
		e.t.Fatalf("%s: signature result %+v; want %s", res.Name, res.Signature, wantSig)
	}
	policy, sig := e.get(res.Name), e.get(wantSig)
	if policy == nil || sig == nil {
		e.t.Fatalf("%s: policy %v, signature %v; want both in SSM", res.Name, policy != nil, sig != nil)
	}
	if sig.Type != ssmtypes.ParameterTypeString {
		e.t.Errorf("%s: type %s; want String", wantSig, sig.Type)
	}
	var env struct {
		Signature string `json:"signature"`
		Metadata  struct {
			KeyID      string `json:"key_id"`
			Algorithm  string `json:"algorithm"`
			SignedAt   string `json:"signed_at"`
			PolicyHash string `json:"policy_hash"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(sig.Value)), &env); err != nil {
		e.t.Fatalf("%s: %v: %s", wantSig, err, aws.ToString(sig.Value))
	}
	value := aws.ToString(policy.Value)
	sum := sha256.Sum256([]byte(value))
	if env.Metadata.PolicyHash != hex.EncodeToString(sum[:]) || env.Metadata.KeyID != keyARN || env.Metadata.Algorithm != "RSASSA_PSS_SHA_256" || env.Metadata.SignedAt == "" {
		e.t.Errorf("%s: metadata %+v; want the value's SHA-256, the key ARN, RSASSA_PSS_SHA_256", wantSig, env.Metadata)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil {
		e.t.Fatalf("%s: signature not base64: %v", wantSig, err)
	}
	out, err := kms.NewFromConfig(e.cfg).Verify(context.Background(), &kms.VerifyInput{
		KeyId: aws.String(keyARN), Message: []byte(value), MessageType: kmstypes.MessageTypeRaw,
		Signature: raw, SigningAlgorithm: kmstypes.SigningAlgorithmSpecRsassaPssSha256,
	})
	if err != nil || !out.SignatureValid {
		e.t.Errorf("%s: KMS Verify over the exact value of %s: valid=%v err=%v", wantSig, res.Name, out != nil && out.SignatureValid, err)
	}
}

// The signatures of the contract suite: a key created in moto, Run with
// WithPolicySigning, then KMS Verify of every signature the library wrote
// over the exact parameter value, for the default root /sentinel/policies
// and for another root; a second Run writes nothing.
func TestIntegrationSigning(t *testing.T) {
	for _, c := range []struct {
		name, root string
		byAlias    bool
	}{
		{name: "default root", root: bootstrap.DefaultPolicyRoot},
		{name: "other root, key by alias", root: "/team/policies", byAlias: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, awsshim.Options{})
			keyARN, alias := e.signingKey()
			key := keyARN
			if c.byAlias {
				key = alias
			}
			// No name suffix, so that the default root is Sentinel's own:
			// the profiles carry the test's suffix instead.
			dev, prod := "dev"+e.suffix, "prod"+e.suffix
			opts := []bootstrap.Option{bootstrap.WithProfiles(dev, prod), bootstrap.WithPolicy(prod, fmt.Sprintf(
				"version: \"1\"\nrules:\n  - name: allow-prod\n    effect: allow\n    conditions:\n      profiles: [%s]\n", prod)),
				bootstrap.WithPolicyRoot(c.root), bootstrap.WithPolicySigning(key), bootstrap.WithTags(map[string]string{"team": "platform"})}
			t.Cleanup(func() {
				if rep, err := bootstrap.Destroy(context.Background(), e.cfg, opts...); err != nil {
					t.Errorf("Destroy: %v\n%s", err, reportJSON(rep))
				}
			})
			run := func() *bootstrap.Report {
				t.Helper()
				rep, err := bootstrap.Run(context.Background(), e.cfg, opts...)
				if err != nil {
					t.Fatalf("Run: %v\n%s", err, reportJSON(rep))
				}
				return rep
			}

			rep := run()
			for _, p := range rep.Parameters {
				want := "/sentinel/signatures/team/policies/" + p.Profile
				if c.root == bootstrap.DefaultPolicyRoot {
					want = "/sentinel/signatures/" + p.Profile
				}
				if p.Action != bootstrap.ActionCreate || p.Signature.Action != bootstrap.ActionCreate || p.Signature.Status != bootstrap.StatusOK {
					t.Errorf("%s: %s, signature %+v; want both created", p.Name, p.Action, p.Signature)
				}
				e.checkSigned(p, keyARN, want)
			}
			if rep.Summary != (bootstrap.Summary{Create: 4}) {
				t.Errorf("Summary %+v; want 4 created", rep.Summary)
			}

			e.shim.Reset()
			again := run()
			if w := e.shim.Writes(); w != 0 {
				t.Errorf("the second Run made %d writes: %v", w, e.shim.Calls())
			}
			if n := e.shim.Counts()["kms:Verify"]; n != 2 {
				t.Errorf("the second Run verified %d signatures; want 2", n)
			}
			for _, p := range again.Parameters {
				if p.Action != bootstrap.ActionNone || p.Signature.Action != bootstrap.ActionNone || len(p.Signature.Warnings) != 0 {
					t.Errorf("rerun %s: %s, signature %+v; want none without warnings", p.Name, p.Action, p.Signature)
				}
			}
		})
	}
}

// A policy changed after it was signed (so its signature no longer
// verifies), and an unsigned policy the library did not write, are warned
// about, never signed or overwritten; a run that stopped between a policy
// and its signature is finished by the next run; Destroy deletes the
// signatures.
func TestIntegrationSigningExistingPolicies(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	keyARN, _ := e.signingKey()
	opts := []bootstrap.Option{bootstrap.WithProfiles("edited", "foreign", "stopped"), bootstrap.WithPolicySigning(keyARN)}
	root := e.root()
	first := e.mustRun(opts...)
	sigOf := func(profile string) string {
		for _, p := range first.Parameters {
			if p.Profile == profile {
				return p.Signature.Name
			}
		}
		t.Fatalf("no %s", profile)
		return ""
	}
	ctx := context.Background()
	// edited: someone changed the policy, not its signature.
	if _, err := e.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(root + "/edited"), Value: aws.String("version: \"1\"\nrules:\n  - name: everyone\n    effect: allow\n    conditions:\n      profiles: [edited]\n"), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	// foreign: a policy bootstrap did not write, unsigned.
	if _, err := e.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{root + "/foreign", sigOf("foreign")}}); err != nil {
		t.Fatal(err)
	}
	e.putParameter(root+"/foreign", "# Generated: 2025-01-01T00:00:00Z\nversion: \"1\"\nrules:\n  - name: deny\n    effect: deny\n    conditions:\n      profiles: [foreign]\n")
	// stopped: the policy was written, its signature was not.
	if _, err := e.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(sigOf("stopped"))}); err != nil {
		t.Fatal(err)
	}
	editedSig := aws.ToString(e.get(sigOf("edited")).Value)

	e.shim.Reset()
	rep := e.mustRun(opts...)
	if puts := e.shim.Counts()["ssm:PutParameter"]; puts != 1 {
		t.Errorf("%d PutParameter calls; want 1 (the stopped run's signature): %v", puts, e.shim.Calls())
	}
	for _, p := range rep.Parameters {
		s := p.Signature
		switch p.Profile {
		case "edited":
			if s.Action != bootstrap.ActionNone || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], s.Name) || !strings.Contains(s.Warnings[0], "policy_hash") {
				t.Errorf("edited: %+v; want a warning naming %s and its policy_hash", s, s.Name)
			}
			if v := aws.ToString(e.get(s.Name).Value); v != editedSig {
				t.Errorf("edited: the signature was overwritten")
			}
		case "foreign":
			if s.Action != bootstrap.ActionNone || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "sentinel policy push foreign foreign.yaml") || e.get(s.Name) != nil {
				t.Errorf("foreign: %+v; want no signature and a warning with the command", s)
			}
		case "stopped":
			if s.Action != bootstrap.ActionCreate || s.Status != bootstrap.StatusOK {
				t.Errorf("stopped: %+v; want the signature created", s)
			}
			e.checkSigned(p, keyARN, sigOf("stopped"))
		}
	}

	drep, err := e.destroy(opts...)
	if err != nil {
		t.Fatalf("Destroy: %v\n%s", err, reportJSON(drep))
	}
	for _, p := range drep.Parameters {
		if e.get(p.Name) != nil || e.get(p.Signature.Name) != nil {
			t.Errorf("%s or %s is left after Destroy", p.Name, p.Signature.Name)
		}
	}
	if drep.Summary != (bootstrap.Summary{Delete: 5, None: 1}) {
		t.Errorf("Destroy summary %+v; want 5 deleted and the foreign signature none", drep.Summary)
	}
}

// What Sentinel itself does with the resources, made through the shim:
// GetParameter of every policy and signature, kms:Verify with the key, and
// its listing of the root (GetParametersByPath, not recursive), which IAM
// authorizes against the path's own ARN. SentinelPolicyReader allows each
// of those calls, and no listing of any other path.
func TestIntegrationSentinelReadsAllowedByReader(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	keyARN, _ := e.signingKey()
	rep := e.mustRun(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicySigning(keyARN), bootstrap.WithIAMPolicies())
	var reader iamDoc
	for _, p := range rep.IAMPolicies {
		if p.Name == bootstrap.IAMPolicyReader {
			if err := json.Unmarshal(p.Document, &reader); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	e.shim.Reset()
	kc := kms.NewFromConfig(e.cfg)
	for _, p := range rep.Parameters {
		var values []string
		for _, name := range []string{p.Name, p.Signature.Name} {
			out, err := e.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			values = append(values, aws.ToString(out.Parameter.Value))
		}
		// The Lambda's check: the envelope's signature, Verify with its key.
		var env struct{ Signature []byte }
		if err := json.Unmarshal([]byte(values[1]), &env); err != nil {
			t.Fatal(err)
		}
		out, err := kc.Verify(ctx, &kms.VerifyInput{KeyId: aws.String(keyARN), Message: []byte(values[0]), MessageType: kmstypes.MessageTypeRaw,
			Signature: env.Signature, SigningAlgorithm: kmstypes.SigningAlgorithmSpecRsassaPssSha256})
		if err != nil || !out.SignatureValid {
			t.Errorf("%s: Verify as the Lambda: %v, %v", p.Name, out != nil && out.SignatureValid, err)
		}
	}
	if _, err := e.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(rep.PolicyRoot), Recursive: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	var reads []lpCall
	for _, c := range e.shim.CallLog() {
		var body struct{ Path string }
		_ = json.Unmarshal(c.Body, &body)
		switch {
		case c.Action == "ssm:GetParametersByPath":
			reads = append(reads, lpCall{c.Action, "arn:aws:ssm:us-east-1:123456789012:parameter" + body.Path, nil})
		case strings.HasPrefix(c.Action, "ssm:"):
			for _, r := range c.Resources {
				reads = append(reads, lpCall{c.Action, "arn:aws:ssm:us-east-1:123456789012:parameter" + r, nil})
			}
		case c.Action == "kms:Verify":
			reads = append(reads, lpCall{c.Action, keyARN, nil})
		}
	}
	actions := map[string]bool{}
	for _, c := range reads {
		actions[c.action] = true
		if _, ok := reader.allows(c); !ok {
			t.Errorf("Sentinel's %s on %s is not allowed by %s", c.action, c.resource, bootstrap.IAMPolicyReader)
		}
	}
	if got, want := slices.Sorted(maps.Keys(actions)), []string{"kms:Verify", "ssm:GetParameter", "ssm:GetParametersByPath"}; !slices.Equal(got, want) {
		t.Errorf("Sentinel's calls %v; want %v", got, want)
	}
	for _, other := range []string{rep.PolicyRoot + "/dev", "/sentinel", "/sentinel/signatures"} {
		if _, ok := reader.allows(lpCall{"ssm:GetParametersByPath", "arn:aws:ssm:us-east-1:123456789012:parameter" + other, nil}); ok {
			t.Errorf("%s allows listing %s; Sentinel lists only the root", bootstrap.IAMPolicyReader, other)
		}
	}
}
