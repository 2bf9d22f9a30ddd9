package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind is what kind of failure an error is, and so the exit code journeykpi ends with.
type Kind uint8

const (
	// Internal is a failure of the run the user cannot act on from the message alone; its detail
	// goes to the log (exit 1).
	Internal Kind = iota
	// Failed is a failure of the run whose message says what to do (a BigQuery permission, a
	// missing table): printed as one plain line (exit 1).
	Failed
	// Interrupted is a run cancelled by a signal before it finished (exit 130).
	Interrupted
	// Config is a bad command line or configuration; the message names the flag or key (exit 2).
	Config
	// Data is input the report cannot stand behind: too many rejected rows, no data in the
	// period (exit 3).
	Data
	// Locked is an output or state directory held by another journeykpi (exit 4).
	Locked
	// Partial is a backfill of which some periods failed and the others were written (exit 5).
	Partial
)

// Kinded is an error that knows its kind. Error types of other packages implement it so that
// KindOf finds them without this package knowing them.
type Kinded interface {
	error
	Kind() Kind
}

// Error is an error of a given kind.
type Error struct {
	K   Kind
	Err error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Kind returns the error's kind.
func (e *Error) Kind() Kind { return e.K }

// Errorf formats an error of kind k; %w wraps as in fmt.Errorf.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{K: k, Err: fmt.Errorf(format, args...)}
}

// Wrap gives err kind k; a nil err stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{K: k, Err: err}
}

// KindOf returns the kind of err: that of the first Kinded error in its chain, except that a run
// cut short by context cancellation is Interrupted unless a kind the user must act on (Config,
// Data, Locked, Partial) says otherwise. An error without a kind is Internal; nil is Internal too
// (callers check for nil first).
func KindOf(err error) Kind {
	var k Kinded
	found := errors.As(err, &k)
	if found && k.Kind() >= Config {
		return k.Kind()
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	if found {
		return k.Kind()
	}
	return Internal
}
