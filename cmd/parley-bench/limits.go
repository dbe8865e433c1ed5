package main

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// raiseFileLimit raises the process's open-file limit (RLIMIT_NOFILE) to
// at least want, says so on w, and returns the limit in force. It raises
// the hard limit too when it may (as root), else up to the hard limit.
func raiseFileLimit(want uint64, w io.Writer) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("reading the open-file limit: %w", err)
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	from := lim.Cur
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next)
	if errors.Is(err, syscall.EPERM) && lim.Max > lim.Cur {
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next)
	}
	if err != nil {
		fmt.Fprintf(w, "could not raise the open-file limit (RLIMIT_NOFILE) from %d to %d: %v\n", from, want, err)
		return from, nil
	}
	fmt.Fprintf(w, "raised the open-file limit (RLIMIT_NOFILE) from %d to %d\n", from, next.Cur)
	return next.Cur, nil
}
