package awsshim

import "encoding/json"

// KMS calls (X-Amz-Target TrentService.*) are forwarded to moto untouched,
// with the delay and faults of every call, and recorded as kms:... actions.

// kmsComputes are the KMS operations that change no state although their
// names do not say so.
var kmsComputes = map[string]bool{
	"Sign": true, "Verify": true, "Encrypt": true, "Decrypt": true, "ReEncrypt": true,
	"GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
	"GenerateRandom": true, "GenerateMac": true, "VerifyMac": true, "DeriveSharedSecret": true,
}

// kmsKey is the key a KMS request names (KeyId: an id, ARN or alias), or
// nil for calls about no key such as CreateKey and ListKeys.
func kmsKey(body []byte) []string {
	var r struct{ KeyId string }
	_ = json.Unmarshal(body, &r)
	if r.KeyId == "" {
		return nil
	}
	return []string{r.KeyId}
}
