package bootstrap

import (
	"maps"
	"reflect"
	"time"
)

// Option configures Run, Destroy and the other entry points. Options are
// applied in the order given; a later option overrides an earlier one,
// except WithProfiles, WithPolicy and WithTags, which accumulate. Only this
// package defines options. Every value is checked once, after all options
// are applied and before any AWS call: a bad value makes Run return an error
// matching ErrInvalidConfig.
type Option interface {
	apply(*settings)
}

// optionFunc adapts a function to the Option interface.
type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// Defaults, in one place.
const (
	// DefaultPolicyRoot is the SSM path under which policies are stored.
	DefaultPolicyRoot = "/sentinel/policies"
	// DefaultApprovalTable is the name of the approval requests table.
	DefaultApprovalTable = "sentinel-requests"
	// DefaultBreakGlassTable is the name of the break-glass events table.
	DefaultBreakGlassTable = "sentinel-breakglass"
	// DefaultSessionTable is the name of the server sessions table.
	DefaultSessionTable = "sentinel-sessions"
	// DefaultRateLimitTable is the name of the rate-limit table of
	// Sentinel's Lambda token vending machine (Sentinel itself has no
	// default; it reads SENTINEL_RATE_LIMIT_TABLE).
	DefaultRateLimitTable = "sentinel-rate-limits"
	// DefaultWaitTimeout bounds each wait for AWS to finish a change.
	DefaultWaitTimeout = 10 * time.Minute
	// DefaultConcurrency is how many SSM requests run at once.
	DefaultConcurrency = 8
	// MaxWaitTimeout is the largest value WithWaitTimeout accepts.
	MaxWaitTimeout = 24 * time.Hour
	// MaxConcurrency is the largest value WithConcurrency accepts.
	MaxConcurrency = 64
)

// settings are the option values as given. They are read, never changed, by
// resolve, which checks them and builds the run's config.
type settings struct {
	profiles           []string
	policyRoot         string
	description        string
	policies           map[string]string // profile -> YAML, from WithPolicy
	tables             [numPurposes]tableChoice
	deviceIndex        bool
	iam                bool
	planOnly           bool
	region             string
	regionSet          bool
	ssm                SSMAPI
	ddb                DynamoDBAPI
	kms                KMSAPI
	signingKey         string
	signingKeySet      bool
	tags               map[string]string
	kmsKey             string
	kmsKeySet          bool
	deletionProtection bool
	pitr               bool
	waitTimeout        time.Duration
	progress           func(Event)
	concurrency        int
	nameSuffix         string

	// problems found while applying options that cannot wait for resolve
	// (a nil client, a conflicting WithPolicy); resolve reports the first.
	problems []*ConfigError
}

// tableChoice is what the options say about one table.
type tableChoice struct {
	selected bool
	name     string // as given (without the suffix)
	nameSet  bool
}

// newSettings applies opts over the defaults.
func newSettings(opts []Option) *settings {
	s := &settings{
		policyRoot:         DefaultPolicyRoot,
		deletionProtection: true,
		pitr:               true,
		waitTimeout:        DefaultWaitTimeout,
		concurrency:        DefaultConcurrency,
	}
	for p := range numPurposes {
		s.tables[p].name = schemas[p].defaultName
	}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	return s
}

func (s *settings) fail(option, value, reason string) {
	s.problems = append(s.problems, &ConfigError{Option: option, Value: value, Reason: reason})
}

// WithProfiles selects the AWS profiles that get a policy parameter, named
// <policy root>/<profile>. Repeated calls accumulate, in order; a name given
// twice is an error. Default: no profiles.
func WithProfiles(names ...string) Option {
	names = append([]string(nil), names...)
	return optionFunc(func(s *settings) {
		if len(names) == 0 {
			s.fail("WithProfiles", "", "no profile names given; pass at least one name or leave the option out")
		}
		s.profiles = append(s.profiles, names...)
	})
}

// WithPolicyRoot sets the SSM path under which the policy parameters live.
// It must start with "/"; a trailing "/" is dropped. Default: "/sentinel/policies".
func WithPolicyRoot(root string) Option {
	return optionFunc(func(s *settings) { s.policyRoot = root })
}

// WithDescription sets a description, used in the starter policy's header
// comment and as each new parameter's Description (at most 1024 characters,
// one line). Default: "Sentinel policy for profile <profile>" as the
// Description and no description line in the starter policy.
func WithDescription(text string) Option {
	return optionFunc(func(s *settings) { s.description = text })
}

// WithPolicy sets the initial policy for one profile instead of the starter
// policy. The YAML must be a policy that Sentinel loads and its validator
// accepts, within the library's stricter rules (see the README), of at most
// 4096 bytes, and the profile must be selected with WithProfiles. It is only
// used when the parameter is created: an existing parameter is never
// changed. Default: the starter policy (deny everything, with a hint to
// customise it).
func WithPolicy(profile, yaml string) Option {
	return optionFunc(func(s *settings) {
		if s.policies == nil {
			s.policies = map[string]string{}
		}
		if old, ok := s.policies[profile]; ok && old != yaml {
			s.fail("WithPolicy", profile, "given twice with different policies; pass one policy per profile")
		}
		s.policies[profile] = yaml
	})
}

// WithApprovals selects the approval requests table. Default: not selected.
func WithApprovals() Option { return selectTables(approvals) }

// WithBreakGlass selects the break-glass events table. Default: not selected.
func WithBreakGlass() Option { return selectTables(breakglass) }

// WithSessions selects the server sessions table. Default: not selected.
func WithSessions() Option { return selectTables(sessions) }

// WithRateLimits selects the rate-limit table of Sentinel's Lambda token
// vending machine (partition key PK, TTL on TTL). Default: not selected;
// WithAll does not select it.
func WithRateLimits() Option { return selectTables(ratelimits) }

// WithAll selects the three tables of the original bootstrap: approvals,
// break-glass events and sessions (not the rate-limit table). Default: no
// table is selected.
func WithAll() Option { return selectTables(approvals, breakglass, sessions) }

func selectTables(ps ...purpose) Option {
	return optionFunc(func(s *settings) {
		for _, p := range ps {
			s.tables[p].selected = true
		}
	})
}

// WithApprovalTable names the approval requests table; it needs WithApprovals
// or WithAll. Default: "sentinel-requests".
func WithApprovalTable(name string) Option { return nameTable(approvals, name) }

// WithBreakGlassTable names the break-glass events table; it needs
// WithBreakGlass or WithAll. Default: "sentinel-breakglass".
func WithBreakGlassTable(name string) Option { return nameTable(breakglass, name) }

// WithSessionTable names the server sessions table; it needs WithSessions or
// WithAll. Default: "sentinel-sessions".
func WithSessionTable(name string) Option { return nameTable(sessions, name) }

// WithRateLimitTable names the rate-limit table (Sentinel's
// SENTINEL_RATE_LIMIT_TABLE); it needs WithRateLimits.
// Default: "sentinel-rate-limits".
func WithRateLimitTable(name string) Option { return nameTable(ratelimits, name) }

func nameTable(p purpose, name string) Option {
	return optionFunc(func(s *settings) {
		t := &s.tables[p]
		t.name, t.nameSet = name, true
	})
}

// WithDeviceIndex adds the index gsi-device-id (device_id, created_at) to
// the sessions table, at creation or by drift repair; it needs the sessions
// table. Sentinel's device-sessions listing queries it, but Sentinel writes
// device_id = "" for every session without a device (the credential server,
// the unix-socket server, the Lambda path), and DynamoDB refuses an empty
// string for an index key: on a table with this index Sentinel cannot
// create, revoke or expire a session without a device, and since it only
// logs the failure, session tracking and revocation silently stop. Use it
// only where every Sentinel session carries a device ID.
// Default: off (four indexes; an existing gsi-device-id is left alone and
// reported in a warning).
func WithDeviceIndex() Option {
	return optionFunc(func(s *settings) { s.deviceIndex = true })
}

// WithNameSuffix appends suffix to every table name and to the policy root,
// so that several independent installations (or parallel tests) can share
// one account. The suffix may contain A-Z a-z 0-9 _ . - only.
// Default: no suffix.
func WithNameSuffix(suffix string) Option {
	return optionFunc(func(s *settings) { s.nameSuffix = suffix })
}

// WithIAMPolicies adds IAM policy documents for the selected resources to the
// Report (see IAMPolicy). Default: off.
func WithIAMPolicies() Option {
	return optionFunc(func(s *settings) { s.iam = true })
}

// WithPlanOnly makes Run (or Destroy) read-only: it reports the action an
// apply would take for every selected resource and changes nothing.
// Default: off (apply).
func WithPlanOnly() Option {
	return optionFunc(func(s *settings) { s.planOnly = true })
}

// WithRegion sets the AWS region, overriding cfg.Region, for the clients Run
// builds, the Report and the IAM documents. Clients passed with
// WithSSMClient, WithDynamoDBClient or WithKMSClient keep their own region.
// Default: cfg.Region.
func WithRegion(region string) Option {
	return optionFunc(func(s *settings) { s.region, s.regionSet = region, true })
}

// WithSSMClient sets the SSM client. Default: ssm.NewFromConfig(cfg), so the
// SDK's endpoint settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM, …) apply.
func WithSSMClient(c SSMAPI) Option {
	return clientOption("WithSSMClient", c, func(s *settings) { s.ssm = c })
}

// WithDynamoDBClient sets the DynamoDB client. Default:
// dynamodb.NewFromConfig(cfg), so the SDK's endpoint settings
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, …) apply.
func WithDynamoDBClient(c DynamoDBAPI) Option {
	return clientOption("WithDynamoDBClient", c, func(s *settings) { s.ddb = c })
}

// WithKMSClient sets the KMS client, used only with WithPolicySigning.
// Default: kms.NewFromConfig(cfg), so the SDK's endpoint settings
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS, …) apply.
func WithKMSClient(c KMSAPI) Option {
	return clientOption("WithKMSClient", c, func(s *settings) { s.kms = c })
}

// WithPolicySigning signs every policy parameter Run creates with the KMS
// key keyID (a key ID, key ARN, alias name "alias/…" or alias ARN, of the
// run's region and partition), as Sentinel's Lambda token vending machine
// verifies them when it is given SENTINEL_POLICY_SIGNING_KEY: the key must be
// that one, an asymmetric RSA key with key usage SIGN_VERIFY. Run signs the
// exact value it writes (KMS Sign, RSASSA_PSS_SHA_256) and creates the
// signature parameter Sentinel reads (/sentinel/signatures/…) with
// Overwrite=false. It signs an existing policy only when its value is byte
// for byte what these options would write (so a run that stopped between the
// two writes is finished by the next one); any other unsigned policy, and any
// existing signature that does not verify, gets a warning and is left alone.
// When the key cannot sign, every parameter fails and nothing is written.
// Destroy deletes the signatures of the policies it deletes. It needs
// WithProfiles. Default: off (policies are not signed).
func WithPolicySigning(keyID string) Option {
	return optionFunc(func(s *settings) { s.signingKey, s.signingKeySet = keyID, true })
}

// WithTags sets tags on every table and parameter Run creates, and adds them
// to existing tables that lack them (parameters are never changed). Repeated
// calls merge; a later value for the same key wins. At most 50 tags; keys of
// 1–128 and values of at most 256 characters; no key may begin with "aws:".
// Default: no tags.
func WithTags(tags map[string]string) Option {
	tags = maps.Clone(tags)
	return optionFunc(func(s *settings) {
		if s.tags == nil {
			s.tags = map[string]string{}
		}
		maps.Copy(s.tags, tags)
	})
}

// WithKMSKey encrypts the tables with a customer-managed KMS key: a key ID,
// key ARN, alias name ("alias/…") or alias ARN; an ARN must be of the run's
// region and partition. AWS-managed keys (aliases under alias/aws/) are
// refused: alias/aws/dynamodb is the default, and the others serve other
// services. Default: KMS encryption with the AWS-managed key
// (alias/aws/dynamodb).
func WithKMSKey(key string) Option {
	return optionFunc(func(s *settings) { s.kmsKey, s.kmsKeySet = key, true })
}

// WithoutDeletionProtection creates tables without deletion protection and
// stops Run from turning it on for existing tables (it never turns it off).
// Default: deletion protection is on.
func WithoutDeletionProtection() Option {
	return optionFunc(func(s *settings) { s.deletionProtection = false })
}

// WithoutPointInTimeRecovery leaves point-in-time recovery alone: it is not
// enabled, and not even read, so endpoints without it work.
// Default: point-in-time recovery is enabled on every table.
func WithoutPointInTimeRecovery() Option {
	return optionFunc(func(s *settings) { s.pitr = false })
}

// WithWaitTimeout bounds each wait for AWS to finish a change (a table or
// index being created, a table that is not visible yet) and each retry loop
// for a change AWS is not ready for. A wait that runs out fails the table
// with a message saying so; AWS goes on with it, and a later Run finishes
// the rest. Must be in (0, 24h]. Default: 10 minutes.
func WithWaitTimeout(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.waitTimeout = d })
}

// WithProgress sets a function called as each resource starts, waits (once
// when a wait begins and after each poll) and finishes. Calls are serialised,
// so fn need not be safe for concurrent use, but it should return quickly.
// A panic in fn stops the run: Run recovers it, cancels the remaining work
// and returns the Report with an error for which errors.As finds a
// *PanicError. Default: none.
func WithProgress(fn func(Event)) Option {
	return optionFunc(func(s *settings) { s.progress = fn })
}

// WithConcurrency bounds how many SSM requests (GetParameters batches and
// PutParameter calls) are in flight at once, in 1..64. Writes are further
// paced to the rate SSM accepts: when SSM answers ThrottlingException the
// pace slows down and the write is retried. Default: 8.
func WithConcurrency(n int) Option {
	return optionFunc(func(s *settings) { s.concurrency = n })
}

// clientOption sets a client, refusing a nil one (which would panic at its
// first call).
func clientOption(option string, c any, set func(*settings)) Option {
	return optionFunc(func(s *settings) {
		if isNil(c) {
			s.fail(option, "nil", "the client is nil; leave the option out to build one from cfg")
		}
		set(s)
	})
}

// isNil reports a nil client, also one of a nil pointer type, which would
// panic at its first call.
func isNil(c any) bool {
	if c == nil {
		return true
	}
	v := reflect.ValueOf(c)
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// WithS3Bucket says that the CloudFormation template will be deployed from
// the S3 bucket named (aws cloudformation deploy --s3-bucket BUCKET), where
// CloudFormation accepts templates of up to 1 MB instead of the 51,200 bytes
// it takes inline. Export names the bucket in the deployment command at the
// top of the template; it uploads nothing. Only for FormatCloudFormation;
// Run and Destroy ignore it. Default: the template must fit 51,200 bytes.
func WithS3Bucket(bucket string) Option { return s3BucketOption(bucket) }
