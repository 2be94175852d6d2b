package main

import (
	"time"

	"github.com/sentinel-tools/bootstrap"
)

// cli holds the parsed command line.
type cli struct {
	// What to provision.
	profiles       []string
	policyRoot     string
	description    string
	policyFiles    []keyValue
	withApprovals  bool
	withBreakGlass bool
	withSessions   bool
	withRateLimits bool
	deviceIndex    bool
	signingKey     string
	all            bool
	iam            bool

	// Tables.
	approvalTable   string
	breakGlassTable string
	sessionTable    string
	rateLimitTable  string
	kmsKey          string
	tags            []keyValue
	noDP            bool
	noPITR          bool

	// How.
	region      string
	awsProfile  string
	endpointURL string
	timeout     time.Duration
	plan        bool
	yes         bool
	destroy     bool

	// Output.
	export           string // "", cloudformation or terraform
	output           string
	s3Bucket         string
	json             bool
	detailedExitcode bool
	debug            bool
	noColor          bool
	help             bool
	version          bool

	// command is the command word, if any: help, version or completion;
	// shell is completion's argument.
	command, shell string

	// set records the flags given on the command line, by name.
	set map[string]bool
}

// Help sections, in the order the help shows them.
const (
	sectionProvision = "What to provision"
	sectionTables    = "Tables"
	sectionHow       = "How"
	sectionOutput    = "Output"
)

// flagDef is one flag: its name, its help, where its value goes, and the
// library option it becomes when given.
type flagDef struct {
	section string
	name    string
	short   rune   // a one-letter form, such as -y; 0 for none
	arg     string // what the value is, as in --profile NAME; "" for a switch
	help    string // one sentence, wrapped by the help text
	value   value
	// option names the library option behind the flag, so that the
	// library's messages can name the flag instead.
	option string
	// to turns the flag, when given, into library options; nil for flags
	// that steer the command itself.
	to func() ([]bootstrap.Option, error)
}

// flags lists every flag, in the order of the help text. Adding a flag is
// one line here (and its field in cli).
func (c *cli) flags() []flagDef {
	policyFile := &keyValueList{list: &c.policyFiles, key: "profile", val: "path"}
	tags := &keyValueList{list: &c.tags, key: "key", val: "value", emptyValue: true}
	c.policyRoot = bootstrap.DefaultPolicyRoot
	c.approvalTable = bootstrap.DefaultApprovalTable
	c.breakGlassTable = bootstrap.DefaultBreakGlassTable
	c.sessionTable = bootstrap.DefaultSessionTable
	c.rateLimitTable = bootstrap.DefaultRateLimitTable
	c.timeout = bootstrap.DefaultWaitTimeout
	return []flagDef{
		{section: sectionProvision, name: "profile", arg: "NAME", help: "a policy parameter for this AWS profile (repeatable)", value: (*stringList)(&c.profiles), option: "WithProfiles", to: func() ([]bootstrap.Option, error) { return one(bootstrap.WithProfiles(c.profiles...)) }},
		{section: sectionProvision, name: "with-approvals", help: "the approval requests table", value: (*switchValue)(&c.withApprovals), option: "WithApprovals", to: on(bootstrap.WithApprovals)},
		{section: sectionProvision, name: "with-breakglass", help: "the break-glass events table", value: (*switchValue)(&c.withBreakGlass), option: "WithBreakGlass", to: on(bootstrap.WithBreakGlass)},
		{section: sectionProvision, name: "with-sessions", help: "the server sessions table", value: (*switchValue)(&c.withSessions), option: "WithSessions", to: on(bootstrap.WithSessions)},
		{section: sectionProvision, name: "with-rate-limits", help: "the rate-limit table of Sentinel's Lambda token vending machine", value: (*switchValue)(&c.withRateLimits), option: "WithRateLimits", to: on(bootstrap.WithRateLimits)},
		{section: sectionProvision, name: "all", help: "the approvals, break-glass and sessions tables", value: (*switchValue)(&c.all), option: "WithAll", to: on(bootstrap.WithAll)},
		{section: sectionProvision, name: "policy-root", arg: "PATH", help: "SSM path of the policy parameters (default " + bootstrap.DefaultPolicyRoot + ")", value: (*stringValue)(&c.policyRoot), option: "WithPolicyRoot", to: with(bootstrap.WithPolicyRoot, &c.policyRoot)},
		{section: sectionProvision, name: "description", arg: "TEXT", help: "description of new policy parameters", value: (*stringValue)(&c.description), option: "WithDescription", to: with(bootstrap.WithDescription, &c.description)},
		{section: sectionProvision, name: "policy-file", arg: "PROFILE=PATH", help: "initial policy for PROFILE, read from PATH, instead of the deny-all starter (repeatable)", value: policyFile, option: "WithPolicy", to: c.policyOptions},
		{section: sectionProvision, name: "signing-key", arg: "KEY", help: "sign each new policy with this KMS key (RSA, SIGN_VERIFY: the key of Sentinel's SENTINEL_POLICY_SIGNING_KEY)", value: (*stringValue)(&c.signingKey), option: "WithPolicySigning", to: with(bootstrap.WithPolicySigning, &c.signingKey)},
		{section: sectionProvision, name: "generate-iam-policies", help: "also print IAM policy documents for these resources", value: (*switchValue)(&c.iam), option: "WithIAMPolicies", to: on(bootstrap.WithIAMPolicies)},

		{section: sectionTables, name: "approval-table", arg: "NAME", help: "approval requests table (default " + bootstrap.DefaultApprovalTable + ")", value: (*stringValue)(&c.approvalTable), option: "WithApprovalTable", to: with(bootstrap.WithApprovalTable, &c.approvalTable)},
		{section: sectionTables, name: "breakglass-table", arg: "NAME", help: "break-glass events table (default " + bootstrap.DefaultBreakGlassTable + ")", value: (*stringValue)(&c.breakGlassTable), option: "WithBreakGlassTable", to: with(bootstrap.WithBreakGlassTable, &c.breakGlassTable)},
		{section: sectionTables, name: "session-table", arg: "NAME", help: "server sessions table (default " + bootstrap.DefaultSessionTable + ")", value: (*stringValue)(&c.sessionTable), option: "WithSessionTable", to: with(bootstrap.WithSessionTable, &c.sessionTable)},
		{section: sectionTables, name: "rate-limit-table", arg: "NAME", help: "rate-limit table (default " + bootstrap.DefaultRateLimitTable + ")", value: (*stringValue)(&c.rateLimitTable), option: "WithRateLimitTable", to: with(bootstrap.WithRateLimitTable, &c.rateLimitTable)},
		{section: sectionTables, name: "with-device-index", help: "add gsi-device-id to the sessions table; Sentinel then cannot store sessions without a device (see the README)", value: (*switchValue)(&c.deviceIndex), option: "WithDeviceIndex", to: on(bootstrap.WithDeviceIndex)},
		{section: sectionTables, name: "kms-key", arg: "KEY", help: "encrypt with this KMS key: key ID, key ARN, alias/NAME or alias ARN (default: the AWS managed key)", value: (*stringValue)(&c.kmsKey), option: "WithKMSKey", to: with(bootstrap.WithKMSKey, &c.kmsKey)},
		{section: sectionTables, name: "tag", arg: "KEY=VALUE", help: "tag new parameters and tables, and add the tag to existing tables (repeatable)", value: tags, option: "WithTags", to: c.tagOptions},
		{section: sectionTables, name: "no-deletion-protection", help: "create tables without deletion protection", value: (*switchValue)(&c.noDP), option: "WithoutDeletionProtection", to: on(bootstrap.WithoutDeletionProtection)},
		{section: sectionTables, name: "no-pitr", help: "do not enable point-in-time recovery", value: (*switchValue)(&c.noPITR), option: "WithoutPointInTimeRecovery", to: on(bootstrap.WithoutPointInTimeRecovery)},

		{section: sectionHow, name: "region", arg: "REGION", help: "AWS region (default: AWS_REGION or AWS config)", value: (*stringValue)(&c.region), option: "WithRegion", to: with(bootstrap.WithRegion, &c.region)},
		{section: sectionHow, name: "aws-profile", arg: "NAME", help: `profile in the AWS config files to use (default: AWS_PROFILE or "default")`, value: (*stringValue)(&c.awsProfile)},
		{section: sectionHow, name: "endpoint-url", arg: "URL", help: "send every request to this endpoint, e.g. an emulator; wins over AWS_ENDPOINT_URL and the like", value: (*stringValue)(&c.endpointURL)},
		{section: sectionHow, name: "timeout", arg: "DURATION", help: "longest wait for a table to become ACTIVE (default " + durationText(bootstrap.DefaultWaitTimeout) + ")", value: (*durationValue)(&c.timeout), option: "WithWaitTimeout", to: with(bootstrap.WithWaitTimeout, &c.timeout)},
		{section: sectionHow, name: "plan", help: "show the plan and stop; change nothing", value: (*switchValue)(&c.plan), option: "WithPlanOnly"},
		{section: sectionHow, name: "yes", short: 'y', help: "apply without asking", value: (*switchValue)(&c.yes)},
		{section: sectionHow, name: "destroy", help: "delete the selected tables and parameters instead (for test setups); asks once like an apply", value: (*switchValue)(&c.destroy)},

		{section: sectionOutput, name: "export", arg: "FORMAT", help: "print the resources as code instead of applying them: cloudformation or terraform (no AWS call, but to sign with --signing-key)", value: (*stringValue)(&c.export)},
		{section: sectionOutput, name: "output", arg: "FILE", help: "with --export: write to FILE instead of stdout", value: (*stringValue)(&c.output)},
		{section: sectionOutput, name: "s3-bucket", arg: "BUCKET", help: "with --export cloudformation: you deploy from this S3 bucket (aws cloudformation deploy --s3-bucket), so the template may be up to 1 MB", value: (*stringValue)(&c.s3Bucket), option: "WithS3Bucket", to: with(bootstrap.WithS3Bucket, &c.s3Bucket)},
		{section: sectionOutput, name: "json", help: "print only the report, as JSON (never asks: needs --plan or --yes)", value: (*switchValue)(&c.json)},
		{section: sectionOutput, name: "detailed-exitcode", help: "with --plan: exit 0 when there is nothing to do, 2 when there are changes, 1 on any error", value: (*switchValue)(&c.detailedExitcode)},
		{section: sectionOutput, name: "debug", help: "print one line per AWS call on stderr: operation, status, request ID, attempt, duration", value: (*switchValue)(&c.debug)},
		{section: sectionOutput, name: "no-color", help: "no colours (also when NO_COLOR is set)", value: (*switchValue)(&c.noColor)},
		{section: sectionOutput, name: "version", help: "print the version and exit", value: (*switchValue)(&c.version)},
		{section: sectionOutput, name: "help", short: 'h', help: "print this help and exit", value: (*switchValue)(&c.help)},
	}
}

// one is a single option, without error.
func one(o bootstrap.Option) ([]bootstrap.Option, error) { return []bootstrap.Option{o}, nil }

// on is the option of a switch.
func on(o func() bootstrap.Option) func() ([]bootstrap.Option, error) {
	return func() ([]bootstrap.Option, error) { return one(o()) }
}

// with is the option of a flag with a value, read when the option is made.
func with[T any](o func(T) bootstrap.Option, v *T) func() ([]bootstrap.Option, error) {
	return func() ([]bootstrap.Option, error) { return one(o(*v)) }
}

func (c *cli) tagOptions() ([]bootstrap.Option, error) {
	tags := map[string]string{}
	for _, kv := range c.tags {
		tags[kv.key] = kv.value
	}
	return one(bootstrap.WithTags(tags))
}

func (c *cli) policyOptions() ([]bootstrap.Option, error) {
	var opts []bootstrap.Option
	for _, kv := range c.policyFiles {
		doc, err := readPolicyFile(kv.value)
		if err != nil {
			return nil, usagef("cannot read --policy-file %s=%s: %v", kv.key, kv.value, err)
		}
		opts = append(opts, bootstrap.WithPolicy(kv.key, doc))
	}
	return opts, nil
}

// options turns the flags given into library options. Only flags that were
// given become options, so that the library's defaults and validation apply.
func (c *cli) options(defs []flagDef) ([]bootstrap.Option, error) {
	var opts []bootstrap.Option
	for _, d := range defs {
		if d.to == nil || !c.set[d.name] {
			continue
		}
		if sw, ok := d.value.(*switchValue); ok && !bool(*sw) {
			continue
		}
		o, err := d.to()
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
	}
	return opts, nil
}
