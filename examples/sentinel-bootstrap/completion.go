package main

import (
	"fmt"
	"strings"
)

// completionScript is the completion script for shell, generated from the
// flag table: flags (with their help, where the shell shows it), the
// command words, the shells after "completion", files after --policy-file
// PROFILE= and the AWS profiles of ~/.aws/config after --aws-profile.
func completionScript(shell string, defs []flagDef) string {
	switch shell {
	case "bash":
		return bashCompletion(defs)
	case "zsh":
		return zshCompletion(defs)
	case "fish":
		return fishCompletion(defs)
	}
	return ""
}

// awsProfiles is a shell pipeline that lists the profile names of the AWS
// config file.
const awsProfiles = `sed -n 's/^\[\(profile \)\{0,1\}\([^]]*\)\]$/\2/p' "${AWS_CONFIG_FILE:-$HOME/.aws/config}" 2>/dev/null`

func bashCompletion(defs []flagDef) string {
	var all, valued []string
	for _, d := range defs {
		all = append(all, "--"+d.name)
		if d.short != 0 {
			all = append(all, fmt.Sprintf("-%c", d.short))
		}
		if d.arg != "" {
			valued = append(valued, "--"+d.name)
		}
	}
	return fmt.Sprintf(`# bash completion for %[1]s: source <(%[1]s completion bash)
_%[2]s() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "%[3]s" -- "$cur"))
		return
	fi
	case $prev in
	completion)
		[[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "%[4]s" -- "$cur"))
		return ;;
	--aws-profile)
		COMPREPLY=($(compgen -W "$(%[5]s)" -- "$cur"))
		return ;;
	--policy-file)
		if [[ $cur == *=* ]]; then
			local IFS=$'\n'
			COMPREPLY=($(compgen -f -P "${cur%%%%=*}=" -- "${cur#*=}"))
		fi
		return ;;
	%[6]s)
		return ;;
	esac
	COMPREPLY=($(compgen -W "%[7]s" -- "$cur"))
}
complete -F _%[2]s %[1]s
`, progName, strings.ReplaceAll(progName, "-", "_"), strings.Join(commands, " "), strings.Join(shells, " "),
		awsProfiles, strings.Join(valued, "|"), strings.Join(all, " "))
}

func zshCompletion(defs []flagDef) string {
	fn := "_" + strings.ReplaceAll(progName, "-", "_")
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %[1]s\n# zsh completion for %[1]s: source <(%[1]s completion zsh)\n", progName)
	fmt.Fprintf(&b, "%s() {\n\tlocal -a flags\n\tflags=(\n", fn)
	for _, d := range defs {
		help := zshQuote(d.help)
		var spec string
		switch {
		case d.short != 0:
			spec = fmt.Sprintf("'(-%[1]c --%[2]s)'{-%[1]c,--%[2]s}'[%[3]s]'", d.short, d.name, help)
		case d.arg == "":
			spec = fmt.Sprintf("'--%s[%s]'", d.name, help)
		default:
			repeat, action := "", " "
			if cumulative(d.value) {
				repeat = "*"
			}
			switch d.name {
			case "aws-profile":
				action = "{compadd -- $(" + strings.ReplaceAll(awsProfiles, "'", `'\''`) + ")}"
			case "policy-file":
				action = "_files"
			}
			spec = fmt.Sprintf("'%s--%s=[%s]:%s:%s'", repeat, d.name, help, d.arg, action)
		}
		fmt.Fprintf(&b, "\t\t%s\n", spec)
	}
	fmt.Fprintf(&b, "\t)\n\tif (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then\n\t\t_values command %s\n\t\treturn\n\tfi\n", strings.Join(commands, " "))
	fmt.Fprintf(&b, "\tif [[ $words[2] == completion ]]; then\n\t\t(( CURRENT == 3 )) && _values shell %s\n\t\treturn\n\tfi\n", strings.Join(shells, " "))
	fmt.Fprintf(&b, "\t_arguments -s $flags\n}\ncompdef %s %s\n", fn, progName)
	return b.String()
}

// zshQuote makes help text safe inside '…[help]…' of an _arguments spec.
func zshQuote(s string) string {
	return strings.NewReplacer("'", `'\''`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s)
}

func fishCompletion(defs []flagDef) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %[1]s: %[1]s completion fish | source\n", progName)
	fmt.Fprintf(&b, "complete -c %s -f\n", progName)
	fmt.Fprintf(&b, "complete -c %s -n '__fish_use_subcommand' -a '%s'\n", progName, strings.Join(commands, " "))
	fmt.Fprintf(&b, "complete -c %s -n '__fish_seen_subcommand_from completion' -a '%s'\n", progName, strings.Join(shells, " "))
	for _, d := range defs {
		line := fmt.Sprintf("complete -c %s -l %s", progName, d.name)
		if d.short != 0 {
			line += fmt.Sprintf(" -s %c", d.short)
		}
		switch {
		case d.name == "policy-file":
			line += " -r -F" // files
		case d.name == "aws-profile":
			line += " -x -a '(" + strings.ReplaceAll(strings.ReplaceAll(awsProfiles, `"${AWS_CONFIG_FILE:-$HOME/.aws/config}"`, `(set -q AWS_CONFIG_FILE; and echo $AWS_CONFIG_FILE; or echo ~/.aws/config)`), "'", `\'`) + ")'"
		case d.arg != "":
			line += " -x" // a value, nothing to offer
		}
		line += " -d '" + strings.ReplaceAll(d.help, "'", `\'`) + "'"
		b.WriteString(line + "\n")
	}
	return b.String()
}
