package main

import (
	"errors"
	"fmt"
	"strings"
)

// stringList is a repeatable string flag (--profile dev --profile prod).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// keyValue is one KEY=VALUE argument of a repeatable flag.
type keyValue struct{ key, value string }

// keyValueList is a repeatable KEY=VALUE flag (--tag, --policy-file). The
// syntax is checked when the flag is parsed, so a malformed value is a usage
// error that names the flag.
type keyValueList struct {
	list  []keyValue
	key   string // what the key is, for messages: "key", "profile"
	value string // what the value is: "value", "path"
	// emptyValue allows KEY= (a tag value may be empty; a path may not).
	emptyValue bool
}

func (l *keyValueList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.list))
	for i, kv := range l.list {
		parts[i] = kv.key + "=" + kv.value
	}
	return strings.Join(parts, ",")
}

func (l *keyValueList) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return fmt.Errorf("want %s=%s", strings.ToUpper(l.key), strings.ToUpper(l.value))
	case k == "":
		return fmt.Errorf("the %s before '=' is empty; want %s=%s", l.key, strings.ToUpper(l.key), strings.ToUpper(l.value))
	case val == "" && !l.emptyValue:
		return fmt.Errorf("the %s after '=' is empty; want %s=%s", l.value, strings.ToUpper(l.key), strings.ToUpper(l.value))
	}
	l.list = append(l.list, keyValue{k, val})
	return nil
}

// errUsage marks errors that are the caller's mistake (exit status 2).
var errUsage = errors.New("usage error")

// usageError is a usage mistake with a one-line message.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
