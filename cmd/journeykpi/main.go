// Command journeykpi turns customer-journey touchpoint events into the KPIs a marketing team
// steers by, and writes them as an Excel workbook and JSON.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // report time zones work in a scratch container

	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := newConsole(os.Stdout, os.Stderr, func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) })
	err := run(ctx, os.Args[1:], e)
	os.Exit(exitCode(err, os.Stderr, e.logger))
}

// newConsole is the process's console. Progress bars and step lines are drawn on stderr, so it is
// stderr being a terminal that decides them, as it decides the log format: with stderr
// redirected to a file the file gets every log line and no carriage returns.
func newConsole(stdout, stderr *os.File, isTerminal func(*os.File) bool) console {
	tty := isTerminal(stderr)
	return console{stdout: stdout, stderr: stderr, logger: newLogger(stderr, tty), terminal: tty,
		lookupEnv: os.LookupEnv, systemConfig: SystemConfig}
}

// console is what a subcommand may use of the terminal it runs in: the output streams, the logger
// on stderr, and whether stderr is a terminal. Tests build their own.
type console struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	// terminal says whether stderr is a terminal (progress bars instead of log lines).
	terminal bool
	// lookupEnv and systemConfig are where a command looks for its config when --config is not
	// given (findConfig): the environment and /etc/journeykpi/config.yaml; tests leave them
	// empty, so that the machine's do not leak in.
	lookupEnv    func(string) (string, bool)
	systemConfig string
}

func newLogger(w io.Writer, terminal bool) *slog.Logger {
	if terminal {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

const usage = `journeykpi turns customer-journey touchpoint events into marketing KPIs and writes them
as an Excel workbook and JSON.

Usage:
  journeykpi run       [--config F] [--from D --to D | --date D] [--out DIR] [--wait D] [--timings]
                       one report for a date range
  journeykpi run       ... --shard i/N                       one customer shard's state, for merge
  journeykpi merge     [--config F] [--out DIR] DIR|FILE...  the report of every shard's state
  journeykpi backfill  [--config F] --from D --to D [--every day|week|month] [--force] [--out DIR]
                       one report per period
  journeykpi schedule  [--config F] [--out DIR] [--once]     cron daemon, nightly by default
  journeykpi plan      [--config F] [--from D --to D | --date D]
                       dry run: the query or files, the bytes scanned
  journeykpi validate  [--config F]                          config and source schema check
  journeykpi sync      [--config F] [--from D --to D]        BigQuery: rebuild the compact touchpoint table's days
  journeykpi inspect   [--config F] [--rows N] [--scan] [--json]
                       what the source parses: its first rows as the engine sees them, a profile
  journeykpi sample    --customers N --out DIR [--seed S]    deterministic synthetic events
  journeykpi status    [--config F] [--out DIR] [--json]     the run ledger, the locks, what runs next
  journeykpi version                                         print the version

With no --config: $JOURNEYKPI_CONFIG, else /etc/journeykpi/config.yaml when it exists, else the
built-in example config on the bundled sample data, offline (the log says which).
Run 'journeykpi COMMAND --help' for a command's flags.

Exit codes:
  0  success
  1  the run failed (source, computation or output error, or the output is not writable);
     nothing partial was written
  2  bad command line or configuration; the message names the flag or key
  3  data: more rows rejected than quality.max_reject_ratio allows, or no event in the period
  4  another journeykpi holds the lock on this output (run after --wait, schedule, backfill)
  5  backfill: some periods failed or had no data, the others were written
  130 interrupted (SIGINT/SIGTERM) before the run finished; nothing partial was written
`

// run dispatches a subcommand. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, e console) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usageErr("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, e)
	case "backfill":
		return cmdBackfill(ctx, rest, e)
	case "schedule":
		return cmdSchedule(ctx, rest, e)
	case "plan":
		return cmdPlan(ctx, rest, e)
	case "merge":
		return cmdMerge(ctx, rest, e)
	case "sync":
		return cmdSync(ctx, rest, e)
	case "validate":
		return cmdValidate(ctx, rest, e)
	case "inspect":
		return cmdInspect(ctx, rest, e)
	case "sample":
		return cmdSample(ctx, rest, e)
	case "status":
		return cmdStatus(ctx, rest, e)
	case "version", "--version":
		fmt.Fprintln(e.stdout, "journeykpi", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	default:
		fmt.Fprint(e.stderr, usage)
		return usageErr("unknown command %q", cmd)
	}
}
