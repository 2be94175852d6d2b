package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/sentinel-tools/bootstrap"
)

// optionFlags maps the library's option names to this command's flags.
var optionFlags = map[string]string{
	"WithProfiles":               "profile",
	"WithPolicyRoot":             "policy-root",
	"WithDescription":            "description",
	"WithPolicy":                 "policy-file",
	"WithApprovals":              "with-approvals",
	"WithBreakGlass":             "with-breakglass",
	"WithSessions":               "with-sessions",
	"WithAll":                    "all",
	"WithIAMPolicies":            "generate-iam-policies",
	"WithApprovalTable":          "approval-table",
	"WithBreakGlassTable":        "breakglass-table",
	"WithSessionTable":           "session-table",
	"WithKMSKey":                 "kms-key",
	"WithTags":                   "tag",
	"WithoutDeletionProtection":  "no-deletion-protection",
	"WithoutPointInTimeRecovery": "no-pitr",
	"WithRegion":                 "region",
	"WithWaitTimeout":            "timeout",
	"WithPlanOnly":               "plan",
}

// flagFor names the flag behind a library option, as in "--profile".
func flagFor(option string) (string, bool) {
	f, ok := optionFlags[option]
	if !ok {
		return option, false
	}
	if f == "region" {
		return "--region (or AWS_REGION)", true
	}
	return "--" + f, true
}

var optionName = regexp.MustCompile(`\bWith(?:out)?[A-Z][A-Za-z]*(?:\(\))?`)

// cliText rewrites a library message for the command line: option names
// become flags.
func cliText(s string) string {
	s = optionName.ReplaceAllStringFunc(s, func(m string) string {
		if f, ok := optionFlags[strings.TrimSuffix(m, "()")]; ok {
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
)

// exitStatus prints err, if any, as one line on stderr and returns the exit
// status: 0 for nil, 2 for a usage or validation error, 1 for the rest.
func exitStatus(stderr io.Writer, err error, c *cli) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %s\n", progName, oneLine(errorText(err, c)))
	if errors.Is(err, errUsage) || errors.Is(err, bootstrap.ErrInvalidConfig) {
		return 2
	}
	return 1
}

// errorText says what went wrong and what to do, naming flags rather than
// library options.
func errorText(err error, c *cli) string {
	var ce *bootstrap.ConfigError
	var ie *bootstrap.IncompleteError
	switch {
	case errors.As(err, &ce):
		return configErrorText(ce, c)
	case errors.As(err, &ie):
		return incompleteText(ie, c)
	}
	return cliText(err.Error())
}

func configErrorText(e *bootstrap.ConfigError, c *cli) string {
	flagName, known := flagFor(e.Option)
	reason := cliText(e.Reason)
	if e.Value == "" && known && !c.set[optionFlags[e.Option]] {
		// Something is missing rather than wrong, e.g. "nothing selected".
		return reason
	}
	value := e.Value
	if e.Option == "WithPolicy" {
		for _, kv := range c.policyFiles.list {
			if kv.key == e.Value {
				value = kv.key + "=" + kv.value
				break
			}
		}
	}
	return fmt.Sprintf("invalid %s %q: %s", flagName, value, reason)
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
	if e.Cause != nil {
		return fmt.Sprintf("interrupted (%v): %s did not finish (%s); run again to finish", e.Cause, what, listText(e.Failed))
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
