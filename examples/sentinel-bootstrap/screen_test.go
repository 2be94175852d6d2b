package main

import (
	"regexp"
	"strconv"
	"strings"
)

// screen plays terminal output on a screen of width columns (0: no limit)
// and returns the lines left on it, and the widest line ever written. It
// knows text, \n, \r, ESC[K (erase to the end of the line), ESC[J (erase to
// the end of the screen), ESC[nA (cursor up) and SGR colours (ignored). A
// character written past the last column wraps, as terminals do, so debris
// left by a redraw shows.
type screen struct {
	width    int
	lines    [][]rune
	row, col int
	widest   int
}

var csi = regexp.MustCompile(`^\x1b\[([0-9;]*)([A-Za-z])`)

func play(out string, width int) *screen {
	s := &screen{width: width, lines: [][]rune{nil}}
	for len(out) > 0 {
		if m := csi.FindStringSubmatch(out); m != nil {
			out = out[len(m[0]):]
			n, _ := strconv.Atoi(m[1])
			switch m[2] {
			case "K":
				s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
			case "J":
				s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
				s.lines = s.lines[:s.row+1]
			case "A":
				s.row = max(0, s.row-max(n, 1))
			case "m":
			default:
				panic("screen: unknown escape sequence " + strconv.Quote(m[0]))
			}
			continue
		}
		r := []rune(out)[0]
		out = out[len(string(r)):]
		switch r {
		case '\n':
			s.newline()
		case '\r':
			s.col = 0
		default:
			if s.width > 0 && s.col == s.width {
				s.newline()
			}
			line := s.lines[s.row]
			for len(line) < s.col {
				line = append(line, ' ')
			}
			if s.col < len(line) {
				line[s.col] = r
			} else {
				line = append(line, r)
			}
			s.lines[s.row] = line
			s.col++
			s.widest = max(s.widest, s.col)
		}
	}
	return s
}

func (s *screen) newline() {
	s.row, s.col = s.row+1, 0
	if s.row == len(s.lines) {
		s.lines = append(s.lines, nil)
	}
}

// text returns the screen's lines, without trailing empty ones.
func (s *screen) text() []string {
	var out []string
	for _, l := range s.lines {
		out = append(out, string(l))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// stripEscapes drops every CSI sequence.
func stripEscapes(s string) string {
	return regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`).ReplaceAllString(s, "")
}

// segments splits terminal output into the runs of text between line
// feeds and carriage returns, escapes dropped: what is drawn on one row at
// a time.
func segments(out string) []string {
	return strings.FieldsFunc(stripEscapes(out), func(r rune) bool { return r == '\n' || r == '\r' })
}
