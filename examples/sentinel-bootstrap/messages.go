package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/sentinel-tools/bootstrap"
)

// Exit statuses. An interrupt exits with 128 + the signal's number.
const (
	exitOK      = 0
	exitFailure = 1 // a resource failed, AWS refused, no credentials
	exitUsage   = 2 // usage or validation error (1 with --detailed-exitcode)
	exitChanges = 2 // --plan --detailed-exitcode: changes pending
)

// errChangesPending is what a --plan --detailed-exitcode with changes
// "fails" with: exit status 2, and no message.
var errChangesPending = errors.New("changes pending")

// exitCode is the exit status for err; detailed is --detailed-exitcode,
// under which usage errors are 1, as in terraform.
func exitCode(err error, detailed bool) int {
	var se signalError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return se.exitCode()
	case errors.Is(err, errChangesPending):
		return exitChanges
	case isUsage(err) && detailed:
		return exitFailure
	case isUsage(err):
		return exitUsage
	}
	return exitFailure
}

// isUsage reports a mistake of the caller's, found before any AWS call.
func isUsage(err error) bool {
	return errors.Is(err, errUsage) || errors.Is(err, bootstrap.ErrInvalidConfig)
}

// errUsage marks errors that are the caller's mistake.
var errUsage = errors.New("usage error")

// usageError is a usage mistake with a one-line message.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// optionFlags maps the library's option names to this command's flags.
var optionFlags = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, d := range (&cli{}).flags() {
		if d.option != "" {
			m[d.option] = d.name
		}
	}
	return m
})

// flagFor names the flag behind a library option, as in "--profile".
func flagFor(option string) (string, bool) {
	f, ok := optionFlags()[option]
	if !ok {
		return option, false
	}
	if f == "region" {
		return "--region (or AWS_REGION)", true
	}
	return "--" + f, true
}

var optionName = regexp.MustCompile(`\bWith(?:out)?[A-Z][A-Za-z0-9]*(?:\(\))?`)

// cliText rewrites a library message for the command line: option names
// become flags.
func cliText(s string) string {
	flags := optionFlags()
	s = optionName.ReplaceAllStringFunc(s, func(m string) string {
		if f, ok := flags[strings.TrimSuffix(m, "()")]; ok {
			return "--" + f
		}
		return m
	})
	return textFixes.Replace(s)
}

var textFixes = strings.NewReplacer(
	"drop the option", "drop the flag",
	"leave the option out", "leave the flag out",
	"set cfg.Region (for example through AWS_REGION)", "set AWS_REGION (or region in your AWS config file)",
	", WithNameSuffix included", "", // the command has no name suffix
	", the CLI's --s3-bucket", "", // the option, once named as its flag
)

// errorText says what went wrong and what to do, in one line, naming flags
// rather than library options.
func errorText(err error, c *cli) string {
	var ce *bootstrap.ConfigError
	var ie *bootstrap.IncompleteError
	switch {
	case errors.As(err, &ce):
		return configErrorText(ce, c)
	case errors.As(err, &ie):
		return incompleteText(ie, c)
	}
	return oneLine(cliText(err.Error()))
}

func configErrorText(e *bootstrap.ConfigError, c *cli) string {
	flagName, known := flagFor(e.Option)
	reason := cliText(e.Reason)
	if e.Value == "" && known && !c.set[optionFlags()[e.Option]] {
		// Something is missing rather than wrong, e.g. "nothing selected".
		return oneLine(reason)
	}
	value := e.Value
	if e.Option == "WithPolicy" {
		for _, kv := range c.policyFiles {
			if kv.key == e.Value {
				value = kv.key + "=" + kv.value
				break
			}
		}
	}
	return oneLine(fmt.Sprintf("invalid %s %q: %s", flagName, value, reason))
}

func incompleteText(e *bootstrap.IncompleteError, c *cli) string {
	n := len(e.Failed)
	what := fmt.Sprintf("%d resource", n)
	if n != 1 {
		what += "s"
	}
	where := "the errors above"
	if c.json {
		where = `the "error" fields of the report`
	}
	return fmt.Sprintf("%s failed (%s): see %s, fix the cause and run again", what, listText(e.Failed), where)
}

// listText joins names, shortening a long list.
func listText(names []string) string {
	const show = 5
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
}

// oneLine collapses whitespace, so that every message is one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
