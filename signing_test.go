package bootstrap_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// The signing key of the unit tests, in testRegion.
const (
	testSignKeyID  = "aaaaaaaa-2222-3333-4444-555555555555"
	testSignKeyARN = "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/" + testSignKeyID
)

// signingKeyMetadata is DescribeKey's answer for a good signing key named
// keyID (a key ID, key ARN, alias name or alias ARN) in region: an enabled
// RSA key of usage SIGN_VERIFY offering the algorithms KMS offers for RSA.
func signingKeyMetadata(keyID, region string) *kmstypes.KeyMetadata {
	arn := keyID
	switch {
	case strings.Contains(keyID, ":key/"):
	case strings.HasPrefix(keyID, "arn:"): // an alias ARN
		arn = keyID[:strings.Index(keyID, ":alias/")] + ":key/" + testSignKeyID
	case strings.HasPrefix(keyID, "alias/"):
		arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", iamPartition(region), region, testAccount, testSignKeyID)
	default:
		arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", iamPartition(region), region, testAccount, keyID)
	}
	return &kmstypes.KeyMetadata{
		Arn:      aws.String(arn),
		KeyId:    aws.String(arn[strings.LastIndex(arn, "/")+1:]),
		Enabled:  true,
		KeyState: kmstypes.KeyStateEnabled,
		KeyUsage: kmstypes.KeyUsageTypeSignVerify,
		KeySpec:  kmstypes.KeySpecRsa4096,
		SigningAlgorithms: []kmstypes.SigningAlgorithmSpec{
			kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256, kmstypes.SigningAlgorithmSpecRsassaPssSha256, kmstypes.SigningAlgorithmSpecRsassaPssSha512,
		},
	}
}

// fakeSignature is what the fake KMS signs a message to: a stand-in that
// Verify can check, bound to the exact message bytes.
func fakeSignature(message []byte) []byte {
	sum := sha256.Sum256(append([]byte("signed:"), message...))
	return sum[:]
}

// fakeAWS is an SSM parameter store and a KMS signing key, on mocks, that
// record every call in order. Calls nobody expects still fail the test
// (the mocks have no other expectations).
type fakeAWS struct {
	t      *testing.T
	mu     sync.Mutex
	params map[string]ssmtypes.Parameter
	key    *kmstypes.KeyMetadata
	log    []string // "get N1,N2", "put NAME", "delete N1,N2", "describe KEY", "sign", "verify"

	puts     map[string]*ssm.PutParameterInput
	signed   [][]byte // Sign's messages
	verified []*kms.VerifyInput

	// hooks, when set, answer instead of the fake
	onSign   func(in *kms.SignInput) (*kms.SignOutput, error)
	onVerify func(in *kms.VerifyInput) (*kms.VerifyOutput, error)
	onPut    func(in *ssm.PutParameterInput) (*ssm.PutParameterOutput, error, bool)
	onDelete func(in *ssm.DeleteParametersInput) (*ssm.DeleteParametersOutput, error, bool)
}

func newFakeAWS(t *testing.T) (*fakeAWS, []bootstrap.Option) {
	t.Helper()
	ctrl := gomock.NewController(t)
	s, k := mocks.NewMockSSMAPI(ctrl), mocks.NewMockKMSAPI(ctrl)
	f := &fakeAWS{t: t, params: map[string]ssmtypes.Parameter{}, puts: map[string]*ssm.PutParameterInput{},
		key: signingKeyMetadata(testSignKeyARN, testRegion)}
	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(in.Names) > 10 {
				t.Errorf("GetParameters with %d names", len(in.Names))
			}
			f.log = append(f.log, "get "+strings.Join(in.Names, ","))
			return getParametersFrom(f.params, in.Names), nil
		})
	s.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			name := aws.ToString(in.Name)
			f.log = append(f.log, "put "+name)
			if in.Overwrite == nil || *in.Overwrite {
				t.Errorf("PutParameter %s without Overwrite=false", name)
			}
			if f.onPut != nil {
				if out, err, ok := f.onPut(in); ok {
					return out, err
				}
			}
			if _, ok := f.params[name]; ok {
				return nil, opErr("SSM", "PutParameter", &ssmtypes.ParameterAlreadyExists{Message: aws.String("The parameter already exists.")})
			}
			f.puts[name] = in
			f.params[name] = ssmtypes.Parameter{Name: in.Name, Value: in.Value, Type: in.Type, Version: 1}
			return &ssm.PutParameterOutput{Version: 1}, nil
		})
	s.EXPECT().DeleteParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.DeleteParametersInput, _ ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(in.Names) > 10 {
				t.Errorf("DeleteParameters with %d names", len(in.Names))
			}
			f.log = append(f.log, "delete "+strings.Join(in.Names, ","))
			if f.onDelete != nil {
				if out, err, ok := f.onDelete(in); ok {
					return out, err
				}
			}
			out := &ssm.DeleteParametersOutput{}
			for _, n := range in.Names {
				if _, ok := f.params[n]; ok {
					delete(f.params, n)
					out.DeletedParameters = append(out.DeletedParameters, n)
				} else {
					out.InvalidParameters = append(out.InvalidParameters, n)
				}
			}
			return out, nil
		})
	k.EXPECT().DescribeKey(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.log = append(f.log, "describe "+aws.ToString(in.KeyId))
			if f.key == nil {
				return nil, opErr("KMS", "DescribeKey", &kmstypes.NotFoundException{Message: aws.String("Key '" + aws.ToString(in.KeyId) + "' does not exist")})
			}
			return &kms.DescribeKeyOutput{KeyMetadata: f.key}, nil
		})
	k.EXPECT().Sign(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *kms.SignInput, _ ...func(*kms.Options)) (*kms.SignOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.log = append(f.log, "sign")
			f.signed = append(f.signed, slices.Clone(in.Message))
			if aws.ToString(in.KeyId) != aws.ToString(f.key.Arn) || in.MessageType != kmstypes.MessageTypeRaw || in.SigningAlgorithm != kmstypes.SigningAlgorithmSpecRsassaPssSha256 {
				t.Errorf("Sign(KeyId %s, MessageType %s, SigningAlgorithm %s); want the key ARN, RAW, RSASSA_PSS_SHA_256",
					aws.ToString(in.KeyId), in.MessageType, in.SigningAlgorithm)
			}
			if f.onSign != nil {
				return f.onSign(in)
			}
			return &kms.SignOutput{KeyId: f.key.Arn, Signature: fakeSignature(in.Message), SigningAlgorithm: in.SigningAlgorithm}, nil
		})
	k.EXPECT().Verify(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *kms.VerifyInput, _ ...func(*kms.Options)) (*kms.VerifyOutput, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.log = append(f.log, "verify")
			f.verified = append(f.verified, in)
			if f.onVerify != nil {
				return f.onVerify(in)
			}
			valid := slices.Equal(in.Signature, fakeSignature(in.Message)) && in.SigningAlgorithm == kmstypes.SigningAlgorithmSpecRsassaPssSha256
			return &kms.VerifyOutput{KeyId: f.key.Arn, SignatureValid: valid, SigningAlgorithm: in.SigningAlgorithm}, nil
		})
	return f, []bootstrap.Option{bootstrap.WithSSMClient(s), bootstrap.WithKMSClient(k), bootstrap.WithWaitTimeout(shortWait)}
}

// set stores an existing parameter of type String.
func (f *fakeAWS) set(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.params[name] = ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Version: 3}
}

func (f *fakeAWS) value(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.params[name]
	return aws.ToString(p.Value), ok
}

func (f *fakeAWS) calls(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.log {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAWS) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log, f.signed, f.verified = nil, nil, nil
	f.puts = map[string]*ssm.PutParameterInput{}
}

// goodEnvelope is a signature value as Sentinel writes it, over value, that
// the fake key verifies.
func goodEnvelope(value string) string {
	sum := sha256.Sum256([]byte(value))
	b, _ := json.Marshal(map[string]any{
		"signature": base64.StdEncoding.EncodeToString(fakeSignature([]byte(value))),
		"metadata": map[string]string{
			"key_id": testSignKeyARN, "algorithm": "RSASSA_PSS_SHA_256",
			"signed_at": "2026-01-26T10:30:00Z", "policy_hash": hex.EncodeToString(sum[:]),
		},
	})
	return string(b)
}

// unavailable is a 503 answer: the write may have been carried out.
func unavailable() error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable}},
		Err:      apiErr("ServiceUnavailable", "service unavailable"),
	}
}

func sigName(profile string) string { return "/sentinel/signatures/" + profile }

// signing runs with the fake and WithPolicySigning.
func signing(f []bootstrap.Option, more ...bootstrap.Option) []bootstrap.Option {
	return opts(f, append([]bootstrap.Option{bootstrap.WithPolicySigning(testSignKeyARN)}, more...)...)
}

// The envelope as the tests read it, field by field.
type testEnvelope struct {
	Signature string `json:"signature"`
	Metadata  struct {
		KeyID      string `json:"key_id"`
		Algorithm  string `json:"algorithm"`
		SignedAt   string `json:"signed_at"`
		PolicyHash string `json:"policy_hash"`
	} `json:"metadata"`
}

// A fresh run signs the exact value of every policy it creates (before
// writing it) and creates each signature parameter at Sentinel's path with
// Sentinel's envelope, after its policy: type String, Overwrite=false, the
// tags and a description. Names are read ten a call, policies and
// signatures together.
func TestSigningSignsTheExactValueWritten(t *testing.T) {
	f, clients := newFakeAWS(t)
	custom := validPolicy("prod")
	tags := map[string]string{"team": "platform"}
	began := time.Now().UTC().Truncate(time.Second)
	rep := mustRun(t, signing(clients, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("prod", custom), bootstrap.WithTags(tags))...)

	if got := f.calls("describe"); !slices.Equal(got, []string{"describe " + testSignKeyARN}) {
		t.Errorf("DescribeKey calls %q; want exactly one, for the key as given", got)
	}
	wantGet := "get " + strings.Join([]string{paramName("dev"), sigName("dev"), paramName("prod"), sigName("prod")}, ",")
	if got := f.calls("get"); len(got) != 1 || got[0] != wantGet {
		t.Errorf("reads %q; want one GetParameters of %q", got, wantGet)
	}
	for _, profile := range []string{"dev", "prod"} {
		pol, sig := f.puts[paramName(profile)], f.puts[sigName(profile)]
		if pol == nil || sig == nil {
			t.Fatalf("%s: policy put %v, signature put %v; want both", profile, pol != nil, sig != nil)
		}
		value := aws.ToString(pol.Value)
		if profile == "prod" && value != custom {
			t.Errorf("prod policy %q; want the WithPolicy text", value)
		}
		if !slices.ContainsFunc(f.signed, func(m []byte) bool { return string(m) == value }) {
			t.Errorf("%s: no Sign over the exact policy value written", profile)
		}
		if sig.Type != ssmtypes.ParameterTypeString || aws.ToBool(sig.Overwrite) || len(sig.Tags) != 1 || aws.ToString(sig.Tags[0].Key) != "team" ||
			!strings.Contains(aws.ToString(sig.Description), paramName(profile)) || sig.Tier != ssmtypes.ParameterTierStandard {
			t.Errorf("%s signature put: type %s, overwrite %v, tags %v, description %q, tier %s", profile, sig.Type, aws.ToBool(sig.Overwrite), sig.Tags, aws.ToString(sig.Description), sig.Tier)
		}
		var env testEnvelope
		dec := json.NewDecoder(strings.NewReader(aws.ToString(sig.Value)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&env); err != nil {
			t.Fatalf("%s: the signature value is not the envelope: %v: %s", profile, err, aws.ToString(sig.Value))
		}
		sum := sha256.Sum256([]byte(value))
		if env.Metadata.PolicyHash != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: policy_hash %q; want the lowercase hex SHA-256 of the value", profile, env.Metadata.PolicyHash)
		}
		if env.Metadata.KeyID != testSignKeyARN || env.Metadata.Algorithm != "RSASSA_PSS_SHA_256" {
			t.Errorf("%s: key_id %q, algorithm %q", profile, env.Metadata.KeyID, env.Metadata.Algorithm)
		}
		at, err := time.Parse(time.RFC3339, env.Metadata.SignedAt)
		if err != nil || !strings.HasSuffix(env.Metadata.SignedAt, "Z") || at.Before(began) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: signed_at %q (%v); want RFC 3339 in UTC, now", profile, env.Metadata.SignedAt, err)
		}
		if b, err := base64.StdEncoding.DecodeString(env.Signature); err != nil || !slices.Equal(b, fakeSignature([]byte(value))) {
			t.Errorf("%s: signature %q is not the standard base64 of KMS's signature bytes", profile, env.Signature)
		}
		res := paramResult(t, rep, profile)
		if res.Action != bootstrap.ActionCreate || res.Signature == nil || res.Signature.Name != sigName(profile) ||
			res.Signature.Action != bootstrap.ActionCreate || res.Signature.Status != bootstrap.StatusOK {
			t.Errorf("%s result %+v, signature %+v; want both created", profile, res, res.Signature)
		}
	}
	// Per profile: sign, then the policy, then its signature.
	order := map[string]int{}
	for i, c := range f.log {
		order[c] = i
	}
	for _, profile := range []string{"dev", "prod"} {
		if order["put "+paramName(profile)] > order["put "+sigName(profile)] {
			t.Errorf("%s: the signature was written before the policy: %q", profile, f.log)
		}
	}
	if i := slices.Index(f.log, "sign"); i < 0 || i > slices.IndexFunc(f.log, func(c string) bool { return strings.HasPrefix(c, "put ") }) {
		t.Errorf("a policy was written before anything was signed: %q", f.log)
	}
	if want := (bootstrap.Summary{Create: 4}); rep.Summary != want {
		t.Errorf("Summary %+v; want %+v (signatures count as resources)", rep.Summary, want)
	}
}

// A second run over what the first wrote writes nothing: it verifies every
// signature over the current value, and reports none.
func TestSigningRerunVerifiesAndWritesNothing(t *testing.T) {
	f, clients := newFakeAWS(t)
	o := signing(clients, bootstrap.WithProfiles("dev", "prod"))
	mustRun(t, o...)
	f.reset()
	rep := mustRun(t, o...)
	if puts := f.calls("put"); len(puts) != 0 {
		t.Errorf("the rerun wrote %q", puts)
	}
	if len(f.signed) != 0 || len(f.verified) != 2 {
		t.Errorf("the rerun signed %d and verified %d; want 0 and 2", len(f.signed), len(f.verified))
	}
	for _, in := range f.verified {
		if aws.ToString(in.KeyId) != testSignKeyARN || in.MessageType != kmstypes.MessageTypeRaw || in.SigningAlgorithm != kmstypes.SigningAlgorithmSpecRsassaPssSha256 {
			t.Errorf("Verify(%s, %s, %s); want the key ARN, RAW, the envelope's algorithm", aws.ToString(in.KeyId), in.MessageType, in.SigningAlgorithm)
		}
	}
	for _, p := range rep.Parameters {
		if p.Action != bootstrap.ActionNone || p.Signature.Action != bootstrap.ActionNone || len(p.Signature.Warnings) != 0 || p.Signature.Status != bootstrap.StatusOK {
			t.Errorf("%s: %+v signature %+v; want none, no warning", p.Profile, p, p.Signature)
		}
	}
	if want := (bootstrap.Summary{None: 4}); rep.Summary != want {
		t.Errorf("Summary %+v; want %+v", rep.Summary, want)
	}
}

// A run that stopped between the policy and its signature is finished by
// the next: an existing policy that is byte for byte what the options would
// write (the starter policy, or the WithPolicy text) is signed.
func TestSigningSignsAnExistingPolicyThatIsExactlyOurs(t *testing.T) {
	f, clients := newFakeAWS(t)
	custom := validPolicy("prod")
	o := signing(clients, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("prod", custom))
	mustRun(t, o...)
	starter, _ := f.value(paramName("dev"))
	// Lose both signatures, as if the first run had stopped before them.
	f.mu.Lock()
	delete(f.params, sigName("dev"))
	delete(f.params, sigName("prod"))
	f.mu.Unlock()
	f.reset()

	rep := mustRun(t, o...)
	if got := f.calls("put"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"put " + sigName("dev"), "put " + sigName("prod")}) {
		t.Errorf("writes %q; want the two signatures only", got)
	}
	if len(f.signed) != 2 || !slices.ContainsFunc(f.signed, func(m []byte) bool { return string(m) == starter }) ||
		!slices.ContainsFunc(f.signed, func(m []byte) bool { return string(m) == custom }) {
		t.Errorf("signed %q; want the existing values", f.signed)
	}
	for _, p := range rep.Parameters {
		if p.Action != bootstrap.ActionNone || p.Signature.Action != bootstrap.ActionCreate || p.Signature.Status != bootstrap.StatusOK {
			t.Errorf("%s: %s, signature %+v; want none and create", p.Profile, p.Action, p.Signature)
		}
	}
}

// An existing policy that is not exactly what these options write (edited,
// written by an older version with a Generated: line, a SecureString) is
// never signed: the signature result warns that the Lambda refuses it and
// gives Sentinel's full command to sign it.
func TestSigningWarnsAboutAPolicyItDidNotWrite(t *testing.T) {
	for _, c := range []struct {
		name, root string
		secure     bool
		command    string
	}{
		{name: "edited, default root", command: "sentinel policy push dev dev.yaml --region " + testRegion + " --sign --key-id " + testSignKeyARN},
		{name: "SecureString", secure: true, command: "sentinel policy push dev dev.yaml --region " + testRegion + " --sign --key-id " + testSignKeyARN},
		{name: "other root", root: "/team/policies", command: "sentinel policy push dev dev.yaml --policy-parameter /team/policies/dev --region " + testRegion + " --sign --key-id " + testSignKeyARN},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clients := newFakeAWS(t)
			root := bootstrap.DefaultPolicyRoot
			o := signing(clients, bootstrap.WithProfiles("dev"))
			if c.root != "" {
				root = c.root
				o = append(o, bootstrap.WithPolicyRoot(root))
			}
			name := root + "/dev"
			f.set(name, "# Generated: 2025-01-01T00:00:00Z\n"+validPolicy("dev"))
			if c.secure {
				f.mu.Lock()
				p := f.params[name]
				p.Type = ssmtypes.ParameterTypeSecureString
				f.params[name] = p
				f.mu.Unlock()
			}
			rep := mustRun(t, o...)
			if puts := f.calls("put"); len(puts) != 0 || len(f.signed) != 0 {
				t.Errorf("wrote %q and signed %d values; want nothing", puts, len(f.signed))
			}
			s := rep.Parameters[0].Signature
			if s.Action != bootstrap.ActionNone || s.Status != bootstrap.StatusOK || len(s.Warnings) != 1 {
				t.Fatalf("signature %+v; want none, ok, one warning", s)
			}
			checkContains(t, "warning", s.Warnings[0], "has no signature", "refuses", c.command, name, s.Name)
		})
	}
}

// A key that cannot sign as Sentinel verifies is refused before anything
// is read or written, in plan and apply: every parameter and signature
// fails, naming the option and the key.
func TestSigningRefusesABadKeyBeforeAnyWrite(t *testing.T) {
	good := func() *kmstypes.KeyMetadata { return signingKeyMetadata(testSignKeyARN, testRegion) }
	for _, c := range []struct {
		name string
		key  func() *kmstypes.KeyMetadata // nil: DescribeKey answers NotFound
		want string
	}{
		{"symmetric key", func() *kmstypes.KeyMetadata {
			k := good()
			k.KeyUsage, k.KeySpec, k.SigningAlgorithms = kmstypes.KeyUsageTypeEncryptDecrypt, kmstypes.KeySpecSymmetricDefault, nil
			return k
		}, "ENCRYPT_DECRYPT"},
		{"elliptic curve key", func() *kmstypes.KeyMetadata {
			k := good()
			k.KeySpec, k.SigningAlgorithms = kmstypes.KeySpecEccNistP256, []kmstypes.SigningAlgorithmSpec{kmstypes.SigningAlgorithmSpecEcdsaSha256}
			return k
		}, "ECC_NIST_P256"},
		{"disabled key", func() *kmstypes.KeyMetadata {
			k := good()
			k.KeyState, k.Enabled = kmstypes.KeyStateDisabled, false
			return k
		}, "Disabled"},
		{"key without RSASSA_PSS_SHA_256", func() *kmstypes.KeyMetadata {
			k := good()
			k.SigningAlgorithms = []kmstypes.SigningAlgorithmSpec{kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256}
			return k
		}, "RSASSA_PSS_SHA_256"},
		{"key of another region", func() *kmstypes.KeyMetadata { return signingKeyMetadata("alias/x", "eu-central-1") }, "eu-central-1"},
		{"missing key", nil, "NotFoundException"},
	} {
		for _, plan := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/plan=%v", c.name, plan), func(t *testing.T) {
				f, clients := newFakeAWS(t)
				f.key = nil
				if c.key != nil {
					f.key = c.key()
				}
				o := opts(clients, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicySigning("alias/sentinel-signing"))
				if plan {
					o = append(o, bootstrap.WithPlanOnly())
				}
				rep, err := bootstrap.Run(context.Background(), testConfig(), o...)
				if got := f.calls(""); len(got) != 1 || !strings.HasPrefix(got[0], "describe alias/sentinel-signing") {
					t.Errorf("calls %q; want the one DescribeKey only", got)
				}
				var ie *bootstrap.IncompleteError
				if !errors.As(err, &ie) || len(ie.Failed) != 4 || ie.Failed[1] != "signature "+sigName("dev") {
					t.Fatalf("err = %v; want an IncompleteError naming the 2 parameters and 2 signatures", err)
				}
				for _, p := range rep.Parameters {
					for _, r := range []struct{ status, text string }{{p.Status, p.Error}, {p.Signature.Status, p.Signature.Error}} {
						if r.status != bootstrap.StatusFailed {
							t.Errorf("%s: status %s; want failed", p.Profile, r.status)
						}
						checkContains(t, "error", r.text, `WithPolicySigning("alias/sentinel-signing")`, c.want, "nothing was written")
					}
				}
				if rep.Summary != (bootstrap.Summary{Failed: 4}) {
					t.Errorf("Summary %+v; want 4 failed", rep.Summary)
				}
			})
		}
	}
}

// An existing signature that does not sign the current value (it does not
// verify, does not parse, has another policy_hash or algorithm) is a warning
// naming the signature parameter; it is never overwritten, and the policy
// is never re-signed.
func TestSigningWarnsAboutABadSignatureAndKeepsIt(t *testing.T) {
	policy := validPolicy("dev")
	sum := sha256.Sum256([]byte(policy))
	hash := hex.EncodeToString(sum[:])
	envelopeWith := func(sig []byte, algorithm, hash string) string {
		b, _ := json.Marshal(map[string]any{"signature": base64.StdEncoding.EncodeToString(sig),
			"metadata": map[string]string{"key_id": testSignKeyARN, "algorithm": algorithm, "signed_at": "2026-01-26T10:30:00Z", "policy_hash": hash}})
		return string(b)
	}
	for _, c := range []struct {
		name     string
		value    string
		verify   func(*kms.VerifyInput) (*kms.VerifyOutput, error)
		verifies int
		want     string
	}{
		{name: "signature of another value", value: envelopeWith(fakeSignature([]byte("other")), "RSASSA_PSS_SHA_256", hash), verifies: 1, want: "does not verify"},
		{name: "KMS answers KMSInvalidSignatureException", value: goodEnvelope(policy), verifies: 1, want: "does not verify",
			verify: func(*kms.VerifyInput) (*kms.VerifyOutput, error) {
				return nil, opErr("KMS", "Verify", &kmstypes.KMSInvalidSignatureException{Message: aws.String("invalid")})
			}},
		{name: "not JSON", value: "not json", want: "not the JSON envelope"},
		{name: "signature not base64", value: `{"signature":"%%%","metadata":{"algorithm":"RSASSA_PSS_SHA_256","policy_hash":"` + hash + `"}}`, want: "not the JSON envelope"},
		{name: "signed_at not a time", value: strings.Replace(goodEnvelope(policy), "2026-01-26T10:30:00Z", "yesterday", 1), want: "not the JSON envelope"},
		{name: "policy_hash of another value", value: envelopeWith(fakeSignature([]byte(policy)), "RSASSA_PSS_SHA_256", strings.Repeat("0", 64)), want: "policy_hash"},
		{name: "policy_hash in upper case", value: envelopeWith(fakeSignature([]byte(policy)), "RSASSA_PSS_SHA_256", strings.ToUpper(hash)), want: "policy_hash"},
		{name: "another algorithm", value: envelopeWith(fakeSignature([]byte(policy)), "RSASSA_PKCS1_V1_5_SHA_256", hash), want: "RSASSA_PKCS1_V1_5_SHA_256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clients := newFakeAWS(t)
			f.set(paramName("dev"), policy)
			f.set(sigName("dev"), c.value)
			f.onVerify = c.verify
			rep := mustRun(t, signing(clients, bootstrap.WithProfiles("dev"), bootstrap.WithPolicy("dev", policy))...)
			if puts := f.calls("put"); len(puts) != 0 || len(f.signed) != 0 {
				t.Errorf("wrote %q, signed %d; want nothing", puts, len(f.signed))
			}
			if v, _ := f.value(sigName("dev")); v != c.value {
				t.Errorf("the signature changed to %q", v)
			}
			if len(f.verified) != c.verifies {
				t.Errorf("%d Verify calls; want %d", len(f.verified), c.verifies)
			}
			if c.verifies > 0 && string(f.verified[0].Message) != policy {
				t.Errorf("Verify over %q; want the current policy value", f.verified[0].Message)
			}
			s := rep.Parameters[0].Signature
			if s.Action != bootstrap.ActionNone || s.Status != bootstrap.StatusOK || len(s.Warnings) != 1 {
				t.Fatalf("signature %+v; want none, ok, one warning", s)
			}
			checkContains(t, "warning", s.Warnings[0], sigName("dev"), c.want, "refuses", "sentinel policy push dev dev.yaml")
		})
	}
}

// When Sign fails for a new policy, nothing of that profile is written: an
// unsigned policy would be refused by the Lambda.
func TestSigningFailureWritesNothing(t *testing.T) {
	f, clients := newFakeAWS(t)
	f.onSign = func(*kms.SignInput) (*kms.SignOutput, error) {
		return nil, opErr("KMS", "Sign", apiErr("AccessDeniedException", "not allowed to kms:Sign"))
	}
	rep, err := bootstrap.Run(context.Background(), testConfig(), signing(clients, bootstrap.WithProfiles("dev"))...)
	if err == nil || !strings.Contains(err.Error(), "signature "+sigName("dev")) || !strings.Contains(err.Error(), "parameter "+paramName("dev")) {
		t.Errorf("err = %v; want the parameter and its signature named", err)
	}
	if puts := f.calls("put"); len(puts) != 0 {
		t.Errorf("wrote %q; want nothing", puts)
	}
	p := rep.Parameters[0]
	if p.Status != bootstrap.StatusFailed || p.Signature.Status != bootstrap.StatusFailed {
		t.Errorf("%+v signature %+v; want both failed", p, p.Signature)
	}
	checkContains(t, "error", p.Error, "not created", "AccessDeniedException")
}

// A signature PutParameter whose answer was lost, then ParameterAlreadyExists
// on the retry, is this run's when the value read back is the one it wrote.
func TestSigningLostSignatureAnswerIsClaimed(t *testing.T) {
	f, clients := newFakeAWS(t)
	lost := false
	f.onPut = func(in *ssm.PutParameterInput) (*ssm.PutParameterOutput, error, bool) {
		if aws.ToString(in.Name) != sigName("dev") || lost {
			return nil, nil, false
		}
		lost = true
		f.params[sigName("dev")] = ssmtypes.Parameter{Name: in.Name, Value: in.Value, Type: in.Type, Version: 1}
		return nil, opErr("SSM", "PutParameter", unavailable()), true
	}
	rep := mustRun(t, signing(clients, bootstrap.WithProfiles("dev"))...)
	if s := rep.Parameters[0].Signature; s.Action != bootstrap.ActionCreate || s.Status != bootstrap.StatusOK {
		t.Errorf("signature %+v; want create (claimed)", s)
	}
	if n := len(f.calls("put " + sigName("dev"))); n != 2 {
		t.Errorf("%d signature writes; want the lost one and its retry", n)
	}
}

// Destroy deletes the signature parameters of the policies it deletes, in
// the same batches of ten, and calls no KMS operation; plan mode reads them.
func TestDestroyDeletesSignatures(t *testing.T) {
	f, clients := newFakeAWS(t)
	var profiles []string
	for i := range 6 {
		profiles = append(profiles, fmt.Sprintf("p%d", i))
	}
	o := signing(clients, bootstrap.WithProfiles(profiles...))
	mustRun(t, o...)
	f.mu.Lock()
	delete(f.params, sigName("p3")) // one signature is missing
	f.mu.Unlock()
	f.reset()

	plan, err := bootstrap.Destroy(context.Background(), testConfig(), append(slices.Clone(o), bootstrap.WithPlanOnly())...)
	if err != nil {
		t.Fatal(err)
	}
	if s := paramResult(t, plan, "p0").Signature; s.Action != bootstrap.ActionDelete || s.Status != bootstrap.StatusPlanned {
		t.Errorf("plan: p0 signature %+v; want delete planned", s)
	}
	if s := paramResult(t, plan, "p3").Signature; s.Action != bootstrap.ActionNone {
		t.Errorf("plan: p3 signature %+v; want none", s)
	}
	if len(f.calls("put")) != 0 || len(f.calls("delete")) != 0 {
		t.Errorf("plan wrote: %q", f.log)
	}
	f.reset()

	rep, err := bootstrap.Destroy(context.Background(), testConfig(), o...)
	if err != nil {
		t.Fatal(err)
	}
	if kmsCalls := append(f.calls("describe"), append(f.calls("sign"), f.calls("verify")...)...); len(kmsCalls) != 0 {
		t.Errorf("Destroy called KMS: %q", kmsCalls)
	}
	if dels := f.calls("delete"); len(dels) != 2 {
		t.Errorf("DeleteParameters calls %q; want 2 (12 names, 10 a call)", dels)
	}
	f.mu.Lock()
	left := len(f.params)
	f.mu.Unlock()
	if left != 0 {
		t.Errorf("%d parameters left after Destroy", left)
	}
	for _, p := range rep.Parameters {
		want := bootstrap.ActionDelete
		if p.Profile == "p3" {
			want = bootstrap.ActionNone
		}
		if p.Action != bootstrap.ActionDelete || p.Signature.Action != want || p.Signature.Status != bootstrap.StatusOK {
			t.Errorf("%s: %s, signature %+v; want delete, signature %s", p.Profile, p.Action, p.Signature, want)
		}
	}
	if want := (bootstrap.Summary{Delete: 11, None: 1}); rep.Summary != want {
		t.Errorf("Summary %+v; want %+v", rep.Summary, want)
	}
}

// Sentinel's signature names: /sentinel/policies/<rest> is signed in
// /sentinel/signatures/<rest>, any other name in /sentinel/signatures/
// followed by the name without its leading "/"; the plan reads them.
func TestSignatureNames(t *testing.T) {
	for _, c := range []struct{ root, suffix, want string }{
		{"", "", "/sentinel/signatures/dev"},
		{"/sentinel/policies/team", "", "/sentinel/signatures/team/dev"},
		{"/team/policies", "", "/sentinel/signatures/team/policies/dev"},
		{"/sentinel", "", "/sentinel/signatures/sentinel/dev"},
		{"/sentinel/policies-x", "", "/sentinel/signatures/sentinel/policies-x/dev"},
		{"", "-ci7", "/sentinel/signatures/sentinel/policies-ci7/dev"},
	} {
		t.Run(c.root+c.suffix, func(t *testing.T) {
			o := vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicySigning("alias/sign"))
			if c.root != "" {
				o = append(o, bootstrap.WithPolicyRoot(c.root))
			}
			if c.suffix != "" {
				o = append(o, bootstrap.WithNameSuffix(c.suffix))
			}
			rep, reads := vtPlan(t, aws.Config{Region: "us-east-1"}, o...)
			s := rep.Parameters[0].Signature
			if s == nil || s.Name != c.want || s.Action != bootstrap.ActionCreate || s.Status != bootstrap.StatusPlanned {
				t.Fatalf("signature %+v; want %s, create, planned", s, c.want)
			}
			if !slices.Equal(reads.params, []string{rep.Parameters[0].Name, c.want}) {
				t.Errorf("read %q; want the policy and %s", reads.params, c.want)
			}
		})
	}
}

// Signature names are held to SSM's limits too: the longest accepted is
// exactly 1011 characters with its ARN, and 15 levels.
func TestSignatureNameLimitsValidEdge(t *testing.T) {
	sigRoot := "/" + vtRepeat("r", 1011-vtARN-len("/sentinel/signatures/")-len("/dev")) // signature ARN: exactly 1011
	rep, _ := vtPlan(t, aws.Config{Region: "us-east-1"}, bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot(sigRoot), bootstrap.WithPolicySigning("alias/sign"))
	if n := vtARN + len(rep.Parameters[0].Signature.Name); n != 1011 {
		t.Errorf("signature ARN of %d characters; the case wants exactly 1011", n)
	}
	rep, _ = vtPlan(t, aws.Config{Region: "us-east-1"}, bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot(vtLevels(12)), bootstrap.WithPolicySigning("alias/sign"))
	if n := strings.Count(rep.Parameters[0].Signature.Name, "/"); n != 15 {
		t.Errorf("signature of %d levels; the case wants exactly 15", n)
	}
}

// The JSON report: each parameter carries "signature" with name, action,
// status (and error, warnings when set) with signing, and no "signature" key
// without.
func TestSigningReportJSON(t *testing.T) {
	f, clients := newFakeAWS(t)
	f.set(paramName("old"), "# Generated: 2025-01-01T00:00:00Z\n"+validPolicy("old"))
	rep := mustRun(t, signing(clients, bootstrap.WithProfiles("dev", "old"))...)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Parameters []map[string]json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var dev, old map[string]any
	if err := json.Unmarshal(got.Parameters[0]["signature"], &dev); err != nil {
		t.Fatalf("dev has no signature object: %s", b)
	}
	if err := json.Unmarshal(got.Parameters[1]["signature"], &old); err != nil {
		t.Fatalf("old has no signature object: %s", b)
	}
	if dev["name"] != sigName("dev") || dev["action"] != "create" || dev["status"] != "ok" || dev["error"] != nil || dev["warnings"] != nil {
		t.Errorf("dev signature JSON %v", dev)
	}
	if w, _ := old["warnings"].([]any); old["action"] != "none" || len(w) != 1 {
		t.Errorf("old signature JSON %v; want none with one warning", old)
	}

	plain, _ := vtPlan(t, aws.Config{Region: "us-east-1"}, bootstrap.WithProfiles("dev"))
	b, _ = json.Marshal(plain)
	if strings.Contains(string(b), `"signature"`) {
		t.Errorf("a report without signing has a signature key: %s", b)
	}
}

// Signature writes are reported to WithProgress as kind "signature".
func TestSigningProgressEvents(t *testing.T) {
	_, clients := newFakeAWS(t)
	var mu sync.Mutex
	var events []bootstrap.Event
	mustRun(t, signing(clients, bootstrap.WithProfiles("dev"), bootstrap.WithProgress(func(e bootstrap.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}))...)
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %s %s", e.Kind, e.Resource, e.Phase))
	}
	want := []string{"parameter " + paramName("dev") + " start", "parameter " + paramName("dev") + " done",
		"signature " + sigName("dev") + " start", "signature " + sigName("dev") + " done"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q; want %q", got, want)
	}
}
