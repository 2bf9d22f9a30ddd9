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

// exitCode maps an error to the process exit code by its kind (fault.KindOf) and prints it once:
// a user error as one plain line on stderr, an internal one through the logger with its detail.
func exitCode(err error, stderr io.Writer, logger *slog.Logger) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if re := (*runError)(nil); errors.As(err, &re) {
		logger = re.log
	}
	kind := fault.KindOf(err)
	switch kind {
	case fault.Internal:
		logger.Error("run failed", "error", err.Error())
	case fault.Interrupted:
		fmt.Fprintln(stderr, "journeykpi: interrupted; no partial report was written")
	default:
		fmt.Fprintln(stderr, "journeykpi:", err.Error())
	}
	return exitCodes[kind]
}
