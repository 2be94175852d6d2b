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
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// version is the version printed by --version; release builds set it with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

const progName = "sentinel-bootstrap"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status: 0 success, 1 a
// resource failed or AWS refused, 2 a usage or validation error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c, err := parseArgs(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usageText())
		return 0
	case err != nil:
		return exitStatus(stderr, err, c)
	case c.showVersion:
		fmt.Fprintf(stdout, "%s %s\n", progName, buildVersion())
		return 0
	case c.json && !c.plan && !c.yes:
		return exitStatus(stderr, usagef("--json never prompts: pass --plan to see the plan, or --yes to apply"), c)
	}
	opts, err := c.options()
	if err != nil {
		return exitStatus(stderr, err, c)
	}
	cfg, err := c.loadConfig(context.Background())
	if err != nil {
		return exitStatus(stderr, err, c)
	}
	a := &app{c: c, cfg: cfg, opts: opts, stdin: stdin, stdout: stdout, stderr: stderr}
	if c.json {
		return a.runJSON()
	}
	return a.runInteractive()
}

// app is one invocation, after the flags are parsed.
type app struct {
	c              *cli
	cfg            aws.Config
	opts           []bootstrap.Option
	stdin          io.Reader
	stdout, stderr io.Writer
}

// bootstrap runs the library with the common options plus extra; Ctrl-C
// (or SIGTERM) cancels the run, which then reports what it finished.
func (a *app) bootstrap(extra ...bootstrap.Option) (*bootstrap.Report, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := append(append([]bootstrap.Option(nil), a.opts...), extra...)
	return bootstrap.Run(ctx, a.cfg, opts...)
}

// runJSON prints only the Report on stdout; it never prompts.
func (a *app) runJSON() int {
	var extra []bootstrap.Option
	var prog *progress
	if a.c.plan {
		extra = append(extra, bootstrap.WithPlanOnly())
	} else {
		prog = newProgress(a.stderr)
		extra = append(extra, bootstrap.WithProgress(prog.event))
	}
	rep, err := a.bootstrap(extra...)
	if prog != nil {
		prog.finish()
	}
	if rep != nil {
		out, merr := json.MarshalIndent(rep, "", "  ")
		if merr != nil {
			return exitStatus(a.stderr, merr, a.c)
		}
		a.stdout.Write(append(out, '\n'))
	}
	if err != nil {
		return exitStatus(a.stderr, err, a.c)
	}
	return 0
}

// runInteractive plans, prints the plan, asks, applies and prints the results.
func (a *app) runInteractive() int {
	plan, err := a.bootstrap(bootstrap.WithPlanOnly())
	if plan == nil {
		return exitStatus(a.stderr, err, a.c)
	}
	printPlan(a.stdout, plan)
	if a.c.plan {
		printIAM(a.stdout, plan.IAMPolicies)
		return exitStatus(a.stderr, err, a.c)
	}
	if s := plan.Summary; s.Create+s.Update+s.Unknown == 0 {
		if err != nil {
			// Only failures: there is nothing that applying could do.
			return exitStatus(a.stderr, err, a.c)
		}
		fmt.Fprintln(a.stdout, "\nNo changes: everything is up to date.")
		printIAM(a.stdout, plan.IAMPolicies)
		return 0
	}
	if !a.c.yes {
		yes, answered := ask(a.stdin, a.stdout, "\nDo you want to apply these changes? [y/N] ")
		if !answered {
			fmt.Fprintln(a.stdout)
			return exitStatus(a.stderr, usagef("no answer on stdin, so nothing was applied; pass --yes to apply without asking"), a.c)
		}
		if !yes {
			fmt.Fprintln(a.stdout, "Apply cancelled.")
			return 0
		}
	}
	fmt.Fprintln(a.stdout, "\nApplying...")
	prog := newProgress(a.stdout)
	rep, err := a.bootstrap(bootstrap.WithProgress(prog.event))
	prog.finish()
	if rep == nil { // cannot happen: the options were valid for the plan
		return exitStatus(a.stderr, err, a.c)
	}
	printResults(a.stdout, rep)
	printIAM(a.stdout, rep.IAMPolicies)
	return exitStatus(a.stderr, err, a.c)
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
