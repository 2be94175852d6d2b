//go:build unix

package emulator

import (
	"errors"
	"os"
	"syscall"
)

// killGroup sends SIGKILL to the whole process group led by p.
func killGroup(p *os.Process) error {
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
