// Command sentinel-bootstrap provisions what Sentinel needs in AWS: one SSM
// policy parameter per AWS profile and the DynamoDB tables for approvals,
// break-glass events and server sessions. It is a thin command-line front end
// to github.com/sentinel-tools/bootstrap: it shows the plan, asks once, and
// applies.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	// Policies' time zones are checked with time.LoadLocation: with Go's
	// own zone database, the CLI judges them alike on every machine, with
	// or without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// version is the version printed by --version; release builds set it with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

const progName = "sentinel-bootstrap"

func main() {
	ctx, stop := interrupts()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// app is one invocation.
type app struct {
	ctx            context.Context // cancelled by SIGINT or SIGTERM
	c              *cli
	defs           []flagDef
	stdin          io.Reader
	stdout, stderr io.Writer

	obs      *observer
	aws      *awsSetup
	stderrMu sync.Mutex
}

// run is the whole command; it returns the exit status (see exitCode).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, defs, err := parseArgs(args)
	a := &app{ctx: ctx, c: c, defs: defs, stdin: stdin, stdout: stdout, stderr: stderr, obs: &observer{}}
	if err != nil {
		// The usage error may come before the flag was parsed.
		c.detailedExitcode = slices.ContainsFunc(args, func(a string) bool {
			return a == "--detailed-exitcode" || strings.HasPrefix(a, "--detailed-exitcode=")
		})
		return a.exit(err)
	}
	switch {
	case c.help || c.command == commandHelp:
		fmt.Fprint(stdout, usageText(defs))
		return exitOK
	case c.version || c.command == commandVersion:
		fmt.Fprintf(stdout, "%s %s\n", progName, buildVersion())
		return exitOK
	case c.command == commandCompletion:
		fmt.Fprint(stdout, completionScript(c.shell, defs))
		return exitOK
	}
	return a.exit(a.main())
}

// exit prints err, if any, as one line on stderr, and returns the exit
// status.
func (a *app) exit(err error) int {
	if err != nil && !errors.Is(err, errChangesPending) {
		a.errorLine(errorText(err, a.c))
	}
	return exitCode(err, a.c.detailedExitcode)
}

// errorLine prints one line on stderr, "sentinel-bootstrap: …".
func (a *app) errorLine(msg string) {
	a.stderrMu.Lock()
	defer a.stderrMu.Unlock()
	fmt.Fprintf(a.stderr, "%s: %s\n", progName, msg)
}

func (a *app) main() error {
	c := a.c
	switch {
	case c.json && !c.plan && !c.yes:
		return usagef("--json never prompts: pass --plan to see the plan, or --yes to apply")
	case c.detailedExitcode && !c.plan:
		return usagef("--detailed-exitcode goes with --plan: it tells a plan with changes (2) from one without (0)")
	}
	if err := c.checkExportFlags(); err != nil {
		return err
	}
	opts, err := c.options(a.defs)
	if err != nil {
		return err
	}
	if c.export != "" {
		return a.export(opts)
	}
	s, err := c.loadAWS(a.ctx)
	if err != nil {
		return a.stopped(err, nil)
	}
	if err := a.validate(s.cfg, opts); err != nil {
		return err
	}
	a.observe(s)
	if err := s.checkCredentials(a.ctx); err != nil {
		return a.stopped(err, nil)
	}
	a.aws = s
	if c.json {
		return a.runJSON(opts)
	}
	return a.runInteractive(opts)
}

// validate runs the library's validation of opts, and nothing more (no AWS
// call), so bad input is reported before credentials are looked for.
func (a *app) validate(cfg aws.Config, opts []bootstrap.Option) error {
	return bootstrap.Validate(cfg, opts...)
}

// call runs Run, or Destroy with --destroy.
func (a *app) call(ctx context.Context, cfg aws.Config, opts []bootstrap.Option) (*bootstrap.Report, error) {
	if a.c.destroy {
		return bootstrap.Destroy(ctx, cfg, opts...)
	}
	return bootstrap.Run(ctx, cfg, opts...)
}

// plan runs the library in plan mode.
func (a *app) plan(opts []bootstrap.Option) (*bootstrap.Report, error) {
	return a.call(a.ctx, a.aws.cfg, append(opts, bootstrap.WithPlanOnly()))
}

// apply runs the library for real, showing progress on w.
func (a *app) apply(opts []bootstrap.Option, w io.Writer) (*bootstrap.Report, error) {
	live := isTerminal(w) && !a.c.debug
	width := func() int { return defaultWidth }
	if fd, ok := fdOf(w); ok && live {
		tw := watchWidth(fd)
		defer tw.stop()
		width = tw.get
	}
	verb := "ready"
	if a.c.destroy {
		verb = "deleted"
	}
	prog := newProgress(w, live, width, verb)
	rep, err := a.call(a.ctx, a.aws.cfg, append(opts, bootstrap.WithProgress(prog.event)))
	prog.finish()
	return rep, err
}

// stopped turns err into the interrupt's error when a signal came: rep is
// what was applied before it (nil when the apply never began).
func (a *app) stopped(err error, rep *bootstrap.Report) error {
	if se, ok := interrupted(a.ctx); ok {
		return interruptError{sig: se, msg: interruptedText(se, rep, a.c.destroy, a.c.plan)}
	}
	return err
}

// observe adds the observer to every client made from s's configuration
// (with --debug, it also prints each failed attempt).
func (a *app) observe(s *awsSetup) {
	if a.c.debug {
		a.obs.debug = a.errorLine
	}
	s.cfg.APIOptions = append(s.cfg.APIOptions, a.obs.addTo)
}

// unreachable is the one error for endpoints that never answered, when
// that is why the plan failed; nil otherwise.
func (a *app) unreachable(err error) error {
	line := a.obs.unreachable()
	if err == nil || line == "" {
		return nil
	}
	hint := "check your network and the endpoint settings (AWS_ENDPOINT_URL and the like)"
	if a.c.set["endpoint-url"] {
		hint = "check --endpoint-url, and that the endpoint is running"
	}
	return fmt.Errorf("%s: %s; nothing was changed", line, hint)
}

// pending reports whether a plan has something to apply (or to delete).
func pending(rep *bootstrap.Report) bool {
	s := rep.Summary
	return s.Create+s.Update+s.Unknown+s.Delete > 0
}

// runJSON prints only the Report on stdout; it never prompts.
func (a *app) runJSON(opts []bootstrap.Option) error {
	var rep *bootstrap.Report
	var err error
	if a.c.plan {
		rep, err = a.plan(opts)
		if _, ok := interrupted(a.ctx); ok {
			return a.stopped(err, nil)
		}
	} else {
		rep, err = a.apply(opts, a.stderr)
	}
	if rep != nil {
		out, merr := json.MarshalIndent(rep, "", "  ")
		if merr != nil {
			return merr
		}
		a.stdout.Write(append(out, '\n'))
	}
	if _, ok := interrupted(a.ctx); ok {
		return a.stopped(err, rep)
	}
	// After an apply, the line (which says nothing was changed) holds only
	// if no endpoint answered at all; otherwise the report says what was.
	if u := a.unreachable(err); u != nil && (a.c.plan || !a.obs.answeredAny()) {
		return u
	}
	switch {
	case err != nil:
		return err
	case a.c.plan && a.c.detailedExitcode && pending(rep):
		return errChangesPending
	}
	return nil
}

// runInteractive plans, prints the plan, asks, applies and prints the results.
func (a *app) runInteractive(opts []bootstrap.Option) error {
	c := a.c
	out := printer{w: a.stdout, color: wantColor(a.stdout, c.noColor)}
	plan, err := a.plan(opts)
	if _, ok := interrupted(a.ctx); ok || plan == nil {
		return a.stopped(err, nil)
	}
	if u := a.unreachable(err); u != nil {
		return u
	}
	if c.destroy {
		out.printDestroyPlan(plan, a.aws)
	} else {
		out.printPlan(plan, a.aws)
	}
	if c.plan {
		out.printIAM(plan.IAMPolicies)
		switch {
		case err != nil:
			return err
		case c.detailedExitcode && pending(plan):
			return errChangesPending
		}
		return nil
	}
	if !pending(plan) {
		if err != nil {
			return err // only failures: there is nothing that applying could do
		}
		if c.destroy {
			fmt.Fprintln(a.stdout, "\nNothing to delete.")
		} else {
			fmt.Fprintln(a.stdout, "\nNo changes: everything is up to date.")
			out.printIAM(plan.IAMPolicies)
		}
		return nil
	}
	question, doing, cancelled := "\nDo you want to apply these changes? [y/N] ", "\nApplying...", "Apply cancelled."
	if c.destroy {
		question, doing, cancelled = "\nDo you want to delete these resources? [y/N] ", "\nDeleting...", "Destroy cancelled."
	}
	if !c.yes {
		yes, answered := ask(a.ctx, a.stdin, a.stdout, question)
		switch {
		case a.ctx.Err() != nil:
			return a.stopped(nil, nil)
		case !answered:
			fmt.Fprintln(a.stdout)
			return usagef("no answer on stdin, so nothing was applied; pass --yes to apply without asking")
		case !yes:
			fmt.Fprintln(a.stdout, cancelled)
			return nil
		}
	}
	if a.ctx.Err() != nil {
		return a.stopped(nil, nil)
	}
	fmt.Fprintln(a.stdout, doing)
	rep, err := a.apply(opts, a.stdout)
	if rep == nil { // cannot happen: the options were valid for the plan
		return a.stopped(err, nil)
	}
	out.printResults(rep)
	out.printIAM(rep.IAMPolicies)
	return a.stopped(err, rep)
}

// buildVersion is version, or the module version the binary was built
// from (go install …@v1.2.3) when version was not set at link time.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// durationText renders an elapsed time in whole seconds: 0s, 12s, 1m5s.
func durationText(d time.Duration) string {
	return d.Round(time.Second).String()
}
