package main

import (
	"fmt"
	"strings"

	"github.com/sentinel-tools/bootstrap"
)

// What a run did to a table is read from its Action and Done: Done lists
// the changes carried out, so after a failure it says what exists now.

// tableCreated reports a table that this run created: it exists now, even
// if a later step failed. A creation's first change is the creation itself,
// so a failed creation that did anything created the table.
func tableCreated(t bootstrap.TableResult) bool {
	return t.Action == bootstrap.ActionCreate && (t.Status == bootstrap.StatusOK || len(t.Done) > 0)
}

// tableChanged reports a table that this run changed: updated, or partly.
func tableChanged(t bootstrap.TableResult) bool {
	return t.Action == bootstrap.ActionUpdate && (t.Status == bootstrap.StatusOK || len(t.Done) > 0)
}

// partlyDone reports a failed table on which some changes were made.
func partlyDone(t bootstrap.TableResult) bool {
	return t.Status == bootstrap.StatusFailed && len(t.Done) > 0
}

// missing returns the changes the plan asked for that were not done, in
// plan order.
func missing(changes, done []string) []string {
	left := map[string]int{}
	for _, d := range done {
		left[d]++
	}
	var out []string
	for _, c := range changes {
		if left[c] > 0 {
			left[c]--
			continue
		}
		out = append(out, c)
	}
	return out
}

// tally counts the results of an applied (or destroyed) Report for its
// summary line. A table created or changed before it failed counts both
// as created (or updated) and as failed, and as partial.
type tally struct {
	created, updated, unchanged, unknown, deleted, failed int
	partialCreated, partialUpdated                        int
}

func count(rep *bootstrap.Report) tally {
	var n tally
	for _, p := range rep.Parameters {
		switch {
		case p.Status == bootstrap.StatusFailed:
			n.failed++
		case p.Action == bootstrap.ActionCreate:
			n.created++
		case p.Action == bootstrap.ActionDelete:
			n.deleted++
		case p.Action == bootstrap.ActionNone:
			n.unchanged++
		default:
			n.unknown++
		}
	}
	for _, t := range rep.Tables {
		switch {
		case tableCreated(t):
			n.created++
		case tableChanged(t):
			n.updated++
		case t.Status == bootstrap.StatusFailed:
		case t.Action == bootstrap.ActionDelete:
			n.deleted++
		case t.Action == bootstrap.ActionNone:
			n.unchanged++
		default:
			n.unknown++
		}
		if t.Status == bootstrap.StatusFailed {
			n.failed++
			switch {
			case tableCreated(t):
				n.partialCreated++
			case tableChanged(t):
				n.partialUpdated++
			}
		}
	}
	return n
}

// applyLine is the last line of an apply's results.
func applyLine(rep *bootstrap.Report) string {
	n := count(rep)
	head := "Apply complete"
	if n.failed > 0 {
		head = "Apply incomplete"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d created, %d updated, %d unchanged", head, n.created, n.updated, n.unchanged)
	if n.unknown > 0 {
		fmt.Fprintf(&b, ", %d unknown", n.unknown)
	}
	fmt.Fprintf(&b, ", %d failed", n.failed)
	var partial []string
	if n.partialCreated > 0 {
		partial = append(partial, fmt.Sprintf("%d created but not finished", n.partialCreated))
	}
	if n.partialUpdated > 0 {
		partial = append(partial, fmt.Sprintf("%d partly updated", n.partialUpdated))
	}
	if len(partial) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(partial, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// destroyLine is the last line of a destroy's results.
func destroyLine(rep *bootstrap.Report) string {
	n := count(rep)
	head := "Destroy complete"
	if n.failed > 0 {
		head = "Destroy incomplete"
	}
	return fmt.Sprintf("%s: %d deleted, %d absent, %d failed.", head, n.deleted, n.unchanged, n.failed)
}

// doneAndUnfinished names the resources the run changed (created, updated
// or deleted, wholly or in part) and those it did not finish.
func doneAndUnfinished(rep *bootstrap.Report) (done, unfinished []string) {
	for _, t := range rep.Tables {
		if tableCreated(t) || tableChanged(t) || (t.Action == bootstrap.ActionDelete && t.Status == bootstrap.StatusOK) {
			done = append(done, "table "+t.Name)
		}
		if t.Status == bootstrap.StatusFailed {
			unfinished = append(unfinished, "table "+t.Name)
		}
	}
	for _, p := range rep.Parameters {
		switch {
		case p.Status == bootstrap.StatusFailed:
			unfinished = append(unfinished, "parameter "+p.Name)
		case p.Action == bootstrap.ActionCreate || p.Action == bootstrap.ActionDelete:
			done = append(done, "parameter "+p.Name)
		}
	}
	return done, unfinished
}

// interruptedText is the last line after an interrupt: what was done, what
// was not, and what to run. rep is nil when the apply never began.
func interruptedText(se signalError, rep *bootstrap.Report, destroy, planOnly bool) string {
	again := "run the same command again to apply"
	switch {
	case planOnly:
		again = "run the same command again for the plan"
	case destroy:
		again = "run the same command again to delete"
	}
	if rep == nil || rep.Mode == bootstrap.ModePlan {
		return fmt.Sprintf("%s before anything was changed; %s", se, again)
	}
	done, unfinished := doneAndUnfinished(rep)
	verb := "changed"
	if destroy {
		verb = "deleted"
	}
	what := "nothing was " + verb
	if len(done) > 0 {
		what = verb + " " + listText(done)
	}
	if len(unfinished) == 0 {
		return fmt.Sprintf("%s after the last change: %s; nothing is left to do", se, what)
	}
	return fmt.Sprintf("%s: %s; not finished: %s; run the same command again to finish", se, what, listText(unfinished))
}
