package awsshim

import "net/http"

// Lost CreateTable answers: AWS carried the call out, but the answer never
// reached the client (a timeout, a reset connection). The SDK retries, and
// the retry gets ResourceInUseException for the table its first attempt
// created.

// DropCreateAnswer arms the shim to drop the answer of the next CreateTable
// of table that moto carries out (a CreateTable moto refuses does not use
// it up): the table is created, then the connection is closed without an
// answer. The drop is logged as a FaultDropAfter fault.
func (s *Shim) DropCreateAnswer(table string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropArmed[table] = true
}

// takeCreateDrop reports whether the answer of a CreateTable of table that
// moto carried out is to be dropped, and uses the arming up.
func (s *Shim) takeCreateDrop(table string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.dropArmed[table]:
		delete(s.dropArmed, table)
	case s.opts.DropFirstCreateAnswer && !s.dropDone[table]:
	default:
		return false
	}
	s.dropDone[table] = true
	return true
}

// dropAnswer closes the connection of call idx without an answer and logs
// it as a FaultDropAfter fault. On the answer of a FaultDropAfter fault,
// which is dropped (and logged) already, it does nothing.
func (s *Shim) dropAnswer(w http.ResponseWriter, idx int, c call) {
	if _, ok := w.(*discardWriter); ok {
		return
	}
	s.mu.Lock()
	s.st.fault(idx, c, FaultDropAfter)
	s.mu.Unlock()
	drop(w)
}
