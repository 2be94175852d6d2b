package awsshim

import (
	"net/http"
	"time"
)

// ddbInspected are the DynamoDB operations whose requests and answers the
// shim looks into; all others are forwarded untouched.
var ddbInspected = map[string]bool{
	"CreateTable":             true,
	"DescribeTable":           true,
	"UpdateTable":             true,
	"DeleteTable":             true,
	"UpdateTimeToLive":        true,
	"UpdateContinuousBackups": true,
	"TagResource":             true,
	"ListTagsOfResource":      true,
}

// ddbChanges are the operations AWS refuses while a table is CREATING.
var ddbChanges = map[string]bool{
	"UpdateTimeToLive":        true,
	"UpdateContinuousBackups": true,
	"UpdateTable":             true,
	"TagResource":             true,
}

// ddbBefore answers a request itself, without forwarding it, when AWS would
// refuse it because of the table's state. It reports whether it answered.
func (s *Shim) ddbBefore(w http.ResponseWriter, c call, req *ddbRequest) bool {
	if !ddbChanges[c.op] {
		return false
	}
	name := req.table()
	now := time.Now()
	var code, msg string
	s.mu.Lock()
	t := s.tables[name]
	switch {
	case t.creating(now):
		code, msg = "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: "+name
	case c.op == "UpdateTable" && len(t.creatingIndexes(now)) > 0:
		code, msg = "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being updated: "+name
	case c.op == "UpdateContinuousBackups" && t.pitrUnavailable(now, s.opts.PITRUnavailableFor):
		code, msg = "ContinuousBackupsUnavailableException", "Backups are being enabled for the table: "+name+". Please retry later"
	}
	s.mu.Unlock()
	if code == "" {
		return false
	}
	writeError(w, c, http.StatusBadRequest, code, msg)
	return true
}

// ddbAfter updates the table timing state after a successful upstream answer
// and returns the answer body as AWS would send it, and whether it changed.
func (s *Shim) ddbAfter(c call, req *ddbRequest, body []byte) ([]byte, bool, error) {
	name := req.table()
	now := time.Now()
	var key string
	var edit func(map[string]any)
	s.mu.Lock()
	switch c.op {
	case "CreateTable":
		t := s.table(name, true)
		t.activeAt, t.indexes = now.Add(s.opts.CreatingFor), nil
		t.createdAt, t.noticedAt = now, time.Time{}
		if s.opts.CreatingFor > 0 {
			key, edit = "TableDescription", markCreating
		}
	case "DescribeTable":
		t := s.tables[name]
		if t != nil && !t.createdAt.IsZero() && t.noticedAt.IsZero() && !t.creating(now) {
			t.noticedAt = now // the first answer that shows it ACTIVE
		}
		if t.creating(now) {
			key, edit = "Table", markCreating
		} else if idx := t.creatingIndexes(now); len(idx) > 0 {
			key, edit = "Table", markIndexesCreating(idx)
		}
		if t != nil && t.sse != nil {
			key, edit = "Table", withSSE(t.sse, edit)
		}
	case "UpdateTable":
		if sse := req.kmsEncryption(); sse != nil {
			s.table(name, true).sse = sse
		}
		if created := req.createdIndexes(); len(created) > 0 && s.opts.IndexCreatingFor > 0 {
			t := s.table(name, true)
			if t.indexes == nil {
				t.indexes = map[string]time.Time{}
			}
			for _, idx := range created {
				t.indexes[idx] = now.Add(s.opts.IndexCreatingFor)
			}
		}
		if idx := s.tables[name].creatingIndexes(now); len(idx) > 0 {
			key, edit = "TableDescription", markIndexesCreating(idx)
		}
	case "DeleteTable":
		delete(s.tables, name)
	}
	s.mu.Unlock()
	if edit == nil {
		return body, false, nil
	}
	out, err := rewriteTable(body, key, edit)
	if err != nil {
		return body, false, err
	}
	return out, true, nil
}
