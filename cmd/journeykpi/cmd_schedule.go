package main

import (
	"context"
	"errors"
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
	cfgPath := f.String("config", "", "config `file` (default: the built-in example on the bundled sample)")
	out := f.String("out", "", "output `directory` (default: report.out)")
	once := f.Bool("once", false, "do one cycle now (catch-up, recompute, the current period) and exit")
	if help, err := parseArgs(f, args, e.stdout, scheduleHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	st, err := openStateDir(cfg, *out, schedule.SchedulerLockFile, "schedule", e)
	if err != nil {
		return err
	}
	defer st.lock.Release()
	c, err := schedule.ParseCron(cfg.Schedule.Cron, cfg.Location())
	if err != nil {
		return configErr(err)
	}
	s := schedule.New(schedule.Options{
		Report: cfg.Report.Name, Cron: c, Period: cfg.Schedule.Period, Location: cfg.Location(),
		RecomputeDays: cfg.Schedule.RecomputeDays, CatchUp: cfg.Schedule.CatchUp, Grace: cfg.Schedule.GracePeriod.D(),
		ConfigHash: pipeline.ConfigHash(&cfg), Ledger: st.ledger, Run: scheduledRunner(cfg, st.out, fsys),
		Logger: st.log, Webhook: cfg.Schedule.Webhook, Lock: st.outputLock,
	})
	if *once {
		if err := s.RunOnce(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fault.Errorf(fault.Failed, "schedule: a run failed (see the log and %s): %w", st.ledger.Path(), err)
		}
		return nil
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
// directory) without waiting and opens the ledger. A lock held by another process is exit 4.
func openStateDir(cfg config.Config, outFlag, name, what string, e console) (*stateDir, error) {
	out := outFlag
	if out == "" {
		out = cfg.Report.Out
	}
	dir := cfg.Schedule.StateDir
	if dir == "" {
		dir = out
	}
	log := e.logger.With("command", what)
	lock, err := lockfile.TryAcquire(filepath.Join(dir, name), what)
	if errors.Is(err, lockfile.ErrLocked) {
		hint := "wait for it to finish, or use another --out"
		if name == schedule.SchedulerLockFile {
			hint = "one scheduler per state directory"
		}
		return nil, fault.Errorf(fault.Locked, "%s: %w; %s", what, err, hint)
	}
	if err != nil {
		return nil, err
	}
	ledger, err := schedule.OpenLedger(dir)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &stateDir{out: out, dir: dir, lock: lock, ledger: ledger, log: log}, nil
}

// cleanOutput removes the temporary files a killed run left in the output directory. Only call it
// holding the output lock.
func (st *stateDir) cleanOutput() {
	if n, err := atomicfile.RemoveStale(st.out); err == nil && n > 0 {
		st.log.Warn("removed temporary files a killed run left behind", "files", n, "out", st.out)
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
		o, err := pipeline.Run(ctx, pipeline.Job{Config: cfg, Window: w, Out: out, FS: fsys, Logger: log, Version: version})
		if err != nil {
			return schedule.Result{}, err
		}
		return schedule.Result{Files: o.Files, RowsRead: o.Result.DataQuality.RowsRead}, nil
	}
}
