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
	// Force recomputes periods the ledger already has with the same config hash.
	Force      bool
	ConfigHash string
	Ledger     *Ledger
	Run        RunFunc
	Clock      Clock
	Logger     *slog.Logger
	Webhook    string
	HTTPClient *http.Client
	// Progress, when set, is called before each period (status "running") and after it (ok,
	// skipped, failed, interrupted), with the number of periods finished so far.
	Progress func(done, total int, w window.Window, status string)
}

// Failure is one period that failed.
type Failure struct {
	Window window.Window
	Err    error
}

// Summary is what a backfill did.
type Summary struct {
	Written, Skipped int
	Failed           []Failure
	// Interrupted is set when ctx was cancelled before every period was done.
	Interrupted bool
	// Files are the files written, in period order.
	Files []string
}

// Do runs the backfill. A failed period is recorded and the others go on; cancelling ctx cancels
// the running period (nothing partial is written) and stops.
func (b *Backfill) Do(ctx context.Context) Summary {
	r := newRunner(b.Report, b.ConfigHash, b.Ledger, b.Run, b.Clock, b.Logger, b.Webhook, b.HTTPClient)
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
		if !b.Force && b.Ledger.Done(w, b.ConfigHash) {
			s.Skipped++
			log.Info("already in the ledger with this config; skipped", "window", w.String())
			progress(i+1, total, w, OutcomeSkipped)
			continue
		}
		progress(i, total, w, OutcomeRunning)
		e, err := r.one(ctx, w, TriggerBackfill, time.Time{})
		switch {
		case err == nil:
			s.Written++
			s.Files = append(s.Files, e.Files...)
		case ctx.Err() != nil && isCancel(err):
			s.Interrupted = true
		default:
			s.Failed = append(s.Failed, Failure{Window: w, Err: err})
		}
		progress(i+1, total, w, e.Outcome)
	}
	return s
}
