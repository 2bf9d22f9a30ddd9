package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
)

// testRunDelayEnv names a test-only hook: a Go duration each scheduled or backfilled run waits
// (cancellably) before it reads anything, so process tests can signal or kill a run mid-way.
const testRunDelayEnv = "JOURNEYKPI_TEST_RUN_DELAY"

func cmdSchedule(ctx context.Context, args []string, e env) error {
	f := newFlags("schedule", "schedule [--config F] [--out DIR] [--once]", e.stderr)
	cfgPath := f.String("config", "", "config `file` (default: the built-in example on the bundled sample)")
	out := f.String("out", "", "output `directory` (default: report.out)")
	once := f.Bool("once", false, "do one cycle now (catch-up, recompute, the current period) and exit")
	if helpRequested(f, args, e.stdout) {
		fmt.Fprint(e.stdout, `
Runs unattended: at each schedule.cron fire time (report time zone unless CRON_TZ= is given) it
reports schedule.period before the run day and recomputes the earlier periods late data may have
changed (schedule.recompute_days). On start it redoes a run the previous process was killed in
and catches up at most schedule.catch_up missed fire times, oldest first. A fire time that comes
while a run is still going is skipped. Every run is recorded in <state dir>/journeykpi-ledger.json;
<state dir>/journeykpi.lock keeps a second scheduler or a backfill of the same output out (exit 4).
SIGTERM/SIGINT: no new run starts; the running one may finish within schedule.grace_period, then
it is cancelled and nothing partial is written (exit 130). See docs/operations.md.
`)
		return nil
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	st, err := openState(cfg, *out, "schedule", e)
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
		ConfigHash: pipeline.ConfigHash(&cfg), Ledger: st.ledger, Run: reportRunner(cfg, st.out, fsys, e),
		Logger: st.log, Webhook: cfg.Schedule.Webhook,
	})
	if *once {
		if err := s.RunOnce(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return &codedError{code: exitFailed, msg: "schedule: a run failed (see the log and " + st.ledger.Path() + ")", err: err}
		}
		return nil
	}
	st.log.Info("scheduler started", "cron", cfg.Schedule.Cron, "period", cfg.Schedule.Period, "out", st.out,
		"ledger", st.ledger.Path())
	return s.Serve(ctx)
}

// state is what schedule and backfill hold while they run: the lock on the state directory,
// the ledger and the output directory.
type state struct {
	out    string
	lock   *schedule.Lock
	ledger *schedule.Ledger
	log    *slog.Logger
}

// openState locks the state directory (schedule.state_dir, else the output directory), removes
// the temporary files a killed run left in the output directory and opens the ledger.
func openState(cfg config.Config, outFlag, what string, e env) (*state, error) {
	out := outFlag
	if out == "" {
		out = cfg.Report.Out
	}
	dir := cfg.Schedule.StateDir
	if dir == "" {
		dir = out
	}
	log := e.logger.With("command", what)
	lock, err := schedule.Acquire(dir, what)
	if errors.Is(err, schedule.ErrLocked) {
		return nil, &codedError{code: exitLocked, msg: fmt.Sprintf("%s: %v; wait for it to finish or stop it", what, err), err: err}
	}
	if err != nil {
		return nil, err
	}
	if n, err := pipeline.RemoveStaleTemp(out); err == nil && n > 0 {
		log.Warn("removed temporary files a killed run left behind", "files", n, "out", out)
	}
	ledger, err := schedule.OpenLedger(dir)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &state{out: out, lock: lock, ledger: ledger, log: log}, nil
}

// reportRunner is the RunFunc of schedule and backfill: one pipeline.Run into out.
func reportRunner(cfg config.Config, out string, fsys fs.FS, e env) schedule.RunFunc {
	delay, _ := time.ParseDuration(e.env(testRunDelayEnv))
	return func(ctx context.Context, w pipeline.Window, log *slog.Logger) (*pipeline.Outcome, error) {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return pipeline.Run(ctx, pipeline.Job{Config: cfg, Window: w, Out: out, FS: fsys, Logger: log, Version: version})
	}
}
