// Package bootstrap provisions what Sentinel needs in AWS, in one call: one
// SSM policy parameter per AWS profile, and the DynamoDB tables for approval
// requests, break-glass events, server sessions and rate limits, shaped
// exactly as Sentinel's own code uses them.
//
// Run plans (read-only) and then applies, concurrently, and returns a Report
// with one result per selected resource. It is idempotent and safe to rerun:
// an existing parameter is never overwritten, a table is never deleted or
// recreated, and a run that stopped half way is finished by the next one.
//
//	rep, err := bootstrap.Run(ctx, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithAll())
package bootstrap

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Modes of a Report.
const (
	ModePlan    = "plan"
	ModeApply   = "apply"
	ModeDestroy = "destroy"
)

// Actions of a result: what apply does (or did) to the resource.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionNone    = "none"
	ActionUnknown = "unknown" // the resource could not be read (for example, access denied)
	ActionDelete  = "delete"  // Destroy only
)

// Statuses of a result.
const (
	StatusPlanned = "planned" // plan mode: nothing was changed
	StatusOK      = "ok"
	StatusFailed  = "failed"
)

// Purposes of a table, as in TableResult.Purpose.
const (
	PurposeApprovals  = "approvals"
	PurposeBreakGlass = "breakglass"
	PurposeSessions   = "sessions"
	PurposeRateLimits = "ratelimits"
)

// Report is the result of Run or Destroy. Its JSON form is a stable contract.
type Report struct {
	Mode        string            `json:"mode"`                   // "plan", "apply" or "destroy"
	Region      string            `json:"region"`                 // the region the run used (WithRegion or cfg.Region)
	PolicyRoot  string            `json:"policy_root"`            // the SSM path of the policies, with WithNameSuffix
	Parameters  []ParameterResult `json:"parameters"`             // in the order the profiles were given
	Tables      []TableResult     `json:"tables"`                 // approvals, breakglass, sessions, ratelimits: those selected
	IAMPolicies []IAMPolicy       `json:"iam_policies,omitempty"` // with WithIAMPolicies
	Summary     Summary           `json:"summary"`                // the results counted by action
	DurationMS  int64             `json:"duration_ms"`            // how long the run took, in milliseconds
}

// ParameterResult is the outcome for one policy parameter.
type ParameterResult struct {
	Profile string `json:"profile"`           // the AWS profile, as given to WithProfiles
	Name    string `json:"name"`              // the full SSM name, <policy root>/<profile>
	Action  string `json:"action"`            // create | none | unknown | delete
	Status  string `json:"status"`            // planned | ok | failed
	Version int64  `json:"version,omitempty"` // the parameter's version after the run, when known
	Error   string `json:"error,omitempty"`   // why it failed (or, with action unknown, why it could not be read)
	// Warnings notes problems that Run does not fix, such as an existing
	// value that is not a valid Sentinel policy (it is never changed).
	Warnings []string `json:"warnings,omitempty"`
	// Signature is the policy's signature parameter, with
	// WithPolicySigning; nil (and omitted from the JSON) without.
	Signature *SignatureResult `json:"signature,omitempty"`
}

// TableResult is the outcome for one DynamoDB table.
type TableResult struct {
	Purpose      string   `json:"purpose"`                // approvals | breakglass | sessions | ratelimits
	Name         string   `json:"name"`                   // the final name, with WithNameSuffix
	Action       string   `json:"action"`                 // create | update | none | unknown | delete
	Status       string   `json:"status"`                 // planned | ok | failed
	ARN          string   `json:"arn,omitempty"`          // when the table exists
	TableStatus  string   `json:"table_status,omitempty"` // as last seen: ACTIVE, CREATING, …
	GSIs         []string `json:"gsis"`                   // the indexes the options ask for
	TTLAttribute string   `json:"ttl_attribute"`          // ttl, or TTL for the rate-limit table
	// Changes lists what the plan asks for, in order, e.g. "create table",
	// "enable TTL on ttl"; after an apply, what was done and what the plan
	// still asked for when the table failed.
	Changes []string `json:"changes,omitempty"`
	// Done lists the changes carried out by this run, in order; after a
	// failure it says what exists now. Changes lists what the plan asked for.
	Done  []string `json:"done,omitempty"`
	Error string   `json:"error,omitempty"` // why it failed: what differs or went wrong, and what to do
	// Warnings notes differences that Run leaves alone, such as a
	// provisioned billing mode.
	Warnings []string `json:"warnings,omitempty"`
}

// Summary counts the results by action; failed results are counted apart,
// under Failed only, so the fields add up to the number of results (each
// signature of WithPolicySigning is a result of its own).
type Summary struct {
	Create  int `json:"create"`           // created (or, in plan mode, to be created)
	Update  int `json:"update"`           // repaired (or to be)
	None    int `json:"none"`             // already as wanted; nothing done
	Unknown int `json:"unknown"`          // could not be read (plan mode)
	Delete  int `json:"delete,omitempty"` // deleted by Destroy
	Failed  int `json:"failed"`           // failed, whatever the action
}

// IAMPolicy is an IAM policy document for the selected options.
type IAMPolicy struct {
	Name        string          `json:"name"`        // SentinelPolicyReader, SentinelBootstrap, … (the IAMPolicy… constants)
	Description string          `json:"description"` // one sentence: what it lets its holder do
	Document    json.RawMessage `json:"document"`    // a valid IAM policy document
}

// Phase is the stage of a resource reported to WithProgress.
type Phase string

// Phases, in the order a resource goes through them.
const (
	PhaseStart Phase = "start" // work on the resource begins
	PhaseWait  Phase = "wait"  // waiting for AWS; reported when the wait begins and after each poll
	PhaseDone  Phase = "done"  // the resource has its final result
)

// Event is one progress report. Tables report every phase; parameters and
// signatures report start and done only when they are written.
type Event struct {
	Kind     string        // "table", "parameter" or "signature"
	Resource string        // the table or parameter name
	Phase    Phase         // start, wait or done (the Phase… constants), in that order
	Detail   string        // wait: the change AWS is carrying out ("creating", "adding index gsi-user", "enabling TTL", …); done: the error, if any
	Action   string        // done: the result's action (create, update, none, …)
	Status   string        // done: ok, failed or planned
	Elapsed  time.Duration // since work on this resource started
}

// Run provisions the selected policy parameters and tables: it plans with
// read calls only, then (unless WithPlanOnly) creates what is missing and
// repairs what it can, concurrently. Every selected resource gets a result.
//
// Run returns a nil error when nothing failed. When a resource failed it
// returns the full Report and an error matching ErrIncomplete (an
// *IncompleteError naming each failure). Bad options return a nil Report and
// an error matching ErrInvalidConfig, before any AWS call.
func Run(ctx context.Context, cfg aws.Config, opts ...Option) (*Report, error) {
	return start(ctx, cfg, opts, false)
}

// Destroy deletes exactly the tables and parameters that the same options
// select, and nothing else; it is meant for tearing down test setups. It
// waits until each deleted table is gone (bounded by WithWaitTimeout). A
// table with deletion protection on is a failure: Destroy never turns the
// protection off. With WithPlanOnly it reports what it would delete.
func Destroy(ctx context.Context, cfg aws.Config, opts ...Option) (*Report, error) {
	return start(ctx, cfg, opts, true)
}

// Validate checks the options exactly as Run, Destroy and Export do, and
// makes no AWS call: it returns nil, or an error matching ErrInvalidConfig
// (a *ConfigError naming the option and the value). A tool can call it to
// report bad input before it asks for credentials.
func Validate(cfg aws.Config, opts ...Option) error {
	_, err := resolve(opts, cfg)
	return err
}

func start(ctx context.Context, awsCfg aws.Config, opts []Option, destroy bool) (*Report, error) {
	began := time.Now()
	c, err := resolve(opts, awsCfg)
	if err != nil {
		return nil, err
	}
	mode := ModeApply
	switch {
	case destroy:
		mode = ModeDestroy
		c = c.withSignatureNames()
	case c.planOnly:
		mode = ModePlan
	}
	r, ctx := newRunner(ctx, c, awsCfg)
	defer r.stop(nil)
	rep := &Report{
		Mode:       mode,
		Region:     c.region,
		PolicyRoot: c.policyRoot,
		Parameters: make([]ParameterResult, len(c.params)),
		Tables:     make([]TableResult, len(c.tables)),
	}

	var wg sync.WaitGroup
	for i, spec := range c.tables {
		wg.Go(func() {
			if destroy {
				rep.Tables[i] = r.destroyTable(ctx, spec)
			} else {
				rep.Tables[i] = r.table(ctx, spec)
			}
		})
	}
	if len(c.params) > 0 {
		wg.Go(func() {
			if destroy {
				r.destroyParameters(ctx, rep.Parameters)
			} else {
				r.parameters(ctx, rep.Parameters)
			}
		})
	}
	wg.Wait()

	if c.iam {
		rep.IAMPolicies = iamPolicies(c)
	}
	rep.Summary = summarize(rep)
	rep.DurationMS = time.Since(began).Milliseconds()
	return rep, rep.incomplete(ctx, r.panicErr())
}

func summarize(rep *Report) Summary {
	var sum Summary
	count := func(action, status string) {
		if status == StatusFailed {
			sum.Failed++
			return
		}
		switch action {
		case ActionCreate:
			sum.Create++
		case ActionUpdate:
			sum.Update++
		case ActionNone:
			sum.None++
		case ActionUnknown:
			sum.Unknown++
		case ActionDelete:
			sum.Delete++
		}
	}
	for _, p := range rep.Parameters {
		count(p.Action, p.Status)
		if p.Signature != nil {
			count(p.Signature.Action, p.Signature.Status)
		}
	}
	for _, t := range rep.Tables {
		count(t.Action, t.Status)
	}
	return sum
}

// incomplete returns the *IncompleteError for the failed results, or nil.
// A panic of the progress callback is an error even when every result was
// done by then (it happened in the last event): the caller must hear of it.
func (rep *Report) incomplete(ctx context.Context, panicked *PanicError) error {
	var e IncompleteError
	for _, p := range rep.Parameters {
		if p.Status == StatusFailed {
			e.Failed = append(e.Failed, "parameter "+p.Name)
			e.Errors = append(e.Errors, p.Error)
		}
		if s := p.Signature; s != nil && s.Status == StatusFailed {
			e.Failed = append(e.Failed, "signature "+s.Name)
			e.Errors = append(e.Errors, s.Error)
		}
	}
	for _, t := range rep.Tables {
		if t.Status == StatusFailed {
			e.Failed = append(e.Failed, "table "+t.Name)
			e.Errors = append(e.Errors, t.Error)
		}
	}
	switch {
	case len(e.Failed) == 0 && panicked == nil:
		return nil
	case len(e.Failed) == 0:
		return &IncompleteError{Cause: panicked}
	}
	if ctx.Err() != nil {
		e.Cause = context.Cause(ctx) // the caller's ctx error, or the progress callback's *PanicError
	}
	return &e
}

// Format is the kind of infrastructure code that Export writes.
type Format string

// Formats of Export.
const (
	// FormatCloudFormation is a CloudFormation template in YAML, ready for
	// one stack (aws cloudformation deploy) or a StackSet: every ARN is
	// built from AWS::Partition, AWS::Region and AWS::AccountId, the tables'
	// KMS key is a template parameter, and IAM policy names include the
	// region.
	FormatCloudFormation Format = "cloudformation"
	// FormatTerraform is a Terraform configuration (HCL) for the AWS
	// provider, with commented-out import blocks for adopting existing
	// resources.
	FormatTerraform Format = "terraform"
)

// Export writes, as CloudFormation or Terraform, exactly the resources that
// Run would create for the same options: every selected table (keys,
// indexes, billing, encryption and KMS key, deletion protection,
// point-in-time recovery, TTL, tags), every policy parameter (name, type,
// tier, description, tags, and the starter policy or the WithPolicy text),
// and with WithIAMPolicies the IAM documents as managed policies.
//
// Tables and parameters are kept when a stack is deleted or a resource
// replaced (CloudFormation's DeletionPolicy and UpdateReplacePolicy Retain,
// Terraform's prevent_destroy on tables), and Terraform ignores later
// changes of a parameter's value, as Run never overwrites one.
//
// The options are those of Run and are checked the same way: bad options
// return an error matching ErrInvalidConfig. Options that only steer a run
// (WithPlanOnly, WithProgress, WithConcurrency, WithWaitTimeout) are
// accepted and have no effect. Export reads no current state and makes no
// AWS call, except with WithPolicySigning: it then signs the exported
// policies with the signing key in KMS, and the output pins those policy
// bytes and their signatures.
//
// Each format has limits of its own, also reported as ErrInvalidConfig: a
// CloudFormation template must fit CloudFormation's quotas (51,200 bytes
// sent inline, 1 MB with WithS3Bucket, 500 resources per stack), and the
// Terraform provider takes only a key ARN as a table's KMS key.
func Export(ctx context.Context, cfg aws.Config, format Format, opts ...Option) ([]byte, error) {
	return export(ctx, cfg, format, opts)
}
