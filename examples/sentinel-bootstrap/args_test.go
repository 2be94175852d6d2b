package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseArgsErrors: every malformed command line is one usage error
// that names the flag, and suggests the closest one for a misspelt flag.
func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the exact message
	}{
		{[]string{"--jsn"}, "unknown flag --jsn: did you mean --json?"},
		{[]string{"--plan", "-o", "json"}, "unknown flag -o: did you mean --json?"},
		{[]string{"-plan"}, "unknown flag -plan: did you mean --plan?"},
		{[]string{"-help"}, "unknown flag -help: did you mean --help?"},
		{[]string{"--with-approval"}, "unknown flag --with-approval: did you mean --with-approvals?"},
		{[]string{"--endpoint", "x"}, "unknown flag --endpoint: did you mean --endpoint-url?"},
		{[]string{"--pofile", "dev"}, "unknown flag --pofile: did you mean --profile?"},
		{[]string{"--yse"}, "unknown flag --yse: did you mean --yes?"},
		{[]string{"--frobnicate"}, "unknown flag --frobnicate; see sentinel-bootstrap --help"},
		{[]string{"-x"}, "unknown flag -x; see sentinel-bootstrap --help"},
		{[]string{"--no-yes"}, "unknown flag --no-yes: to turn --yes off, leave it out"},
		{[]string{"--profile"}, "--profile needs a value: --profile NAME"},
		{[]string{"--profile", "--yes"}, "--profile needs a value: --profile NAME"},
		{[]string{"--timeout", "-1s"}, `--timeout needs a value (DURATION); to give one that starts with "-", write --timeout=-1s`},
		{[]string{"--yes=true"}, "--yes takes no value; give --yes alone"},
		{[]string{"--region", "a", "--region", "b"}, "--region given twice; give it once"},
		{[]string{"--profile", "dev", "extra"}, `unexpected argument "extra": every value belongs to a flag, such as --profile extra`},
		{[]string{"dev"}, `unexpected argument "dev": every value belongs to a flag, such as --profile dev`},
		{[]string{"--", "dev"}, `unexpected argument "dev": every value belongs to a flag, such as --profile dev`},
		{[]string{"versoin"}, `unknown command "versoin": did you mean version?`},
		{[]string{"completion"}, "completion needs a shell: sentinel-bootstrap completion bash, zsh or fish"},
		{[]string{"completion", "tcsh"}, `completion for "tcsh" is not available: choose bash, zsh or fish`},
		{[]string{"version", "now"}, `unexpected argument "now" after version`},
		{[]string{"--timeout", "soon"}, `invalid --timeout "soon": want a duration such as 90s, 15m or 1h`},
		{[]string{"--tag", "team"}, `invalid --tag "team": want KEY=VALUE`},
		{[]string{"--tag", "=x"}, `invalid --tag "=x": the key before '=' is empty; want KEY=VALUE`},
		{[]string{"--policy-file", "dev="}, `invalid --policy-file "dev=": the path after '=' is empty; want PROFILE=PATH`},
	} {
		_, _, err := parseArgs(tc.args)
		if err == nil || !isUsage(err) || err.Error() != tc.want {
			t.Errorf("%q:\n got %v (usage error: %v)\nwant %s", tc.args, err, isUsage(err), tc.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	c, _, err := parseArgs([]string{
		"--profile", "dev", "--profile=prod", "--all", "--tag", "a=1", "--tag=b=", "-y",
		"--timeout", "90s", "--policy-file", "dev=/p.yaml", "--region=eu-west-1", "--yes", "--description", "@team",
		"--endpoint-url", "http://127.0.0.1:5000", "--json", "--no-color", "--debug", "--destroy",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.profiles, []string{"dev", "prod"}) || !c.all || !c.yes || c.timeout != 90*time.Second ||
		c.region != "eu-west-1" || c.description != "@team" || c.endpointURL != "http://127.0.0.1:5000" ||
		!c.json || !c.noColor || !c.debug || !c.destroy || c.withApprovals {
		t.Errorf("parsed %+v", c)
	}
	if want := []keyValue{{"a", "1"}, {"b", ""}}; !slices.Equal(c.tags, want) {
		t.Errorf("tags %v, want %v", c.tags, want)
	}
	if want := []keyValue{{"dev", "/p.yaml"}}; !slices.Equal(c.policyFiles, want) {
		t.Errorf("policy files %v, want %v", c.policyFiles, want)
	}
	for _, f := range []string{"profile", "all", "tag", "yes", "timeout", "policy-file", "region"} {
		if !c.set[f] {
			t.Errorf("--%s not recorded as given", f)
		}
	}
	if c.set["with-approvals"] || c.set["session-table"] {
		t.Errorf("flags not given recorded as given: %v", c.set)
	}
	// Defaults apply to what was not given.
	if c.policyRoot != "/sentinel/policies" || c.sessionTable != "sentinel-sessions" {
		t.Errorf("defaults: root %q, session table %q", c.policyRoot, c.sessionTable)
	}
}

// TestEveryFlagParses: every flag of the table is accepted in both forms
// the help shows, and lands in c.set.
func TestEveryFlagParses(t *testing.T) {
	for _, d := range (&cli{}).flags() {
		args := []string{"--" + d.name}
		if d.arg != "" {
			v := map[string]string{"DURATION": "1m", "PROFILE=PATH": "dev=x", "KEY=VALUE": "k=v"}[d.arg]
			if v == "" {
				v = "x"
			}
			args = append(args, v)
		}
		c, _, err := parseArgs(args)
		if err != nil || !c.set[d.name] {
			t.Errorf("%q: %v (set %v)", args, err, c.set)
		}
		if d.short != 0 {
			c, _, err := parseArgs([]string{"-" + string(d.short)})
			if err != nil || !c.set[d.name] {
				t.Errorf("-%c: %v", d.short, err)
			}
		}
	}
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		command, shell string
		help           bool
	}{
		{[]string{"help"}, "help", "", false},
		{[]string{"version"}, "version", "", false},
		{[]string{"completion", "zsh"}, "completion", "zsh", false},
		{[]string{"-h"}, "", "", true},
		{[]string{"--profile", "dev", "--help"}, "", "", true},
	} {
		c, _, err := parseArgs(tc.args)
		if err != nil || c.command != tc.command || c.shell != tc.shell || c.help != tc.help {
			t.Errorf("%q: command %q shell %q help %v, %v", tc.args, c.command, c.shell, c.help, err)
		}
	}
}

func TestOptionsOnlyForGivenFlags(t *testing.T) {
	c, defs, err := parseArgs([]string{"--profile", "dev"})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.options(defs)
	if err != nil || len(opts) != 1 {
		t.Errorf("%d options, %v; want only WithProfiles", len(opts), err)
	}
	c, defs, _ = parseArgs([]string{"--profile", "dev", "--policy-file", "dev=/nonexistent/p.yaml"})
	_, err = c.options(defs)
	if !isUsage(err) || !strings.Contains(err.Error(), "cannot read --policy-file dev=/nonexistent/p.yaml") {
		t.Errorf("unreadable policy file: %v", err)
	}
	if errors.Is(err, errChangesPending) {
		t.Error("confused errors")
	}
}
