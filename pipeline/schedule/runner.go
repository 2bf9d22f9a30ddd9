package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// RunFunc computes and writes one report for w (pipeline.Run in production). log already
// carries run_id and window. It must leave no partial file when it fails or ctx is cancelled.
// A run whose period holds no event returns an error with Result.Status OutcomeNoData.
type RunFunc func(ctx context.Context, w window.Window, log *slog.Logger) (Result, error)

// FingerprintFunc returns the fingerprint of the input a report of w would read
// (pipeline.Fingerprint): "" when the source cannot tell. It reads no rows.
type FingerprintFunc func(ctx context.Context, w window.Window) (string, error)

// Result is what a run tells the schedule: the files it wrote, how many rows it read, and its
// status.
type Result struct {
	Files    []string
	RowsRead int64
	// Status is OutcomeOK (or "") for a report of a period the data cover, OutcomeIncomplete for
	// one they cover in part, OutcomeNoData beside the error of a period without any event.
	Status string
	// Warnings are the codes of the report's warnings.
	Warnings []string
}

// runner runs one window and records it: ledger entry before and after, panic recovery, logs,
// webhook. The scheduler, the backfill and `journeykpi run` share it.
type runner struct {
	report      string
	configHash  string
	ledger      *Ledger
	run         RunFunc
	fingerprint FingerprintFunc
	clock       Clock
	logger      *slog.Logger
	webhook     *Webhook
}

// newRunner returns a runner; a nil clock is the real one, a nil logger discards, an empty
// webhook URL sends nothing, a nil fingerprint function fingerprints nothing (every input "").
func newRunner(report, configHash string, ledger *Ledger, run RunFunc, fingerprint FingerprintFunc, clock Clock,
	logger *slog.Logger, webhook string, client *http.Client) *runner {
	if clock == nil {
		clock = RealClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if fingerprint == nil {
		fingerprint = func(context.Context, window.Window) (string, error) { return "", nil }
	}
	r := &runner{report: report, configHash: configHash, ledger: ledger, run: run, fingerprint: fingerprint,
		clock: clock, logger: logger}
	if webhook != "" {
		r.webhook = &Webhook{URL: webhook, Client: client}
	}
	return r
}

func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// input fingerprints w's input. known is false when that failed (logged): the period then counts
// as changed.
func (r *runner) input(ctx context.Context, w window.Window) (fp string, known bool) {
	fp, err := r.fingerprint(ctx, w)
	if err != nil {
		r.logger.Warn("input fingerprint failed; the period counts as changed", "window", w.String(), "error", err.Error())
		return "", false
	}
	return fp, true
}

// due fingerprints w's input and reports whether w must be computed: not Done in the ledger
// with this config and this input.
func (r *runner) due(ctx context.Context, w window.Window) (input string, due bool) {
	fp, known := r.input(ctx, w)
	return fp, !known || !r.ledger.Done(w, r.configHash, fp)
}

// one runs w under ctx and returns the finished ledger entry. input is the fingerprint the run
// was decided on. The error is the run's.
func (r *runner) one(ctx context.Context, w window.Window, trigger string, scheduled time.Time, input string) (Entry, error) {
	e := Entry{
		RunID: newRunID(), Trigger: trigger, From: w.FromDay(), To: w.ToDay(), ConfigHash: r.configHash, Input: input,
		Start: utc(r.clock.Now()), Outcome: OutcomeRunning,
	}
	if !scheduled.IsZero() {
		e.Scheduled = utc(scheduled)
	}
	log := r.logger.With("run_id", e.RunID, "window", w.String(), "trigger", trigger)
	if err := r.ledger.Put(e); err != nil {
		log.Error("ledger not written", "error", err.Error())
	}
	log.Info("run started")
	start := r.clock.Now()
	res, err := r.safeRun(ctx, w, log)
	e.End = utc(r.clock.Now())
	e.Seconds = r.clock.Now().Sub(start).Seconds()
	e.Warnings = res.Warnings
	switch {
	case err == nil:
		e.Outcome = OutcomeOK
		if res.Status == OutcomeIncomplete {
			e.Outcome = OutcomeIncomplete
		}
		e.Files, e.RowsRead = res.Files, res.RowsRead
		log.Info("run finished", "outcome", e.Outcome, "rows_read", e.RowsRead, "files", len(e.Files))
	case ctx.Err() != nil && isCancel(err):
		// Only a run whose own context ended (shutdown) is interrupted; a deadline inside the run
		// (a request timing out, the retry deadline) is a failure like any other.
		e.Outcome = OutcomeInterrupted
		e.Error = err.Error()
		log.Warn("run interrupted; nothing was written", "error", e.Error)
	case res.Status == OutcomeNoData:
		e.Outcome = OutcomeNoData
		e.RowsRead = res.RowsRead
		e.Error = err.Error()
		log.Error("no data in the period; nothing was written", "error", e.Error)
	default:
		e.Outcome = OutcomeFailed
		e.Error = err.Error()
		log.Error("run failed; nothing was written", "error", e.Error)
	}
	if perr := r.ledger.Put(e); perr != nil {
		log.Error("ledger not written", "error", perr.Error())
	}
	n := Notice{Report: r.report, RunID: e.RunID, Trigger: trigger, From: e.From, To: e.To, Outcome: e.Outcome,
		RowsRead: e.RowsRead, Files: e.Files, Warnings: e.Warnings, Input: e.Input, Error: e.Error, Seconds: e.Seconds}
	if werr := r.webhook.Send(ctx, n); werr != nil {
		log.Warn("webhook failed", "error", werr.Error())
	}
	return e, err
}

// safeRun calls the run function, turning a panic into an error so one bad period does not end
// the daemon.
func (r *runner) safeRun(ctx context.Context, w window.Window, log *slog.Logger) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("run panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = Result{}, fmt.Errorf("panic: %v", p)
		}
	}()
	return r.run(ctx, w, log)
}

// Tally counts runs by outcome, for the summaries of schedule and backfill.
type Tally struct {
	OK, Incomplete, NoData, Failed, Unchanged, Interrupted int
}

// Add counts one outcome.
func (t *Tally) Add(outcome string) {
	switch outcome {
	case OutcomeOK:
		t.OK++
	case OutcomeIncomplete:
		t.Incomplete++
	case OutcomeNoData:
		t.NoData++
	case OutcomeFailed:
		t.Failed++
	case OutcomeUnchanged:
		t.Unchanged++
	case OutcomeInterrupted:
		t.Interrupted++
	}
}

// String is "3 ok, 1 incomplete, 0 no data, 0 failed, 2 unchanged".
func (t Tally) String() string {
	return fmt.Sprintf("%d ok, %d incomplete, %d no data, %d failed, %d unchanged", t.OK, t.Incomplete, t.NoData, t.Failed, t.Unchanged)
}
