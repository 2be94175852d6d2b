package main

import (
	"fmt"
	"strings"
)

// helpWidth is the width of the help text; the flag column is helpIndent
// wide.
const (
	helpWidth  = 80
	helpIndent = 30
)

// usageText is the help text, generated from the flag table so that it
// always lists every flag.
func usageText(defs []flagDef) string {
	var b strings.Builder
	fmt.Fprintf(&b, `Usage: %[1]s [flags]
       %[1]s help | version | completion bash|zsh|fish

Provisions what Sentinel needs in AWS: one SSM policy parameter per AWS
profile, and the DynamoDB tables for approval requests, break-glass events
and server sessions. It shows the plan, asks once, then applies. It is safe
to run again: existing parameters are never overwritten, and tables are
never deleted or recreated.
`, progName)
	for _, section := range []string{sectionProvision, sectionTables, sectionHow, sectionOutput} {
		fmt.Fprintf(&b, "\n%s:\n", section)
		for _, d := range defs {
			if d.section == section {
				b.WriteString(flagHelp(d))
			}
		}
	}
	fmt.Fprintf(&b, `
Commands:
  help                        print this help
  version                     print the version
  completion bash|zsh|fish    print a shell completion script, e.g.
                              source <(%[1]s completion bash)

Plan symbols: + create, ~ update, - delete, = unchanged, ? unknown (cannot
be read), ! failed.

Exit status: 0 done (or nothing to do, or declined); 1 a resource failed, AWS
refused, or no credentials; 2 usage or validation error; 130 interrupted
(SIGINT, Ctrl-C); 143 terminated (SIGTERM). With --plan --detailed-exitcode:
0 nothing to do, 2 changes pending, 1 any error (usage errors included),
130/143 as above.

Examples:
  # Policies for two profiles and all three tables, after confirming the plan:
  %[1]s --profile dev --profile prod --all

  # In CI: is anything missing? (exit 2 when there is)
  %[1]s --profile dev --all --plan --detailed-exitcode

  # Unattended, with a machine-readable report:
  %[1]s --profile dev --all --tag team=platform --yes --json \
    > report.json

  # Against a local emulator (moto_server -p 5000), with dummy credentials,
  # then tear it down again:
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    %[1]s --endpoint-url http://127.0.0.1:5000 --region us-east-1 \
    --profile dev --all --no-deletion-protection --yes
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    %[1]s --endpoint-url http://127.0.0.1:5000 --region us-east-1 \
    --profile dev --all --destroy --yes
`, progName)
	return b.String()
}

// flagHelp is one flag's entry: its forms in the first column, its help
// wrapped in the second.
func flagHelp(d flagDef) string {
	left := "  --" + d.name
	if d.short != 0 {
		left = fmt.Sprintf("  -%c, --%s", d.short, d.name)
	}
	if d.arg != "" {
		left += " " + d.arg
	}
	lines := wrap(d.help, helpWidth-helpIndent)
	var b strings.Builder
	pad := strings.Repeat(" ", helpIndent)
	if len(left) > helpIndent-2 {
		b.WriteString(left + "\n")
	} else {
		b.WriteString(left + pad[len(left):] + lines[0] + "\n")
		lines = lines[1:]
	}
	for _, l := range lines {
		b.WriteString(pad + l + "\n")
	}
	return b.String()
}

// wrap breaks text into lines of at most width columns, at spaces; a
// parenthesised part that fits on a line of its own is not broken.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range chunks(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return append(lines, line)
}

// chunks splits text at spaces, keeping a "(…)" part of at most 30
// characters together.
func chunks(text string) []string {
	var out []string
	for len(text) > 0 {
		text = strings.TrimLeft(text, " ")
		if strings.HasPrefix(text, "(") {
			if end := strings.IndexByte(text, ')'); end > 0 && end < 30 && (end+1 == len(text) || text[end+1] == ' ') {
				out = append(out, text[:end+1])
				text = text[end+1:]
				continue
			}
		}
		end := strings.IndexByte(text, ' ')
		if end < 0 {
			end = len(text)
		}
		if end > 0 {
			out = append(out, text[:end])
		}
		text = text[end:]
	}
	return out
}
