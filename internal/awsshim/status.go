package awsshim

import (
	"maps"
	"slices"
)

// States AWS can show that moto never does. A test sets them per table;
// DescribeTable answers then report them, and changes to the table are
// refused while they last. How a change is refused is an approximation of
// AWS, which documents no exact error for most of these states: every
// change (UpdateTable, UpdateTimeToLive, UpdateContinuousBackups,
// TagResource, UntagResource) to a table reporting any TableStatus other
// than ACTIVE answers ResourceInUseException naming the status, as AWS
// does for CREATING, UPDATING and DELETING tables; UpdateTable answers
// ResourceInUseException while an index reports an IndexStatus other than
// ACTIVE or the table's encryption reports a status other than ENABLED or
// DISABLED. DeleteTable and reads are never refused. The states last until
// cleared (set to "") or until the table is deleted through the shim.

// SetTableStatus makes DescribeTable answers for table report TableStatus
// status (ARCHIVED, ARCHIVING, INACCESSIBLE_ENCRYPTION_CREDENTIALS,
// REPLICATION_NOT_AUTHORIZED, DELETING, UPDATING, CREATING, ACTIVE or any
// other string), in place of what moto and the CREATING window say. While
// it is not ACTIVE, changes to the table are refused (see above). status ""
// clears it. The table need not exist yet; a table moto does not know is
// still not found.
func (s *Shim) SetTableStatus(table, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.table(table, true).status = status
}

// SetIndexStatus makes DescribeTable answers for table report the global
// secondary index with IndexStatus status (CREATING, UPDATING, DELETING,
// ACTIVE) and Backfilling backfilling. An index moto does not list is not
// added. While status is not ACTIVE, UpdateTable on the table is refused.
// status "" clears it.
func (s *Shim) SetIndexStatus(table, index, status string, backfilling bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(table, true)
	if status == "" {
		delete(t.indexStatus, index)
		return
	}
	if t.indexStatus == nil {
		t.indexStatus = map[string]indexState{}
	}
	t.indexStatus[index] = indexState{status: status, backfilling: backfilling}
}

// SetSSEStatus makes DescribeTable answers for table report
// SSEDescription.Status status (UPDATING, ENABLING, DISABLING, ENABLED,
// DISABLED), adding an SSEDescription if the table has none. While status
// is not ENABLED or DISABLED, UpdateTable on the table is refused. status
// "" clears it.
func (s *Shim) SetSSEStatus(table, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.table(table, true).sseStatus = status
}

// refusal returns why AWS would refuse the change op to the table while it
// reports the states set on it, or "" when it would not. Guarded by Shim.mu.
func (t *tableState) refusal(op string) string {
	if t == nil {
		return ""
	}
	if t.status != "" && t.status != "ACTIVE" {
		return "Table status is " + t.status
	}
	if op != "UpdateTable" {
		return ""
	}
	for _, name := range slices.Sorted(maps.Keys(t.indexStatus)) {
		if st := t.indexStatus[name]; st.status != "ACTIVE" {
			return "Index " + name + " status is " + st.status
		}
	}
	if t.sseStatus != "" && t.sseStatus != "ENABLED" && t.sseStatus != "DISABLED" {
		return "Table encryption status is " + t.sseStatus
	}
	return ""
}

// hasStates reports whether any state is set on the table.
func (t *tableState) hasStates() bool {
	return t != nil && (t.status != "" || t.sseStatus != "" || len(t.indexStatus) > 0)
}

// statesEdit returns an edit that shows the states set on the table in a
// table description. Guarded by Shim.mu (it copies what it needs).
func (t *tableState) statesEdit() func(map[string]any) {
	status, sseStatus := t.status, t.sseStatus
	idx := maps.Clone(t.indexStatus)
	return func(desc map[string]any) {
		if status != "" {
			desc["TableStatus"] = status
		}
		for _, gsi := range indexes(desc) {
			name, _ := gsi["IndexName"].(string)
			if st, ok := idx[name]; ok {
				gsi["IndexStatus"] = st.status
				if st.backfilling {
					gsi["Backfilling"] = true
				} else {
					delete(gsi, "Backfilling")
				}
			}
		}
		if sseStatus != "" {
			sse, _ := desc["SSEDescription"].(map[string]any)
			out := maps.Clone(sse) // sse may be the shim's own record
			if out == nil {
				out = map[string]any{}
			}
			out["Status"] = sseStatus
			desc["SSEDescription"] = out
		}
	}
}
