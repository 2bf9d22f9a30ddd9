package schedule

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// maxWait is the longest the scheduler sleeps before looking at the clock again, so a wall
// clock step (NTP, a resumed VM) moves the next fire no later than this.
const maxWait = time.Minute

// Options configure a Scheduler.
type Options struct {
	// Report is report.name, for the webhook.
	Report string
	Cron   Cron
	// Period is schedule.period; Location the report time zone the period is cut in.
	Period        string
	Location      *time.Location
	RecomputeDays int
	CatchUp       int
	// Grace is how long a running report may go on after ctx is cancelled before it is
	// cancelled too.
	Grace      time.Duration
	ConfigHash string
	Ledger     *Ledger
	Run        RunFunc
	// Clock defaults to RealClock; Logger to a discarding one.
	Clock  Clock
	Logger *slog.Logger
	// Lock, when set, takes the output lock (waiting while a backfill holds it) and returns its
	// release; the scheduler holds it around each batch of runs and reloads the ledger under it.
	// An error from Lock after ctx ended means the scheduler stopped while waiting.
	Lock func(ctx context.Context) (unlock func(), err error)
	// Webhook, when non-empty, is posted a Notice after every run.
	Webhook string
	// HTTPClient is used for the webhook (tests); nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Scheduler runs the reports of a schedule. One Scheduler per state directory, under its Lock.
type Scheduler struct {
	o Options
	r *runner
}

// New returns a scheduler for o.
func New(o Options) *Scheduler {
	if o.Location == nil {
		o.Location = time.UTC
	}
	r := newRunner(o.Report, o.ConfigHash, o.Ledger, o.Run, o.Clock, o.Logger, o.Webhook, o.HTTPClient)
	o.Clock, o.Logger = r.clock, r.logger
	return &Scheduler{o: o, r: r}
}

// job is one window to run and the fire time it belongs to.
type job struct {
	w         window.Window
	trigger   string
	scheduled time.Time
}

// Plan is what the run fired at at does, in order: the recompute windows, oldest first, then
// the period it reports.
func (s *Scheduler) Plan(at time.Time) []window.Window {
	target, err := window.Last(s.o.Period, at, s.o.Location)
	if err != nil {
		return nil
	}
	return append(window.Recompute(s.o.Period, target, s.o.RecomputeDays), target)
}

func (s *Scheduler) jobs(at time.Time, trigger string) []job {
	ws := s.Plan(at)
	js := make([]job, len(ws))
	for i, w := range ws {
		t := trigger
		if i < len(ws)-1 && trigger == TriggerSchedule {
			t = TriggerRecompute
		}
		js[i] = job{w: w, trigger: t, scheduled: at}
	}
	return js
}

// startup returns what a starting scheduler runs before it waits for the next fire time, in
// order: windows whose run was cut short when the process died (the ledger shows them running),
// then the runs of the fire times missed since the ledger's last one, at most CatchUp of them,
// oldest first, each with its recompute windows. A window appears once, at its latest place.
// An empty ledger has missed nothing. It marks the dead runs abandoned in the ledger.
func (s *Scheduler) startup() ([]job, error) {
	now := s.o.Clock.Now()
	dead, err := s.o.Ledger.Abandon(now)
	var js []job
	for _, e := range dead {
		w, perr := window.Parse(e.From, e.To, s.o.Location)
		if perr != nil {
			continue
		}
		js = append(js, job{w: w, trigger: TriggerRecovery})
	}
	if last, ok := s.o.Ledger.LastScheduled(); ok {
		for _, at := range s.o.Cron.Between(last, now, s.o.CatchUp) {
			js = append(js, s.jobs(at, TriggerCatchUp)...)
		}
	}
	return dedupe(js), err
}

// dedupe keeps the last job of each window, in the order of those last occurrences.
func dedupe(js []job) []job {
	last := map[string]int{}
	for i, j := range js {
		last[j.w.String()] = i
	}
	var out []job
	for i, j := range js {
		if last[j.w.String()] == i {
			out = append(out, j)
		}
	}
	return out
}

// Serve runs the schedule until ctx is cancelled: first the startup runs, then one plan per fire
// time, each batch under the output lock (Options.Lock). A fire time that comes while a run is
// still going is skipped (logged and recorded), not queued. When ctx is cancelled no new run
// starts; the running one may finish within Grace and is cancelled after it, leaving no partial
// file. Serve returns nil on a clean stop and an error wrapping context.Canceled when a run had to
// be cut short. A failed or panicking run is recorded and the schedule goes on.
func (s *Scheduler) Serve(ctx context.Context) error {
	// Fire times that come during the startup runs are run after them, not lost.
	last := s.o.Clock.Now()
	err := s.withOutput(ctx, func() error {
		js, err := s.startup()
		if err != nil {
			s.o.Logger.Error("ledger not written", "error", err.Error())
		}
		// A fire time that passed while waiting for the lock is among the catch-up runs:
		// the loop starts after it rather than run it again.
		for _, j := range js {
			if j.scheduled.After(last) {
				last = j.scheduled
			}
		}
		if len(js) > 0 {
			s.o.Logger.Info("catching up", "runs", len(js))
		}
		return s.runAll(ctx, js)
	})
	if err != nil || ctx.Err() != nil {
		return err
	}
	for {
		next := s.o.Cron.Next(last)
		if next.IsZero() {
			s.o.Logger.Warn("the cron expression never fires again")
			<-ctx.Done()
			return nil
		}
		s.o.Logger.Info("next run", "at", next.Format(time.RFC3339))
		if !s.sleepUntil(ctx, next) {
			s.o.Logger.Info("scheduler stopped")
			return nil
		}
		last = next
		err := s.withOutput(ctx, func() error {
			if err := s.runAll(ctx, s.jobs(next, TriggerSchedule)); err != nil || ctx.Err() != nil {
				return err
			}
			now := s.o.Clock.Now()
			for _, at := range s.o.Cron.Between(next, now, 1<<30) {
				s.skip(at, now)
				last = at
			}
			return nil
		})
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// skip records fire time at as skipped because the previous run was still going.
func (s *Scheduler) skip(at, now time.Time) {
	target, _ := window.Last(s.o.Period, at, s.o.Location)
	s.o.Logger.Warn("fire time skipped: the previous run was still going", "at", at.Format(time.RFC3339),
		"window", target.String())
	e := Entry{RunID: newRunID(), Trigger: TriggerSchedule, Scheduled: utc(at), From: target.FromDay(),
		To: target.ToDay(), ConfigHash: s.o.ConfigHash, Start: utc(now), End: utc(now), Outcome: OutcomeSkipped}
	if err := s.o.Ledger.Put(e); err != nil {
		s.o.Logger.Error("ledger not written", "error", err.Error())
	}
}

// withOutput calls fn holding the output lock, with the ledger freshly read. When ctx ends while
// it waits for the lock it returns nil without calling fn.
func (s *Scheduler) withOutput(ctx context.Context, fn func() error) error {
	if s.o.Lock != nil {
		unlock, err := s.o.Lock(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		defer unlock()
		if err := s.o.Ledger.Reload(); err != nil {
			return err
		}
	}
	return fn()
}

// RunOnce runs the startup runs and then the plan of the fire time now, as if the cron had just
// fired, under the output lock, and returns: the first failure's error, or an error wrapping
// context.Canceled when ctx ended before every run was done.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	var first error
	done := false
	err := s.withOutput(ctx, func() error {
		js, err := s.startup()
		if err != nil {
			s.o.Logger.Error("ledger not written", "error", err.Error())
		}
		js = dedupe(append(js, s.jobs(s.o.Clock.Now(), TriggerSchedule)...))
		for _, j := range js {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if _, err := s.runGraceful(ctx, j); err != nil {
				if ctx.Err() != nil && isCancel(err) {
					return err
				}
				if first == nil {
					first = err
				}
			}
		}
		done = true
		return nil
	})
	switch {
	case err != nil:
		return err
	case !done:
		return ctx.Err()
	}
	return first
}

// runAll runs js in order until ctx is cancelled. Failures are recorded and do not stop it; the
// error is non-nil only when a run was cut short by shutdown.
func (s *Scheduler) runAll(ctx context.Context, js []job) error {
	for _, j := range js {
		if ctx.Err() != nil {
			s.o.Logger.Info("scheduler stopped before", "window", j.w.String())
			return nil
		}
		if _, err := s.runGraceful(ctx, j); err != nil && ctx.Err() != nil && isCancel(err) {
			return err
		}
	}
	return nil
}

// runGraceful runs j with a context that outlives ctx by the grace period.
func (s *Scheduler) runGraceful(ctx context.Context, j job) (Entry, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		s.o.Logger.Info("shutting down: letting the running report finish", "grace_seconds", s.o.Grace.Seconds(),
			"window", j.w.String())
		select {
		case <-finished:
		case <-s.o.Clock.After(s.o.Grace):
			cancel()
		}
	}()
	return s.r.one(runCtx, j.w, j.trigger, j.scheduled)
}

// sleepUntil waits for the clock to reach t; false when ctx ends first.
func (s *Scheduler) sleepUntil(ctx context.Context, t time.Time) bool {
	for {
		d := t.Sub(s.o.Clock.Now())
		if d <= 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-s.o.Clock.After(min(d, maxWait)):
		}
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
