package bootstrap

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// SignatureResult is the outcome for the signature parameter of one policy
// (WithPolicySigning).
type SignatureResult struct {
	Name   string `json:"name"`            // the signature parameter, e.g. /sentinel/signatures/dev
	Action string `json:"action"`          // create | none | unknown | delete
	Status string `json:"status"`          // planned | ok | failed
	Error  string `json:"error,omitempty"` //
	// Warnings notes what Run leaves alone: an existing signature that does
	// not verify, or a policy it does not sign because it did not write it.
	Warnings []string `json:"warnings,omitempty"`
}

// Where Sentinel keeps policies and their signatures (CONTRACT.md §3).
const (
	sentinelPolicyPrefix    = "/sentinel/policies/"
	sentinelSignaturePrefix = "/sentinel/signatures/"
)

// signingAlgorithm is the one algorithm Sentinel signs and verifies with.
const signingAlgorithm = kmstypes.SigningAlgorithmSpecRsassaPssSha256

// signatureName is the name of the signature parameter Sentinel reads for
// the policy parameter name: /sentinel/policies/<rest> is signed in
// /sentinel/signatures/<rest>, any other name in /sentinel/signatures/
// followed by the name without its leading "/".
func signatureName(policy string) string {
	if rest, ok := strings.CutPrefix(policy, sentinelPolicyPrefix); ok {
		return sentinelSignaturePrefix + rest
	}
	return sentinelSignaturePrefix + strings.TrimPrefix(policy, "/")
}

// envelope is the value of a signature parameter, in Sentinel's JSON form.
type envelope struct {
	Signature string           `json:"signature"` // base64 (standard) of the KMS signature bytes
	Metadata  envelopeMetadata `json:"metadata"`
}

type envelopeMetadata struct {
	KeyID      string `json:"key_id"`      // the key ARN
	Algorithm  string `json:"algorithm"`   // RSASSA_PSS_SHA_256
	SignedAt   string `json:"signed_at"`   // RFC 3339, UTC
	PolicyHash string `json:"policy_hash"` // lowercase hex SHA-256 of the policy value
}

// policyHash is the lowercase hex SHA-256 of a policy value.
func policyHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// newEnvelope is the signature parameter value for a policy value signed
// with keyARN at t.
func newEnvelope(value, keyARN string, sig []byte, t time.Time) string {
	b, err := json.Marshal(envelope{
		Signature: base64.StdEncoding.EncodeToString(sig),
		Metadata: envelopeMetadata{
			KeyID:      keyARN,
			Algorithm:  string(signingAlgorithm),
			SignedAt:   t.UTC().Format(time.RFC3339),
			PolicyHash: policyHash(value),
		},
	})
	if err != nil {
		panic(err) // cannot happen: strings only
	}
	return string(b)
}

// parsedEnvelope is an existing signature parameter's value, checked
// against the policy value it signs.
type parsedEnvelope struct {
	signature []byte
	algorithm kmstypes.SigningAlgorithmSpec
}

// sentinelEnvelope is the envelope as Sentinel's Lambda decodes it: the
// signature as []byte (standard base64 in JSON) and signed_at as a time, so
// a value it cannot decode is refused here too.
type sentinelEnvelope struct {
	Signature []byte `json:"signature"`
	Metadata  struct {
		KeyID      string    `json:"key_id"`
		Algorithm  string    `json:"algorithm"`
		SignedAt   time.Time `json:"signed_at"`
		PolicyHash string    `json:"policy_hash"`
	} `json:"metadata"`
}

// parseEnvelope reads a signature parameter value as Sentinel does and
// checks its policy_hash against the policy value. The error says what is
// wrong, for a warning.
func parseEnvelope(raw, value string) (parsedEnvelope, error) {
	var e sentinelEnvelope
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return parsedEnvelope{}, fmt.Errorf("it is not the JSON envelope Sentinel reads (%s)", oneLine(err.Error()))
	}
	switch {
	case len(e.Signature) == 0:
		return parsedEnvelope{}, errors.New("its envelope holds no signature")
	case e.Metadata.Algorithm == "":
		return parsedEnvelope{}, errors.New("its envelope names no algorithm")
	case e.Metadata.PolicyHash != policyHash(value):
		return parsedEnvelope{}, fmt.Errorf("its policy_hash %q is not the SHA-256 of the policy's current value (%s): the policy was changed after it was signed", shorten(e.Metadata.PolicyHash), policyHash(value))
	}
	return parsedEnvelope{signature: e.Signature, algorithm: kmstypes.SigningAlgorithmSpec(e.Metadata.Algorithm)}, nil
}
