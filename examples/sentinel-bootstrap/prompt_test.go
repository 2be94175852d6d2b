package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestAsk(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		in            string
		yes, answered bool
		echo          string
	}{
		{"y\n", true, true, "y\n"},
		{"  YES \r\n", true, true, "YES\n"},
		{"Yes", true, true, "Yes\n"},
		{"n\n", false, true, "n\n"},
		{"\n", false, true, "\n"},
		{"yes please\n", false, true, "yes please\n"},
		{"", false, false, ""},
	} {
		var out strings.Builder
		yes, answered := ask(ctx, strings.NewReader(tc.in), &out, "Q? ")
		if yes != tc.yes || answered != tc.answered || out.String() != "Q? "+tc.echo {
			t.Errorf("ask(%q) = %v, %v, printed %q; want %v, %v, %q", tc.in, yes, answered, out.String(), tc.yes, tc.answered, "Q? "+tc.echo)
		}
	}
	if _, answered := ask(ctx, iotest.ErrReader(errors.New("broken")), &strings.Builder{}, "Q? "); answered {
		t.Error("a failing stdin counts as an answer")
	}
	if _, answered := ask(ctx, nil, &strings.Builder{}, "Q? "); answered {
		t.Error("no stdin counts as an answer")
	}
}

// TestAskInterrupted: an interrupt at the prompt ends it at once, without
// an answer, although stdin gives none.
func TestAskInterrupted(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	var out strings.Builder
	yes, answered := ask(ctx, r, &out, "Q? ")
	if yes || answered || out.String() != "Q? \n" {
		t.Errorf("interrupted ask = %v, %v, printed %q", yes, answered, out.String())
	}
}
