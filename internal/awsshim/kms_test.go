package awsshim

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// kmsClient returns a KMS client for endpoint; see ddbClient.
func kmsClient(endpoint string, maxAttempts int) *kms.Client {
	return kms.NewFromConfig(emulator.Config(endpoint), func(o *kms.Options) {
		o.RetryMaxAttempts = maxAttempts
	})
}

// signingKey creates an RSA_2048 SIGN_VERIFY key through c and returns its id.
func signingKey(t *testing.T, c *kms.Client) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec:  kmstypes.KeySpecRsa2048,
		KeyUsage: kmstypes.KeyUsageTypeSignVerify,
	})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// A policy is signed as issue 8 wants it (RAW message, RSASSA_PSS_SHA_256)
// through the shim, which forwards every KMS call to moto and records it.
func TestKMSSignVerify(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	c := kmsClient(s.URL, 1)
	ctx := context.Background()
	id := signingKey(t, c)

	dk, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	md := dk.KeyMetadata
	if md.KeySpec != kmstypes.KeySpecRsa2048 || md.KeyUsage != kmstypes.KeyUsageTypeSignVerify ||
		!slices.Contains(md.SigningAlgorithms, kmstypes.SigningAlgorithmSpecRsassaPssSha256) {
		t.Fatalf("DescribeKey: spec %s usage %s algorithms %v", md.KeySpec, md.KeyUsage, md.SigningAlgorithms)
	}

	msg := []byte("version: \"1\"\nrules:\n  - name: default-deny\n    effect: deny\n")
	alg := kmstypes.SigningAlgorithmSpecRsassaPssSha256
	sig, err := c.Sign(ctx, &kms.SignInput{KeyId: aws.String(id), Message: msg, MessageType: kmstypes.MessageTypeRaw, SigningAlgorithm: alg})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	verify := func(m, sg []byte) bool {
		t.Helper()
		out, err := c.Verify(ctx, &kms.VerifyInput{KeyId: aws.String(id), Message: m, MessageType: kmstypes.MessageTypeRaw,
			Signature: sg, SigningAlgorithm: alg})
		var invalid *kmstypes.KMSInvalidSignatureException
		if errors.As(err, &invalid) { // what AWS answers to a bad signature
			return false
		}
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		return out.SignatureValid
	}
	if !verify(msg, sig.Signature) {
		t.Error("Verify of the signature over the message: not valid")
	}
	if verify(append(slices.Clone(msg), ' '), sig.Signature) {
		t.Error("Verify of the signature over another message: valid")
	}

	// The signature is a real RSASSA-PSS SHA-256 one, checked without KMS.
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetPublicKey: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok || rsaPub.N.BitLen() != 2048 {
		t.Fatalf("public key %T, want a 2048-bit RSA key", pub)
	}
	digest := sha256.Sum256(msg)
	if err := rsa.VerifyPSS(rsaPub, crypto.SHA256, digest[:], sig.Signature, nil); err != nil {
		t.Errorf("crypto/rsa does not verify the signature: %v", err)
	}

	want := []string{"kms:CreateKey", "kms:DescribeKey", "kms:Sign", "kms:Verify", "kms:Verify", "kms:GetPublicKey"}
	if got := s.Calls(); !slices.Equal(got, want) {
		t.Errorf("Calls() = %v\nwant %v", got, want)
	}
	for _, cl := range s.CallLog()[1:] {
		if !slices.Equal(cl.Resources, []string{id}) {
			t.Errorf("%s: resources %v, want the key %s", cl.Action, cl.Resources, id)
		}
	}
	if got := s.Writes(); got != 1 {
		t.Errorf("Writes() = %d, want 1 (CreateKey; Sign and Verify change nothing)", got)
	}
}

// Faults and the delay apply to KMS calls as to every other.
func TestKMSFaultsAndDelay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := newShim(t, Options{})
	id := signingKey(t, kmsClient(setup.URL, 1))
	describeKey := func(s *Shim) error {
		_, err := kmsClient(s.URL, 1).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		return err
	}

	s := newShim(t, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{FaultServerError}}})
	var re *smithyhttp.ResponseError
	if err := describeKey(s); !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Errorf("DescribeKey with 5xx faults: %v; want a ResponseError with status 500", err)
	}
	s.SetFaults(Faults{Rate: 1, Kinds: []FaultKind{FaultThrottle}})
	if err := describeKey(s); errorCode(err) != "ThrottlingException" {
		t.Errorf("DescribeKey with throttling faults: %v; want ThrottlingException", err)
	}
	s.SetFaults(Faults{Rate: 1, Kinds: []FaultKind{FaultDropBefore}})
	if err := describeKey(s); !isConnectionError(err) {
		t.Errorf("DescribeKey with dropped connections: %v; want a connection error", err)
	}
	if got := s.FaultLog(); len(got) != 3 || got[0].Call != "kms:DescribeKey" {
		t.Errorf("FaultLog() = %v, want 3 faults on kms:DescribeKey", got)
	}

	const delay = 300 * time.Millisecond
	slow := newShim(t, Options{Delay: delay})
	start := time.Now()
	if err := describeKey(slow); err != nil {
		t.Fatalf("DescribeKey through a delaying shim: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("DescribeKey took %s, want at least the %s delay", took, delay)
	}
}
