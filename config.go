package bootstrap

import (
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// config is the resolved configuration of one Run, Destroy or Export: the
// options checked, and turned into final names and specifications. It is
// built once, by resolve, and only read afterwards.
type config struct {
	region      string
	partition   string // the region's ARN partition: aws, aws-cn, …
	dnsSuffix   string // the partition's DNS suffix: amazonaws.com, …
	policyRoot  string // with the name suffix
	nameSuffix  string // WithNameSuffix, part of every table name and of the policy root
	description string
	params      []paramSpec  // in the order the profiles were given
	tables      []*tableSpec // the selected tables, in report order

	tags               map[string]string
	kmsKey             string
	deletionProtection bool
	pitr               bool

	iam         bool
	planOnly    bool
	waitTimeout time.Duration
	concurrency int
	progress    func(Event)

	ssm SSMAPI
	ddb DynamoDBAPI
	kms KMSAPI

	// signing is the WithPolicySigning key; nil without signing.
	signing *kmsKeyRef
}

// paramSpec is one policy parameter as the options want it.
type paramSpec struct {
	profile string
	name    string // the full SSM name
	sigName string // the signature parameter's name, with WithPolicySigning
	policy  string // the WithPolicy text; "" for the starter policy
}

// withSignatureNames is c with the signature parameter name of every
// policy parameter, for Destroy: it deletes a policy's signature with the
// policy, whether or not its options include WithPolicySigning, because a
// signature left behind would be checked against the next policy written
// under that name (and a signed Run never overwrites it).
func (c *config) withSignatureNames() *config {
	d := *c
	d.params = slices.Clone(c.params)
	for i := range d.params {
		d.params[i].sigName = signatureName(d.params[i].name)
	}
	return &d
}

// resolve applies opts, checks every value in a fixed order and returns the
// resolved config, or the first problem as a *ConfigError. It changes
// nothing it checks.
func resolve(opts []Option, awsCfg aws.Config) (*config, error) {
	s := newSettings(opts)
	if len(s.problems) > 0 {
		return nil, s.problems[0]
	}
	c := &config{
		description:        s.description,
		nameSuffix:         s.nameSuffix,
		tags:               maps.Clone(s.tags),
		kmsKey:             s.kmsKey,
		deletionProtection: s.deletionProtection,
		pitr:               s.pitr,
		iam:                s.iam,
		planOnly:           s.planOnly,
		waitTimeout:        s.waitTimeout,
		concurrency:        s.concurrency,
		progress:           s.progress,
		ssm:                s.ssm,
		ddb:                s.ddb,
		kms:                s.kms,
	}
	for _, check := range []func(*settings, aws.Config, *config) *ConfigError{
		checkRegion,
		checkProfiles,
		checkSuffix,
		checkRoot,
		checkTables,
		checkSelection,
		checkDeviceIndex,
		checkKMSKey,
		checkSigning,
		checkTags,
		checkDescription,
		checkPolicies,
		checkLimits,
	} {
		if err := check(s, awsCfg, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// policyFor is the value a new parameter gets.
func (c *config) policyFor(p *paramSpec) string {
	if p.policy != "" {
		return p.policy
	}
	return starterPolicy(p.profile, c.description)
}

// parameterDescription is the Description of a new parameter.
func (c *config) parameterDescription(p *paramSpec) string {
	if c.description != "" {
		return c.description
	}
	return "Sentinel policy for profile " + p.profile
}

// table returns the selected table of a purpose, or nil.
func (c *config) table(p purpose) *tableSpec {
	for _, t := range c.tables {
		if t.purpose == schemas[p].purpose {
			return t
		}
	}
	return nil
}

// sessionTable is the final name of the selected sessions table, or "".
func (c *config) sessionTable() string {
	if t := c.table(sessions); t != nil {
		return t.name
	}
	return ""
}
