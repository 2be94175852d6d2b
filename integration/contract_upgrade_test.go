package integration_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// scanAll reads every item of a table, every page.
func scanAll(t *testing.T, ddb *dynamodb.Client, table string) []item {
	t.Helper()
	var items []item
	p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("Scan %s: %v", table, err)
		}
		items = append(items, out.Items...)
	}
	return items
}

// wantItems fails the test unless the table holds exactly these items,
// attribute for attribute.
func wantItems(t *testing.T, ddb *dynamodb.Client, table string, want map[string]item) {
	t.Helper()
	got := scanAll(t, ddb, table)
	if len(got) != len(want) {
		t.Errorf("%s holds %d items %q, want %d", table, len(got), ids(got), len(want))
	}
	for _, it := range got {
		w, ok := want[str(it, "id")]
		if !ok {
			t.Errorf("%s holds an unexpected item\n%s", table, render(it))
			continue
		}
		if render(it) != render(w) {
			t.Errorf("%s: item %s is\n%swant\n%s", table, str(it, "id"), render(it), render(w))
		}
	}
}

// originalTable creates a table the way the original bootstrap command
// (sentinel init bootstrap) does: key id (S), the indexes, PAY_PER_REQUEST,
// KMS encryption with the AWS managed key, then TTL on ttl; no deletion
// protection, no point-in-time recovery.
func (e *env) originalTable(name string, indexes ...types.GlobalSecondaryIndex) {
	e.t.Helper()
	ctx := context.Background()
	attrs := []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}}
	seen := map[string]bool{"id": true}
	for _, g := range indexes {
		for _, k := range g.KeySchema {
			if n := aws.ToString(k.AttributeName); !seen[n] {
				seen[n] = true
				attrs = append(attrs, types.AttributeDefinition{AttributeName: k.AttributeName, AttributeType: types.ScalarAttributeTypeS})
			}
		}
	}
	if _, err := e.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name), KeySchema: idKey, AttributeDefinitions: attrs, GlobalSecondaryIndexes: indexes,
		BillingMode:      types.BillingModePayPerRequest,
		SSESpecification: &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms},
	}); err != nil {
		e.t.Fatalf("CreateTable %s: %v", name, err)
	}
	if _, err := e.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)},
	}); err != nil {
		e.t.Fatalf("UpdateTimeToLive %s: %v", name, err)
	}
}

// byID indexes items by id.
func byID(items ...item) map[string]item {
	m := map[string]item{}
	for _, it := range items {
		m[str(it, "id")] = it
	}
	return m
}

// Tables made the way the original bootstrap command made them (four
// session indexes, KMS, TTL on ttl, no deletion protection, no
// point-in-time recovery), holding Sentinel's items, sessions without a device among
// them: Run upgrades them in place and keeps every item byte for byte;
// sessions without a device stay writable; a second Run has nothing to do.
// Then WithDeviceIndex, asked for later, adds gsi-device-id, and from then
// on the sessions stored without a device cannot be rewritten (contract §1).
func TestContractUpgradeFromOriginalBootstrap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, awsshim.Options{})
	ctx := context.Background()
	names := map[string]string{
		bootstrap.PurposeApprovals:  bootstrap.DefaultApprovalTable + e.suffix,
		bootstrap.PurposeBreakGlass: bootstrap.DefaultBreakGlassTable + e.suffix,
		bootstrap.PurposeSessions:   bootstrap.DefaultSessionTable + e.suffix,
	}
	e.originalTable(names[bootstrap.PurposeApprovals],
		oldIndex("gsi-requester", "requester", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-profile", "profile", "created_at", types.ProjectionTypeAll))
	e.originalTable(names[bootstrap.PurposeBreakGlass],
		oldIndex("gsi-invoker", "invoker", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-profile", "profile", "created_at", types.ProjectionTypeAll))
	e.originalTable(names[bootstrap.PurposeSessions],
		oldIndex("gsi-user", "user", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-status", "status", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-profile", "profile", "created_at", types.ProjectionTypeAll),
		oldIndex("gsi-server-instance", "server_instance_id", "status", types.ProjectionTypeAll))

	// The items, written as Sentinel's stores write them.
	approvals := store{e.ddb, names[bootstrap.PurposeApprovals]}
	breakglass := store{e.ddb, names[bootstrap.PurposeBreakGlass]}
	sessions := store{e.ddb, names[bootstrap.PurposeSessions]}
	want := map[store]map[string]item{approvals: {}, breakglass: {}, sessions: {}}
	put := func(s store, it item) {
		t.Helper()
		if err := s.create(ctx, it); err != nil {
			t.Fatalf("create %s in %s: %v", str(it, "id"), s.table, err)
		}
		want[s][str(it, "id")] = it
	}
	put(approvals, approval{id: "req-1", requester: "alice", profile: "dev", justification: "release", duration: 3600e9,
		status: "pending", created: at(0), updated: at(0), expires: at(86400)}.item())
	put(approvals, approval{id: "req-2", requester: "bob", profile: "prod", justification: "hotfix", duration: 1800e9,
		status: "approved", created: at(1), updated: at(2), expires: at(86401), approver: "carol", approverComment: "go"}.item())
	put(breakglass, breakGlassEvent{id: "bg-1", invoker: "alice", profile: "prod", reasonCode: "incident", justification: "outage",
		duration: 3600e9, status: "active", created: at(3), updated: at(3), expires: at(3603)}.item())
	put(breakglass, breakGlassEvent{id: "bg-2", invoker: "bob", profile: "dev", reasonCode: "security", justification: "leak",
		duration: 900e9, status: "closed", created: at(4), updated: at(5), expires: at(904), closedBy: "secops", closedReason: "done", requestID: "req-2"}.item())
	devSession := func(id, user, device string, n int) session {
		return session{id: id, user: user, profile: "dev", serverInstanceID: "srv-" + id, status: "active",
			started: at(n), lastAccess: at(n), expires: at(n + 3600), requestCount: int64(n), sourceIdentity: "sentinel:" + user + ":" + id,
			deviceID: device, created: at(n), updated: at(n)}
	}
	noDevice1, noDevice2, withDevice := devSession("sess-1", "alice", "", 6), devSession("sess-2", "bob", "", 7), devSession("sess-3", "carol", "dev-9c2e", 8)
	noDevice2.status, noDevice2.revokedBy, noDevice2.revokedReason = "revoked", "secops", "lost laptop"
	for _, s := range []session{noDevice1, noDevice2, withDevice} {
		put(sessions, s.item())
	}

	rep := e.mustRun(bootstrap.WithAll())
	// What the original left undone, and nothing else: no index is added
	// or removed, no table replaced.
	wantDone := []string{"enable deletion protection", "enable point-in-time recovery"}
	for _, tb := range rep.Tables {
		if tb.Action != bootstrap.ActionUpdate || tb.Status != bootstrap.StatusOK || !slices.Equal(tb.Done, wantDone) {
			t.Errorf("table %s: %s/%s %q done %q, want update/ok doing %q", tb.Name, tb.Action, tb.Status, tb.Error, tb.Done, wantDone)
		}
	}
	for _, base := range []string{bootstrap.DefaultApprovalTable, bootstrap.DefaultBreakGlassTable, bootstrap.DefaultSessionTable} {
		e.checkTable(base, true) // the indexes of run_test.go's wantIndexes: four for sessions
	}
	t.Run("items-kept", func(t *testing.T) {
		for s, items := range want {
			wantItems(t, e.ddb, s.table, items)
		}
	})
	t.Run("sessions-without-device-writable", func(t *testing.T) {
		revoked := noDevice1
		revoked.status, revoked.revokedBy, revoked.revokedReason, revoked.updated = "revoked", "secops", "offboarded", at(100)
		if err := sessions.update(ctx, revoked.item(), stamp(noDevice1.updated)); err != nil {
			t.Fatalf("revoke of a session stored without a device: %v", err)
		}
		want[sessions][revoked.id] = revoked.item()
		if err := sessions.touch(ctx, noDevice2.id, stamp(at(101))); err != nil {
			t.Fatalf("touch of a session stored without a device: %v", err)
		}
		touched := noDevice2
		touched.requestCount++
		touched.lastAccess, touched.updated = at(101), at(101)
		want[sessions][touched.id] = touched.item()
		fresh := devSession("sess-4", "dave", "", 102)
		if err := sessions.create(ctx, fresh.item()); err != nil {
			t.Fatalf("create of a new session without a device: %v", err)
		}
		want[sessions][fresh.id] = fresh.item()
		wantItems(t, e.ddb, sessions.table, want[sessions])
	})
	t.Run("second-run-none", func(t *testing.T) {
		e.shim.Reset()
		assertAll(t, e.mustRun(bootstrap.WithAll()), bootstrap.ActionNone, bootstrap.StatusOK)
		if w := e.shim.Writes(); w != 0 {
			t.Errorf("the second Run wrote %d times: %v", w, e.shim.Counts())
		}
	})

	// Opting in to the device index afterwards: the items are kept, the
	// device listing finds the session with a device, and the sessions
	// stored without a device can no longer be rewritten.
	t.Run("device-index-added-later", func(t *testing.T) {
		rep := e.mustRun(bootstrap.WithAll(), bootstrap.WithDeviceIndex())
		for _, tb := range rep.Tables {
			wantDone := []string(nil)
			if tb.Name == sessions.table {
				wantDone = []string{"add index gsi-device-id"}
			}
			if !slices.Equal(tb.Done, wantDone) || tb.Status != bootstrap.StatusOK {
				t.Errorf("table %s: %s done %q, want %q", tb.Name, tb.Status, tb.Done, wantDone)
			}
		}
		for s, items := range want {
			wantItems(t, e.ddb, s.table, items)
		}
		got, err := sessions.list(ctx, "gsi-device-id", "device_id", withDevice.deviceID, 100)
		wantIDs(t, "by device, on the index added later", got, err, withDevice.id)
		stored := want[sessions]["sess-4"]
		expired := with(stored, item{"status": attrS("expired"), "updated_at": attrS(stamp(at(200)))})
		err = sessions.update(ctx, expired, str(stored, "updated_at"))
		if k := refusedIndexKey(err); k != "device_id" {
			t.Errorf("expire of a session stored without a device, after gsi-device-id was added: err = %v (IndexKey %q), "+
				"want ValidationException naming IndexKey device_id", err, k)
		}
		err = sessions.create(ctx, devSession("sess-5", "erin", "", 201).item())
		if k := refusedIndexKey(err); k != "device_id" {
			t.Errorf("create of a session without a device, after gsi-device-id was added: err = %v (IndexKey %q), "+
				"want ValidationException naming IndexKey device_id", err, k)
		}
		wantItems(t, e.ddb, sessions.table, want[sessions])
	})
}
