package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/journeykpi/journeykpi/internal/lockfile"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
)

// statusHelp is what `journeykpi status --help` says after the flags.
const statusHelp = `
Prints the run ledger of the output: each period's last run (outcome, when, how long, rows read,
input fingerprint, trigger), whether a journeykpi holds the locks now, and what the scheduler
will do at its next fire time: each period of its plan, computed or left as it is (written from
the same config and input). It takes no lock and changes nothing; judging the plan lists the
input files or asks BigQuery for the tables' last-modified times, and reads no rows.
`

// statusPeriod is one period in the status: its latest run.
type statusPeriod struct {
	Window   string   `json:"window"`
	Outcome  string   `json:"outcome"`
	Trigger  string   `json:"trigger"`
	When     string   `json:"when"`
	Seconds  float64  `json:"seconds"`
	RowsRead int64    `json:"rows_read"`
	Input    string   `json:"input"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// statusNext is the scheduler's next fire time and its plan.
type statusNext struct {
	At   string `json:"at"`
	Runs []struct {
		Window string `json:"window"`
		Action string `json:"action"` // run | skip
		Why    string `json:"why"`
	} `json:"runs"`
}

type statusReport struct {
	Ledger        string         `json:"ledger"`
	Runs          int            `json:"runs"`
	OutputLock    string         `json:"output_lock"`
	SchedulerLock string         `json:"scheduler_lock"`
	Periods       []statusPeriod `json:"periods"`
	// Dead are runs the ledger shows running while no process holds the output lock: their
	// process died, and the next start of the scheduler redoes them.
	Dead []string   `json:"dead,omitempty"`
	Next statusNext `json:"next"`
}

func cmdStatus(ctx context.Context, args []string, e console) error {
	f := newFlags("status", "status [--config F] [--out DIR] [--json]")
	cfgPath := f.String("config", "", "config `file` (default: $JOURNEYKPI_CONFIG, /etc/journeykpi/config.yaml, else the built-in example)")
	out := f.String("out", "", "output `directory` (default: report.out)")
	asJSON := f.Bool("json", false, "print JSON instead of a table")
	if help, err := parseArgs(f, args, e.stdout, statusHelp); help || err != nil {
		return err
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	dir := cfg.Schedule.StateDir
	if dir == "" {
		dir = cfg.Report.Out
		if *out != "" {
			dir = *out
		}
	}
	ledger, err := schedule.OpenLedger(dir)
	if err != nil {
		return err
	}
	rep := statusReport{Ledger: ledger.Path(), Runs: len(ledger.Entries())}
	lockState := func(name string) string {
		h, held, err := lockfile.Holder(filepath.Join(dir, name))
		switch {
		case err != nil:
			return "unknown: " + err.Error()
		case held:
			return "held by " + h
		}
		return "free"
	}
	rep.OutputLock, rep.SchedulerLock = lockState(schedule.OutputLockFile), lockState(schedule.SchedulerLockFile)
	seen := map[string]bool{}
	es := ledger.Entries()
	for i := len(es) - 1; i >= 0; i-- {
		en := es[i]
		key := en.From + ".." + en.To
		if seen[key] || en.Outcome == schedule.OutcomeSkipped || en.Outcome == schedule.OutcomeUnchanged {
			continue
		}
		seen[key] = true
		when := en.End
		if when == "" {
			when = en.Start
		}
		rep.Periods = append(rep.Periods, statusPeriod{Window: key, Outcome: en.Outcome, Trigger: en.Trigger, When: when,
			Seconds: en.Seconds, RowsRead: en.RowsRead, Input: en.Input, Warnings: en.Warnings, Error: en.Error})
		if en.Outcome == schedule.OutcomeRunning && !strings.HasPrefix(rep.OutputLock, "held") {
			rep.Dead = append(rep.Dead, key)
		}
	}
	slices.SortFunc(rep.Periods, func(a, b statusPeriod) int { return strings.Compare(a.Window, b.Window) })

	c, err := schedule.ParseCron(cfg.Schedule.Cron, cfg.Location())
	if err != nil {
		return configErr(err)
	}
	s := schedule.New(schedule.Options{Cron: c, Period: cfg.Schedule.Period, Location: cfg.Location(),
		RecomputeDays: cfg.Schedule.RecomputeDays, ConfigHash: pipeline.ConfigHash(&cfg), Ledger: ledger,
		Fingerprint: inputFingerprint(cfg, fsys)})
	if next := s.Next(time.Now()); !next.IsZero() {
		rep.Next.At = next.In(cfg.Location()).Format(time.RFC3339)
		for _, p := range s.Preview(ctx, next) {
			r := struct {
				Window string `json:"window"`
				Action string `json:"action"`
				Why    string `json:"why"`
			}{Window: p.Window.String(), Action: "run", Why: p.Why}
			if p.Why == "" {
				r.Action, r.Why = "skip", "written from this config and this input"
			}
			rep.Next.Runs = append(rep.Next.Runs, r)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printStatus(e, rep, cfg.Schedule.Cron, cfg.Schedule.Period)
	return nil
}

func printStatus(e console, rep statusReport, cron, period string) {
	w := e.stdout
	fmt.Fprintf(w, "ledger %s: %d runs, %d periods\n", rep.Ledger, rep.Runs, len(rep.Periods))
	fmt.Fprintf(w, "output lock: %s\nscheduler lock: %s\n\n", rep.OutputLock, rep.SchedulerLock)
	if len(rep.Periods) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PERIOD\tLAST RUN\tWHEN (UTC)\tSECONDS\tROWS READ\tINPUT\tTRIGGER\tNOTE")
		for _, p := range rep.Periods {
			note := strings.Join(p.Warnings, ", ")
			if p.Error != "" {
				note = firstLine(p.Error, 80)
			}
			input := p.Input
			if input == "" {
				input = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%d\t%s\t%s\t%s\n", p.Window, p.Outcome, p.When, p.Seconds, p.RowsRead, input, p.Trigger, note)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	for _, d := range rep.Dead {
		fmt.Fprintf(w, "%s: its process died during the run; the next start of the scheduler redoes it\n", d)
	}
	if rep.Next.At == "" {
		fmt.Fprintf(w, "schedule.cron %q never fires again\n", cron)
		return
	}
	fmt.Fprintf(w, "next fire time %s (schedule.cron %q, %s):\n", rep.Next.At, cron, period)
	for _, r := range rep.Next.Runs {
		fmt.Fprintf(w, "  %-4s %s  (%s)\n", r.Action, r.Window, r.Why)
	}
}

// firstLine is s's first line, cut to n characters.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}
