package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/internal/lockfile"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// scheduleHelp is what `journeykpi schedule --help` says after the flags.
const scheduleHelp = `
Runs unattended: at each schedule.cron fire time (report time zone unless CRON_TZ= is given) it
reports schedule.period before the run day and recomputes the earlier periods late data may have
changed (schedule.recompute_days). On start it redoes a run the previous process was killed in
and catches up at most schedule.catch_up missed fire times, oldest first. A fire time that comes
while a run is still going is skipped. Every run is recorded in <state dir>/journeykpi-ledger.json.
A second scheduler on the same state directory exits 4; a fire time that comes during a backfill of
the same output waits for it.
SIGTERM/SIGINT: no new run starts; the running one may finish within schedule.grace_period, then
it is cancelled and nothing partial is written (exit 130). See docs/operations.md.
`

func cmdSchedule(ctx context.Context, args []string, e console) error {
	f := newFlags("schedule", "schedule [--config F] [--out DIR] [--once]")
	cfgPath := f.String("config", "", "config `file` (default: $JOURNEYKPI_CONFIG, /etc/journeykpi/config.yaml, else the built-in example)")
	out := f.String("out", "", "output `directory` (default: report.out)")
	once := f.Bool("once", false, "do one cycle now (catch-up, recompute, the current period) and exit")
	if help, err := parseArgs(f, args, e.stdout, scheduleHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	st, err := openStateDir(ctx, cfg, *out, schedule.SchedulerLockFile, "schedule", 0, e)
	if err != nil {
		return err
	}
	defer st.lock.Release()
	c, err := schedule.ParseCron(cfg.Schedule.Cron, cfg.Location())
	if err != nil {
		return configErr(err)
	}
	run, fingerprint := scheduled(cfg, st.out, fsys, st.log)
	s := schedule.New(schedule.Options{
		Report: cfg.Report.Name, Cron: c, Period: cfg.Schedule.Period, Location: cfg.Location(),
		RecomputeDays: cfg.Schedule.RecomputeDays, CatchUp: cfg.Schedule.CatchUp, Grace: cfg.Schedule.GracePeriod.D(),
		ConfigHash: pipeline.ConfigHash(&cfg), Ledger: st.ledger, Run: run,
		Fingerprint: fingerprint, Logger: st.log, Webhook: cfg.Schedule.Webhook, Lock: st.outputLock,
	})
	if *once {
		t, err := s.RunOnce(ctx)
		fmt.Fprintf(e.stdout, "schedule --once: %s\n", t)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, context.Canceled):
			return err
		case t.Failed == 0 && t.NoData > 0:
			return fault.Errorf(fault.Data, "schedule: %d of the periods had no data (see the log and %s): %w", t.NoData, st.ledger.Path(), err)
		}
		return fault.Errorf(fault.Failed, "schedule: a run failed (see the log and %s): %w", st.ledger.Path(), err)
	}
	st.log.Info("scheduler started", "cron", cfg.Schedule.Cron, "period", cfg.Schedule.Period, "out", st.out,
		"ledger", st.ledger.Path())
	return s.Serve(ctx)
}

// stateDir is what schedule and backfill hold while they run: a lock in the state directory
// (schedule: the scheduler lock; backfill: the output lock), the ledger, the output directory.
type stateDir struct {
	out, dir string
	lock     *lockfile.Lock
	ledger   *schedule.Ledger
	log      *slog.Logger
}

// openStateDir takes lock file name in the state directory (schedule.state_dir, else the output
// directory), waiting up to wait while another process holds it, opens the ledger, and checks
// that the output directory can be written, before any data is read. A lock still held after
// wait is exit 4, naming its holder.
func openStateDir(ctx context.Context, cfg config.Config, outFlag, name, what string, wait time.Duration, e console) (*stateDir, error) {
	out := outFlag
	if out == "" {
		out = cfg.Report.Out
	}
	dir := cfg.Schedule.StateDir
	if dir == "" {
		dir = out
	}
	log := e.logger.With("command", what)
	lock, err := acquire(ctx, filepath.Join(dir, name), what, wait, log)
	if errors.Is(err, lockfile.ErrLocked) {
		hint := "wait for it to finish, or use another --out"
		switch {
		case name == schedule.SchedulerLockFile:
			hint = "one scheduler per state directory"
		case wait > 0:
			hint = fmt.Sprintf("waited %s; wait longer (--wait), or use another --out", wait)
		}
		return nil, fault.Errorf(fault.Locked, "%s: %w; %s", what, err, hint)
	}
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Probe(out); err != nil {
		lock.Release()
		return nil, fault.Errorf(fault.Failed, "%s: %w", what, err)
	}
	ledger, err := schedule.OpenLedger(dir)
	if err != nil {
		lock.Release()
		return nil, err
	}
	if n, err := pipeline.RemoveStaleSpill(&cfg); err != nil {
		log.Warn("old spill directories not removed", "error", err.Error())
	} else if n > 0 {
		log.Warn("removed spill directories killed processes left behind", "dirs", n)
	}
	return &stateDir{out: out, dir: dir, lock: lock, ledger: ledger, log: log}, nil
}

// acquire takes the lock at path, waiting up to wait (polling) while another process holds it.
// When it is still held the error wraps lockfile.ErrLocked and names the holder.
func acquire(ctx context.Context, path, what string, wait time.Duration, log *slog.Logger) (*lockfile.Lock, error) {
	l, err := lockfile.TryAcquire(path, what)
	if wait <= 0 || !errors.Is(err, lockfile.ErrLocked) {
		return l, err
	}
	held := err
	log.Warn("waiting for the output lock", "holder", held.Error(), "wait_seconds", wait.Seconds())
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	l, err = lockfile.Acquire(wctx, path, what, 100*time.Millisecond, func(err error) { held = err })
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, held
	}
	return l, err
}

// cleanOutput puts the output directory back in order after a process died in it: it finishes
// the report commits a kill interrupted (atomicfile.Recover), removes the temporary files of
// writes that never committed, and removes any report file that does not match its manifest.
// Only call it holding the output lock.
func (st *stateDir) cleanOutput() {
	cleanOutput(st.out, st.log)
}

func cleanOutput(out string, log *slog.Logger) {
	if n, err := atomicfile.Recover(out); err != nil {
		// The temporary files of an unfinished commit are what finishes it, and its files do not
		// match their manifest yet: removing either would lose the report. The next start tries
		// again.
		log.Error("interrupted report commits not finished; the output is left as it is", "error", err.Error(), "out", out)
		return
	} else if n > 0 {
		log.Warn("finished report commits a killed run left half-way", "commits", n, "out", out)
	}
	if n, err := atomicfile.RemoveStale(out); err == nil && n > 0 {
		log.Warn("removed temporary files a killed run left behind", "files", n, "out", out)
	}
	removed, err := pipeline.SweepOutput(out)
	if err != nil {
		log.Error("report files not checked against their manifests", "error", err.Error(), "out", out)
	}
	for _, p := range removed {
		log.Warn("removed a report file that does not match its manifest", "file", p)
	}
}

// outputLock is the scheduler's Options.Lock: it waits for the output lock while a backfill holds
// it, then cleans the output directory.
func (st *stateDir) outputLock(ctx context.Context) (func(), error) {
	l, err := lockfile.Acquire(ctx, filepath.Join(st.dir, schedule.OutputLockFile), "schedule", time.Second, func(err error) {
		st.log.Warn("waiting for the output lock", "holder", err.Error())
	})
	if err != nil {
		return nil, err
	}
	st.cleanOutput()
	return func() { l.Release() }, nil
}

// reportRunner is the RunFunc of backfill: one pipeline.Run into out.
func reportRunner(cfg config.Config, out string, fsys fs.FS) schedule.RunFunc {
	return func(ctx context.Context, w window.Window, log *slog.Logger) (schedule.Result, error) {
		return runReport(ctx, pipeline.Job{Config: cfg, Window: w, Out: out, FS: fsys, Logger: log, Version: version})
	}
}

// runReport runs job and says what it came to: a period without events as no_data, one the
// data cover in part as incomplete.
func runReport(ctx context.Context, job pipeline.Job) (schedule.Result, error) {
	o, err := pipeline.Run(ctx, job)
	if errors.Is(err, pipeline.ErrNoData) {
		return schedule.Result{Status: schedule.OutcomeNoData}, err
	}
	if err != nil {
		return schedule.Result{}, err
	}
	res := schedule.Result{Files: o.Files, RowsRead: o.Result.DataQuality.RowsRead, Status: schedule.OutcomeOK}
	if pipeline.Incomplete(o.Result.Warnings) {
		res.Status = schedule.OutcomeIncomplete
	}
	for _, w := range o.Result.Warnings {
		res.Warnings = append(res.Warnings, w.Code)
	}
	return res, nil
}

// inputFingerprint is the FingerprintFunc of schedule, backfill and run (pipeline.Fingerprint).
func inputFingerprint(cfg config.Config, fsys fs.FS) schedule.FingerprintFunc {
	return func(ctx context.Context, w window.Window) (string, error) {
		return pipeline.Fingerprint(ctx, pipeline.Job{Config: cfg, Window: w, FS: fsys})
	}
}
