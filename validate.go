package bootstrap

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Limits that AWS enforces and that validate checks before any call.
const (
	maxProfileName    = 64
	maxParameterName  = 1011 // SSM: the name's whole ARN, arn:…:parameter/…
	maxParameterLevel = 15   // SSM hierarchy levels
	minTableName      = 3
	maxTableName      = 255
	maxTags           = 50
	maxTagKey         = 128
	maxTagValue       = 256
	maxDescription    = 1024 // SSM parameter Description
	maxSuffix         = 64
)

var (
	nameChars = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	rootChars = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	// regionForm accepts the forms AWS uses (us-east-1, us-gov-west-1,
	// eu-isoe-west-1) and emulators' local names.
	regionForm = regexp.MustCompile(`^[a-z][a-z0-9-]{0,48}[a-z0-9]$`)
	// KMS key forms: key ID, key ARN, alias name, alias ARN.
	kmsKeyID    = `(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})`
	kmsAlias    = `alias/[A-Za-z0-9/_-]{1,250}`
	kmsARN      = `arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:`
	kmsKeyForms = regexp.MustCompile(`^(?:` + kmsKeyID + `|` + kmsAlias + `|` + kmsARN + `key/` + kmsKeyID + `|` + kmsARN + kmsAlias + `)$`)
)

func bad(option, value, format string, args ...any) *ConfigError {
	return &ConfigError{Option: option, Value: value, Reason: fmt.Sprintf(format, args...)}
}

func checkRegion(s *settings, cfg aws.Config, c *config) *ConfigError {
	region := s.region
	if !s.regionSet {
		if cfg.Region == "" {
			return bad("WithRegion", "", "no region: pass WithRegion, or set cfg.Region (for example through AWS_REGION)")
		}
		region = cfg.Region
	}
	if !regionForm.MatchString(region) {
		return bad("WithRegion", region, "not a region name: use lower-case letters, digits and '-', such as us-east-1")
	}
	c.region = region
	c.partition, c.dnsSuffix = partition(region)
	return nil
}

func checkSelection(s *settings, _ aws.Config, c *config) *ConfigError {
	if len(c.params) == 0 && len(c.tables) == 0 {
		return bad("WithProfiles", "", "nothing selected: pass WithProfiles and/or WithApprovals, WithBreakGlass, WithSessions, WithRateLimits or WithAll")
	}
	return nil
}

func checkDeviceIndex(s *settings, _ aws.Config, c *config) *ConfigError {
	if s.deviceIndex && !s.tables[sessions].selected {
		return bad("WithDeviceIndex", "", "adds an index to the sessions table, which is not selected; add WithSessions() or WithAll(), or drop the option")
	}
	return nil
}

func checkProfiles(s *settings, _ aws.Config, _ *config) *ConfigError {
	seen := make(map[string]bool, len(s.profiles))
	for _, p := range s.profiles {
		switch {
		case p == "" || len(p) > maxProfileName:
			return bad("WithProfiles", p, "a profile name has 1 to %d characters", maxProfileName)
		case !nameChars.MatchString(p):
			return bad("WithProfiles", p, "a profile name may contain only A-Z, a-z, 0-9, '_', '.' and '-'")
		case seen[p]:
			return bad("WithProfiles", p, "profile given twice; list each profile once")
		}
		seen[p] = true
	}
	return nil
}

func checkSuffix(s *settings, _ aws.Config, _ *config) *ConfigError {
	if s.nameSuffix != "" && (len(s.nameSuffix) > maxSuffix || !nameChars.MatchString(s.nameSuffix)) {
		return bad("WithNameSuffix", s.nameSuffix, "a suffix has at most %d characters of A-Z, a-z, 0-9, '_', '.' and '-'", maxSuffix)
	}
	return nil
}

func checkRoot(s *settings, _ aws.Config, c *config) *ConfigError {
	root := s.policyRoot
	switch {
	case !strings.HasPrefix(root, "/"):
		return bad("WithPolicyRoot", root, `the root must start with "/", as in "/sentinel/policies"`)
	case !rootChars.MatchString(root):
		return bad("WithPolicyRoot", root, "the root may contain only A-Z, a-z, 0-9, '_', '.', '-' and '/'")
	case strings.Contains(root, "//"):
		return bad("WithPolicyRoot", root, `the root must not contain "//"`)
	}
	root = strings.TrimSuffix(root, "/")
	first, _, _ := strings.Cut(strings.TrimPrefix(root, "/"), "/")
	if first == "" {
		return bad("WithPolicyRoot", s.policyRoot, `the root needs at least one level, as in "/sentinel/policies"`)
	}
	// The suffix extends a one-level root's first level ("/a" + "ws" is "/aws").
	first, _, _ = strings.Cut(strings.TrimPrefix(root+s.nameSuffix, "/"), "/")
	if low := strings.ToLower(first); strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return bad("WithPolicyRoot", s.policyRoot, `SSM reserves names beginning with "aws" or "ssm" (in any case)%s; choose another root`, s.withSuffix())
	}
	c.policyRoot = root + s.nameSuffix
	c.params = make([]paramSpec, len(s.profiles))
	for i, p := range s.profiles {
		c.params[i] = paramSpec{profile: p, name: c.policyRoot + "/" + p}
	}
	return nil
}

func checkTables(s *settings, _ aws.Config, c *config) *ConfigError {
	seen := map[string]purpose{}
	for p := range numPurposes {
		t := &s.tables[p]
		opt := schemas[p].nameOption
		if t.nameSet && !t.selected {
			return bad(opt, t.name, "names a table that is not selected; add %s() or WithAll(), or drop the option", schemas[p].selectOption)
		}
		if !t.selected {
			continue
		}
		name := t.name + s.nameSuffix
		switch {
		case len(name) < minTableName || len(name) > maxTableName:
			return bad(opt, t.name, "a table name has %d to %d characters%s", minTableName, maxTableName, s.withSuffix())
		case !nameChars.MatchString(t.name):
			return bad(opt, t.name, "a table name may contain only A-Z, a-z, 0-9, '_', '.' and '-'")
		}
		if other, dup := seen[name]; dup {
			return bad(opt, t.name, "the same name is chosen for the %s table; give each table its own name", schemas[other].purpose)
		}
		seen[name] = p
		spec := &tableSpec{
			schema:             schemas[p],
			name:               name,
			region:             c.region,
			indexes:            schemas[p].indexes,
			deletionProtection: s.deletionProtection,
			kmsKey:             s.kmsKey,
			pitr:               s.pitr,
			tags:               c.tags,
		}
		for _, x := range schemas[p].optional {
			if x == deviceIndex && s.deviceIndex {
				spec.indexes = append(slices.Clone(spec.indexes), x)
			} else {
				spec.unwanted = append(spec.unwanted, x)
			}
		}
		c.tables = append(c.tables, spec)
	}
	return nil
}

func checkKMSKey(s *settings, _ aws.Config, c *config) *ConfigError {
	if !s.kmsKeySet {
		return nil
	}
	if len(c.tables) == 0 {
		return bad("WithKMSKey", s.kmsKey, "no table is selected, so there is nothing to encrypt; select tables or drop the option")
	}
	if !kmsKeyForms.MatchString(s.kmsKey) {
		return bad("WithKMSKey", s.kmsKey, `not a KMS key: give a key ID, key ARN, alias name ("alias/…") or alias ARN`)
	}
	k := parseKMSKey(s.kmsKey)
	switch {
	case k.alias == "alias/aws/dynamodb":
		return bad("WithKMSKey", s.kmsKey, "that is the AWS-managed key, which the tables use by default: drop the option (WithKMSKey is for a customer-managed key)")
	case strings.HasPrefix(k.alias, "alias/aws/"):
		return bad("WithKMSKey", s.kmsKey, "an alias under alias/aws/ is another AWS service's managed key, which DynamoDB cannot use: give a customer-managed key, or drop the option for DynamoDB's own")
	}
	return checkKMSKeyPlace("WithKMSKey", k, c)
}

func checkSigning(s *settings, _ aws.Config, c *config) *ConfigError {
	if !s.signingKeySet {
		return nil
	}
	const opt = "WithPolicySigning"
	if !kmsKeyForms.MatchString(s.signingKey) {
		return bad(opt, s.signingKey, `not a KMS key: give the key ID, key ARN, alias name ("alias/…") or alias ARN of the key Sentinel's Lambda is given in SENTINEL_POLICY_SIGNING_KEY`)
	}
	if len(c.params) == 0 {
		return bad(opt, s.signingKey, "signs policy parameters, but no profile is selected; add WithProfiles or drop the option")
	}
	if c.policyRoot+"/" == sentinelSignaturePrefix || strings.HasPrefix(c.policyRoot+"/", sentinelSignaturePrefix) {
		return bad(opt, s.signingKey, "the policy root %s is inside %s, where Sentinel keeps signatures; choose another WithPolicyRoot", c.policyRoot, strings.TrimSuffix(sentinelSignaturePrefix, "/"))
	}
	k := parseKMSKey(s.signingKey)
	if err := checkKMSKeyPlace(opt, k, c); err != nil {
		return err
	}
	c.signing = &k
	for i := range c.params {
		c.params[i].sigName = signatureName(c.params[i].name)
	}
	return nil
}

func checkTags(s *settings, _ aws.Config, _ *config) *ConfigError {
	if len(s.tags) > maxTags {
		return bad("WithTags", fmt.Sprintf("%d tags", len(s.tags)), "at most %d tags are allowed", maxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(s.tags)) {
		v := s.tags[k]
		switch {
		case k == "" || len([]rune(k)) > maxTagKey:
			return bad("WithTags", k, "a tag key has 1 to %d characters", maxTagKey)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return bad("WithTags", k, `tag keys beginning with "aws:" are reserved by AWS`)
		case !tagText(k):
			return bad("WithTags", k, "a tag key may contain only letters, digits, spaces and _ . : / = + - @")
		case len([]rune(v)) > maxTagValue:
			return bad("WithTags", k+"="+v, "a tag value has at most %d characters", maxTagValue)
		case !tagText(v):
			return bad("WithTags", k+"="+v, "a tag value may contain only letters, digits, spaces and _ . : / = + - @")
		}
	}
	return nil
}

// tagText reports whether s uses only the characters AWS allows in tags.
func tagText(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

func checkDescription(s *settings, _ aws.Config, _ *config) *ConfigError {
	d := s.description
	if err := checkDescriptionText(d); err != nil {
		return bad("WithDescription", shorten(d), "%v", err)
	}
	if d != "" && len(s.profiles) == 0 {
		return bad("WithDescription", shorten(d), "describes policy parameters, but no profile is selected; add WithProfiles or drop the option")
	}
	return nil
}

func checkPolicies(s *settings, _ aws.Config, c *config) *ConfigError {
	for _, p := range slices.Sorted(maps.Keys(s.policies)) {
		if !slices.Contains(s.profiles, p) {
			return bad("WithPolicy", p, "the profile is not selected; add it to WithProfiles")
		}
		if prob := checkPolicy([]byte(s.policies[p])); prob != nil {
			return bad("WithPolicy", p, "%v", prob)
		}
	}
	for i := range c.params {
		c.params[i].policy = s.policies[c.params[i].profile]
	}
	// The starter policy goes through the same checks. A profile appears in
	// it twice, in a comment and as a YAML scalar; profiles of one rendering
	// (a plain word, a name YAML reads as a string, a quoted name) give the
	// same policy but for that name, so the longest policy and the first of
	// each rendering stand for all, at a cost that does not grow with the
	// number of profiles.
	longest, size := "", -1
	firsts := map[string]string{}
	for _, p := range s.profiles {
		if _, ok := s.policies[p]; ok {
			continue
		}
		y := yamlString(p)
		if n := len(p) + len(y); n > size {
			longest, size = p, n
		}
		class := "plain"
		switch {
		case y != p:
			class = "quoted"
		case !plainWord.MatchString(p):
			class = "parsed"
		}
		if _, ok := firsts[class]; !ok {
			firsts[class] = p
		}
	}
	firsts["longest"] = longest
	if size < 0 {
		return nil
	}
	if n := len(starterPolicy(longest, s.description)); n > maxPolicyBytes {
		return bad("WithDescription", shorten(s.description), "the starter policy would be %d bytes, over the %d-byte limit; shorten the description", n, maxPolicyBytes)
	}
	for _, p := range slices.Compact(slices.Sorted(maps.Values(firsts))) {
		if prob := checkPolicy([]byte(starterPolicy(p, s.description))); prob != nil {
			if s.description == "" {
				return bad("WithProfiles", p, "the starter policy for this profile would not be a valid Sentinel policy (%v)", prob)
			}
			return bad("WithDescription", shorten(s.description), "the starter policy for profile %q would not be a valid Sentinel policy (%v); change the description", p, prob)
		}
	}
	return nil
}

func checkLimits(s *settings, _ aws.Config, c *config) *ConfigError {
	// SSM counts the whole ARN in a name's length, so the limit depends on
	// the region (the account is always 12 digits).
	arn := "arn:" + c.partition + ":ssm:" + c.region + ":123456789012:parameter"
	for _, p := range c.params {
		for _, n := range []struct{ what, name string }{{"parameter name", p.name}, {"signature parameter name (WithPolicySigning)", p.sigName}} {
			if n.name == "" {
				continue
			}
			if l := len(arn) + len(n.name); l > maxParameterName {
				return bad("WithPolicyRoot", s.policyRoot, "the %s %q makes an ARN of %d characters in region %s (%s…); SSM allows %d, ARN included: use a shorter root", n.what, shorten(n.name), l, c.region, arn, maxParameterName)
			}
			if levels := strings.Count(n.name, "/"); levels > maxParameterLevel {
				return bad("WithPolicyRoot", s.policyRoot, "the %s %q has %d levels; SSM allows %d", n.what, shorten(n.name), levels, maxParameterLevel)
			}
		}
	}
	if s.waitTimeout <= 0 || s.waitTimeout > MaxWaitTimeout {
		return bad("WithWaitTimeout", s.waitTimeout.String(), "must be more than 0 and at most %s", MaxWaitTimeout)
	}
	if s.concurrency < 1 || s.concurrency > MaxConcurrency {
		return bad("WithConcurrency", fmt.Sprint(s.concurrency), "must be between 1 and %d", MaxConcurrency)
	}
	return nil
}

// withSuffix notes, in a message, that the name suffix counts.
func (s *settings) withSuffix() string {
	if s.nameSuffix == "" {
		return ""
	}
	return fmt.Sprintf(" (with the WithNameSuffix %q)", s.nameSuffix)
}

// shorten keeps error messages on one readable line.
func shorten(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
