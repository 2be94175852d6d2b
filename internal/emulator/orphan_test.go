//go:build linux

package emulator

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const orphanEnv = "EMULATOR_ORPHAN_CHILD"

// TestNoOrphanAfterPanic runs this test binary again as a child that starts
// moto and panics without stopping it; Pdeathsig must kill moto.
func TestNoOrphanAfterPanic(t *testing.T) {
	if os.Getenv(orphanEnv) != "" {
		s, err := StartMoto(context.Background())
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Println("PID", s.Pid())
		panic("child test binary panics on purpose")
	}
	if _, err := exec.LookPath(MotoCommand); err != nil {
		skipOrFatal(t, MotoCommand+" not found on PATH; install with pip install 'moto[server]'")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphanAfterPanic$", "-test.count=1")
	cmd.Env = append(os.Environ(), orphanEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "PID "); ok {
			pid, _ = strconv.Atoi(p)
		}
	}
	_ = cmd.Wait() // exits non-zero because of the panic
	if pid == 0 {
		t.Fatal("child did not report a moto pid")
	}
	waitGone(t, pid)
}
