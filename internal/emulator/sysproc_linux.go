package emulator

import "syscall"

// sysProcAttr puts the emulator in its own process group and asks the kernel
// to SIGKILL it when the thread that started it dies (in practice: when the
// test binary exits or panics), so no orphan emulators are left behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
