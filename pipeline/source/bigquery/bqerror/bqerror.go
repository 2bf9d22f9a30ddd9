// Package bqerror tells what a failed BigQuery request means: whether another attempt may pass,
// and a plain sentence saying what the user can do about it.
package bqerror

import (
	"context"
	"errors"
	"fmt"
	"strings"

	bigquery "cloud.google.com/go/bigquery"
	"github.com/journeykpi/journeykpi/internal/fault"
	"google.golang.org/api/googleapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrNoCredentials is returned when Application Default Credentials cannot be found: a
// configuration problem of the machine, the user's to fix (fault.Config).
var ErrNoCredentials error = &fault.Error{K: fault.Config, Err: errors.New("bigquery: no Google credentials found; run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file")}

// Error is a BigQuery failure with its class: whether another attempt may succeed, and a plain
// message saying what to do about it.
type Error struct {
	// Op is the operation that failed: "query", "read session", "read rows", "table metadata".
	Op string
	// Reason is BigQuery's reason (backendError, accessDenied, invalidQuery…) or the gRPC code.
	Reason string
	// Hint is a plain sentence on what to do, empty when there is nothing to add.
	Hint string
	// Job is the query job's full name (project:location.id) when a job was involved, so that
	// the failure can be looked up in BigQuery.
	Job string
	// Retryable says another attempt may pass (backend errors, rate limits, an unavailable
	// service).
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	op := e.Op
	if e.Job != "" {
		op += " (job " + e.Job + ")"
	}
	msg := fmt.Sprintf("bigquery: %s: %s", op, message(e.Err))
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// WithJob names the job in err when err is an *Error (other errors pass through: a context's
// error, a consumer's).
func WithJob(err error, job string) error {
	var e *Error
	if errors.As(err, &e) && e.Job == "" {
		e.Job = job
	}
	return err
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether the failure may pass on another attempt (backend errors, rate
// limits, unavailable service); source.WithRetry retries only these.
func (e *Error) Transient() bool { return e.Retryable }

// Kind says how the command reports the failure: one that says what to do (accessDenied,
// notFound, invalidQuery, bytesBilledLimitExceeded) as one plain line; a transient one that
// outlived its retries as an internal failure, logged with its detail.
func (e *Error) Kind() fault.Kind {
	if e.Retryable {
		return fault.Internal
	}
	return fault.Failed
}

// message is the server's own message, without the client's decoration.
func message(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Message != "" {
		return ge.Message
	}
	var be *bigquery.Error
	if errors.As(err, &be) && be.Message != "" {
		return be.Message
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return s.Message()
	}
	return err.Error()
}

// Classify wraps err in an *Error naming op, with its reason and whether it is transient.
// Context errors and errors already classified pass through.
func Classify(op string, err error, maxBytes int64) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isCredentialError(err) {
		return fmt.Errorf("%w: %s", ErrNoCredentials, FirstLine(err.Error()))
	}
	e := &Error{Op: op, Err: err}
	reason, code := "", 0
	var ge *googleapi.Error
	var be *bigquery.Error
	switch {
	case errors.As(err, &ge):
		code = ge.Code
		for _, it := range ge.Errors {
			if it.Reason != "" {
				reason = it.Reason
				break
			}
		}
	case errors.As(err, &be):
		reason = be.Reason
	default:
		if s, ok := status.FromError(err); ok {
			switch s.Code() {
			case codes.Unavailable, codes.ResourceExhausted, codes.Internal, codes.Aborted:
				e.Reason, e.Retryable = s.Code().String(), true
				return e
			case codes.PermissionDenied, codes.Unauthenticated:
				reason = "accessDenied"
			case codes.NotFound:
				reason = "notFound"
			case codes.InvalidArgument:
				reason = "invalid"
			default:
				e.Reason = s.Code().String()
				return e
			}
		}
	}
	e.Reason = reason
	switch reason {
	case "backendError", "rateLimitExceeded", "jobRateLimitExceeded", "internalError", "jobBackendError", "jobInternalError":
		e.Retryable = true
	case "accessDenied":
		e.Hint = "the credentials need the roles BigQuery Job User, BigQuery Data Viewer and BigQuery Read Session User on the project"
	case "responseTooLarge":
		e.Hint = "the query result is too large for BigQuery to return; set source.bigquery.destination.dataset (or sync.table) so that results go to a table, or narrow the range"
	case "resourcesExceeded":
		e.Hint = "the query needs more than BigQuery gives one query; read the compact table (source.bigquery.sync), shard the report (run --shard), or narrow the range"
	case "timeout":
		e.Hint = "the job ran longer than source.bigquery.job_timeout and BigQuery stopped it; raise it or read less (source.bigquery.sync, run --shard)"
	case "stopped":
		e.Hint = "the job was cancelled"
	case "notFound":
		e.Hint = "check source.bigquery.project, table and location"
	case "invalidQuery", "invalid":
		e.Hint = "check source.bigquery.query; the range is passed as @start and @end"
	case "bytesBilledLimitExceeded":
		e.Hint = fmt.Sprintf("the query would scan more than max_bytes_billed %d bytes; narrow the range, select fewer columns or raise source.bigquery.max_bytes_billed", maxBytes)
	case "quotaExceeded":
		e.Hint = "a BigQuery quota is used up; try later or raise the quota"
	default:
		if code >= 500 {
			e.Retryable = true
		}
	}
	return e
}

func isCredentialError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "could not find default credentials") ||
		strings.Contains(s, "credentials: could not find")
}

// FirstLine is s up to its first line break.
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
