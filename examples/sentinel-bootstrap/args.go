package main

import (
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// Command words, accepted as the first argument.
const (
	commandHelp       = "help"
	commandVersion    = "version"
	commandCompletion = "completion"
)

var (
	commands = []string{commandHelp, commandVersion, commandCompletion}
	shells   = []string{"bash", "zsh", "fish"}
)

func init() {
	// "@file" arguments would be read as files of arguments; a value such
	// as --description @team must stay a value.
	kingpin.EnableFileExpansion = false
}

// parseArgs parses the command line into c. The flags are parsed by
// kingpin; before that, checkArgs checks the shape of the command line
// against the same flag table, so that every mistake gets one line that
// names the flag and, for a misspelt one, suggests the closest.
func parseArgs(args []string) (*cli, []flagDef, error) {
	c := &cli{set: map[string]bool{}}
	defs := c.flags()
	rest, err := c.checkArgs(defs, args)
	if err != nil {
		return c, defs, err
	}
	// checkArgs took -h and --help off: the help text is ours.
	app := kingpin.New(progName, "").Terminate(nil).UsageWriter(io.Discard).ErrorWriter(io.Discard)
	for _, d := range defs {
		if d.name == "help" {
			continue
		}
		f := app.Flag(d.name, d.help).PlaceHolder(d.arg)
		if d.short != 0 {
			f = f.Short(d.short)
		}
		f.SetValue(namedValue{value: d.value, name: d.name})
	}
	if _, err := app.Parse(rest); err != nil {
		if isUsage(err) {
			return c, defs, err
		}
		return c, defs, usagef("%s; see %s --help", err, progName)
	}
	return c, defs, nil
}

// checkArgs checks the command line: every flag known, every value present,
// no flag that takes one value given twice, no stray argument. It records
// the flags given in c.set, takes the command word (help, version,
// completion SHELL) off, handles -h and --help, and returns what is left
// for the flag parser.
func (c *cli) checkArgs(defs []flagDef, args []string) ([]string, error) {
	byName := map[string]*flagDef{}
	byShort := map[string]*flagDef{}
	for i := range defs {
		byName[defs[i].name] = &defs[i]
		if defs[i].short != 0 {
			byShort[string(defs[i].short)] = &defs[i]
		}
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var d *flagDef
		inline := false
		switch {
		case arg == "--":
			if i+1 < len(args) {
				return nil, unexpectedArgument(args[i+1])
			}
			continue
		case strings.HasPrefix(arg, "--"):
			name, _, hasValue := strings.Cut(arg[2:], "=")
			if d = byName[name]; d == nil {
				return nil, unknownFlag(defs, arg, args[i+1:])
			}
			inline = hasValue
			if d.arg == "" && hasValue {
				return nil, usagef("--%s takes no value; give --%s alone", d.name, d.name)
			}
		case strings.HasPrefix(arg, "-") && len(arg) > 1:
			if d = byShort[arg[1:]]; d == nil {
				return nil, unknownFlag(defs, arg, args[i+1:])
			}
		case i == 0 && slices.Contains(commands, arg):
			return nil, c.commandWord(arg, args[1:])
		case i == 0 && closest(arg, commands) != "":
			return nil, usagef("unknown command %q: did you mean %s?", arg, closest(arg, commands))
		default:
			return nil, unexpectedArgument(arg)
		}
		if d.arg != "" && !cumulative(d.value) && c.set[d.name] {
			return nil, usagef("--%s given twice; give it once", d.name)
		}
		c.set[d.name] = true
		if d.name == "help" {
			c.help = true
			continue
		}
		rest = append(rest, arg)
		if d.arg != "" && !inline {
			if i+1 == len(args) || isFlagLike(args[i+1]) {
				return nil, missingValue(d, args[i+1:])
			}
			i++
			rest = append(rest, args[i])
		}
	}
	return rest, nil
}

// cumulative reports a flag that may be given more than once.
func cumulative(v value) bool {
	c, ok := v.(interface{ IsCumulative() bool })
	return ok && c.IsCumulative()
}

// commandWord takes a command word and its arguments.
func (c *cli) commandWord(word string, args []string) error {
	c.command = word
	switch word {
	case commandCompletion:
		if len(args) == 0 {
			return usagef("completion needs a shell: %s completion bash, zsh or fish", progName)
		}
		if !slices.Contains(shells, args[0]) {
			return usagef("completion for %q is not available: choose bash, zsh or fish", args[0])
		}
		c.shell = args[0]
		args = args[1:]
	}
	if len(args) > 0 {
		return usagef("unexpected argument %q after %s", args[0], word)
	}
	return nil
}

// isFlagLike reports an argument that the parser would read as a flag, not
// as a value: it starts with "-" and is not "-" alone.
func isFlagLike(s string) bool { return len(s) > 1 && s[0] == '-' }

func missingValue(d *flagDef, next []string) error {
	if len(next) > 0 && !strings.HasPrefix(next[0], "--") {
		// A value that starts with "-", such as -1s.
		return usagef("--%s needs a value (%s); to give one that starts with \"-\", write --%s=%s", d.name, d.arg, d.name, next[0])
	}
	return usagef("--%s needs a value: --%s %s", d.name, d.name, d.arg)
}

func unexpectedArgument(arg string) error {
	return usagef("unexpected argument %q: every value belongs to a flag, such as --profile %s", arg, arg)
}

// unknownFlag says that arg is not a flag and suggests the closest one. A
// single-dash long name (-plan) gets its double-dash form; a single letter
// followed by a word that is a flag (-o json) gets that flag.
func unknownFlag(defs []flagDef, arg string, next []string) error {
	var names []string
	for _, d := range defs {
		names = append(names, d.name)
	}
	word, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	if rest, ok := strings.CutPrefix(word, "no-"); ok && strings.HasPrefix(arg, "--") && slices.Contains(names, rest) {
		return usagef("unknown flag %s: to turn --%s off, leave it out", arg, rest)
	}
	suggestion := ""
	switch {
	case !strings.HasPrefix(arg, "--") && slices.Contains(names, word):
		suggestion = "--" + word
	case !strings.HasPrefix(arg, "--") && len(word) == 1 && len(next) > 0 && closest(next[0], names) != "":
		suggestion = "--" + closest(next[0], names)
	case closest(word, names) != "":
		suggestion = "--" + closest(word, names)
	}
	if suggestion != "" {
		return usagef("unknown flag %s: did you mean %s?", arg, suggestion)
	}
	return usagef("unknown flag %s; see %s --help", arg, progName)
}
