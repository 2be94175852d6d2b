package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sentinel-tools/bootstrap"
)

// item is one parameter or table of a Report, as printed.
type item struct {
	kind     string // "parameter" or "table"
	name     string // with the table's purpose
	action   string
	status   string
	version  int64
	changes  []string
	err      string
	warnings []string
}

func items(rep *bootstrap.Report) []item {
	var out []item
	for _, p := range rep.Parameters {
		out = append(out, item{kind: "parameter", name: p.Name, action: p.Action, status: p.Status,
			version: p.Version, err: p.Error, warnings: p.Warnings})
	}
	for _, t := range rep.Tables {
		out = append(out, item{kind: "table", name: t.Name + " (" + t.Purpose + ")", action: t.Action, status: t.Status,
			changes: t.Changes, err: t.Error, warnings: t.Warnings})
	}
	return out
}

// symbol is the terraform-like mark of a result.
func symbol(action, status string) string {
	if status == bootstrap.StatusFailed {
		return "!"
	}
	switch action {
	case bootstrap.ActionCreate:
		return "+"
	case bootstrap.ActionUpdate:
		return "~"
	case bootstrap.ActionNone:
		return "="
	case bootstrap.ActionDelete:
		return "-"
	}
	return "?"
}

// line prints the head line of an item: "  + parameter  /sentinel/policies/dev".
func (it item) line(w io.Writer, tail string) {
	fmt.Fprintf(w, "  %s %-10s %s%s\n", symbol(it.action, it.status), it.kind, it.name, tail)
}

// details prints an item's changes, error and warnings, indented under it.
// A failed item shows its error instead of its changes: they were not made.
func (it item) details(w io.Writer, changes bool) {
	if changes && it.status != bootstrap.StatusFailed {
		for _, c := range it.changes {
			fmt.Fprintf(w, "      %s\n", c)
		}
	}
	if it.err != "" {
		label := "error"
		if it.status != bootstrap.StatusFailed {
			label = "note" // e.g. an unknown action: the resource could not be read
		}
		fmt.Fprintf(w, "      %s: %s\n", label, cliText(it.err))
	}
	for _, warn := range it.warnings {
		fmt.Fprintf(w, "      warning: %s\n", cliText(warn))
	}
}

// printPlan prints a plan-mode Report like terraform's plan.
func printPlan(w io.Writer, rep *bootstrap.Report) {
	fmt.Fprintf(w, "Plan for region %s, policy root %s:\n\n", rep.Region, rep.PolicyRoot)
	for _, it := range items(rep) {
		tail := ""
		if it.kind == "parameter" && it.action == bootstrap.ActionNone && it.version > 0 {
			tail = fmt.Sprintf(" (version %d)", it.version)
		}
		it.line(w, tail)
		it.details(w, it.action == bootstrap.ActionCreate || it.action == bootstrap.ActionUpdate)
	}
	s := rep.Summary
	fmt.Fprintf(w, "\nPlan: %d to create, %d to update, %d unchanged%s.\n", s.Create, s.Update, s.None, extraCounts(s))
}

// printResults prints an apply-mode Report.
func printResults(w io.Writer, rep *bootstrap.Report) {
	fmt.Fprintln(w)
	for _, it := range items(rep) {
		word := map[string]string{
			bootstrap.ActionCreate: "created",
			bootstrap.ActionUpdate: "updated",
			bootstrap.ActionNone:   "unchanged",
		}[it.action]
		if word == "" {
			word = "unknown"
		}
		if it.status == bootstrap.StatusFailed {
			word = "failed"
		}
		if it.kind == "parameter" && it.version > 0 && it.status != bootstrap.StatusFailed {
			word += fmt.Sprintf(" (version %d)", it.version)
		}
		it.line(w, ": "+word)
		it.details(w, it.action == bootstrap.ActionUpdate)
	}
	s := rep.Summary
	head := "Apply complete"
	if s.Failed > 0 {
		head = "Apply incomplete"
	}
	unknown := ""
	if s.Unknown > 0 {
		unknown = fmt.Sprintf(", %d unknown", s.Unknown)
	}
	fmt.Fprintf(w, "\n%s: %d created, %d updated, %d unchanged%s, %d failed.\n", head, s.Create, s.Update, s.None, unknown, s.Failed)
}

// extraCounts is ", 1 unknown, 2 failed" for the counts that are not zero.
func extraCounts(s bootstrap.Summary) string {
	var b strings.Builder
	if s.Unknown > 0 {
		fmt.Fprintf(&b, ", %d unknown", s.Unknown)
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", s.Failed)
	}
	return b.String()
}

// printIAM prints the IAM policy documents, each under its name.
func printIAM(w io.Writer, pols []bootstrap.IAMPolicy) {
	if len(pols) == 0 {
		return
	}
	fmt.Fprintln(w, "\nIAM policies:")
	for _, p := range pols {
		var doc bytes.Buffer
		if err := json.Indent(&doc, p.Document, "", "  "); err != nil {
			doc.Reset()
			doc.Write(p.Document)
		}
		fmt.Fprintf(w, "\n# %s: %s\n%s\n", p.Name, p.Description, doc.String())
	}
}
