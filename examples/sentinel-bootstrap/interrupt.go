package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// signalError is the cause of the command's context once a signal came.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string {
	if e.sig == syscall.SIGTERM {
		return "terminated (SIGTERM)"
	}
	return "interrupted (SIGINT)"
}

// exitCode is the conventional status for a command ended by the signal:
// 128 + its number, so 130 for SIGINT and 143 for SIGTERM.
func (e signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// interrupts returns the one context of the whole command: it is cancelled,
// with a signalError as its cause, at the first SIGINT or SIGTERM, whatever
// the command is doing, so every step sees the same interrupt. A second
// signal ends the process at once with the same status. stop releases the
// signals.
func interrupts() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalError{sig})
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			os.Exit(signalError{sig}.exitCode())
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interrupted returns the signal that cancelled ctx, if one did.
func interrupted(ctx context.Context) (signalError, bool) {
	var se signalError
	ok := errors.As(context.Cause(ctx), &se)
	return se, ok
}

// interruptError is the error of a command stopped by a signal: its
// message says what was done and what to run.
type interruptError struct {
	sig signalError
	msg string
}

func (e interruptError) Error() string { return e.msg }
func (e interruptError) Unwrap() error { return e.sig }
