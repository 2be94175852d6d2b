// Package baseline provisions Sentinel's policy parameters and DynamoDB
// tables the way the original `sentinel init bootstrap` command does, so that
// the benchmarks of the bootstrap package can measure the library against
// it on the same endpoint, in the same run. It is test infrastructure, not an
// alternative to the library.
//
// Like the original command, it works strictly one step after another:
//
//   - one ssm:GetParameter per profile, then a PutParameter (Overwrite=false)
//     for each one that is ParameterNotFound;
//   - one table after another: DescribeTable; when the table is missing,
//     CreateTable, then DescribeTable after 1 s, 2 s, 4 s, 8 s, … (at most
//     30 s between polls) until the table and its indexes are ACTIVE; then
//     UpdateTimeToLive and UpdateContinuousBackups.
//
// It ends in the same state as bootstrap.Run with the same choices: the same
// CreateTableInput (key id (S), PAY_PER_REQUEST, the indexes Sentinel needs,
// KMS encryption, deletion protection), TTL on "ttl", point-in-time recovery
// on, and the same starter policy. So that both also do the same checks when
// everything exists, it reads TTL and point-in-time recovery of an existing
// table and enables what is off (the original command skipped existing
// tables; those reads cost it three sequential calls, nothing compared with a
// GetParameter per profile).
//
// Its plan (Options.PlanOnly) makes the same reads and no write. (The
// original's plan mode read nothing at all, so it could not say what exists.)
package baseline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.yaml.in/yaml/v3"
)

// Polling of the original command: the first poll 1 s after CreateTable,
// each further one twice as late, at most 30 s apart.
const (
	DefaultFirstPoll   = time.Second
	DefaultMaxPoll     = 30 * time.Second
	DefaultWaitTimeout = 10 * time.Minute
)

// TTLAttribute is the attribute Sentinel expires records by.
const TTLAttribute = "ttl"

// Index is a global secondary index: its name, partition key and sort key
// (all of type S, projection ALL).
type Index struct{ Name, Hash, Sort string }

// TableSpec is one table to provision: partition key "id" (S) and Indexes.
type TableSpec struct {
	Name    string
	Indexes []Index
}

// ApprovalsTable is the approval requests table, named name.
func ApprovalsTable(name string) TableSpec {
	return TableSpec{Name: name, Indexes: []Index{
		{"gsi-requester", "requester", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
	}}
}

// BreakGlassTable is the break-glass events table, named name.
func BreakGlassTable(name string) TableSpec {
	return TableSpec{Name: name, Indexes: []Index{
		{"gsi-invoker", "invoker", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
	}}
}

// SessionsTable is the server sessions table, named name, with the four
// indexes of the original command (and of the library's defaults: Sentinel
// cannot write sessions without a device to a table with gsi-device-id).
func SessionsTable(name string) TableSpec {
	return TableSpec{Name: name, Indexes: []Index{
		{"gsi-user", "user", "created_at"},
		{"gsi-status", "status", "created_at"},
		{"gsi-profile", "profile", "created_at"},
		{"gsi-server-instance", "server_instance_id", "status"},
	}}
}

// AllTables is what bootstrap.WithAll selects, with the default names
// (sentinel-requests, sentinel-breakglass, sentinel-sessions) plus suffix,
// as bootstrap.WithNameSuffix names them.
func AllTables(suffix string) []TableSpec {
	return []TableSpec{
		ApprovalsTable("sentinel-requests" + suffix),
		BreakGlassTable("sentinel-breakglass" + suffix),
		SessionsTable("sentinel-sessions" + suffix),
	}
}

// Options are the choices bootstrap.Run also offers; the zero value is the
// library's defaults.
type Options struct {
	// Description goes into the starter policy's header and each new
	// parameter's Description, as with bootstrap.WithDescription.
	Description string
	// Tags are set on each table and parameter created.
	Tags map[string]string
	// KMSKey is a customer-managed key; "" is the AWS-managed key.
	KMSKey string
	// NoDeletionProtection and NoPointInTimeRecovery are the library's
	// WithoutDeletionProtection and WithoutPointInTimeRecovery.
	NoDeletionProtection  bool
	NoPointInTimeRecovery bool
	// PlanOnly makes the same reads and no write.
	PlanOnly bool
	// FirstPoll and MaxPoll shape the polling (DefaultFirstPoll,
	// DefaultMaxPoll when zero); WaitTimeout bounds each wait
	// (DefaultWaitTimeout when zero).
	FirstPoll, MaxPoll, WaitTimeout time.Duration
	// Now is the clock of the starter policy's "Generated" line; time.Now
	// when nil.
	Now func() time.Time
}

// Result counts what a Run found and did.
type Result struct {
	ParametersCreated  int // created (in plan mode: would be created)
	ParametersExisting int
	TablesCreated      int // created (in plan mode: would be created)
	TablesExisting     int
	TablesRepaired     int           // existing tables that got TTL or point-in-time recovery turned on
	Polls              int           // DescribeTable calls made while waiting for ACTIVE
	Waited             time.Duration // total time spent waiting for tables to become ACTIVE
}

// Run provisions a parameter <root>/<profile> for each profile and each
// table, one call after another, as the original command does. It stops at
// the first error, as the original command did.
func Run(ctx context.Context, cfg aws.Config, profiles []string, root string, tables []TableSpec, o Options) (*Result, error) {
	o = o.withDefaults()
	r := &runner{o: o, res: &Result{}}
	if len(profiles) > 0 {
		r.ssm = ssm.NewFromConfig(cfg)
	}
	if len(tables) > 0 {
		r.ddb = dynamodb.NewFromConfig(cfg)
	}
	root = strings.TrimSuffix(root, "/")
	for _, p := range profiles {
		if err := r.parameter(ctx, root+"/"+p, p); err != nil {
			return r.res, err
		}
	}
	for _, t := range tables {
		if err := r.table(ctx, t); err != nil {
			return r.res, fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	return r.res, nil
}

func (o Options) withDefaults() Options {
	if o.FirstPoll <= 0 {
		o.FirstPoll = DefaultFirstPoll
	}
	if o.MaxPoll <= 0 {
		o.MaxPoll = DefaultMaxPoll
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

type runner struct {
	o   Options
	ssm *ssm.Client
	ddb *dynamodb.Client
	res *Result
}

// parameter reads one parameter and creates it when it is not there.
func (r *runner) parameter(ctx context.Context, name, profile string) error {
	_, err := r.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case err == nil:
		r.res.ParametersExisting++
		return nil
	case !errors.As(err, &notFound):
		return fmt.Errorf("reading parameter %s: %w", name, err)
	case r.o.PlanOnly:
		r.res.ParametersCreated++
		return nil
	}
	description := r.o.Description
	if description == "" {
		description = "Sentinel policy for profile " + profile
	}
	in := &ssm.PutParameterInput{
		Name:        aws.String(name),
		Value:       aws.String(StarterPolicy(profile, r.o.Description, r.o.Now())),
		Type:        ssmtypes.ParameterTypeString,
		Tier:        ssmtypes.ParameterTierStandard,
		Overwrite:   aws.Bool(false),
		Description: aws.String(description),
	}
	for _, k := range slices.Sorted(maps.Keys(r.o.Tags)) {
		in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(r.o.Tags[k])})
	}
	_, err = r.ssm.PutParameter(ctx, in)
	var exists *ssmtypes.ParameterAlreadyExists
	switch {
	case err == nil:
		r.res.ParametersCreated++
	case errors.As(err, &exists): // created meanwhile by someone else
		r.res.ParametersExisting++
	default:
		return fmt.Errorf("creating parameter %s: %w", name, err)
	}
	return nil
}

// table provisions one table: create and wait, or check an existing one;
// then TTL and point-in-time recovery.
func (r *runner) table(ctx context.Context, t TableSpec) error {
	d, err := r.describe(ctx, t.Name)
	if err != nil {
		return err
	}
	created := d == nil
	switch {
	case created && r.o.PlanOnly:
		r.res.TablesCreated++
		return nil
	case created:
		if _, err := r.ddb.CreateTable(ctx, CreateTableInput(t, r.o)); err != nil {
			return fmt.Errorf("creating the table: %w", err)
		}
		r.res.TablesCreated++
		if err := r.waitActive(ctx, t.Name); err != nil {
			return err
		}
	default:
		r.res.TablesExisting++
		if !active(d) && !r.o.PlanOnly {
			if err := r.waitActive(ctx, t.Name); err != nil {
				return err
			}
		}
	}

	ttlOn, pitrOn := false, r.o.NoPointInTimeRecovery
	if !created {
		ttl, err := r.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(t.Name)})
		if err != nil {
			return fmt.Errorf("reading TTL: %w", err)
		}
		if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == TTLAttribute &&
			(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
			ttlOn = true
		}
		if !pitrOn {
			cb, err := r.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(t.Name)})
			if err != nil {
				return fmt.Errorf("reading point-in-time recovery: %w", err)
			}
			if c := cb.ContinuousBackupsDescription; c != nil && c.PointInTimeRecoveryDescription != nil &&
				c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == types.PointInTimeRecoveryStatusEnabled {
				pitrOn = true
			}
		}
		if !ttlOn || !pitrOn {
			r.res.TablesRepaired++
		}
	}
	if r.o.PlanOnly {
		return nil
	}
	if !ttlOn {
		_, err := r.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(t.Name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(TTLAttribute), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("enabling TTL: %w", err)
		}
	}
	if !pitrOn {
		_, err := r.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
			TableName:                        aws.String(t.Name),
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("enabling point-in-time recovery: %w", err)
		}
	}
	return nil
}

// describe returns the table's description, or nil when it does not exist.
func (r *runner) describe(ctx context.Context, name string) (*types.TableDescription, error) {
	out, err := r.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describing the table: %w", err)
	}
	return out.Table, nil
}

// waitActive polls as the original command did: after 1 s, then each
// interval twice the last, at most MaxPoll.
func (r *runner) waitActive(ctx context.Context, name string) error {
	began := time.Now()
	defer func() { r.res.Waited += time.Since(began) }()
	deadline := began.Add(r.o.WaitTimeout)
	for delay := r.o.FirstPoll; ; delay = NextPoll(delay, r.o.MaxPoll) {
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("waiting for the table: %w", err)
		}
		d, err := r.describe(ctx, name)
		r.res.Polls++
		switch {
		case err != nil:
			return fmt.Errorf("waiting for the table: %w", err)
		case d == nil:
			return errors.New("the table disappeared while waiting for it")
		case active(d):
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("the table is still %s after %s", d.TableStatus, r.o.WaitTimeout)
		}
	}
}

// NextPoll is the original command's next polling interval after one of
// last: twice as long, at most limit.
func NextPoll(last, limit time.Duration) time.Duration { return min(2*last, limit) }

func active(d *types.TableDescription) bool {
	if d.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CreateTableInput is the CreateTable request for t: the same request
// bootstrap.Run sends (its golden files in testdata/ are the reference).
func CreateTableInput(t TableSpec, o Options) *dynamodb.CreateTableInput {
	names := []string{"id"}
	for _, x := range t.Indexes {
		for _, a := range []string{x.Hash, x.Sort} {
			if !slices.Contains(names, a) {
				names = append(names, a)
			}
		}
	}
	in := &dynamodb.CreateTableInput{
		TableName:                 aws.String(t.Name),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:               types.BillingModePayPerRequest,
		SSESpecification:          &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms},
		DeletionProtectionEnabled: aws.Bool(!o.NoDeletionProtection),
	}
	if o.KMSKey != "" {
		in.SSESpecification.KMSMasterKeyId = aws.String(o.KMSKey)
	}
	for _, n := range names {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS})
	}
	for _, x := range t.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(x.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(x.Hash), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(x.Sort), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	for _, k := range slices.Sorted(maps.Keys(o.Tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(o.Tags[k])})
	}
	return in
}

// StarterPolicy is the value of a new parameter: the same starter policy as
// the library's (deny everything for the profile), generated at now.
func StarterPolicy(profile, description string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sentinel policy for profile: %s\n", profile)
	if description != "" {
		fmt.Fprintf(&b, "# Description: %s\n", description)
	}
	fmt.Fprintf(&b, "# Generated: %s\n", now.UTC().Format(time.RFC3339))
	b.WriteString("# This starter policy denies every request. Customize it: see Sentinel's policy reference.\n")
	fmt.Fprintf(&b, `version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - %s
    reason: Default deny - customize this policy
`, yamlString(profile))
	return b.String()
}

// yamlString writes s as a YAML scalar that reads back as the string s.
func yamlString(s string) string {
	var v any
	if yaml.Unmarshal([]byte(s), &v) == nil && v == s {
		return s
	}
	return strconv.Quote(s)
}
