package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/journeykpi/journeykpi/internal/fault"
)

// Exit codes, documented in the usage text and the README.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitQuality     = 3
	exitLocked      = 4
	exitPartial     = 5
	exitInterrupted = 130
)

// exitCodes maps each kind of error to the process exit code.
var exitCodes = map[fault.Kind]int{
	fault.Internal:    exitFailed,
	fault.Failed:      exitFailed,
	fault.Interrupted: exitInterrupted,
	fault.Config:      exitUsage,
	fault.Data:        exitQuality,
	fault.Locked:      exitLocked,
	fault.Partial:     exitPartial,
}

// usageErr is a bad command line (exit 2); its message names the flag.
func usageErr(format string, args ...any) error { return fault.Errorf(fault.Config, format, args...) }

// configErr is a config that does not load or validate (exit 2); its message names the key.
func configErr(err error) error { return fault.Wrap(fault.Config, err) }

// exitCode maps an error to the process exit code by its kind (fault.KindOf) and prints it as
// one plain line on stderr, whatever its kind; an internal error is logged with its detail as
// well, unless the run that failed has logged it already.
func exitCode(err error, stderr io.Writer, logger *slog.Logger) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	kind := fault.KindOf(err)
	re := (*runError)(nil)
	logged := errors.As(err, &re) && re.logged
	switch kind {
	case fault.Interrupted:
		fmt.Fprintln(stderr, "journeykpi: interrupted; no partial report was written")
	case fault.Internal:
		if !logged {
			logger.Error("run failed", "error", err.Error())
		}
		fmt.Fprintln(stderr, "journeykpi:", err.Error())
	default:
		fmt.Fprintln(stderr, "journeykpi:", err.Error())
	}
	return exitCodes[kind]
}
