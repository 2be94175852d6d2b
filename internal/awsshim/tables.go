package awsshim

import "time"

// tableState is the AWS-like timing of one table. Guarded by Shim.mu.
type tableState struct {
	// activeAt is when CREATING ends; zero for tables not created through
	// the shim (they are ACTIVE and have no PITR window).
	activeAt time.Time
	// createdAt is when the CreateTable answer was made (CREATING began);
	// noticedAt is when a DescribeTable answer first showed the table no
	// longer CREATING (zero until then). See TableTimings.
	createdAt, noticedAt time.Time
	// indexes maps a global secondary index being created to when its
	// creation ends.
	indexes map[string]time.Time
	// sse is the SSEDescription set by an UpdateTable asking for KMS, which
	// moto ignores; nil when there was none.
	sse map[string]any
	// invisibleUntil is when the table becomes visible after its
	// CreateTable (Options.InvisibleFor); zero when it always was.
	invisibleUntil time.Time
	// The states set by SetTableStatus, SetIndexStatus and SetSSEStatus;
	// "" (and a nil map) when none is set.
	status, sseStatus string
	indexStatus       map[string]indexState
}

// indexState is an IndexStatus and Backfilling set by SetIndexStatus.
type indexState struct {
	status      string
	backfilling bool
}

// invisible reports whether the table is not to be found at now.
func (t *tableState) invisible(now time.Time) bool {
	return t != nil && now.Before(t.invisibleUntil)
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

// TableTiming is the CREATING window of a table created through the shim,
// and when a client was first told that it had ended.
type TableTiming struct {
	// Created is when the shim answered the CreateTable: CREATING began.
	Created time.Time
	// Active is when CREATING ended (Created + Options.CreatingFor).
	Active time.Time
	// Noticed is when a DescribeTable answer first showed the table ACTIVE;
	// zero if none has yet. Noticed − Active is how long the client took to
	// learn that the table was ready: its polling lag plus one round trip.
	Noticed time.Time
}

// TableTimings returns the timing of every table created through the shim
// (and not deleted since), by table name. Reset keeps it.
func (s *Shim) TableTimings() map[string]TableTiming {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]TableTiming, len(s.tables))
	for name, t := range s.tables {
		if t.createdAt.IsZero() {
			continue
		}
		out[name] = TableTiming{Created: t.createdAt, Active: t.activeAt, Noticed: t.noticedAt}
	}
	return out
}
