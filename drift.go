package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Change texts, as reported in TableResult.Changes.
const (
	enableTTLText  = "enable TTL on " + ttlAttribute
	enablePITRText = "enable point-in-time recovery"
	enableDPText   = "enable deletion protection"
)

type changeKind int

// Repairs, in the order apply makes them.
const (
	changeDeletionProtection changeKind = iota
	changeEncryption
	changeIndex
	changeTTL
	changePITR
	changeTags
)

// change is one repair to an existing table.
type change struct {
	kind  changeKind
	text  string
	index index             // changeIndex
	tags  map[string]string // changeTags: the tags to set
}

// tablePlan is what apply would do to an existing table.
type tablePlan struct {
	desc     *types.TableDescription
	changes  []change
	warnings []string
}

func (p tablePlan) texts() []string {
	var out []string
	for _, c := range p.changes {
		out = append(out, c.text)
	}
	return out
}

// diff compares an existing table with what the options ask for. Repairable
// differences become changes; the others are returned together as an error
// that says what differs and what to do. Indexes that are not Sentinel's are
// left alone.
func (t *tableRun) diff(st *tableState) (tablePlan, error) {
	s, d := t.s, st.desc
	p := tablePlan{desc: d}
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if ks := d.KeySchema; len(ks) != 1 || aws.ToString(ks[0].AttributeName) != partitionKey || ks[0].KeyType != types.KeyTypeHash || attrType(d, partitionKey) != types.ScalarAttributeTypeS {
		problem("the key schema is %s; Sentinel needs partition key %s (S) and no sort key, which cannot be changed in place: choose another table name (%s) or recreate the table yourself", keyText(d, ks), partitionKey, t.spec.nameOption)
	}

	provisioned := d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest
	if provisioned {
		p.warnings = append(p.warnings, "billing mode is PROVISIONED; bootstrap creates PAY_PER_REQUEST tables and leaves this one as it is")
	}

	if s.deletionProtection && !aws.ToBool(d.DeletionProtectionEnabled) {
		p.changes = append(p.changes, change{kind: changeDeletionProtection, text: enableDPText})
	}

	if !encryptedAsWanted(d.SSEDescription, s.kmsKey) {
		p.changes = append(p.changes, change{kind: changeEncryption, text: s.encryptionText()})
	}

	for _, x := range t.spec.indexes {
		g := findIndex(d, x.name)
		if g == nil {
			for _, a := range []string{x.hash, x.sort} {
				if ty := attrType(d, a); ty != "" && ty != types.ScalarAttributeTypeS {
					problem("index %s is missing, and cannot be added: attribute %s is defined as %s, Sentinel needs S", x.name, a, ty)
				}
			}
			if provisioned {
				problem("index %s is missing, and bootstrap cannot add it to a PROVISIONED table without choosing its capacity: add it yourself (keys %s, %s; projection ALL) or switch the table to PAY_PER_REQUEST", x.name, x.hash, x.sort)
			}
			p.changes = append(p.changes, change{kind: changeIndex, text: "add index " + x.name, index: x})
			continue
		}
		want := x.keySchema()
		if !sameKeys(g.KeySchema, want) || attrType(d, x.hash) != types.ScalarAttributeTypeS || attrType(d, x.sort) != types.ScalarAttributeTypeS {
			problem("index %s has keys %s; Sentinel needs %s: delete that index yourself and run again to recreate it", x.name, keyText(d, g.KeySchema), keyText(nil, want))
		}
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			problem("index %s projects %s; Sentinel needs ALL: delete that index yourself and run again to recreate it", x.name, projectionText(g.Projection))
		}
	}

	switch ttl := st.ttl; {
	case ttl == nil || ttl.TimeToLiveStatus == types.TimeToLiveStatusDisabled || ttl.TimeToLiveStatus == "":
		p.changes = append(p.changes, change{kind: changeTTL, text: enableTTLText})
	case ttl.TimeToLiveStatus == types.TimeToLiveStatusDisabling:
		problem("TTL is being disabled, and AWS refuses another TTL change until that finishes (up to an hour): run again later")
	case aws.ToString(ttl.AttributeName) != ttlAttribute:
		problem("TTL is on attribute %q; Sentinel expires records by %q and a table has one TTL attribute: disable TTL yourself, wait for it to finish (up to an hour), and run again", aws.ToString(ttl.AttributeName), ttlAttribute)
	}

	if s.pitr && !pitrEnabled(st.pitr) {
		p.changes = append(p.changes, change{kind: changePITR, text: enablePITRText})
	}

	if len(s.tags) > 0 {
		missing := map[string]string{}
		for k, v := range s.tags {
			if have, ok := st.tags[k]; !ok || have != v {
				missing[k] = v
			}
		}
		if len(missing) > 0 {
			p.changes = append(p.changes, change{kind: changeTags, text: "tag " + tagsText(missing), tags: missing})
		}
	}

	if len(problems) > 0 {
		return p, errors.New(strings.Join(problems, "; "))
	}
	return p, nil
}

// apply makes the planned repairs, in order. A failed repair does not stop
// the independent ones after it, unless ctx is done.
func (t *tableRun) apply(ctx context.Context, st *tableState, p tablePlan) error {
	var errs changeErrors
	cur := st.desc // the latest description: each UpdateTable ends with one
	for _, c := range p.changes {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.text, ctx.Err()))
			break
		}
		var (
			err error
			d   *types.TableDescription
		)
		switch c.kind {
		case changeDeletionProtection:
			d, err = t.updateTable(ctx, &dynamodb.UpdateTableInput{DeletionProtectionEnabled: aws.Bool(true)}, "")
		case changeEncryption:
			d, err = t.updateTable(ctx, &dynamodb.UpdateTableInput{SSESpecification: t.s.sseSpecification()}, "")
		case changeIndex:
			d, err = t.addIndex(ctx, cur, c.index)
		case changeTTL:
			err = t.enableTTL(ctx)
		case changePITR:
			err = t.enablePITR(ctx)
		case changeTags:
			err = t.tag(ctx, aws.ToString(st.desc.TableArn), c.tags)
		}
		if d != nil {
			cur = d
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.text, err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// changeErrors are the failed repairs of one table, on one line.
type changeErrors []error

func (e changeErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e changeErrors) Unwrap() []error { return e }

// updateTable sends one UpdateTable and waits for the table (and index, if
// named) to be ACTIVE again, returning its description then.
func (t *tableRun) updateTable(ctx context.Context, in *dynamodb.UpdateTableInput, index string) (*types.TableDescription, error) {
	in.TableName = aws.String(t.spec.name)
	err := t.call(ctx, isResourceInUse, func(ctx context.Context) error {
		_, err := t.ddb.UpdateTable(ctx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t.waitActive(ctx, index)
}

// addIndex creates one missing index (AWS takes one per UpdateTable) and
// waits until the table and the index are ACTIVE. The request defines every
// attribute the table already defines plus the new index's keys: AWS merges
// definitions, but some emulators replace them.
func (t *tableRun) addIndex(ctx context.Context, d *types.TableDescription, x index) (*types.TableDescription, error) {
	defs := slices.Clone(d.AttributeDefinitions)
	for _, a := range attributeDefinitions([]index{x}) {
		if attrType(d, aws.ToString(a.AttributeName)) == "" {
			defs = append(defs, a)
		}
	}
	def := x.definition()
	in := &dynamodb.UpdateTableInput{
		AttributeDefinitions: defs,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: def.IndexName, KeySchema: def.KeySchema, Projection: def.Projection,
		}}},
	}
	d, err := t.updateTable(ctx, in, x.name)
	if err != nil && hasCode(err, codeValidation) {
		// A concurrent run may have added it first.
		if now, derr := t.describe(ctx); derr == nil && now != nil && findIndex(now, x.name) != nil {
			return t.waitActive(ctx, x.name)
		}
	}
	return d, err
}

// enableTTL turns TTL on for "ttl". UpdateTimeToLive is not idempotent: when
// it is refused, TTL is read again, and a concurrent run having turned it on
// counts as success.
func (t *tableRun) enableTTL(ctx context.Context) error {
	name := aws.String(t.spec.name)
	err := t.call(ctx, isResourceInUse, func(ctx context.Context) error {
		_, err := t.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               name,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(ttlAttribute), Enabled: aws.Bool(true)},
		})
		return err
	})
	switch {
	case err == nil:
		return nil
	case isUnknownOperation(err):
		return fmt.Errorf("enabling TTL: the endpoint does not support TTL (%s); Sentinel needs TTL on %q to expire records", errorCode(err), ttlAttribute)
	case hasCode(err, codeValidation):
		var out *dynamodb.DescribeTimeToLiveOutput
		derr := t.call(ctx, nil, func(ctx context.Context) (err error) {
			out, err = t.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
			return err
		})
		if derr == nil && out.TimeToLiveDescription != nil && aws.ToString(out.TimeToLiveDescription.AttributeName) == ttlAttribute &&
			(out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled || out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
			return nil
		}
	}
	return fmt.Errorf("enabling TTL: %w", err)
}

// enablePITR turns on point-in-time recovery, waiting out the while in which
// a new table answers ContinuousBackupsUnavailableException.
func (t *tableRun) enablePITR(ctx context.Context) error {
	notYet := func(err error) bool { return hasCode(err, codePITRUnavailable) || isResourceInUse(err) }
	err := t.call(ctx, notYet, func(ctx context.Context) error {
		_, err := t.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
			TableName:                        aws.String(t.spec.name),
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
		})
		return err
	})
	switch {
	case err == nil:
		return nil
	case isUnknownOperation(err):
		return fmt.Errorf("enabling point-in-time recovery: the endpoint does not support it (%s); pass WithoutPointInTimeRecovery to skip it", errorCode(err))
	case hasCode(err, codePITRUnavailable):
		return fmt.Errorf("enabling point-in-time recovery: still unavailable after %s (WithWaitTimeout); run again later: %w", t.s.waitTimeout, err)
	}
	return fmt.Errorf("enabling point-in-time recovery: %w", err)
}

// tag sets the given tags (only those missing or different: re-sending an
// existing tag is not harmless on every endpoint).
func (t *tableRun) tag(ctx context.Context, arn string, tags map[string]string) error {
	return t.call(ctx, isResourceInUse, func(ctx context.Context) error {
		_, err := t.ddb.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: dynamoTags(tags)})
		return err
	})
}

func (s *settings) encryptionText() string {
	if s.kmsKey == "" {
		return "encrypt with KMS (AWS managed key)"
	}
	return "encrypt with KMS key " + s.kmsKey
}

// encryptedAsWanted reports whether the table is encrypted with KMS and, when
// a key was chosen, with that key. A key given as an alias cannot be checked
// without KMS, so any KMS key satisfies it; so does any KMS key when no key was
// chosen, since AWS-managed and customer keys look alike without KMS.
func encryptedAsWanted(sse *types.SSEDescription, key string) bool {
	if sse == nil || sse.SSEType != types.SSETypeKms {
		return false
	}
	switch sse.Status {
	case types.SSEStatusEnabled, types.SSEStatusEnabling, types.SSEStatusUpdating:
	default:
		return false
	}
	have := aws.ToString(sse.KMSMasterKeyArn)
	switch {
	case key == "" || strings.Contains(key, "alias/"):
		return true
	case strings.HasPrefix(key, "arn:"):
		return have == key
	default: // a key ID
		return have == key || strings.HasSuffix(have, ":key/"+key)
	}
}

func pitrEnabled(c *types.ContinuousBackupsDescription) bool {
	return c != nil && c.PointInTimeRecoveryDescription != nil &&
		c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == types.PointInTimeRecoveryStatusEnabled
}

func findIndex(d *types.TableDescription, name string) *types.GlobalSecondaryIndexDescription {
	for i := range d.GlobalSecondaryIndexes {
		if aws.ToString(d.GlobalSecondaryIndexes[i].IndexName) == name {
			return &d.GlobalSecondaryIndexes[i]
		}
	}
	return nil
}

func attrType(d *types.TableDescription, name string) types.ScalarAttributeType {
	for _, a := range d.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == name {
			return a.AttributeType
		}
	}
	return ""
}

func sameKeys(a, b []types.KeySchemaElement) bool {
	return slices.EqualFunc(a, b, func(x, y types.KeySchemaElement) bool {
		return aws.ToString(x.AttributeName) == aws.ToString(y.AttributeName) && x.KeyType == y.KeyType
	})
}

// keyText renders a key schema as "(id S HASH, created_at N RANGE)"; types
// are shown when d is given.
func keyText(d *types.TableDescription, ks []types.KeySchemaElement) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		name := aws.ToString(k.AttributeName)
		ty := types.ScalarAttributeTypeS
		if d != nil {
			ty = attrType(d, name)
		}
		parts[i] = fmt.Sprintf("%s %s %s", name, ty, k.KeyType)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func projectionText(p *types.Projection) string {
	if p == nil {
		return "nothing"
	}
	if p.ProjectionType == types.ProjectionTypeInclude {
		return fmt.Sprintf("INCLUDE %v", p.NonKeyAttributes)
	}
	return string(p.ProjectionType)
}

func tagsText(tags map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}
