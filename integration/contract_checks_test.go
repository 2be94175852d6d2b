package integration_test

// The checks of the Sentinel contract suite, shared by moto
// (contract_test.go) and dynalite (contract_dynalite_test.go): each store's
// writes and queries, on the tables Run created. Within one store the
// subtests run in order and build on each other (one table, one data set);
// the stores run in parallel.

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// contractTarget is one endpoint's tables, as Run created them.
type contractTarget struct {
	ddb *dynamodb.Client
	// validates is true for an endpoint that validates expressions as AWS
	// does (dynalite): it refuses a filter on a key of the index queried.
	// moto does not, and answers those queries.
	validates bool
	// deviceIndex is true when the sessions table has gsi-device-id.
	deviceIndex bool
	// emptyKeysRefused is true for an endpoint that refuses, as AWS does,
	// an empty string for an attribute that is an index key (moto).
	// dynalite 4.0.0 accepts it, so the device index trade-off is shown on
	// moto.
	emptyKeysRefused                            bool
	approvals, breakglass, sessions, ratelimits string
}

// checkStores runs every store's checks, the stores in parallel.
func checkStores(t *testing.T, tg contractTarget) {
	t.Run("approvals", func(t *testing.T) { t.Parallel(); checkApprovals(t, tg) })
	t.Run("breakglass", func(t *testing.T) { t.Parallel(); checkBreakGlass(t, tg) })
	t.Run("sessions", func(t *testing.T) { t.Parallel(); checkSessions(t, tg) })
	t.Run("ratelimits", func(t *testing.T) { t.Parallel(); checkRateLimits(t, tg) })
}

// createAll creates each item with the store's create and reads each back
// byte for byte; a second create of the first is refused.
func createAll(t *testing.T, s store, items ...item) bool {
	ctx := context.Background()
	ok := t.Run("create", func(t *testing.T) {
		for _, it := range items {
			if err := s.create(ctx, it); err != nil {
				t.Fatalf("create %s: %v\n%s", str(it, "id"), err, render(it))
			}
		}
		for _, it := range items {
			wantStored(t, ctx, s, it)
		}
	})
	t.Run("create-existing-refused", func(t *testing.T) {
		changed := with(items[0], item{"justification": attrS("a second create")})
		wantConditionFailed(t, "create of an existing id", s.create(ctx, changed))
		wantStored(t, ctx, s, items[0])
	})
	t.Run("get-missing", func(t *testing.T) {
		got, err := s.get(ctx, "no-such-id")
		if err != nil || got != nil {
			t.Errorf("get of a missing id: %v, %v; want no item and no error", got, err)
		}
	})
	return ok
}

// with is a copy of it with the attributes of change replacing its own.
func with(it, change item) item {
	out := maps.Clone(it)
	maps.Copy(out, change)
	return out
}

// checkUpdates proves the optimistic lock: before is stored; after (its
// updated_at set to now) is written with before's stored updated_at as the
// expected value, and is then stored; later, guarded by that same (now
// stale) value, is refused; an update of a missing id is refused and
// creates nothing.
func checkUpdates(t *testing.T, s store, before, after, later item) {
	ctx := context.Background()
	id := str(before, "id")
	old := ""
	t.Run("update", func(t *testing.T) {
		stored, err := s.get(ctx, id)
		if err != nil || stored == nil {
			t.Fatalf("get %s: %v, %v", id, stored, err)
		}
		old = str(stored, "updated_at")
		if old == str(after, "updated_at") {
			t.Fatalf("test data: the update of %s does not change updated_at", id)
		}
		if err := s.update(ctx, after, old); err != nil {
			t.Fatalf("update of %s guarded by its stored updated_at %s: %v", id, old, err)
		}
		wantStored(t, ctx, s, after)
	})
	t.Run("update-stale-refused", func(t *testing.T) {
		wantConditionFailed(t, "update guarded by a stale updated_at", s.update(ctx, later, old))
		wantStored(t, ctx, s, after)
	})
	t.Run("update-missing-refused", func(t *testing.T) {
		missing := with(after, item{"id": attrS(id + "-missing")})
		wantConditionFailed(t, "update of a missing id", s.update(ctx, missing, str(after, "updated_at")))
		if got, err := s.get(ctx, id+"-missing"); err != nil || got != nil {
			t.Errorf("the refused update left %v (%v)", got, err)
		}
	})
}

// checkDelete deletes an item; deleting it again is not an error.
func checkDelete(t *testing.T, s store, id string) {
	t.Run("delete", func(t *testing.T) {
		ctx := context.Background()
		if err := s.delete(ctx, id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		if got, err := s.get(ctx, id); err != nil || got != nil {
			t.Errorf("after delete, get %s: %v, %v", id, got, err)
		}
		if err := s.delete(ctx, id); err != nil {
			t.Errorf("delete of a missing id: %v", err)
		}
	})
}

// checkRefusedKeyFilter asserts what each endpoint does with a query whose
// filter names a key of the index queried (contract §4): dynalite, as AWS,
// refuses it with ValidationException; moto answers it.
func checkRefusedKeyFilter(t *testing.T, tg contractTarget, what string, err error, answered func()) {
	t.Helper()
	if tg.validates {
		wantCode(t, what+" (a filter on a key of the index queried)", err, "ValidationException")
		return
	}
	if err != nil {
		t.Fatalf("%s: moto does not validate filters and should answer: %v", what, err)
	}
	answered()
}

func checkApprovals(t *testing.T, tg contractTarget) {
	ctx := context.Background()
	s := store{tg.ddb, tg.approvals}
	mk := func(id, requester, profile, status string, n int) approval {
		return approval{id: id, requester: requester, profile: profile, justification: "deploy " + id,
			duration: 90 * time.Minute, status: status, created: at(n), updated: at(n), expires: at(n).Add(24 * time.Hour)}
	}
	r1 := mk("req-1", "alice", "dev", "pending", 0)
	r2 := mk("req-2", "alice", "prod", "approved", 1)
	r2.approver, r2.approverComment, r2.updated = "bob", "ok for the release", at(5)
	r3 := mk("req-3", "alice", "dev", "pending", 2)
	r4 := mk("req-4", "carol", "dev", "denied", 3)
	r4.approver, r4.updated = "bob", at(6)

	if !createAll(t, s, r1.item(), r2.item(), r3.item(), r4.item()) {
		return
	}
	t.Run("gsi-requester", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-requester", "requester", "alice", 100)
		wantIDs(t, "by requester", got, err, "req-3", "req-2", "req-1")
		got, err = s.list(ctx, "gsi-requester", "requester", "alice", 2)
		wantIDs(t, "by requester, Limit 2", got, err, "req-3", "req-2")
		got, err = s.list(ctx, "gsi-requester", "requester", "nobody", 100)
		wantIDs(t, "by an unknown requester", got, err)
	})
	t.Run("gsi-status", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-status", "status", "pending", 100)
		wantIDs(t, "by status", got, err, "req-3", "req-1")
	})
	t.Run("gsi-profile", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-profile", "profile", "dev", 100)
		wantIDs(t, "by profile", got, err, "req-4", "req-3", "req-1")
		got, err = s.list(ctx, "gsi-profile", "profile", "dev", 1)
		wantIDs(t, "by profile, Limit 1", got, err, "req-4")
	})

	// Approve req-1, then a second approver's stale write.
	approved := r1
	approved.status, approved.approver, approved.approverComment, approved.updated = "approved", "bob", "", at(10)
	denied := r1
	denied.status, denied.approver, denied.updated = "denied", "dave", at(11)
	checkUpdates(t, s, r1.item(), approved.item(), denied.item())
	t.Run("gsi-status-after-update", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-status", "status", "pending", 100)
		wantIDs(t, "pending after approval", got, err, "req-3")
		got, err = s.list(ctx, "gsi-status", "status", "approved", 100)
		wantIDs(t, "approved after approval", got, err, "req-2", "req-1")
	})
	checkDelete(t, s, "req-4")
}

func checkBreakGlass(t *testing.T, tg contractTarget) {
	ctx := context.Background()
	s := store{tg.ddb, tg.breakglass}
	mk := func(id, invoker, profile, status string, n int) breakGlassEvent {
		return breakGlassEvent{id: id, invoker: invoker, profile: profile, reasonCode: "incident", justification: "pager " + id,
			duration: time.Hour, status: status, created: at(n), updated: at(n), expires: at(n).Add(time.Hour)}
	}
	e1 := mk("bg-1", "alice", "dev", "closed", 0)
	e1.closedBy, e1.closedReason, e1.updated = "secops", "resolved", at(4)
	e2 := mk("bg-2", "alice", "prod", "active", 1)
	e3 := mk("bg-3", "alice", "dev", "active", 2)
	e4 := mk("bg-4", "bob", "dev", "active", 3)
	e4.requestID, e4.reasonCode = "req-9", "security"

	if !createAll(t, s, e1.item(), e2.item(), e3.item(), e4.item()) {
		return
	}
	t.Run("gsi-invoker", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-invoker", "invoker", "alice", 100)
		wantIDs(t, "by invoker", got, err, "bg-3", "bg-2", "bg-1")
		got, err = s.list(ctx, "gsi-invoker", "invoker", "alice", 2)
		wantIDs(t, "by invoker, Limit 2", got, err, "bg-3", "bg-2")
	})
	t.Run("gsi-status", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-status", "status", "active", 100)
		wantIDs(t, "by status", got, err, "bg-4", "bg-3", "bg-2")
	})
	t.Run("gsi-profile", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-profile", "profile", "dev", 100)
		wantIDs(t, "by profile", got, err, "bg-4", "bg-3", "bg-1")
	})
	t.Run("find-active", func(t *testing.T) {
		out, err := s.findActiveBreakGlass(ctx, "alice", "dev")
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "active event of alice for dev", out.Items, nil, "bg-3")
		out, err = s.lastBreakGlass(ctx, "alice", "dev")
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "last event of alice for dev", out.Items, nil, "bg-3")
	})
	// Contract §4: Limit 1 applies before the filter, so the newest event
	// of the invoker, for another profile, hides the active one.
	t.Run("sentinel-defect-find-active-limit-1-misses-older-match", func(t *testing.T) {
		out, err := s.findActiveBreakGlass(ctx, "alice", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 0 || out.ScannedCount != 1 || out.LastEvaluatedKey == nil {
			t.Errorf("find active of alice for prod: %q, scanned %d, more %v; want nothing found after reading 1 item, with more to read",
				ids(out.Items), out.ScannedCount, out.LastEvaluatedKey != nil)
		}
		out, err = s.lastBreakGlass(ctx, "alice", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 0 {
			t.Errorf("last event of alice for prod: %q, want nothing (the cooldown check misses bg-2)", ids(out.Items))
		}
		wantStored(t, ctx, s, e2.item()) // the active event that was missed
	})
	// Contract §1 and §4: the quota checker's counts filter on created_at,
	// the sort key of the index queried.
	t.Run("sentinel-defect-count-since-filters-on-sort-key", func(t *testing.T) {
		since := stamp(at(1))
		n, err := s.countSince(ctx, "gsi-invoker", "invoker", "alice", since)
		checkRefusedKeyFilter(t, tg, "count by invoker since", err, func() {
			if n != 2 {
				t.Errorf("count of alice's events since %s: %d, want 2", since, n)
			}
		})
		n, err = s.countSince(ctx, "gsi-profile", "profile", "dev", since)
		checkRefusedKeyFilter(t, tg, "count by profile since", err, func() {
			if n != 2 {
				t.Errorf("count of dev events since %s: %d, want 2", since, n)
			}
		})
	})

	// Close bg-3, then a stale close.
	closed := e3
	closed.status, closed.closedBy, closed.closedReason, closed.updated = "closed", "alice", "done", at(10)
	expired := e3
	expired.status, expired.updated = "expired", at(11)
	checkUpdates(t, s, e3.item(), closed.item(), expired.item())
	t.Run("gsi-status-after-update", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-status", "status", "active", 100)
		wantIDs(t, "active after close", got, err, "bg-4", "bg-2")
	})
	checkDelete(t, s, "bg-4")
}

func checkSessions(t *testing.T, tg contractTarget) {
	ctx := context.Background()
	s := store{tg.ddb, tg.sessions}
	mk := func(id, user, profile, server, status string, n int) session {
		return session{id: id, user: user, profile: profile, serverInstanceID: server, status: status,
			started: at(n), lastAccess: at(n), expires: at(n).Add(time.Hour), requestCount: int64(n),
			sourceIdentity: "sentinel:" + user + ":" + id, created: at(n), updated: at(n)}
	}
	s1 := mk("sess-1", "alice", "dev", "srv-1", "revoked", 0)
	s1.revokedBy, s1.revokedReason, s1.updated = "secops", "left the team", at(4)
	s2 := mk("sess-2", "alice", "prod", "srv-2", "active", 1)
	s3 := mk("sess-3", "bob", "dev", "srv-3", "active", 2)
	s3.deviceID = "dev-7f3a"
	s4 := mk("sess-4", "alice", "dev", "srv-1", "expired", 3)
	seed := []item{s1.item(), s2.item(), s4.item()}
	if !tg.deviceIndex {
		seed = append(seed, s3.item())
	} else if err := s.create(ctx, s3.item()); err != nil {
		t.Fatalf("create of a session with a device: %v", err)
	}

	if tg.deviceIndex {
		checkDeviceQuery(t, s, s3)
		if !tg.emptyKeysRefused {
			return
		}
		// contract §1: on a table with gsi-device-id, a session without a
		// device can be neither created nor rewritten.
		t.Run("create-without-device-refused", func(t *testing.T) {
			for _, it := range seed {
				err := s.create(ctx, it)
				if k := refusedIndexKey(err); k != "device_id" {
					t.Errorf("create of %s without a device: err = %v (IndexKey %q), want ValidationException naming IndexKey device_id",
						str(it, "id"), err, k)
				}
				if got, err := s.get(ctx, str(it, "id")); err != nil || got != nil {
					t.Errorf("the refused create left %v (%v)", got, err)
				}
			}
		})
		t.Run("rewrite-without-device-refused", func(t *testing.T) {
			stored, err := s.get(ctx, s3.id)
			if err != nil || stored == nil {
				t.Fatalf("get %s: %v, %v", s3.id, stored, err)
			}
			dropped := with(stored, item{"device_id": attrS(""), "updated_at": attrS(stamp(at(13)))})
			err = s.update(ctx, dropped, str(stored, "updated_at"))
			if k := refusedIndexKey(err); k != "device_id" {
				t.Errorf("rewrite with device_id \"\": err = %v (IndexKey %q), want ValidationException naming IndexKey device_id", err, k)
			}
			wantStored(t, ctx, s, stored)
		})
		return
	}

	// The default table: sessions without a device are written and rewritten.
	if !createAll(t, s, seed...) {
		return
	}
	// Scans first, while the table holds only the four seeds.
	t.Run("scan-created-between", func(t *testing.T) {
		got, err := s.scanCreatedBetween(ctx, stamp(at(1)), stamp(at(2)))
		if err != nil {
			t.Fatal(err)
		}
		if g := slices.Sorted(slices.Values(ids(got))); !slices.Equal(g, []string{"sess-2", "sess-3"}) {
			t.Errorf("sessions created between %s and %s: %q, want sess-2 and sess-3", stamp(at(1)), stamp(at(2)), g)
		}
	})
	t.Run("scan-source-identity", func(t *testing.T) {
		first, err := s.firstScanned(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.scanSourceIdentity(ctx, str(first, "source_identity"))
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "session by the source identity of the first item scanned", out.Items, nil, str(first, "id"))
	})
	// Contract §4: Limit 1 applies before the filter, so the lookup finds
	// only the first item scanned.
	t.Run("sentinel-defect-source-identity-limit-1-misses-match", func(t *testing.T) {
		first, err := s.firstScanned(ctx)
		if err != nil {
			t.Fatal(err)
		}
		other := s2.item()
		if str(first, "id") == "sess-2" {
			other = s3.item()
		}
		out, err := s.scanSourceIdentity(ctx, str(other, "source_identity"))
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 0 || out.LastEvaluatedKey == nil {
			t.Errorf("session by source identity %s: %q, more %v; want nothing found in the first item, with more to read",
				str(other, "source_identity"), ids(out.Items), out.LastEvaluatedKey != nil)
		}
		wantStored(t, ctx, s, other) // the session that was missed
	})
	t.Run("gsi-user", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-user", "user", "alice", 100)
		wantIDs(t, "by user", got, err, "sess-4", "sess-2", "sess-1")
		got, err = s.list(ctx, "gsi-user", "user", "alice", 2)
		wantIDs(t, "by user, Limit 2", got, err, "sess-4", "sess-2")
	})
	t.Run("gsi-status", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-status", "status", "active", 100)
		wantIDs(t, "by status", got, err, "sess-3", "sess-2")
	})
	t.Run("gsi-profile", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-profile", "profile", "dev", 100)
		wantIDs(t, "by profile", got, err, "sess-4", "sess-3", "sess-1")
	})
	// Contract §1 and §4: status is the sort key of gsi-server-instance.
	t.Run("sentinel-defect-server-instance-lookup-filters-on-sort-key", func(t *testing.T) {
		got, err := s.findActiveByServerInstance(ctx, "srv-2")
		checkRefusedKeyFilter(t, tg, "active session of a server instance", err, func() {
			wantIDs(t, "active session of srv-2", got, nil, "sess-2")
		})
	})
	// Without gsi-device-id, the device-sessions listing is the one query
	// that fails.
	t.Run("gsi-device-id-missing", func(t *testing.T) {
		got, err := s.list(ctx, "gsi-device-id", "device_id", "dev-7f3a", 100)
		if err == nil {
			t.Errorf("device query on a table without gsi-device-id answered %q", ids(got))
		}
		// AWS and dynalite answer ValidationException; moto, ResourceNotFoundException.
		code := "ValidationException"
		if !tg.validates {
			code = "ResourceNotFoundException"
		}
		wantCode(t, "device query on a table without gsi-device-id", err, code)
	})
	t.Run("touch", func(t *testing.T) {
		now := stamp(at(20))
		for range 2 {
			if err := s.touch(ctx, "sess-2", now); err != nil {
				t.Fatalf("touch of a session without a device: %v", err)
			}
		}
		touched := s2
		touched.requestCount += 2
		touched.lastAccess, touched.updated = at(20), at(20)
		wantStored(t, ctx, s, touched.item())
		wantConditionFailed(t, "touch of a missing session", s.touch(ctx, "no-such-session", now))
		if got, err := s.get(ctx, "no-such-session"); err != nil || got != nil {
			t.Errorf("the refused touch left %v (%v)", got, err)
		}
	})

	// Revoke sess-2 (stored without a device, touched since it was read
	// by nobody: the lock uses the updated_at the touch wrote).
	touched := s2
	touched.requestCount += 2
	touched.lastAccess, touched.updated = at(20), at(20)
	revoked := touched
	revoked.status, revoked.revokedBy, revoked.revokedReason, revoked.updated = "revoked", "secops", "compromised", at(21)
	expired := touched
	expired.status, expired.updated = "expired", at(22)
	checkUpdates(t, s, touched.item(), revoked.item(), expired.item())

	// Contract §4: Sentinel's revoke and expire set updated_at to now and
	// then call the store's update, which guards the write with that new
	// value: the write is always refused as a concurrent modification.
	t.Run("sentinel-defect-revoke-guarded-by-new-updated-at", func(t *testing.T) {
		s5 := mk("sess-5", "carol", "dev", "srv-5", "active", 5)
		if err := s.create(ctx, s5.item()); err != nil {
			t.Fatal(err)
		}
		revoked := s5
		revoked.status, revoked.revokedBy, revoked.revokedReason, revoked.updated = "revoked", "secops", "audit", at(30)
		wantConditionFailed(t, "revoke guarded by its own new updated_at", s.update(ctx, revoked.item(), stamp(revoked.updated)))
		wantStored(t, ctx, s, s5.item())
		// The same write guarded by the stored updated_at is accepted.
		if err := s.update(ctx, revoked.item(), stamp(s5.updated)); err != nil {
			t.Errorf("revoke guarded by the stored updated_at: %v", err)
		}
		wantStored(t, ctx, s, revoked.item())
	})
	checkDelete(t, s, "sess-3")
}

// checkDeviceQuery: with gsi-device-id, sessions with a device are listed
// by device, newest first; they are rewritten and touched like any other.
func checkDeviceQuery(t *testing.T, s store, first session) {
	ctx := context.Background()
	second := first
	second.id, second.created, second.updated, second.started, second.lastAccess = "sess-3b", at(8), at(8), at(8), at(8)
	second.sourceIdentity = "sentinel:bob:sess-3b"
	t.Run("gsi-device-id", func(t *testing.T) {
		if err := s.create(ctx, second.item()); err != nil {
			t.Fatalf("create of a second session with a device: %v", err)
		}
		got, err := s.list(ctx, "gsi-device-id", "device_id", first.deviceID, 100)
		wantIDs(t, "by device", got, err, "sess-3b", first.id)
		got, err = s.list(ctx, "gsi-device-id", "device_id", first.deviceID, 1)
		wantIDs(t, "by device, Limit 1", got, err, "sess-3b")
	})
	revoked := first
	revoked.status, revoked.revokedBy, revoked.updated = "revoked", "secops", at(9)
	later := first
	later.status, later.updated = "expired", at(10)
	checkUpdates(t, s, first.item(), revoked.item(), later.item())
	t.Run("touch", func(t *testing.T) {
		if err := s.touch(ctx, second.id, stamp(at(12))); err != nil {
			t.Fatalf("touch of a session with a device: %v", err)
		}
		touched := second
		touched.requestCount++
		touched.lastAccess, touched.updated = at(12), at(12)
		wantStored(t, ctx, s, touched.item())
	})
}

// checkRateLimits runs the limiter's UpdateItem calls: the first request of
// a caller creates the item, the next ones in the window count, a request
// in a new window fails the condition and resets the count.
func checkRateLimits(t *testing.T, tg contractTarget) {
	ctx := context.Background()
	s := store{tg.ddb, tg.ratelimits}
	caller := "arn:aws:iam::123456789012:user/alice"
	window := time.Minute
	ws1 := epoch.Truncate(window)
	ws2 := ws1.Add(window)
	ttl := func(ws time.Time) int64 { return ws.Add(window).Add(time.Hour).Unix() }
	want := func(count int, ws time.Time) string {
		return render(item{"PK": attrS("RL#" + caller), "Count": attrN(int64(count)), "WindowStart": attrS(windowStamp(ws)), "TTL": attrN(ttl(ws))})
	}

	t.Run("increment", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			got, err := s.rateLimitIncrement(ctx, caller, windowStamp(ws1), ttl(ws1))
			if err != nil {
				t.Fatalf("request %d in the window: %v", i, err)
			}
			if render(got) != want(i, ws1) {
				t.Errorf("after request %d: item\n%swant\n%s", i, render(got), want(i, ws1))
			}
		}
	})
	t.Run("new-window-fails-condition-then-resets", func(t *testing.T) {
		_, err := s.rateLimitIncrement(ctx, caller, windowStamp(ws2), ttl(ws2))
		wantConditionFailed(t, "increment in a new window", err)
		got, err := s.rateLimitReset(ctx, caller, windowStamp(ws2), ttl(ws2))
		if err != nil {
			t.Fatalf("reset: %v", err)
		}
		if render(got) != want(1, ws2) {
			t.Errorf("after the reset: item\n%swant\n%s", render(got), want(1, ws2))
		}
		got, err = s.rateLimitIncrement(ctx, caller, windowStamp(ws2), ttl(ws2))
		if err != nil {
			t.Fatalf("increment after the reset: %v", err)
		}
		if render(got) != want(2, ws2) {
			t.Errorf("after the reset and one more request: item\n%swant\n%s", render(got), want(2, ws2))
		}
	})
	t.Run("other-caller", func(t *testing.T) {
		got, err := s.rateLimitIncrement(ctx, "bob", windowStamp(ws1), ttl(ws1))
		if err != nil || num(got, "Count") != "1" {
			t.Errorf("first request of another caller: Count %s, err %v; want 1", num(got, "Count"), err)
		}
	})
	// The limiter lets every request through when its UpdateItem fails
	// (contract §1): these are the errors it would swallow.
	t.Run("wrong-table-errors", func(t *testing.T) {
		_, err := store{tg.ddb, tg.sessions}.rateLimitIncrement(ctx, caller, windowStamp(ws1), ttl(ws1))
		wantCode(t, "limiter on a table keyed on id", err, "ValidationException")
		_, err = store{tg.ddb, tg.ratelimits + "-missing"}.rateLimitIncrement(ctx, caller, windowStamp(ws1), ttl(ws1))
		wantCode(t, "limiter on a missing table", err, "ResourceNotFoundException")
	})
}
