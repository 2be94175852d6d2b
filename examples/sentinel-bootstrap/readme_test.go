package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

var update = flag.Bool("update", false, "rewrite the README's CLI output blocks with the real output")

// readmeFile is the README, relative to this package.
const readmeFile = "../../README.md"

// readmeSection is the part of the README whose outputs TestREADME checks.
const (
	sectionStart = "## The example CLI: `sentinel-bootstrap`"
	sectionEnd   = "## In other projects' integration tests"
)

// block is one fenced block of the README section that shows output:
// after "<!-- transcript -->", commands ("$ …", continued by a trailing
// "\") each followed by its output; after "<!-- output: NAME -->", what
// the generator NAME produces.
type block struct {
	kind       string // "transcript" or an output name
	start, end int    // the lines of the README between the fences
	lines      []string
}

var marker = regexp.MustCompile(`^<!-- (transcript|output: ([a-z-]+)) -->$`)

// readmeBlocks returns the README's lines and the blocks of its CLI section.
func readmeBlocks(t *testing.T) ([]string, []block) {
	t.Helper()
	b, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var blocks []block
	in := false
	for i := 0; i < len(lines); i++ {
		switch {
		case lines[i] == sectionStart:
			in = true
		case lines[i] == sectionEnd:
			in = false
		}
		if !in {
			continue
		}
		if strings.HasPrefix(lines[i], "```") && !strings.HasPrefix(lines[i], "```go") {
			m := marker.FindStringSubmatch(lines[max(i-1, 0)])
			if m == nil {
				t.Errorf("README line %d: a fenced block in the CLI section without <!-- transcript --> or <!-- output: NAME -->", i+1)
			}
			end := i + 1
			for end < len(lines) && lines[end] != "```" {
				end++
			}
			if m != nil {
				kind := m[1]
				if m[2] != "" {
					kind = m[2]
				}
				blocks = append(blocks, block{kind: kind, start: i + 1, end: end, lines: lines[i+1 : end]})
			}
			i = end
		}
	}
	if len(blocks) == 0 {
		t.Fatal("no output blocks found in the README's CLI section")
	}
	return lines, blocks
}

// TestREADME: every output the README's CLI section shows is what the
// command prints. Transcripts are run by bash against a moto of their own
// (http://127.0.0.1:5000 in a command stands for it); the other blocks are
// produced by their generator. With -update, the blocks are rewritten.
func TestREADME(t *testing.T) {
	lines, blocks := readmeBlocks(t)
	var rewritten []string
	last := 0
	for i, b := range blocks {
		var want, got string
		switch b.kind {
		case "transcript":
			want, got = runTranscript(t, b.lines)
		default:
			gen := generators[b.kind]
			if gen == nil {
				t.Fatalf("README: no generator for <!-- output: %s -->", b.kind)
			}
			want, got = strings.Join(b.lines, "\n"), gen(t)
		}
		if normalize(want) != normalize(got) {
			if !*update {
				t.Errorf("README block %d (%s, line %d) differs from the real output (run go test -run TestREADME -update ./examples/sentinel-bootstrap to rewrite it)\n--- README ---\n%s\n--- real ---\n%s",
					i+1, b.kind, b.start+1, want, got)
			}
		}
		rewritten = append(rewritten, lines[last:b.start]...)
		rewritten = append(rewritten, strings.Split(strings.TrimSuffix(got, "\n"), "\n")...)
		last = b.end
	}
	rewritten = append(rewritten, lines[last:]...)
	if *update {
		if err := os.WriteFile(readmeFile, []byte(strings.Join(rewritten, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestREADMEExitCodeTable: the README's table lists every exit status in
// both modes, and so does the help.
func TestREADMEExitCodeTable(t *testing.T) {
	lines, _ := readmeBlocks(t)
	rows := map[string][]string{}
	for _, l := range lines {
		if cells := strings.Split(l, "|"); len(cells) == 5 && regexp.MustCompile(`^ \d+ $`).MatchString(cells[1]) {
			rows[strings.TrimSpace(cells[1])] = cells[2:4]
		}
	}
	for _, code := range []string{"0", "1", "2", "130", "143"} {
		r, ok := rows[code]
		if !ok || strings.TrimSpace(r[0]) == "" || strings.TrimSpace(r[1]) == "" {
			t.Errorf("the README's exit status table lacks %s in one of the modes: %q", code, r)
		}
		wantContains(t, usageText((&cli{}).flags()), " "+code+" ")
	}
	if len(rows) != 5 {
		t.Errorf("exit status table rows %v, want exactly 0, 1, 2, 130, 143", rows)
	}
}

// normalize removes what differs from run to run: ports, durations,
// request IDs, and the order of lines printed by concurrent work (progress
// lines after "Applying..." and "Deleting...", debug lines).
func normalize(s string) string {
	s = strings.TrimRight(s, "\n")
	for _, r := range []struct{ re, with string }{
		{`127\.0\.0\.1:\d+`, "127.0.0.1:PORT"},
		{`\b\d+(m\d+)?(\.\d+)?(ms|s)\b`, "Ns"},
		{`request-id=\S+`, "request-id=ID"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "Applying..." || lines[i] == "Deleting..." {
			j := i + 1
			for j < len(lines) && lines[j] != "" {
				j++
			}
			slices.Sort(lines[i+1 : j])
		}
	}
	var debug, rest []string
	for _, l := range lines {
		if strings.HasPrefix(l, "sentinel-bootstrap: debug: ") {
			debug = append(debug, l)
		} else {
			rest = append(rest, l)
		}
	}
	slices.Sort(debug)
	return strings.Join(append(rest, debug...), "\n")
}

// motoHere is the endpoint the README's commands use; a transcript's own
// moto stands in for it.
const motoHere = "http://127.0.0.1:5000"

// runTranscript runs the commands of a transcript in one bash, against a
// moto of its own, and returns the transcript as written and as it really
// is.
func runTranscript(t *testing.T, lines []string) (want, got string) {
	t.Helper()
	type command struct {
		text   string
		output []string
	}
	var cmds []command
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "$ ") {
			text := l
			for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
				i++
				text += "\n" + lines[i]
			}
			cmds = append(cmds, command{text: text})
			continue
		}
		if len(cmds) == 0 {
			t.Fatalf("README transcript: output before the first command: %q", l)
		}
		cmds[len(cmds)-1].output = append(cmds[len(cmds)-1].output, l)
	}
	endpoint := motoHere
	if strings.Contains(strings.Join(lines, "\n"), motoHere) {
		srv, err := emulator.StartMoto(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Stop()
		endpoint = srv.Endpoint
	}
	var script strings.Builder
	script.WriteString("exec 2>&1\n")
	for i, c := range cmds {
		fmt.Fprintf(&script, "printf '\\n@@@%d@@@\\n'\n%s\n", i, strings.ReplaceAll(strings.TrimPrefix(c.text, "$ "), motoHere, endpoint))
	}
	script.WriteString("exit 0\n") // a command's own status shows only where the README echoes it
	home := filepath.Join(t.TempDir(), "home")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + filepath.Dir(binary) + ":" + os.Getenv("PATH"), "HOME=" + home, "AWS_EC2_METADATA_DISABLED=true"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("README transcript: bash: %v\n%s", err, out)
	}
	parts := regexp.MustCompile(`\n@@@\d+@@@\n`).Split(string(out), -1)[1:]
	if len(parts) != len(cmds) {
		t.Fatalf("README transcript: %d outputs for %d commands:\n%s", len(parts), len(cmds), out)
	}
	var w, g strings.Builder
	for i, c := range cmds {
		w.WriteString(c.text + "\n")
		for _, l := range c.output {
			w.WriteString(l + "\n")
		}
		g.WriteString(c.text + "\n")
		g.WriteString(strings.ReplaceAll(strings.ReplaceAll(parts[i], endpoint, motoHere), home, "~"))
	}
	return w.String(), g.String()
}

// generators produce the outputs that no plain command can: they need a
// timing, a signal or a terminal.
var generators = map[string]func(t *testing.T) string{
	"demo":              demoOutput,
	"progress-terminal": terminalProgressOutput,
	"progress-log":      logProgressOutput,
	"interrupt":         interruptOutput,
}

// demoOutput is what make demo prints.
func demoOutput(t *testing.T) string {
	cmd := exec.Command("bash", "../../scripts/demo.sh")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh: %v\n%s", err, out)
	}
	return string(out)
}

// terminalProgressOutput is the screen of a 40-column terminal while two
// tables are created, 12 s in.
func terminalProgressOutput(t *testing.T) string {
	var b strings.Builder
	clk := &clock{t: time.Unix(0, 0)}
	p := newProgressAt(&b, true, func() int { return 40 }, "ready", clk.now)
	p.event(tableEvent("sentinel-requests", bootstrap.PhaseWait, "creating", 0))
	p.event(tableEvent("sentinel-sessions-TestMyService-1f2e3d4c", bootstrap.PhaseWait, "adding index gsi-user", 0))
	p.event(tableEvent("sentinel-breakglass", bootstrap.PhaseWait, "enabling point-in-time recovery", 0))
	clk.advance(12 * time.Second)
	p.tick()
	return strings.Join(play(b.String(), 40).text(), "\n") + "\n"
}

// logProgressOutput is the log of a 22 s table creation and a 3 s index
// wait (TestProgressLog checks it line by line).
func logProgressOutput(t *testing.T) string { return playLog(t) }

// interruptOutput is Ctrl-C during the plan, and during a table's
// creation, against an endpoint made slow by the shim.
func interruptOutput(t *testing.T) string {
	srv, err := emulator.StartMoto(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var b strings.Builder
	for _, tc := range []struct {
		opts awsshim.Options
		wait func(*awsshim.Shim, *running) bool
	}{
		{awsshim.Options{Delay: time.Minute}, func(s *awsshim.Shim, _ *running) bool { return len(s.Calls()) > 0 }},
		{awsshim.Options{CreatingFor: 10 * time.Minute}, func(s *awsshim.Shim, r *running) bool {
			c := s.Counts()
			return c["dynamodb:CreateTable"] > 0 && c["ssm:PutParameter"] > 0 && strings.Count(r.stdout.String(), "sentinel-requests: ") >= 2
		}},
	} {
		tc.opts.Upstream = srv.Endpoint
		shim := awsshim.StartT(t, tc.opts)
		args := []string{"--endpoint-url", shim.URL, "--profile", "dev", "--with-approvals", "--yes"}
		r := startBinary(t, nil, nil, args...)
		waitFor(t, "the moment to interrupt", func() bool { return tc.wait(shim, r) })
		time.Sleep(300 * time.Millisecond)
		before := r.stdout.String() // what the screen shows when Ctrl-C is pressed
		code, _ := r.signal(t, syscall.SIGINT)
		after := strings.TrimPrefix(r.stdout.String(), before)
		fmt.Fprintf(&b, "$ sentinel-bootstrap %s\n%s^C\n%s%s$ echo $?\n%d\n",
			strings.Join(slices.Replace(slices.Clone(args), 1, 2, motoHere), " "),
			strings.ReplaceAll(before, shim.URL, motoHere), after, r.stderr.String(), code)
	}
	return b.String()
}

// TestNormalize: what normalize keeps and what it drops.
func TestNormalize(t *testing.T) {
	a := "Endpoint: http://127.0.0.1:36427\nApplying...\n  b: ready after 0s\n  a: ready after 12s\n\nsentinel-bootstrap: debug: SSM X request-id=zz duration=3ms\nend"
	b := "Endpoint: http://127.0.0.1:5000\nApplying...\n  a: ready after 1s\n  b: ready after 0s\n\nend\nsentinel-bootstrap: debug: SSM X request-id=yy duration=12.5ms"
	if normalize(a) != normalize(b) {
		t.Errorf("normalize:\n%s\n---\n%s", normalize(a), normalize(b))
	}
	if normalize("created 3") == normalize("created 4") || normalize("a\nb") == normalize("b\na") {
		t.Error("normalize drops what matters")
	}
	if !bytes.Equal([]byte(normalize("x\n\n")), []byte("x")) {
		t.Error("trailing newlines")
	}
}
