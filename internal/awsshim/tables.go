package awsshim

import "time"

// tableState is the AWS-like timing of one table. Guarded by Shim.mu.
type tableState struct {
	// activeAt is when CREATING ends; zero for tables not created through
	// the shim (they are ACTIVE and have no PITR window).
	activeAt time.Time
	// indexes maps a global secondary index being created to when its
	// creation ends.
	indexes map[string]time.Time
	// sse is the SSEDescription set by an UpdateTable asking for KMS, which
	// moto ignores; nil when there was none.
	sse map[string]any
}

// creating reports whether the table is CREATING at now.
func (t *tableState) creating(now time.Time) bool {
	return t != nil && now.Before(t.activeAt)
}

// creatingIndexes returns the indexes still CREATING at now and forgets
// those that are done.
func (t *tableState) creatingIndexes(now time.Time) map[string]bool {
	if t == nil {
		return nil
	}
	var out map[string]bool
	for name, until := range t.indexes {
		if !now.Before(until) {
			delete(t.indexes, name)
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[name] = true
	}
	return out
}

// pitrUnavailable reports whether point-in-time recovery cannot be enabled
// yet at now: the table is within window after it became ACTIVE.
func (t *tableState) pitrUnavailable(now time.Time, window time.Duration) bool {
	return t != nil && !t.activeAt.IsZero() && now.Before(t.activeAt.Add(window))
}

// table returns the state of name, creating it if create is set.
func (s *Shim) table(name string, create bool) *tableState {
	t := s.tables[name]
	if t == nil && create {
		t = &tableState{}
		s.tables[name] = t
	}
	return t
}
