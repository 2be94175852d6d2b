//go:build !unix

package emulator

import (
	"errors"
	"os"
	"syscall"
)

// sysProcAttr has no process-group support outside Unix.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills only the process itself outside Unix.
func killGroup(p *os.Process) error {
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
