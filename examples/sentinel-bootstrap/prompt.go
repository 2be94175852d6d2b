package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ask prints question and reads one line from stdin. answered is false when
// stdin ends (or fails) before giving any answer; yes is true for "y" or
// "yes" in any case. An empty line is an answer: the default, no. An answer
// that does not come from a terminal (echo y | …) is echoed, so that the
// output reads as it would on a terminal.
func ask(stdin io.Reader, stdout io.Writer, question string) (yes, answered bool) {
	fmt.Fprint(stdout, question)
	if stdin == nil {
		return false, false
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, false
	}
	answer := strings.TrimSpace(line)
	if !isTerminal(stdin) {
		fmt.Fprintln(stdout, answer)
	}
	switch strings.ToLower(answer) {
	case "y", "yes":
		return true, true
	}
	return false, true
}
