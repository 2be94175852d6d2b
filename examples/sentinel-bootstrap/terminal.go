package main

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"
)

// minWidth is the narrowest terminal every progress line fits.
const minWidth = 40

// defaultWidth is the width assumed when a terminal does not say.
const defaultWidth = 80

// fdOf returns the file descriptor behind v, if v is an *os.File.
func fdOf(v any) (int, bool) {
	f, ok := v.(*os.File)
	if !ok || f == nil {
		return 0, false
	}
	return int(f.Fd()), true
}

// isTerminal reports whether v (an *os.File) is a terminal.
func isTerminal(v any) bool {
	fd, ok := fdOf(v)
	return ok && term.IsTerminal(fd)
}

// termWidth keeps the width of a terminal, read from the terminal itself
// and read again whenever it is resized (SIGWINCH).
type termWidth struct {
	fd    int
	cols  atomic.Int64
	winch chan os.Signal
	done  chan struct{}
}

// watchWidth starts watching the width of the terminal fd. Call stop when
// done.
func watchWidth(fd int) *termWidth {
	w := &termWidth{fd: fd, winch: make(chan os.Signal, 1), done: make(chan struct{})}
	w.read()
	signal.Notify(w.winch, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-w.winch:
				w.read()
			case <-w.done:
				return
			}
		}
	}()
	return w
}

func (w *termWidth) read() {
	cols, _, err := term.GetSize(w.fd)
	if err != nil || cols <= 0 {
		cols = defaultWidth
	}
	w.cols.Store(int64(cols))
}

// get returns the current width in columns.
func (w *termWidth) get() int { return int(w.cols.Load()) }

func (w *termWidth) stop() {
	signal.Stop(w.winch)
	close(w.done)
}

// wantColor reports whether output to w may be coloured: only a terminal,
// and never with --no-color or a non-empty NO_COLOR (https://no-color.org).
func wantColor(w any, noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w) && os.Getenv("TERM") != "dumb"
}
