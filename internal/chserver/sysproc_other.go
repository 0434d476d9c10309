//go:build !linux

package chserver

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
