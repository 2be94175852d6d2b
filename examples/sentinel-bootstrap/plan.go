package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sentinel-tools/bootstrap"
)

// printer prints plans and results, in colour when it may.
type printer struct {
	w     io.Writer
	color bool
}

// ANSI colours of the symbols.
const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	reset  = "\x1b[0m"
)

func (p printer) paint(color, s string) string {
	if !p.color || color == "" {
		return s
	}
	return color + s + reset
}

// item is one parameter, signature or table of a Report, as printed.
type item struct {
	kind     string // "parameter", "signature" or "table"
	name     string // with the table's purpose
	action   string
	status   string
	version  int64
	changes  []string
	done     []string
	err      string
	warnings []string
	created  bool // a table this run created, even if it then failed
	changed  bool // a table this run changed, even if it then failed
}

func items(rep *bootstrap.Report) []item {
	var out []item
	for _, p := range rep.Parameters {
		out = append(out, item{kind: "parameter", name: p.Name, action: p.Action, status: p.Status,
			version: p.Version, err: p.Error, warnings: p.Warnings})
		if s := p.Signature; s != nil {
			out = append(out, item{kind: "signature", name: s.Name, action: s.Action, status: s.Status, err: s.Error, warnings: s.Warnings})
		}
	}
	for _, t := range rep.Tables {
		out = append(out, item{kind: "table", name: t.Name + " (" + t.Purpose + ")", action: t.Action, status: t.Status,
			changes: t.Changes, done: t.Done, err: t.Error, warnings: t.Warnings,
			created: tableCreated(t), changed: tableChanged(t)})
	}
	return out
}

// symbol is the terraform-like mark of a result, and its colour.
func symbol(action, status string) (string, string) {
	if status == bootstrap.StatusFailed {
		return "!", red
	}
	switch action {
	case bootstrap.ActionCreate:
		return "+", green
	case bootstrap.ActionUpdate:
		return "~", yellow
	case bootstrap.ActionNone:
		return "=", ""
	case bootstrap.ActionDelete:
		return "-", red
	}
	return "?", yellow
}

// line prints the head line of an item: "  + parameter  /sentinel/policies/dev".
func (p printer) line(it item, tail string) {
	sym, color := symbol(it.action, it.status)
	fmt.Fprintf(p.w, "  %s %-10s %s%s\n", p.paint(color, sym), it.kind, it.name, tail)
}

// details prints an item's changes, error and warnings, indented under it.
// A failed item shows its error instead of its changes, and what was done
// and what is still missing when it got part of the way.
func (p printer) details(it item, changes bool) {
	switch {
	case it.status == bootstrap.StatusFailed && len(it.done) > 0:
		fmt.Fprintf(p.w, "      done: %s\n", strings.Join(it.done, ", "))
		if m := missing(it.changes, it.done); len(m) > 0 {
			fmt.Fprintf(p.w, "      still missing: %s\n", strings.Join(m, ", "))
		}
	case changes && it.status != bootstrap.StatusFailed:
		for _, c := range it.changes {
			fmt.Fprintf(p.w, "      %s\n", c)
		}
	}
	if it.err != "" {
		label, color := "error", red
		if it.status != bootstrap.StatusFailed {
			label, color = "note", "" // e.g. an unknown action: the resource could not be read
		}
		fmt.Fprintf(p.w, "      %s: %s\n", p.paint(color, label), cliText(it.err))
	}
	for _, warn := range it.warnings {
		fmt.Fprintf(p.w, "      %s: %s\n", p.paint(yellow, "warning"), cliText(warn))
	}
}

// header names where the plan applies, one short line each: the region,
// the AWS profile (and whether the environment's credentials win over
// it), and the endpoint when one is set.
func header(rep *bootstrap.Report, s *awsSetup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Region:      %s\n", rep.Region)
	switch {
	case s.credsFromEnv && s.profile == "default":
		b.WriteString("Credentials: from AWS_ACCESS_KEY_ID\n")
	case s.credsFromEnv:
		fmt.Fprintf(&b, "AWS profile: %s (its settings; the credentials are AWS_ACCESS_KEY_ID's)\n", s.profile)
	default:
		fmt.Fprintf(&b, "AWS profile: %s\n", s.profile)
	}
	switch len(s.endpoints) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "Endpoint:    %s\n", s.endpoints[0])
	default:
		fmt.Fprintf(&b, "Endpoints:   %s\n", strings.Join(s.endpoints, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

// printPlan prints a plan-mode Report like terraform's plan.
func (p printer) printPlan(rep *bootstrap.Report, s *awsSetup) {
	fmt.Fprint(p.w, header(rep, s))
	for _, it := range items(rep) {
		tail := ""
		if it.kind == "parameter" && it.action == bootstrap.ActionNone && it.version > 0 {
			tail = fmt.Sprintf(" (version %d)", it.version)
		}
		p.line(it, tail)
		p.details(it, it.action == bootstrap.ActionCreate || it.action == bootstrap.ActionUpdate)
	}
	s2 := rep.Summary
	fmt.Fprintf(p.w, "\nPlan: %d to create, %d to update, %d unchanged%s.\n", s2.Create, s2.Update, s2.None, extraCounts(s2))
}

// printDestroyPlan prints what a destroy would delete.
func (p printer) printDestroyPlan(rep *bootstrap.Report, s *awsSetup) {
	fmt.Fprint(p.w, header(rep, s))
	for _, it := range items(rep) {
		tail := ""
		if it.action == bootstrap.ActionNone && it.status != bootstrap.StatusFailed {
			tail = " (absent)"
		}
		p.line(it, tail)
		p.details(it, false)
	}
	s2 := rep.Summary
	fmt.Fprintf(p.w, "\nPlan: %d to delete, %d absent%s.\n", s2.Delete, s2.None, extraCounts(s2))
}

// printResults prints an apply-mode Report.
func (p printer) printResults(rep *bootstrap.Report) {
	fmt.Fprintln(p.w)
	for _, it := range items(rep) {
		word := map[string]string{
			bootstrap.ActionCreate: "created",
			bootstrap.ActionUpdate: "updated",
			bootstrap.ActionNone:   "unchanged",
			bootstrap.ActionDelete: "deleted",
		}[it.action]
		switch {
		case word == "":
			word = "unknown"
		case it.status == bootstrap.StatusFailed && it.created:
			word = "created, then failed"
		case it.status == bootstrap.StatusFailed && it.changed:
			word = "partly updated, then failed"
		case it.status == bootstrap.StatusFailed:
			word = "failed"
		}
		if it.kind == "parameter" && it.version > 0 && it.status != bootstrap.StatusFailed && it.action != bootstrap.ActionDelete {
			word += fmt.Sprintf(" (version %d)", it.version)
		}
		p.line(it, ": "+word)
		p.details(it, it.action == bootstrap.ActionUpdate)
	}
	if rep.Mode == bootstrap.ModeDestroy {
		fmt.Fprintf(p.w, "\n%s\n", destroyLine(rep))
		return
	}
	fmt.Fprintf(p.w, "\n%s\n", applyLine(rep))
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
func (p printer) printIAM(pols []bootstrap.IAMPolicy) {
	if len(pols) == 0 {
		return
	}
	fmt.Fprintln(p.w, "\nIAM policies:")
	for _, pol := range pols {
		var doc bytes.Buffer
		if err := json.Indent(&doc, pol.Document, "", "  "); err != nil {
			doc.Reset()
			doc.Write(pol.Document)
		}
		fmt.Fprintf(p.w, "\n# %s: %s\n%s\n", pol.Name, pol.Description, doc.String())
	}
}
