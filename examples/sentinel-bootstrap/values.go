package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// value is where a flag's value goes. The parser calls Set once per
// occurrence on the command line.
type value interface {
	Set(string) error
	String() string
}

// stringValue is a flag with one string value.
type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

// switchValue is a flag without a value: given means true.
type switchValue bool

func (v *switchValue) Set(s string) error { *v = s == "true"; return nil }
func (v *switchValue) String() string     { return fmt.Sprint(bool(*v)) }

// IsBoolFlag tells the parser that the flag takes no value.
func (v *switchValue) IsBoolFlag() bool { return true }

// IsCumulative lets a switch be given twice (--yes --yes) without error.
func (v *switchValue) IsCumulative() bool { return true }

// stringList is a repeatable string flag (--profile dev --profile prod).
type stringList []string

func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
func (l *stringList) String() string     { return strings.Join(*l, ",") }

// IsCumulative tells the parser that the flag may be repeated.
func (l *stringList) IsCumulative() bool { return true }

// durationValue is a time.Duration flag whose error says what is expected.
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 90s, 15m or 1h")
	}
	*d = durationValue(v)
	return nil
}

// keyValue is one KEY=VALUE argument of a repeatable flag.
type keyValue struct{ key, value string }

// keyValueList is a repeatable KEY=VALUE flag (--tag, --policy-file). The
// syntax is checked when the flag is parsed, so a malformed value is a usage
// error that names the flag.
type keyValueList struct {
	list *[]keyValue
	key  string // what the key is, for messages: "key", "profile"
	val  string // what the value is: "value", "path"
	// emptyValue allows KEY= (a tag value may be empty; a path may not).
	emptyValue bool
}

func (l *keyValueList) String() string {
	var parts []string
	for _, kv := range *l.list {
		parts = append(parts, kv.key+"="+kv.value)
	}
	return strings.Join(parts, ",")
}

// IsCumulative tells the parser that the flag may be repeated.
func (l *keyValueList) IsCumulative() bool { return true }

func (l *keyValueList) Set(v string) error {
	want := strings.ToUpper(l.key) + "=" + strings.ToUpper(l.val)
	k, val, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return fmt.Errorf("want %s", want)
	case k == "":
		return fmt.Errorf("the %s before '=' is empty; want %s", l.key, want)
	case val == "" && !l.emptyValue:
		return fmt.Errorf("the %s after '=' is empty; want %s", l.val, want)
	}
	*l.list = append(*l.list, keyValue{k, val})
	return nil
}

// namedValue wraps a flag's value so that its errors name the flag and the
// value given: the parser passes them on as they are.
type namedValue struct {
	value
	name string
}

func (n namedValue) Set(s string) error {
	if err := n.value.Set(s); err != nil {
		return usagef("invalid --%s %q: %v", n.name, s, err)
	}
	return nil
}

// IsBoolFlag and IsCumulative pass the wrapped value's answers on.
func (n namedValue) IsBoolFlag() bool {
	b, ok := n.value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (n namedValue) IsCumulative() bool {
	c, ok := n.value.(interface{ IsCumulative() bool })
	return ok && c.IsCumulative()
}

// maxPolicyFile bounds how much of a --policy-file is read; the library
// rejects anything over 4096 bytes with a clear message anyway.
const maxPolicyFile = 64 << 10

func readPolicyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", pathErr(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyFile+1))
	if err != nil {
		return "", pathErr(err)
	}
	if len(b) > maxPolicyFile {
		return "", fmt.Errorf("the file is larger than %d KiB; a policy holds at most 4096 bytes", maxPolicyFile>>10)
	}
	return string(b), nil
}

// pathErr drops the path from a *fs.PathError: the message names it already.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
