//go:build unix && !linux

package emulator

import "syscall"

// sysProcAttr puts the emulator in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
