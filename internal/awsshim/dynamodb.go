package awsshim

import (
	"net/http"
	"time"
)

// ddbInspected are the DynamoDB operations whose requests and answers the
// shim looks into; all others are forwarded untouched.
var ddbInspected = map[string]bool{
	"CreateTable":               true,
	"DescribeTable":             true,
	"DescribeTimeToLive":        true,
	"DescribeContinuousBackups": true,
	"UpdateTable":               true,
	"DeleteTable":               true,
	"UpdateTimeToLive":          true,
	"UpdateContinuousBackups":   true,
	"TagResource":               true,
	"UntagResource":             true,
	"ListTagsOfResource":        true,
}

// ddbChanges are the operations AWS refuses while a table is CREATING (or
// in another state that is not ACTIVE).
var ddbChanges = map[string]bool{
	"UpdateTimeToLive":        true,
	"UpdateContinuousBackups": true,
	"UpdateTable":             true,
	"TagResource":             true,
	"UntagResource":           true,
}

// ddbHidden are the operations that do not find a table within its
// Options.InvisibleFor window.
var ddbHidden = map[string]bool{
	"DescribeTable":             true,
	"DescribeTimeToLive":        true,
	"DescribeContinuousBackups": true,
	"ListTagsOfResource":        true,
	"UpdateTimeToLive":          true,
	"UpdateContinuousBackups":   true,
	"UpdateTable":               true,
	"TagResource":               true,
	"UntagResource":             true,
}

// ddbBefore answers a request itself, without forwarding it, when AWS would
// refuse it because of the table's state. It reports whether it answered.
func (s *Shim) ddbBefore(w http.ResponseWriter, c call, req *ddbRequest) bool {
	if !ddbChanges[c.op] && !ddbHidden[c.op] {
		return false
	}
	name := req.table()
	now := time.Now()
	var code, msg string
	s.mu.Lock()
	t := s.tables[name]
	why := t.refusal(c.op)
	switch {
	case ddbHidden[c.op] && t.invisible(now):
		code, msg = "ResourceNotFoundException", "Requested resource not found: Table: "+name+" not found"
	case !ddbChanges[c.op]:
	case t.status == "" && t.creating(now): // a status set replaces the CREATING window
		code, msg = "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being created: "+name
	case why != "":
		code, msg = "ResourceInUseException", "Attempt to change a resource which is still in use: "+why+": "+name
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
	var edits []func(map[string]any)
	s.mu.Lock()
	switch c.op {
	case "CreateTable":
		t := s.table(name, true)
		t.activeAt, t.indexes = now.Add(s.opts.CreatingFor), nil
		t.createdAt, t.noticedAt = now, time.Time{}
		t.invisibleUntil = now.Add(s.opts.InvisibleFor)
		if s.opts.CreatingFor > 0 {
			key, edits = "TableDescription", append(edits, markCreating)
		}
	case "DescribeTable":
		key = "Table"
		t := s.tables[name]
		if t != nil && !t.createdAt.IsZero() && t.noticedAt.IsZero() && !t.creating(now) {
			t.noticedAt = now // the first answer that shows it ACTIVE
		}
		if t.creating(now) {
			edits = append(edits, markCreating) // a status set is shown over it
		} else if idx := t.creatingIndexes(now); len(idx) > 0 {
			edits = append(edits, markIndexesCreating(idx))
		}
		if t != nil && t.sse != nil {
			edits = append(edits, withSSE(t.sse))
		}
		if t.hasStates() {
			edits = append(edits, t.statesEdit())
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
			key, edits = "TableDescription", append(edits, markIndexesCreating(idx))
		}
		if t := s.tables[name]; t != nil && t.sse != nil {
			// moto's answer forgets the encryption it ignored; AWS's
			// UpdateTable answer shows it, as DescribeTable does.
			key, edits = "TableDescription", append(edits, withSSE(t.sse))
		}
	case "DeleteTable":
		delete(s.tables, name)
	}
	s.mu.Unlock()
	if len(edits) == 0 {
		return body, false, nil
	}
	out, err := rewriteTable(body, key, func(desc map[string]any) {
		for _, edit := range edits {
			edit(desc)
		}
	})
	if err != nil {
		return body, false, err
	}
	return out, true, nil
}
