package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// RunFunc computes and writes one report for w (pipeline.Run in production). log already
// carries run_id and window. It must leave no partial file when it fails or ctx is cancelled.
type RunFunc func(ctx context.Context, w window.Window, log *slog.Logger) (Result, error)

// Result is what a run tells the schedule: the files it wrote and how many rows it read.
type Result struct {
	Files    []string
	RowsRead int64
}

// runner runs one window and records it: ledger entry before and after, panic recovery, logs,
// webhook. The scheduler and the backfill share it.
type runner struct {
	report     string
	configHash string
	ledger     *Ledger
	run        RunFunc
	clock      Clock
	logger     *slog.Logger
	webhook    *Webhook
}

// newRunner returns a runner; a nil clock is the real one, a nil logger discards, an empty
// webhook URL sends nothing.
func newRunner(report, configHash string, ledger *Ledger, run RunFunc, clock Clock, logger *slog.Logger,
	webhook string, client *http.Client) *runner {
	if clock == nil {
		clock = RealClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &runner{report: report, configHash: configHash, ledger: ledger, run: run, clock: clock, logger: logger}
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

// one runs w under ctx and returns the finished ledger entry. The error is the run's.
func (r *runner) one(ctx context.Context, w window.Window, trigger string, scheduled time.Time) (Entry, error) {
	e := Entry{
		RunID: newRunID(), Trigger: trigger, From: w.FromDay(), To: w.ToDay(), ConfigHash: r.configHash,
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
	switch {
	case err == nil:
		e.Outcome = OutcomeOK
		e.Files, e.RowsRead = res.Files, res.RowsRead
		log.Info("run finished", "outcome", e.Outcome, "rows_read", e.RowsRead, "files", len(e.Files))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Outcome = OutcomeInterrupted
		e.Error = err.Error()
		log.Warn("run interrupted; nothing was written", "error", e.Error)
	default:
		e.Outcome = OutcomeFailed
		e.Error = err.Error()
		log.Error("run failed; nothing was written", "error", e.Error)
	}
	if perr := r.ledger.Put(e); perr != nil {
		log.Error("ledger not written", "error", perr.Error())
	}
	n := Notice{Report: r.report, RunID: e.RunID, Trigger: trigger, From: e.From, To: e.To, Outcome: e.Outcome,
		RowsRead: e.RowsRead, Files: e.Files, Error: e.Error, Seconds: r.clock.Now().Sub(start).Seconds()}
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
