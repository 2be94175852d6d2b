package integration_test

// The items Sentinel's stores write, and the calls they make, written from
// /work/shared/sentinel/CONTRACT.md §1 (not from Sentinel's code): every
// attribute of the store's item struct on every write, "" for a field with
// no value, numbers as N, times as RFC 3339 with nanoseconds in the writing
// host's zone (trailing zeros dropped), ttl in Unix seconds.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// item is one DynamoDB item.
type item = map[string]types.AttributeValue

// hostZone is the time zone of the host that writes the items: not UTC, so
// every time carries an offset, as it does on a host in New York in winter.
var hostZone = time.FixedZone("EST", -5*60*60)

// epoch is the first time of the test data; it has a fraction, so stamps
// have nanoseconds with the trailing zeros dropped.
var epoch = time.Date(2026, 1, 15, 14, 30, 0, 123456700, time.UTC)

// at is epoch plus n seconds and a fraction that differs with n.
func at(n int) time.Time {
	return epoch.Add(time.Duration(n)*time.Second + time.Duration(n)*10*time.Millisecond)
}

// stamp formats a time as Sentinel's stores do: RFC 3339 with nanoseconds,
// trailing zeros dropped, in the writing host's zone.
func stamp(t time.Time) string { return t.In(hostZone).Format(time.RFC3339Nano) }

func attrS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func attrN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// approval is a record of the approvals (request) store.
type approval struct {
	id, requester, profile, justification string
	duration                              time.Duration
	status                                string
	created, updated, expires             time.Time
	approver, approverComment             string
}

func (r approval) item() item {
	return item{
		"id": attrS(r.id), "requester": attrS(r.requester), "profile": attrS(r.profile), "justification": attrS(r.justification),
		"duration": attrN(int64(r.duration)), "status": attrS(r.status),
		"created_at": attrS(stamp(r.created)), "updated_at": attrS(stamp(r.updated)), "expires_at": attrS(stamp(r.expires)),
		"ttl": attrN(r.expires.Unix()), "approver": attrS(r.approver), "approver_comment": attrS(r.approverComment),
	}
}

// breakGlassEvent is a record of the break-glass store.
type breakGlassEvent struct {
	id, invoker, profile, reasonCode, justification string
	duration                                        time.Duration
	status                                          string
	created, updated, expires                       time.Time
	closedBy, closedReason, requestID               string
}

func (r breakGlassEvent) item() item {
	return item{
		"id": attrS(r.id), "invoker": attrS(r.invoker), "profile": attrS(r.profile), "reason_code": attrS(r.reasonCode),
		"justification": attrS(r.justification), "duration": attrN(int64(r.duration)), "status": attrS(r.status),
		"created_at": attrS(stamp(r.created)), "updated_at": attrS(stamp(r.updated)), "expires_at": attrS(stamp(r.expires)),
		"ttl": attrN(r.expires.Unix()), "closed_by": attrS(r.closedBy), "closed_reason": attrS(r.closedReason), "request_id": attrS(r.requestID),
	}
}

// session is a record of the sessions store. deviceID is "" for a session
// without a device, as the credential server, the unix-socket server and
// the Lambda path write it.
type session struct {
	id, user, profile, serverInstanceID, status string
	started, lastAccess, expires                time.Time
	requestCount                                int64
	sourceIdentity, deviceID                    string
	created, updated                            time.Time
	revokedBy, revokedReason                    string
}

func (r session) item() item {
	return item{
		"id": attrS(r.id), "user": attrS(r.user), "profile": attrS(r.profile), "server_instance_id": attrS(r.serverInstanceID),
		"status": attrS(r.status), "started_at": attrS(stamp(r.started)), "last_access_at": attrS(stamp(r.lastAccess)),
		"expires_at": attrS(stamp(r.expires)), "request_count": attrN(r.requestCount), "source_identity": attrS(r.sourceIdentity),
		"device_id": attrS(r.deviceID), "created_at": attrS(stamp(r.created)), "updated_at": attrS(stamp(r.updated)),
		"ttl": attrN(r.expires.Unix()), "revoked_by": attrS(r.revokedBy), "revoked_reason": attrS(r.revokedReason),
	}
}

// store makes the calls of one of Sentinel's stores on one table.
type store struct {
	ddb   *dynamodb.Client
	table string
}

// create is every store's create: PutItem, condition attribute_not_exists(id).
func (s store) create(ctx context.Context, it item) error {
	_, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: it, ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	return err
}

// update is every store's update: PutItem of the whole item (its
// updated_at already set to now), guarded by the updated_at the caller
// read (the optimistic lock).
func (s store) update(ctx context.Context, it item, oldUpdatedAt string) error {
	_, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: it,
		ConditionExpression:       aws.String("attribute_exists(id) AND updated_at = :old_updated_at"),
		ExpressionAttributeValues: item{":old_updated_at": attrS(oldUpdatedAt)},
	})
	return err
}

func key(id string) item { return item{"id": attrS(id)} }

// get returns the item, or nil when there is none.
func (s store) get(ctx context.Context, id string) (item, error) {
	out, err := s.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(id)})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

func (s store) delete(ctx context.Context, id string) error {
	_, err := s.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(id)})
	return err
}

// list is every store's index query: #pk = :v, newest first, Limit.
func (s store) list(ctx context.Context, index, partitionKey, value string, limit int32) ([]item, error) {
	out, err := s.ddb.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :v"),
		ExpressionAttributeNames:  map[string]string{"#pk": partitionKey},
		ExpressionAttributeValues: item{":v": attrS(value)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(limit),
	})
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

// findActiveBreakGlass is the break-glass store's "find active": the
// newest event of the invoker, filtered on profile and status, Limit 1.
func (s store) findActiveBreakGlass(ctx context.Context, invoker, profile string) (*dynamodb.QueryOutput, error) {
	return s.ddb.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String("gsi-invoker"),
		KeyConditionExpression:    aws.String("invoker = :invoker"),
		FilterExpression:          aws.String("profile = :profile AND #status = :status"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: item{":invoker": attrS(invoker), ":profile": attrS(profile), ":status": attrS("active")},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(1),
	})
}

// lastBreakGlass is the break-glass store's "last event" for the cooldown:
// the same query filtered on the profile only.
func (s store) lastBreakGlass(ctx context.Context, invoker, profile string) (*dynamodb.QueryOutput, error) {
	return s.ddb.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String("gsi-invoker"),
		KeyConditionExpression:    aws.String("invoker = :invoker"),
		FilterExpression:          aws.String("profile = :profile"),
		ExpressionAttributeValues: item{":invoker": attrS(invoker), ":profile": attrS(profile)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(1),
	})
}

// countSince is the break-glass quota checker's count: a filter on
// created_at, the sort key of the index queried, Select COUNT, one page.
func (s store) countSince(ctx context.Context, index, partitionKey, value, since string) (int32, error) {
	out, err := s.ddb.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :v"),
		FilterExpression:          aws.String("created_at >= :since"),
		ExpressionAttributeNames:  map[string]string{"#pk": partitionKey},
		ExpressionAttributeValues: item{":v": attrS(value), ":since": attrS(since)},
		Select:                    types.SelectCount,
	})
	if err != nil {
		return 0, err
	}
	return out.Count, nil
}

// findActiveByServerInstance is the sessions store's server-instance
// lookup: a filter on status, the sort key of gsi-server-instance, Limit 1.
func (s store) findActiveByServerInstance(ctx context.Context, serverInstanceID string) ([]item, error) {
	out, err := s.ddb.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String("gsi-server-instance"),
		KeyConditionExpression:    aws.String("server_instance_id = :server_instance_id"),
		FilterExpression:          aws.String("#status = :status"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: item{":server_instance_id": attrS(serverInstanceID), ":status": attrS("active")},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(1),
	})
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

// touch is the sessions store's hot path.
func (s store) touch(ctx context.Context, id, now string) error {
	_, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(id),
		UpdateExpression:          aws.String("SET last_access_at = :now, request_count = request_count + :inc, updated_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: item{":now": attrS(now), ":inc": attrN(1)},
	})
	return err
}

// scanCreatedBetween is the sessions store's time-range listing: a Scan
// filtered on created_at, every page.
func (s store) scanCreatedBetween(ctx context.Context, start, end string) ([]item, error) {
	var items []item
	p := dynamodb.NewScanPaginator(s.ddb, &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("created_at BETWEEN :start AND :end"),
		ExpressionAttributeValues: item{":start": attrS(start), ":end": attrS(end)},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

// scanSourceIdentity is the sessions store's lookup by source identity: a
// Scan filtered on source_identity, Limit 1, one page.
func (s store) scanSourceIdentity(ctx context.Context, sourceIdentity string) (*dynamodb.ScanOutput, error) {
	return s.ddb.Scan(ctx, &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("source_identity = :sid"),
		ExpressionAttributeValues: item{":sid": attrS(sourceIdentity)},
		Limit:                     aws.Int32(1),
	})
}

// firstScanned is the item a Scan with Limit 1 reads first.
func (s store) firstScanned(ctx context.Context) (item, error) {
	out, err := s.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.table), Limit: aws.Int32(1)})
	if err != nil {
		return nil, err
	}
	if len(out.Items) != 1 {
		return nil, fmt.Errorf("scan of %s with Limit 1 read %d items", s.table, len(out.Items))
	}
	return out.Items[0], nil
}

// The rate limiter's names: #count, #ws, #ttl stand for these attributes.
var rateLimitNames = map[string]string{"#count": "Count", "#ws": "WindowStart", "#ttl": "TTL"}

// windowStamp is a rate-limit window start as the limiter writes it: RFC 3339
// without a fraction, in the host's zone.
func windowStamp(t time.Time) string { return t.In(hostZone).Format(time.RFC3339) }

// rateLimitIncrement is the limiter's count within a window: create the
// item or increment it while WindowStart is the current window.
func (s store) rateLimitIncrement(ctx context.Context, caller, windowStart string, ttl int64) (item, error) {
	out, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       item{"PK": attrS("RL#" + caller)},
		UpdateExpression:          aws.String("SET #count = if_not_exists(#count, :zero) + :one, #ws = if_not_exists(#ws, :ws), #ttl = :ttl"),
		ConditionExpression:       aws.String("attribute_not_exists(#ws) OR #ws = :ws"),
		ExpressionAttributeNames:  rateLimitNames,
		ExpressionAttributeValues: item{":zero": attrN(0), ":one": attrN(1), ":ws": attrS(windowStart), ":ttl": attrN(ttl)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// rateLimitReset is the limiter's reset when the window has moved on.
func (s store) rateLimitReset(ctx context.Context, caller, windowStart string, ttl int64) (item, error) {
	out, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       item{"PK": attrS("RL#" + caller)},
		UpdateExpression:          aws.String("SET #count = :one, #ws = :ws, #ttl = :ttl"),
		ExpressionAttributeNames:  rateLimitNames,
		ExpressionAttributeValues: item{":one": attrN(1), ":ws": attrS(windowStart), ":ttl": attrN(ttl)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// Errors, by code.

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// refusedIndexKey is the attribute DynamoDB names as IndexKey when it
// refuses an item whose value for an index key is not allowed (an empty
// string): "... IndexName: gsi-x, IndexKey: device_id". The index name is
// not used: moto names the wrong index there.
func refusedIndexKey(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		return ""
	}
	_, rest, ok := strings.Cut(ae.ErrorMessage(), "IndexKey: ")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, ", ;"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// wantCode fails the test unless err carries the error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errorCode(err); got != code {
		t.Errorf("%s: err = %v (code %q), want %s", what, err, got, code)
	}
}

// wantConditionFailed fails the test unless err is a ConditionalCheckFailedException.
func wantConditionFailed(t *testing.T, what string, err error) {
	t.Helper()
	if !isConditionFailed(err) {
		t.Errorf("%s: err = %v, want ConditionalCheckFailedException", what, err)
	}
}

// Comparing items.

// render is an item as text, one attribute a line in name order, with its
// type: equal texts are equal attribute maps.
func render(it item) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(it)) {
		switch v := it[k].(type) {
		case *types.AttributeValueMemberS:
			fmt.Fprintf(&b, "%s S %q\n", k, v.Value)
		case *types.AttributeValueMemberN:
			fmt.Fprintf(&b, "%s N %s\n", k, v.Value)
		default:
			fmt.Fprintf(&b, "%s %T\n", k, v)
		}
	}
	return b.String()
}

// ids are the items' id attributes, in order.
func ids(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = str(it, "id")
	}
	return out
}

// str is a string attribute's value, "" when it is missing or not S.
func str(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// num is a number attribute's value, "" when it is missing or not N.
func num(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// wantIDs fails the test unless the items are exactly these, in this order.
func wantIDs(t *testing.T, what string, items []item, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if got := ids(items); !slices.Equal(got, want) {
		t.Errorf("%s: ids %q, want %q", what, got, want)
	}
	for i := 1; i < len(items); i++ {
		if a, b := str(items[i-1], "created_at"), str(items[i], "created_at"); a < b {
			t.Errorf("%s: %s (created_at %s) before %s (created_at %s): not newest first", what, ids(items)[i-1], a, ids(items)[i], b)
		}
	}
}

// wantStored fails the test unless the table holds exactly this item.
func wantStored(t *testing.T, ctx context.Context, s store, want item) {
	t.Helper()
	id := str(want, "id")
	got, err := s.get(ctx, id)
	if err != nil {
		t.Fatalf("GetItem %s: %v", id, err)
	}
	if render(got) != render(want) {
		t.Errorf("%s holds\n%swant\n%s", id, render(got), render(want))
	}
}

// The attributes of contract §1, with their types, written out apart from
// the item builders above.
var contractAttributes = map[string]string{
	"approvals": "id S, requester S, profile S, justification S, duration N, status S, created_at S, updated_at S, " +
		"expires_at S, ttl N, approver S, approver_comment S",
	"breakglass": "id S, invoker S, profile S, reason_code S, justification S, duration N, status S, created_at S, " +
		"updated_at S, expires_at S, ttl N, closed_by S, closed_reason S, request_id S",
	"sessions": "id S, user S, profile S, server_instance_id S, status S, started_at S, last_access_at S, expires_at S, " +
		"request_count N, source_identity S, device_id S, created_at S, updated_at S, ttl N, revoked_by S, revoked_reason S",
}

// Each record writes every attribute of its store's item struct, "" for a
// field without a value, and the times the way Sentinel formats them.
func TestContractItemShapes(t *testing.T) {
	if got, want := stamp(epoch), "2026-01-15T09:30:00.1234567-05:00"; got != want {
		t.Errorf("stamp = %s, want %s (nanoseconds, trailing zeros dropped, the host's zone)", got, want)
	}
	if got, want := stamp(at(2)), "2026-01-15T09:30:02.1434567-05:00"; got != want {
		t.Errorf("stamp(at(2)) = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		store string
		item  item
	}{
		{"approvals", approval{id: "a", expires: epoch}.item()},
		{"breakglass", breakGlassEvent{id: "b", expires: epoch}.item()},
		{"sessions", session{id: "s", expires: epoch}.item()},
	} {
		var got []string
		for _, k := range slices.Sorted(maps.Keys(tc.item)) {
			kind := "?"
			switch v := tc.item[k].(type) {
			case *types.AttributeValueMemberS:
				kind = "S"
				if k != "id" && !strings.HasSuffix(k, "_at") && v.Value != "" {
					t.Errorf("%s: %s = %q for a record without it, want \"\"", tc.store, k, v.Value)
				}
			case *types.AttributeValueMemberN:
				kind = "N"
			}
			got = append(got, k+" "+kind)
		}
		want := strings.Split(contractAttributes[tc.store], ", ")
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s item attributes\n %q\nwant\n %q", tc.store, got, want)
		}
		if n := num(tc.item, "ttl"); n != strconv.FormatInt(epoch.Unix(), 10) {
			t.Errorf("%s: ttl %s, want expires_at in Unix seconds %d", tc.store, n, epoch.Unix())
		}
	}
}
