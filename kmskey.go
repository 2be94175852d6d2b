package bootstrap

import (
	"fmt"
	"regexp"
	"strings"
)

// partitions are the AWS partitions (the SDK's partitions.json).
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// kmsKeyRef is a KMS key as an option names it: a key ID, key ARN, alias
// name or alias ARN.
type kmsKeyRef struct {
	given     string // as given
	arn       bool   // given as an ARN
	partition string // ARN only
	region    string // ARN only
	account   string // ARN only
	alias     string // "alias/…" for an alias name or alias ARN; "" for a key
	keyID     string // the key ID for a key ID or key ARN; "" for an alias
}

var kmsARNForm = regexp.MustCompile(`^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):(key/.+|alias/.+)$`)

// parseKMSKey reads a key reference of one of the forms kmsKeyForms
// accepts (it does not check the form itself).
func parseKMSKey(s string) kmsKeyRef {
	k := kmsKeyRef{given: s}
	rest := s
	if m := kmsARNForm.FindStringSubmatch(s); m != nil {
		k.arn, k.partition, k.region, k.account, rest = true, m[1], m[2], m[3], m[4]
	}
	if strings.HasPrefix(rest, "alias/") {
		k.alias = rest
	} else {
		k.keyID = strings.TrimPrefix(rest, "key/")
	}
	return k
}

// checkKMSKeyPlace reports a key ARN of a partition that does not exist,
// or of another partition or region than the run's: AWS uses a KMS key
// only in its own region.
func checkKMSKeyPlace(option string, k kmsKeyRef, c *config) *ConfigError {
	if !k.arn {
		return nil
	}
	known := false
	for _, p := range partitions {
		known = known || p == k.partition
	}
	switch {
	case !known:
		return bad(option, k.given, "%q is not an AWS partition (%s); check the key ARN", k.partition, strings.Join(partitions, ", "))
	case k.partition != c.partition:
		return bad(option, k.given, "the key is in partition %s, but region %s is in partition %s; give a key of region %s (WithRegion sets the run's region)", k.partition, c.region, c.partition, c.region)
	case k.region != c.region:
		return bad(option, k.given, "the key is in region %s, but the run's region is %s, and KMS keys are used only in their own region; give a key of region %s (WithRegion sets the run's region)", k.region, c.region, c.region)
	}
	return nil
}

// iamResource is the Resource of an IAM statement about the key, and the
// condition that narrows it. IAM authorizes KMS operations against the key's
// ARN, never against an alias, so an alias (or a key ID, whose account is not
// known) gives a pattern of the run's region, narrowed by the alias
// condition kms:ResourceAliases for an alias.
func (k kmsKeyRef) iamResource(c *config) (resource string, cond map[string]map[string]string) {
	switch {
	case k.arn && k.alias == "":
		return k.given, nil
	case k.alias == "":
		return fmt.Sprintf("arn:%s:kms:%s:*:key/%s", c.partition, c.region, k.keyID), nil
	}
	account := "*"
	if k.arn {
		account = k.account
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/*", c.partition, c.region, account),
		map[string]map[string]string{"ForAnyValue:StringEquals": {"kms:ResourceAliases": k.alias}}
}
