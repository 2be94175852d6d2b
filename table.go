package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The tables Sentinel reads and writes. Every table has the partition key
// "id" (S) and no sort key, PAY_PER_REQUEST billing, GSIs projecting ALL,
// string key attributes only, and TTL on "ttl".
const (
	partitionKey = "id"
	ttlAttribute = "ttl"
)

type purpose int

const (
	approvals purpose = iota
	breakglass
	sessions
	numPurposes
)

// index is a global secondary index: its name, partition key and sort key.
type index struct{ name, hash, sort string }

// schema describes one of Sentinel's tables.
type schema struct {
	purpose      string // as in TableResult.Purpose
	defaultName  string
	selectOption string // the option that selects it, for messages
	nameOption   string // the option that names it, for messages
	indexes      []index
}

var schemas = [numPurposes]schema{
	approvals: {
		purpose: PurposeApprovals, defaultName: DefaultApprovalTable,
		selectOption: "WithApprovals", nameOption: "WithApprovalTable",
		indexes: []index{
			{"gsi-requester", "requester", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
		},
	},
	breakglass: {
		purpose: PurposeBreakGlass, defaultName: DefaultBreakGlassTable,
		selectOption: "WithBreakGlass", nameOption: "WithBreakGlassTable",
		indexes: []index{
			{"gsi-invoker", "invoker", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
		},
	},
	sessions: {
		purpose: PurposeSessions, defaultName: DefaultSessionTable,
		selectOption: "WithSessions", nameOption: "WithSessionTable",
		indexes: []index{
			{"gsi-user", "user", "created_at"},
			{"gsi-status", "status", "created_at"},
			{"gsi-profile", "profile", "created_at"},
			{"gsi-server-instance", "server_instance_id", "status"},
			// Sentinel's session store queries gsi-device-id; the original
			// bootstrap forgot it.
			{"gsi-device-id", "device_id", "created_at"},
		},
	},
}

// tableSpec is a selected table: its schema and final name.
type tableSpec struct {
	schema
	name string
}

func (t tableSpec) indexNames() []string {
	names := make([]string, len(t.indexes))
	for i, x := range t.indexes {
		names[i] = x.name
	}
	return names
}

// selectedTables lists the selected tables in report order.
func (s *settings) selectedTables() []tableSpec {
	var specs []tableSpec
	for p := range numPurposes {
		if s.tables[p].selected {
			specs = append(specs, tableSpec{schema: schemas[p], name: s.tables[p].name})
		}
	}
	return specs
}

// attributeDefinitions defines "id" and then each index key attribute once,
// in the order the indexes name them, all of type S.
func attributeDefinitions(indexes []index) []types.AttributeDefinition {
	names := []string{partitionKey}
	for _, x := range indexes {
		for _, a := range []string{x.hash, x.sort} {
			if !slices.Contains(names, a) {
				names = append(names, a)
			}
		}
	}
	defs := make([]types.AttributeDefinition, len(names))
	for i, n := range names {
		defs[i] = types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	return defs
}

func (x index) keySchema() []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(x.hash), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(x.sort), KeyType: types.KeyTypeRange},
	}
}

func (x index) definition() types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(x.name),
		KeySchema:  x.keySchema(),
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}
}

// sseSpecification asks for KMS encryption with the chosen key, or the
// AWS-managed key without WithKMSKey.
func (s *settings) sseSpecification() *types.SSESpecification {
	sse := &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms}
	if s.kmsKey != "" {
		sse.KMSMasterKeyId = aws.String(s.kmsKey)
	}
	return sse
}

// dynamoTags are the WithTags tags in key order.
func dynamoTags(tags map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// createTableInput is the complete CreateTable request for a table.
func (s *settings) createTableInput(t tableSpec) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:                 aws.String(t.name),
		AttributeDefinitions:      attributeDefinitions(t.indexes),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String(partitionKey), KeyType: types.KeyTypeHash}},
		BillingMode:               types.BillingModePayPerRequest,
		SSESpecification:          s.sseSpecification(),
		DeletionProtectionEnabled: aws.Bool(s.deletionProtection),
	}
	for _, x := range t.indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, x.definition())
	}
	if len(s.tags) > 0 {
		in.Tags = dynamoTags(s.tags)
	}
	return in
}

// tableState is what the reads found about an existing table. The optional
// parts are read only when the options need them.
type tableState struct {
	desc *types.TableDescription
	ttl  *types.TimeToLiveDescription        // always read
	pitr *types.ContinuousBackupsDescription // read unless WithoutPointInTimeRecovery
	tags map[string]string                   // read only with WithTags
	// building: in apply, the table (or an index) is not ACTIVE yet, and
	// nothing but desc was read.
	building bool
}

// tableRun is the work on one table during a Run.
type tableRun struct {
	*runner
	spec  tableSpec
	res   *TableResult
	began time.Time
}

// table plans, and unless WithPlanOnly applies, one table. It never
// deletes, recreates or disables anything.
func (r *runner) table(ctx context.Context, spec tableSpec) TableResult {
	return r.onTable(ctx, spec, (*tableRun).run)
}

// onTable does work on one table and turns its outcome into the result,
// reporting the start and the end to WithProgress.
func (r *runner) onTable(ctx context.Context, spec tableSpec, work func(*tableRun, context.Context) error) TableResult {
	res := TableResult{
		Purpose:      spec.purpose,
		Name:         spec.name,
		GSIs:         spec.indexNames(),
		TTLAttribute: ttlAttribute,
	}
	t := &tableRun{runner: r, spec: spec, res: &res, began: time.Now()}
	r.emit(Event{Kind: "table", Resource: spec.name, Phase: PhaseStart})
	err := work(t, ctx)
	switch {
	case err != nil:
		res.Status, res.Error = StatusFailed, err.Error()
	case r.s.planOnly:
		res.Status = StatusPlanned
	default:
		res.Status = StatusOK
	}
	r.emit(Event{Kind: "table", Resource: spec.name, Phase: PhaseDone, Action: res.Action, Status: res.Status, Detail: res.Error, Elapsed: time.Since(t.began)})
	return res
}

func (t *tableRun) run(ctx context.Context) error {
	st, err := t.read(ctx)
	if err != nil {
		// Unread (denied, failed or being deleted): what apply would do is
		// unknown, as for a parameter whose read failed.
		t.res.Action = ActionUnknown
		if (isAccessDenied(err) || isUnknownOperation(err)) && t.s.planOnly {
			t.res.Error = err.Error()
			return nil
		}
		return err
	}
	switch {
	case st == nil:
		return t.create(ctx)
	case st.building:
		// A concurrent creator, or AWS, is still building it.
		return t.settle(ctx)
	}
	plan, err := t.diff(st)
	t.record(plan, err)
	if err != nil || t.s.planOnly {
		return err
	}
	return t.apply(ctx, st, plan)
}

// maxSettles bounds how often settle waits for a table that someone keeps
// changing (each wait is bounded by WithWaitTimeout).
const maxSettles = 5

// settle waits for a table that someone else is building, then reads it
// again and makes the repairs still needed.
func (t *tableRun) settle(ctx context.Context) error {
	var st *tableState
	for i := 0; st == nil || st.building; i++ {
		if i == maxSettles {
			return errors.New("the table kept changing while bootstrap waited for it (another run adding indexes?); run again later")
		}
		if _, err := t.waitActive(ctx, ""); err != nil {
			return err
		}
		var err error
		if st, err = t.read(ctx); err != nil {
			return err
		}
		if st == nil {
			return errors.New("the table disappeared while bootstrap waited for it; run again")
		}
	}
	plan, err := t.diff(st)
	if t.record(plan, err); err != nil {
		return err
	}
	return t.apply(ctx, st, plan)
}

// record puts a plan into the result. A table that differs in ways bootstrap
// cannot repair (err) is left entirely alone: action none, no changes.
func (t *tableRun) record(p tablePlan, err error) {
	if err != nil {
		p.changes = nil
	}
	t.res.Changes = p.texts()
	t.res.Warnings = p.warnings
	if len(p.changes) == 0 {
		t.res.Action = ActionNone
	} else {
		t.res.Action = ActionUpdate
	}
	if p.desc != nil {
		t.res.ARN = aws.ToString(p.desc.TableArn)
		t.res.TableStatus = string(p.desc.TableStatus)
	}
}

// read describes the table, and what the options need of it besides. It
// returns nil when the table does not exist. In apply, a table still being
// built is only described (building): it is read in full once it is ACTIVE.
func (t *tableRun) read(ctx context.Context) (*tableState, error) {
	desc, err := t.describe(ctx)
	if err != nil || desc == nil {
		return nil, err
	}
	t.res.ARN, t.res.TableStatus = aws.ToString(desc.TableArn), string(desc.TableStatus)
	if desc.TableStatus == types.TableStatusDeleting {
		return nil, fmt.Errorf("the table is being deleted; wait until it is gone, then run again to create it")
	}
	st := &tableState{desc: desc}
	if !t.s.planOnly && pendingText(desc, "") != "" {
		st.building = true
		return st, nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, readError(what, err))
	}
	name := aws.String(t.spec.name)
	wg.Go(func() {
		var out *dynamodb.DescribeTimeToLiveOutput
		err := t.call(ctx, nil, func(ctx context.Context) (err error) {
			out, err = t.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
			return err
		})
		if err != nil {
			fail("TTL", err)
			return
		}
		st.ttl = out.TimeToLiveDescription
	})
	if t.s.pitr {
		wg.Go(func() {
			var out *dynamodb.DescribeContinuousBackupsOutput
			err := t.call(ctx, nil, func(ctx context.Context) (err error) {
				out, err = t.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
				return err
			})
			if err != nil {
				fail("point-in-time recovery", err)
				return
			}
			st.pitr = out.ContinuousBackupsDescription
		})
	}
	if len(t.s.tags) > 0 {
		wg.Go(func() {
			tags, err := t.listTags(ctx, aws.ToString(desc.TableArn))
			if err != nil {
				fail("tags", err)
				return
			}
			st.tags = tags
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return st, nil
}

// readError explains a failed read of one setting.
func readError(what string, err error) error {
	switch {
	case isUnknownOperation(err) && what == "TTL":
		return fmt.Errorf("cannot read TTL: the endpoint does not support TTL (%s); Sentinel needs TTL on %q to expire records: %w", errorCode(err), ttlAttribute, err)
	case isUnknownOperation(err):
		return fmt.Errorf("cannot read %s: the endpoint does not support it (%s); pass WithoutPointInTimeRecovery if it is not wanted: %w", what, errorCode(err), err)
	case isAccessDenied(err):
		return fmt.Errorf("cannot read %s: access denied: %w", what, err)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// describe returns the table's description, or nil when it does not exist.
func (t *tableRun) describe(ctx context.Context) (*types.TableDescription, error) {
	var out *dynamodb.DescribeTableOutput
	err := t.call(ctx, nil, func(ctx context.Context) (err error) {
		out, err = t.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.spec.name)})
		return err
	})
	switch {
	case isNotFound(err):
		return nil, nil
	case isAccessDenied(err):
		return nil, fmt.Errorf("cannot read the table: access denied: %w", err)
	case err != nil:
		return nil, fmt.Errorf("describing the table: %w", err)
	}
	return out.Table, nil
}

func (t *tableRun) listTags(ctx context.Context, arn string) (map[string]string, error) {
	tags := map[string]string{}
	var next *string
	for {
		var out *dynamodb.ListTagsOfResourceOutput
		err := t.call(ctx, nil, func(ctx context.Context) (err error) {
			out, err = t.ddb.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn), NextToken: next})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, tag := range out.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if next = out.NextToken; next == nil {
			return tags, nil
		}
	}
}

// create creates a missing table, waits for it, then turns on TTL and
// point-in-time recovery.
func (t *tableRun) create(ctx context.Context) error {
	t.res.Action = ActionCreate
	t.res.Changes = []string{"create table", enableTTLText}
	if t.s.pitr {
		t.res.Changes = append(t.res.Changes, enablePITRText)
	}
	if t.s.planOnly {
		return nil
	}
	var out *dynamodb.CreateTableOutput
	err := t.call(ctx, nil, func(ctx context.Context) (err error) {
		out, err = t.ddb.CreateTable(ctx, t.s.createTableInput(t.spec))
		return err
	})
	if isResourceInUse(err) {
		// Someone created it meanwhile: wait for it, then bring it in line.
		return t.settle(ctx)
	}
	if err != nil {
		return fmt.Errorf("creating the table: %w", err)
	}
	if d := out.TableDescription; d != nil {
		t.res.ARN, t.res.TableStatus = aws.ToString(d.TableArn), string(d.TableStatus)
	}
	if _, err := t.waitActive(ctx, ""); err != nil {
		return err
	}
	// A table just created has TTL off; enableTTL copes with a concurrent
	// run having turned it on meanwhile.
	if err := t.enableTTL(ctx); err != nil {
		return err
	}
	if t.s.pitr {
		return t.enablePITR(ctx)
	}
	return nil
}
