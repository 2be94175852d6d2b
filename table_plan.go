package bootstrap

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// changeKind is one kind of change to a table, in the order apply makes them.
type changeKind int

const (
	changeCreate changeKind = iota
	changeDeletionProtection
	changeEncryption
	changeIndex
	changeTTL
	changePITR
	changeTags
)

// change is one change the planner asks for.
type change struct {
	kind  changeKind
	text  string            // as reported in TableResult.Changes and Done
	index index             // changeIndex
	tags  map[string]string // changeTags: the tags to set
}

// doing is what progress shows while the change is carried out (and AWS
// finishes it).
func (c change) doing() string {
	switch c.kind {
	case changeCreate:
		return "creating"
	case changeDeletionProtection:
		return "enabling deletion protection"
	case changeEncryption:
		return "updating encryption"
	case changeIndex:
		return "adding index " + c.index.name
	case changeTTL:
		return "enabling TTL"
	case changePITR:
		return "enabling point-in-time recovery"
	default:
		return "tagging"
	}
}

// same reports whether c and o are the same change.
func (c change) same(o change) bool {
	return c.kind == o.kind && c.index.name == o.index.name && maps.Equal(c.tags, o.tags)
}

// tablePlan is the planner's answer: what apply does next.
type tablePlan struct {
	// changes are the changes still needed, in the order apply makes them.
	changes []change
	// wait, when not empty, is what AWS must finish before the next change
	// (or before the table is ready), as progress shows it: "creating",
	// "adding index gsi-user", … Apply waits; plan reports the changes.
	wait string
	// problems cannot be repaired by bootstrap: the table is left alone, and
	// its result fails with them.
	problems []string
	// unusable: the problems are the table's status (DELETING, ARCHIVED, …),
	// not its layout, so what apply would do is unknown.
	unusable bool
	// warnings are differences that bootstrap leaves alone.
	warnings []string
}

// Change texts, as reported in TableResult.Changes.
const (
	createText = "create table"
	enableDP   = "enable deletion protection"
	enablePITR = "enable point-in-time recovery"
)

func enableTTLText(t *tableSpec) string { return "enable TTL on " + t.ttlAttribute }

// planTable is the planner: from what the options want of a table and what
// is known of it now (o.desc is nil when the table does not exist) to what
// apply does next. It is a pure function: no client, no clock.
func planTable(t *tableSpec, o *observed) tablePlan {
	var p tablePlan
	if o.desc == nil {
		if o.created || o.exists {
			// AWS may not show a new table for a moment (the SDK's own
			// TableExists waiter retries this too).
			p.wait = "creating"
			planDetails(t, o, &p)
			return p
		}
		p.changes = []change{{kind: changeCreate, text: createText}, {kind: changeTTL, text: enableTTLText(t)}}
		if t.pitr {
			p.changes = append(p.changes, change{kind: changePITR, text: enablePITR})
		}
		return p
	}
	d := o.desc
	if planStatus(t, d, &p); p.unusable {
		return p
	}
	if o.created {
		// A table this run created is as CreateTable asked (some emulators
		// ignore parts of the request; AWS does not): only what comes after
		// (TTL, point-in-time recovery, tags) is planned. Someone else's
		// table is compared whole, CREATING or not: what plan shows of it
		// is what apply does once it is ACTIVE.
		for i := range d.GlobalSecondaryIndexes {
			if g := &d.GlobalSecondaryIndexes[i]; building(g) {
				p.waitFor("adding index " + aws.ToString(g.IndexName))
			}
		}
		planDetails(t, o, &p)
		return p
	}
	problem := func(format string, args ...any) { p.problems = append(p.problems, fmt.Sprintf(format, args...)) }

	if ks := d.KeySchema; len(ks) != 1 || aws.ToString(ks[0].AttributeName) != t.partitionKey || ks[0].KeyType != types.KeyTypeHash || attrType(d, t.partitionKey) != types.ScalarAttributeTypeS {
		problem("the key schema is %s; Sentinel needs partition key %s (S) and no sort key, which cannot be changed in place: choose another table name (%s) or recreate the table yourself", keyText(d, ks), t.partitionKey, t.nameOption)
	}

	provisioned := d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest
	if provisioned {
		p.warnings = append(p.warnings, "billing mode is PROVISIONED; bootstrap creates PAY_PER_REQUEST tables and leaves this one as it is")
	}

	if t.deletionProtection && !aws.ToBool(d.DeletionProtectionEnabled) {
		p.changes = append(p.changes, change{kind: changeDeletionProtection, text: enableDP})
	}

	switch sse := d.SSEDescription; {
	case sse != nil && sse.Status == types.SSEStatusUpdating:
		p.waitFor("updating encryption")
	case !encryptedAsWanted(sse, t.kmsKey):
		p.changes = append(p.changes, change{kind: changeEncryption, text: encryptionText(t.kmsKey)})
	}

	for _, x := range t.indexes {
		g := findIndex(d, x.name)
		if deleting := g != nil && g.IndexStatus == types.IndexStatusDeleting; g == nil || deleting {
			// Missing, or someone is deleting a Sentinel index: it is added
			// (again, once it is gone: AWS refuses to create an index of the
			// same name before), if it can be.
			state, before := "is missing", len(p.problems)
			if deleting {
				state = "is being deleted (DELETING)"
			}
			for _, a := range []string{x.hash, x.sort} {
				if ty := attrType(d, a); ty != "" && ty != types.ScalarAttributeTypeS {
					problem("index %s %s, and cannot be added: attribute %s is defined as %s, Sentinel needs S", x.name, state, a, ty)
				}
			}
			if provisioned {
				problem("index %s %s, and bootstrap cannot add it to a PROVISIONED table without choosing its capacity: add it yourself (keys %s, %s; projection ALL) or switch the table to PAY_PER_REQUEST", x.name, state, x.hash, x.sort)
			}
			if deleting && len(p.problems) == before {
				p.waitFor("waiting for index " + x.name + " to be deleted")
				p.warnings = append(p.warnings, fmt.Sprintf("index %s is being deleted (DELETING); apply waits until it is gone, then adds it again", x.name))
			}
			p.changes = append(p.changes, change{kind: changeIndex, text: "add index " + x.name, index: x})
			continue
		}
		if want := x.keySchema(); !sameKeys(g.KeySchema, want) || attrType(d, x.hash) != types.ScalarAttributeTypeS || attrType(d, x.sort) != types.ScalarAttributeTypeS {
			problem("index %s has keys %s; Sentinel needs %s: delete that index yourself and run again to recreate it", x.name, keyText(d, g.KeySchema), keyText(nil, want))
		}
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			problem("index %s projects %s; Sentinel needs ALL: delete that index yourself and run again to recreate it", x.name, projectionText(g.Projection))
		}
		if building(g) {
			p.waitFor("adding index " + x.name)
		}
	}
	for _, x := range t.unwanted {
		if findIndex(d, x.name) != nil {
			p.warnings = append(p.warnings, unwantedIndexWarning(t, x))
		}
	}

	planDetails(t, o, &p)

	// An UpdateTable is refused while any index, Sentinel's or not, is being
	// built or deleted.
	if p.wait == "" && slices.ContainsFunc(p.changes, change.isUpdateTable) {
		for _, g := range d.GlobalSecondaryIndexes {
			if g.IndexStatus != types.IndexStatusActive || aws.ToBool(g.Backfilling) {
				p.waitFor(fmt.Sprintf("waiting for index %s (%s)", aws.ToString(g.IndexName), g.IndexStatus))
				break
			}
		}
	}

	// A change is never made twice in one run. One that AWS accepted but
	// that the observation does not show yet is taken as done, except an
	// index, which is awaited until it shows (the table is not ready
	// without it).
	p.changes = slices.DeleteFunc(p.changes, func(c change) bool {
		if !slices.ContainsFunc(o.done, c.same) {
			return false
		}
		if c.kind == changeIndex {
			p.waitFor(c.doing())
		}
		return true
	})
	if len(p.problems) > 0 {
		p.changes, p.wait = nil, "" // a table that cannot be repaired is left entirely alone
	}
	return p
}

// planStatus handles the table's own status: CREATING and UPDATING are
// waited for; the statuses from which a table does not become ACTIVE by
// itself are problems, and make it unusable.
func planStatus(t *tableSpec, d *types.TableDescription, p *tablePlan) {
	fail := func(format string, args ...any) {
		p.problems = append(p.problems, fmt.Sprintf(format, args...))
		p.unusable = true
	}
	switch s := d.TableStatus; s {
	case types.TableStatusActive:
	case types.TableStatusCreating:
		p.waitFor("creating")
	case types.TableStatusUpdating:
		p.waitFor("updating")
	case types.TableStatusDeleting:
		fail("the table is being deleted (status DELETING); run again once it is gone, to create it anew")
	case types.TableStatusInaccessibleEncryptionCredentials:
		fail("the table is INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key %s is disabled, scheduled for deletion or no longer usable by DynamoDB; re-enable the key (or restore DynamoDB's grant on it), then run again. After seven days DynamoDB archives the table", kmsKeyText(d))
	case types.TableStatusArchiving, types.TableStatusArchived:
		backup := ""
		if a := d.ArchivalSummary; a != nil && a.ArchivalBackupArn != nil {
			backup = " to the backup " + aws.ToString(a.ArchivalBackupArn)
		}
		fail("the table is %s: DynamoDB archives a table whose KMS key has been unusable for more than seven days, and backs it up%s. Restore that backup (aws dynamodb restore-table-from-backup --target-table-name NAME --backup-arn ARN; to reuse the name %s, delete the archived table first) or choose another name with %s, then run again", s, backup, t.name, t.nameOption)
	case types.TableStatusReplicationNotAuthorized:
		fail("the table is REPLICATION_NOT_AUTHORIZED: replication of this table (a global table replica) is not authorized, so DynamoDB does not serve it; authorize the replication (or remove the replica) in the table's global table settings, then run again")
	default:
		fail("the table has status %q, which bootstrap does not know; it changes nothing on such a table: check the table in the DynamoDB console, then run again", s)
	}
}

// planDetails plans what comes after the description: TTL, point-in-time
// recovery and tags, as far as they are known.
func planDetails(t *tableSpec, o *observed, p *tablePlan) {
	switch ttl := o.ttl; {
	case ttl == nil: // not known yet
	case ttl.TimeToLiveStatus == types.TimeToLiveStatusDisabled || ttl.TimeToLiveStatus == "":
		p.changes = append(p.changes, change{kind: changeTTL, text: enableTTLText(t)})
	case ttl.TimeToLiveStatus == types.TimeToLiveStatusDisabling:
		p.problems = append(p.problems, "TTL is being disabled (DISABLING), and AWS refuses another TTL change until that finishes (up to an hour): run again later")
	case aws.ToString(ttl.AttributeName) != t.ttlAttribute:
		p.problems = append(p.problems, fmt.Sprintf("TTL is on attribute %q; Sentinel expires records by %q and a table has one TTL attribute: disable TTL yourself, wait for it to finish (up to an hour), and run again", aws.ToString(ttl.AttributeName), t.ttlAttribute))
	}
	// ENABLED and ENABLING on the right attribute are both fine.

	if t.pitr && o.pitr != nil && !pitrEnabled(o.pitr) {
		p.changes = append(p.changes, change{kind: changePITR, text: enablePITR})
	}

	if len(t.tags) > 0 && o.tags != nil {
		missing := map[string]string{}
		for k, v := range t.tags {
			if have, ok := o.tags[k]; !ok || have != v {
				missing[k] = v
			}
		}
		if len(missing) > 0 {
			p.changes = append(p.changes, change{kind: changeTags, text: "tag " + tagsText(missing), tags: missing})
		}
	}
}

// waitFor records the first thing apply must wait for.
func (p *tablePlan) waitFor(what string) {
	if p.wait == "" {
		p.wait = what
	}
}

// isUpdateTable reports whether the change is made with UpdateTable.
func (c change) isUpdateTable() bool {
	return c.kind == changeDeletionProtection || c.kind == changeEncryption || c.kind == changeIndex
}

// building reports an index that AWS is still creating or changing.
func building(g *types.GlobalSecondaryIndexDescription) bool {
	return g.IndexStatus == types.IndexStatusCreating || g.IndexStatus == types.IndexStatusUpdating || aws.ToBool(g.Backfilling)
}

// unwantedIndexWarning explains an optional index that is present although
// the options do not ask for it (contract §1: gsi-device-id).
func unwantedIndexWarning(t *tableSpec, x index) string {
	return fmt.Sprintf("index %s (keyed on %s) is on this table, and WithDeviceIndex was not given: Sentinel writes %s = \"\" for every session without a device, which DynamoDB refuses for an index key, so Sentinel cannot store or update sessions without a device on this table (it only logs the failure, and session tracking and revocation stop). bootstrap never deletes an index; to delete it yourself: aws dynamodb update-table --region %s --table-name %s --global-secondary-index-updates '[{\"Delete\":{\"IndexName\":\"%s\"}}]'",
		x.name, x.hash, x.hash, t.region, t.name, x.name)
}

func encryptionText(key string) string {
	if key == "" {
		return "encrypt with KMS (AWS managed key)"
	}
	return "encrypt with KMS key " + key
}

func kmsKeyText(d *types.TableDescription) string {
	if d.SSEDescription != nil && d.SSEDescription.KMSMasterKeyArn != nil {
		return aws.ToString(d.SSEDescription.KMSMasterKeyArn)
	}
	return "(unknown)"
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
