package schedule

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// Backfill computes one report per period, oldest first, and records each in the ledger.
type Backfill struct {
	Report string
	// Windows are the periods to report (window.Split).
	Windows []window.Window
	// Force recomputes periods the ledger already has from the same config and input.
	Force      bool
	ConfigHash string
	Ledger     *Ledger
	Run        RunFunc
	// Fingerprint tells a period's input; nil fingerprints nothing (resume by config only).
	Fingerprint FingerprintFunc
	Clock       Clock
	Logger      *slog.Logger
	Webhook     string
	HTTPClient  *http.Client
	// Progress, when set, is called before each period (status "running") and after it (its
	// outcome, or "skipped"), with the number of periods finished so far.
	Progress func(done, total int, w window.Window, status string)
}

// Failure is one period that failed, or had no data.
type Failure struct {
	Window window.Window
	Err    error
}

// Summary is what a backfill did.
type Summary struct {
	// Tally counts the periods computed by outcome; Skipped those already done.
	Tally
	Skipped int
	// Failed and NoData are the periods that were not written, with their errors.
	Failed, NoData []Failure
	// Interrupted is set when ctx was cancelled before every period was done.
	Interrupted bool
	// Files are the files written, in period order.
	Files []string
}

// Written is the number of reports written (complete or not).
func (s Summary) Written() int { return s.OK + s.Incomplete }

// Do runs the backfill. A period whose report the ledger has from the same config and the same
// input is skipped (unless Force); a failed period is recorded and the others go on; cancelling
// ctx cancels the running period (nothing partial is written) and stops.
func (b *Backfill) Do(ctx context.Context) Summary {
	r := newRunner(b.Report, b.ConfigHash, b.Ledger, b.Run, b.Fingerprint, b.Clock, b.Logger, b.Webhook, b.HTTPClient)
	log := r.logger
	progress := b.Progress
	if progress == nil {
		progress = func(int, int, window.Window, string) {}
	}
	var s Summary
	total := len(b.Windows)
	for i, w := range b.Windows {
		if ctx.Err() != nil {
			s.Interrupted = true
			break
		}
		input, due := r.due(ctx, w)
		if !b.Force && !due {
			s.Skipped++
			log.Info("already written from this config and this input; skipped", "window", w.String(), "input", input)
			progress(i+1, total, w, OutcomeSkipped)
			continue
		}
		progress(i, total, w, OutcomeRunning)
		e, err := r.one(ctx, w, TriggerBackfill, time.Time{}, input)
		s.Add(e.Outcome)
		switch {
		case err == nil:
			s.Files = append(s.Files, e.Files...)
		case ctx.Err() != nil && isCancel(err):
			s.Interrupted = true
		case e.Outcome == OutcomeNoData:
			s.NoData = append(s.NoData, Failure{Window: w, Err: err})
		default:
			s.Failed = append(s.Failed, Failure{Window: w, Err: err})
		}
		progress(i+1, total, w, e.Outcome)
	}
	return s
}

// Single is one report outside a schedule (journeykpi run): fingerprinted, recorded in the
// ledger and posted to the webhook like the others, so that the ledger says what made every
// report on disk.
type Single struct {
	Report      string
	ConfigHash  string
	Ledger      *Ledger
	Run         RunFunc
	Fingerprint FingerprintFunc
	Logger      *slog.Logger
	Webhook     string
	HTTPClient  *http.Client
}

// Do runs w and returns its ledger entry and the run's error. It always computes, whatever the
// ledger says.
func (s *Single) Do(ctx context.Context, w window.Window) (Entry, error) {
	r := newRunner(s.Report, s.ConfigHash, s.Ledger, s.Run, s.Fingerprint, nil, s.Logger, s.Webhook, s.HTTPClient)
	input, _ := r.input(ctx, w)
	return r.one(ctx, w, TriggerRun, time.Time{}, input)
}
