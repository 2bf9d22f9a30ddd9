package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/bigquery"
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

// codedError carries the exit code of a user-facing failure; its message is one plain line.
type codedError struct {
	code int
	msg  string
	err  error
}

func (e *codedError) Error() string {
	if e.msg == "" && e.err != nil {
		return e.err.Error()
	}
	return e.msg
}

func (e *codedError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &codedError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// configErr wraps a config load or validation error (exit 2).
func configErr(err error) error { return &codedError{code: exitUsage, err: err} }

// exitCode maps an error to the process exit code and prints it once: a user error as plain
// lines on stderr, an internal one through the logger with its detail.
func exitCode(err error, stderr io.Writer, logger *slog.Logger) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if re := (*runError)(nil); errors.As(err, &re) {
		logger = re.log
	}
	var ce *codedError
	var qe *pipeline.QualityError
	var mc *pipeline.MissingColumnError
	var cfe *pipeline.ConfigError
	var be *bigquery.Error
	switch {
	case errors.Is(err, bigquery.ErrNoCredentials):
		fmt.Fprintln(stderr, "journeykpi:", bigquery.ErrNoCredentials.Error())
		return exitUsage
	case errors.As(err, &mc), errors.As(err, &cfe):
		fmt.Fprintln(stderr, "journeykpi:", err.Error())
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "journeykpi:", ce.Error())
		return ce.code
	case errors.As(err, &qe):
		fmt.Fprintln(stderr, "journeykpi:", qe.Error())
		return exitQuality
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "journeykpi: interrupted; no partial report was written")
		return exitInterrupted
	case errors.As(err, &be) && !be.Transient():
		// accessDenied, notFound, invalidQuery, bytesBilledLimitExceeded: the user's to fix, and
		// the message says how.
		fmt.Fprintln(stderr, "journeykpi:", err.Error())
		return exitFailed
	}
	logger.Error("run failed", "error", err.Error())
	return exitFailed
}
