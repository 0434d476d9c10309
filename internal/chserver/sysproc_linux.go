package chserver

import "syscall"

// The server dies with the process that started it, so an interrupted demo
// or test leaves no clickhouse-server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
