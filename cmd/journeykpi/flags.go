package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// newFlags returns a FlagSet for a command, its usage headed by the synopsis and followed by the
// command's exit codes (exitHelp). parseArgs prints it.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: journeykpi %s\n\n", synopsis)
		fs.PrintDefaults()
		exits, ok := exitHelp[name]
		if !ok {
			exits = exitCodesHelp
		}
		fmt.Fprint(fs.Output(), "\nExit codes: ", exits)
	}
	return fs
}

// exitCodesHelp are the exit codes of a command that exitHelp does not list.
const exitCodesHelp = `0 success; 1 failed; 2 bad flag or config; 3 too many rejected rows or no data in
the period; 130 interrupted.
`

// exitHelp are the exit codes of the commands that write reports or read what they leave: each
// says when it ends with which, since unattended callers (systemd, a CronJob) act on them.
var exitHelp = map[string]string{
	"run": `0 written; 1 failed (nothing partial written, the previous report stays);
2 bad flag or config; 3 too many rejected rows or no event in the period; 4 output locked by
another journeykpi (after --wait); 130 interrupted.
`,
	"backfill": `0 every period written or skipped; 1 the output or its ledger cannot be written;
2 bad flag or config; 4 output locked by another journeykpi; 5 some periods failed or had no
data, the others were written; 130 interrupted (rerun to resume).
`,
	"schedule": `0 stopped cleanly (--once: no run failed or lacked data); 1 the output or its ledger
cannot be written (--once: a run failed); 2 bad flag or config; 3 --once: periods had no data,
none failed; 4 another scheduler holds this state directory; 130 a run cut short by
SIGTERM/SIGINT.
`,
	"status": `0 printed; 1 the ledger cannot be read; 2 bad flag or config.
`,
}

// parseArgs parses a command's args. When they ask for help it prints the usage, then more, to
// w and returns help true; a bad flag or a stray argument is a usage error (exit 2).
func parseArgs(f *flag.FlagSet, args []string, w io.Writer, more string) (help bool, err error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			f.SetOutput(w)
			f.Usage()
			fmt.Fprint(w, more)
			return true, nil
		}
		if a == "--" {
			break
		}
	}
	f.SetOutput(io.Discard)
	err = f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return false, err
	}
	if err != nil {
		return false, usageErr("%s: %v (see 'journeykpi %s --help')", f.Name(), err, f.Name())
	}
	if f.NArg() > 0 {
		return false, usageErr("%s: unexpected argument %q (see 'journeykpi %s --help')", f.Name(), f.Arg(0), f.Name())
	}
	return false, nil
}

// tuneCollector sets the garbage collector's target to 50% heap growth, unless GOGC or
// GOMEMLIMIT is set. With Go's default of 100% the heap doubles over the live rows and
// accumulators before a collection; a fixed limit instead makes the collector run without pause
// once the customers' state outgrows it. 50% keeps the peak proportional to what is live: 475 MB
// on the 10M-event peer file (693 MB at 100%) and no slowdown at 50M events.
func tuneCollector() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(50)
}

// SystemConfig is where the container image and the systemd unit look for a config when none is
// named: mount or install one there and `journeykpi schedule` uses it.
const SystemConfig = "/etc/journeykpi/config.yaml"

// findConfig says which config a command uses: --config, else $JOURNEYKPI_CONFIG, else the
// system config when it exists, else the built-in example (path ""). how says which, for the log.
func findConfig(flagPath string, e console) (path, how string) {
	if flagPath != "" {
		return flagPath, "--config"
	}
	if e.lookupEnv != nil {
		if p, ok := e.lookupEnv("JOURNEYKPI_CONFIG"); ok && p != "" {
			return p, "JOURNEYKPI_CONFIG"
		}
	}
	if e.systemConfig != "" {
		if _, err := os.Stat(e.systemConfig); err == nil {
			return e.systemConfig, "the system config"
		}
	}
	return "", "the built-in example on the bundled sample (no --config, no JOURNEYKPI_CONFIG, no " + SystemConfig + ")"
}

// loadConfig loads the config findConfig picks, and says at INFO which, on every start. The
// returned file system is where the files source resolves paths: the bundled sample for the
// example, nil (the OS) for a file.
func loadConfig(flagPath string, e console) (config.Config, fs.FS, error) {
	path, how := findConfig(flagPath, e)
	if e.logger != nil {
		if path == "" {
			e.logger.Info("config: " + how)
		} else {
			e.logger.Info("config: "+path, "from", how)
		}
	}
	if path == "" {
		c, err := config.Example()
		if err != nil {
			return config.Config{}, nil, configErr(err)
		}
		tuneCollector()
		return c, journeykpi.Sample(), nil
	}
	c, err := config.Load(path)
	if err != nil {
		return config.Config{}, nil, configErr(oneLine(err))
	}
	tuneCollector()
	return c, nil, nil
}

// oneLine joins a multi-error into "; "-separated text after its first line so a bad config
// prints as a short list.
func oneLine(err error) error {
	lines := strings.Split(err.Error(), "\n")
	if len(lines) == 1 {
		return err
	}
	return fmt.Errorf("%d problems in the config:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// flagWindow is the window of days --from and --to span in loc (both inclusive); they go
// together.
func flagWindow(from, to string, loc *time.Location) (window.Window, error) {
	if from == "" || to == "" {
		return window.Window{}, usageErr("--from and --to go together")
	}
	w, err := window.Parse(from, to, loc)
	if err != nil {
		return w, usageErr("--from/--to: %v", err)
	}
	return w, nil
}
