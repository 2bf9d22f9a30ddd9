package schedule

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
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
	// Fingerprint tells a period's input, so that a period already written from the same
	// config and input is not computed again; nil fingerprints nothing.
	Fingerprint FingerprintFunc
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
	r := newRunner(o.Report, o.ConfigHash, o.Ledger, o.Run, o.Fingerprint, o.Clock, o.Logger, o.Webhook, o.HTTPClient)
	o.Clock, o.Logger, o.Fingerprint = r.clock, r.logger, r.fingerprint
	return &Scheduler{o: o, r: r}
}

// job is one window to run and the fire time it belongs to.
type job struct {
	w         window.Window
	trigger   string
	scheduled time.Time
}

// Plan is what the run fired at at does, in order: the periods the ledger has as incomplete
// (or without data) that are still within recompute_days, oldest first, then the recompute
// windows, oldest first, then the period it reports. Each runs only when its input or the config
// changed since its report was written.
func (s *Scheduler) Plan(at time.Time) []window.Window {
	target, err := window.Last(s.o.Period, at, s.o.Location)
	if err != nil {
		return nil
	}
	planned := append(window.Recompute(s.o.Period, target, s.o.RecomputeDays), target)
	return append(s.retries(target, planned), planned...)
}

// retries are the periods whose latest run in the ledger was incomplete or found no data, whose
// last day lies at most recompute_days before target's first day, and that are not among
// planned: they are tried again each night until the data cover them or they are too old.
func (s *Scheduler) retries(target window.Window, planned []window.Window) []window.Window {
	if s.o.Ledger == nil {
		return nil
	}
	oldest := target.From.AddDate(0, 0, -s.o.RecomputeDays).Format(time.DateOnly)
	seen := map[string]bool{}
	for _, w := range planned {
		seen[w.FromDay()+".."+w.ToDay()] = true
	}
	var out []window.Window
	es := s.o.Ledger.Entries()
	latest := map[string]string{}
	for _, e := range es {
		if e.Outcome != OutcomeSkipped && e.Outcome != OutcomeUnchanged {
			latest[e.From+".."+e.To] = e.Outcome
		}
	}
	for _, e := range es {
		key := e.From + ".." + e.To
		if seen[key] || e.To < oldest || e.To >= target.FromDay() {
			continue
		}
		if o := latest[key]; o != OutcomeIncomplete && o != OutcomeNoData {
			continue
		}
		seen[key] = true
		if w, err := window.Parse(e.From, e.To, s.o.Location); err == nil {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b window.Window) int { return a.From.Compare(b.From) })
	return out
}

// Next is the first fire time after t (zero when the cron never fires again).
func (s *Scheduler) Next(t time.Time) time.Time { return s.o.Cron.Next(t) }

// Planned is one period of a fire time's plan and whether it will be computed.
type Planned struct {
	Window window.Window
	// Why says why it will be computed; "" when it will not (written from the same config and
	// input).
	Why string
}

// Preview is what fire time at will do, period by period, judged on the ledger and the input as
// they are now. It reads no rows; it changes nothing.
func (s *Scheduler) Preview(ctx context.Context, at time.Time) []Planned {
	var out []Planned
	for _, w := range s.Plan(at) {
		fp, err := s.o.Fingerprint(ctx, w)
		why := ""
		if err != nil {
			why = "its input cannot be told: " + err.Error()
		} else {
			why = s.o.Ledger.Due(w, s.o.ConfigHash, fp)
		}
		out = append(out, Planned{Window: w, Why: why})
	}
	return out
}

// jobs are the runs of fire time at: its Plan, the period it reports with trigger, the others as
// recomputes (for the schedule's own fire times).
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
// fired, under the output lock, and returns what they came to and: the first failure's error
// (a failure other than no data first), or an error wrapping context.Canceled when ctx ended
// before every run was done.
func (s *Scheduler) RunOnce(ctx context.Context) (Tally, error) {
	var t Tally
	var first, noData error
	done := false
	err := s.withOutput(ctx, func() error {
		js, err := s.startup()
		if err != nil {
			s.o.Logger.Error("ledger not written", "error", err.Error())
		}
		js = dedupe(append(js, s.jobs(s.o.Clock.Now(), TriggerSchedule)...))
		defer s.logTally(t)
		for _, j := range js {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e, err := s.runGraceful(ctx, j)
			t.Add(e.Outcome)
			switch {
			case err == nil:
			case ctx.Err() != nil && isCancel(err):
				return err
			case e.Outcome == OutcomeNoData:
				if noData == nil {
					noData = err
				}
			case first == nil:
				first = err
			}
		}
		done = true
		return nil
	})
	switch {
	case err != nil:
		return t, err
	case !done:
		return t, ctx.Err()
	case first != nil:
		return t, first
	}
	return t, noData
}

// runAll runs js in order until ctx is cancelled, and logs what they came to. Failures are
// recorded and do not stop it; the error is non-nil only when a run was cut short by shutdown.
func (s *Scheduler) runAll(ctx context.Context, js []job) error {
	var t Tally
	defer func() {
		if len(js) > 0 {
			s.logTally(t)
		}
	}()
	for _, j := range js {
		if ctx.Err() != nil {
			s.o.Logger.Info("scheduler stopped before", "window", j.w.String())
			return nil
		}
		e, err := s.runGraceful(ctx, j)
		t.Add(e.Outcome)
		if err != nil && ctx.Err() != nil && isCancel(err) {
			return err
		}
	}
	return nil
}

// logTally logs the outcomes of one batch of runs.
func (s *Scheduler) logTally(t Tally) {
	s.o.Logger.Info("runs done: "+t.String(), "ok", t.OK, "incomplete", t.Incomplete, "no_data", t.NoData,
		"failed", t.Failed, "unchanged", t.Unchanged)
}

// runGraceful runs j with a context that outlives ctx by the grace period, unless its report is
// already written from the same config and input (a recovery always runs): that is recorded as
// unchanged.
func (s *Scheduler) runGraceful(ctx context.Context, j job) (Entry, error) {
	input, due := s.r.due(ctx, j.w)
	if !due && j.trigger != TriggerRecovery {
		now := s.o.Clock.Now()
		e := Entry{RunID: newRunID(), Trigger: j.trigger, From: j.w.FromDay(), To: j.w.ToDay(), ConfigHash: s.o.ConfigHash,
			Input: input, Start: utc(now), End: utc(now), Outcome: OutcomeUnchanged}
		if !j.scheduled.IsZero() {
			e.Scheduled = utc(j.scheduled)
		}
		s.o.Logger.Info("already written from this config and this input; not computed again", "window", j.w.String(),
			"trigger", j.trigger, "input", input)
		if err := s.o.Ledger.Put(e); err != nil {
			s.o.Logger.Error("ledger not written", "error", err.Error())
		}
		return e, nil
	}
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
	return s.r.one(runCtx, j.w, j.trigger, j.scheduled, input)
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
