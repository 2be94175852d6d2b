package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// ask prints question and reads one line from stdin. answered is false when
// stdin ends (or fails) before giving any answer, or when ctx ends first
// (an interrupt at the prompt); yes is true for "y" or "yes" in any case.
// An empty line is an answer: the default, no. An answer that does not come
// from a terminal (echo y | …) is echoed, so that the output reads as it
// would on a terminal.
func ask(ctx context.Context, stdin io.Reader, stdout io.Writer, question string) (yes, answered bool) {
	fmt.Fprint(stdout, question)
	if stdin == nil {
		return false, false
	}
	type reply struct {
		line string
		err  error
	}
	// The read cannot be cancelled; it ends with the process.
	ch := make(chan reply, 1)
	go func() {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		ch <- reply{line, err}
	}()
	var r reply
	select {
	case r = <-ch:
	case <-ctx.Done():
		fmt.Fprintln(stdout)
		return false, false
	}
	if r.err != nil && r.line == "" {
		return false, false
	}
	answer := strings.TrimSpace(r.line)
	if !isTerminal(stdin) {
		fmt.Fprintln(stdout, answer)
	}
	switch strings.ToLower(answer) {
	case "y", "yes":
		return true, true
	}
	return false, true
}
