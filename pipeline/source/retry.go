package source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
)

// RetryPolicy bounds how a remote source is retried: the client libraries retry some errors on
// their own until the context ends, so the whole read gets a deadline and a number of attempts.
type RetryPolicy struct {
	// Attempts is the number of tries in all (1 means no retry).
	Attempts int
	// InitialBackoff is the pause before the second attempt; each later pause doubles, up to
	// MaxBackoff. A pause is drawn uniformly from [backoff/2, backoff] (jitter), so that many
	// jobs failing together do not come back together.
	InitialBackoff, MaxBackoff time.Duration
	// Deadline bounds the retrying: the attempts and pauses after the first failure, together.
	// A first attempt that runs long without failing is not bounded by it; zero means only ctx
	// bounds them.
	Deadline time.Duration
	// Transient says whether an error is worth another attempt. Nil means an error is transient
	// when it, or an error it wraps, has a method Transient() bool that returns true.
	Transient func(error) bool
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64
	// Sleep pauses for d or until ctx ends; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told of each failed attempt that will be retried (for the log).
	OnRetry func(attempt int, pause time.Duration, err error)
}

// RetryPolicyFromConfig builds the policy of config key source.bigquery.retry.
func RetryPolicyFromConfig(r config.Retry) RetryPolicy {
	return RetryPolicy{Attempts: r.Attempts, InitialBackoff: r.InitialBackoff.D(), MaxBackoff: r.MaxBackoff.D(), Deadline: r.Deadline.D()}
}

// RetryError is a read that failed for good: the last error and why it was not retried.
type RetryError struct {
	// Attempts is the number of attempts made.
	Attempts int
	// Reason says why no further attempt was made.
	Reason string
	Err    error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (%s after %d attempt%s)", e.Err, e.Reason, e.Attempts, plural(e.Attempts))
}

func (e *RetryError) Unwrap() error { return e.Err }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WithRetry wraps src so that Read is retried under policy p. A whole Read is retried only while
// it has emitted nothing: once a batch went to emit, another attempt could emit its rows twice,
// so a later failure is returned as it is (a source that can resume a stream does so itself).
// The optional abilities of src (Describer, ReadReporter, Planner, Schemer, Fingerprinter,
// Narrower, LatestEventer, LeftOutReporter, Freshener, Checker, Closer) are kept.
func WithRetry(src Source, p RetryPolicy) Source {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	if p.Transient == nil {
		p.Transient = IsTransient
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return &retrySource{src: src, p: p}
}

// IsTransient reports whether err, or an error it wraps, says it is transient through a
// Transient() bool method.
func IsTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type retrySource struct {
	src Source
	p   RetryPolicy
}

// backoff is the pause after the given failed attempt (1-based), before jitter: the same
// doubling as config.Retry.Backoff, which the sync and a resumed stream pause by too.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	return config.Retry{InitialBackoff: config.Duration(p.InitialBackoff), MaxBackoff: config.Duration(p.MaxBackoff)}.Backoff(attempt)
}

func (r *retrySource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	// The deadline bounds the retrying, from the first failure on: a read that runs long and
	// healthy (a large query, a long stream) is not cut by it.
	var deadline time.Time
	bounded := func() (context.Context, context.CancelFunc) {
		if deadline.IsZero() {
			return ctx, func() {}
		}
		return context.WithDeadline(ctx, deadline)
	}
	for attempt := 1; ; attempt++ {
		var emitted atomic.Bool
		var emitErr error
		var emitFailed atomic.Bool
		actx, cancel := bounded()
		err := r.src.Read(actx, start, end, func(rec arrow.Record) error {
			emitted.Store(true)
			if err := emit(rec); err != nil {
				if emitFailed.CompareAndSwap(false, true) {
					emitErr = err
				}
				return err
			}
			return nil
		})
		deadlineHit := ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case err == nil:
			return nil
		case emitFailed.Load() && errors.Is(err, emitErr):
			// The consumer's own error: not the source's to retry.
			return err
		case deadlineHit:
			return &RetryError{Attempts: attempt, Reason: fmt.Sprintf("retry deadline %s reached", r.p.Deadline), Err: err}
		case ctx.Err() != nil:
			return err
		case !r.p.Transient(err):
			return err
		case emitted.Load():
			return &RetryError{Attempts: attempt, Reason: "not retried: rows were already passed on and a new attempt would repeat them", Err: err}
		case attempt >= r.p.Attempts:
			return &RetryError{Attempts: attempt, Reason: "giving up", Err: err}
		}
		if deadline.IsZero() && r.p.Deadline > 0 {
			deadline = time.Now().Add(r.p.Deadline)
		}
		b := r.p.backoff(attempt)
		pause := b/2 + time.Duration(r.p.Rand()*float64(b-b/2))
		if r.p.OnRetry != nil {
			r.p.OnRetry(attempt, pause, err)
		}
		sctx, scancel := bounded()
		serr := r.p.Sleep(sctx, pause)
		waitHit := ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded)
		scancel()
		if serr != nil {
			reason := "interrupted while waiting to retry"
			if waitHit {
				reason = fmt.Sprintf("retry deadline %s reached while waiting to retry", r.p.Deadline)
			}
			return &RetryError{Attempts: attempt, Reason: reason, Err: err}
		}
	}
}

// Describe passes through to the wrapped source.
func (r *retrySource) Describe() string { return Describe(r.src) }

// LastRead passes through to the wrapped source.
func (r *retrySource) LastRead() string {
	if rr, ok := r.src.(ReadReporter); ok {
		return rr.LastRead()
	}
	return ""
}

// Fingerprint passes through to the wrapped source, not retried (a failure means "unknown" to
// the caller); "" when it has none.
func (r *retrySource) Fingerprint(ctx context.Context, start, end time.Time) (string, error) {
	if f, ok := r.src.(Fingerprinter); ok {
		return f.Fingerprint(ctx, start, end)
	}
	return "", nil
}

// Plan passes through to the wrapped source; it is not retried (it is quick and interactive).
func (r *retrySource) Plan(ctx context.Context, start, end time.Time) (string, int64, error) {
	p, ok := r.src.(Planner)
	if !ok {
		return "", -1, fmt.Errorf("%s cannot plan a read", Describe(r.src))
	}
	return p.Plan(ctx, start, end)
}

// Schema passes through to the wrapped source.
func (r *retrySource) Schema(ctx context.Context) (*arrow.Schema, error) {
	s, ok := r.src.(Schemer)
	if !ok {
		return nil, fmt.Errorf("%s cannot report its schema", Describe(r.src))
	}
	return s.Schema(ctx)
}

// Check passes through to the wrapped source; a source that cannot check has nothing to say.
func (r *retrySource) Check(ctx context.Context, start, end time.Time) error {
	if c, ok := r.src.(Checker); ok {
		return c.Check(ctx, start, end)
	}
	return nil
}

// Narrow narrows the wrapped source when it can, under the same policy; otherwise it returns r
// (the pipeline leaves the rows out itself).
func (r *retrySource) Narrow(n Narrowing) (Source, Narrowing) {
	if nr, ok := r.src.(Narrower); ok {
		src, applied := nr.Narrow(n)
		return &retrySource{src: src, p: r.p}, applied
	}
	return r, Narrowing{}
}

// Fresh passes through to the wrapped source, not retried; a source that cannot tell is fresh.
func (r *retrySource) Fresh(ctx context.Context, last time.Time) (bool, string, error) {
	if f, ok := r.src.(Freshener); ok {
		return f.Fresh(ctx, last)
	}
	return true, "the source cannot tell", nil
}

// LeftOut passes through to the wrapped source.
func (r *retrySource) LeftOut() map[string]int64 {
	if l, ok := r.src.(LeftOutReporter); ok {
		return l.LeftOut()
	}
	return nil
}

// LatestEvent passes through to the wrapped source, not retried.
func (r *retrySource) LatestEvent(ctx context.Context, start, end time.Time) (time.Time, bool, error) {
	l, ok := r.src.(LatestEventer)
	if !ok {
		return time.Time{}, false, fmt.Errorf("%s cannot tell the latest event time", Describe(r.src))
	}
	return l.LatestEvent(ctx, start, end)
}

// Close passes through to the wrapped source.
func (r *retrySource) Close() error {
	if c, ok := r.src.(Closer); ok {
		return c.Close()
	}
	return nil
}

// Unwrap returns the wrapped source.
func (r *retrySource) Unwrap() Source { return r.src }
