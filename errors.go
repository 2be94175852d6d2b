package bootstrap

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalidConfig matches every error Run and Destroy return for bad
	// options, before any AWS call. The error is a *ConfigError.
	ErrInvalidConfig = errors.New("invalid bootstrap configuration")

	// ErrIncomplete matches the error Run and Destroy return, together with
	// the full Report, when at least one resource failed. The error is an
	// *IncompleteError.
	ErrIncomplete = errors.New("bootstrap incomplete")
)

// ConfigError describes one invalid option value.
type ConfigError struct {
	Option string // the option at fault, e.g. "WithProfiles"
	Value  string // the offending value, as given
	Reason string // what is wrong, and how to fix it
}

// Error is one line: `invalid bootstrap configuration: Option("value"): reason`.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s(%q): %s", ErrInvalidConfig, e.Option, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) hold.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// IncompleteError reports the resources that failed in a Run or Destroy.
// Each failure's details are in the Report.
type IncompleteError struct {
	// Failed names each failed resource, as "table <name>", "parameter
	// <name>" or "signature <name>", in report order. It is empty when the
	// WithProgress callback panicked after every resource was done (in the
	// last event): Cause is then the *PanicError.
	Failed []string
	// Errors holds the error message of each failed resource, in the same
	// order as Failed.
	Errors []string
	// Cause is the context's error when the run was cancelled or timed out,
	// so errors.Is(err, context.Canceled) holds, or the *PanicError when the
	// WithProgress callback panicked; otherwise nil.
	Cause error
}

// maxErrorDetails bounds how many failures carry their message in Error().
const maxErrorDetails = 10

// Error names each failed resource, with the first messages.
func (e *IncompleteError) Error() string {
	if len(e.Failed) == 0 && e.Cause != nil {
		return fmt.Sprintf("%s: every resource is done, but %v", ErrIncomplete, e.Cause)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d resource", ErrIncomplete, len(e.Failed))
	if len(e.Failed) != 1 {
		b.WriteByte('s')
	}
	b.WriteString(" failed: ")
	for i, name := range e.Failed {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name)
		if i < maxErrorDetails && i < len(e.Errors) {
			b.WriteString(" (")
			b.WriteString(e.Errors[i])
			b.WriteString(")")
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrIncomplete) hold.
func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }

// Unwrap returns Cause.
func (e *IncompleteError) Unwrap() error { return e.Cause }

// PanicError is a panic of the WithProgress callback, recovered by Run or
// Destroy: the run stopped at once, and the error they return (matching
// ErrIncomplete) unwraps to it.
type PanicError struct {
	Value any    // what the callback panicked with
	Stack []byte // the stack of the goroutine that panicked, at the panic
}

// Error says that the callback panicked, and with what.
func (e *PanicError) Error() string {
	return "the WithProgress callback panicked: " + e.valueText()
}

func (e *PanicError) valueText() string { return fmt.Sprint(e.Value) }
