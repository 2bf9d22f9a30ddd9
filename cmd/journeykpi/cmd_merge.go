package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/journeykpi/journeykpi/pipeline"
)

// mergeHelp is what `journeykpi merge --help` says after the flags.
const mergeHelp = `
Makes the report of the shard states that 'run --shard i/N' wrote, one report per window found:
the files given, and every shard state file in the directories given. Every shard 0..N-1 of a
window must be there once, written with this configuration from the same data; the report is
byte for byte the one a single run would write (but for the About sheet of shards that read only
their customers from a BigQuery compact table: it shows shard 0's query). Flags come before the
files.
`

func cmdMerge(ctx context.Context, args []string, e console) error {
	f := newFlags("merge", "merge [--config F] [--out DIR] [--timings] DIR|FILE...")
	cfgPath := f.String("config", "", "config `file` the shards ran with (default: the built-in example)")
	out := f.String("out", "", "output `directory` (default: report.out)")
	timings := f.Bool("timings", false, "add step timings to the About sheet (the file then differs between runs)")
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			_, err := parseArgs(f, []string{a}, e.stdout, mergeHelp)
			return err
		}
	}
	if err := f.Parse(args); err != nil {
		return usageErr("merge: %v (see 'journeykpi merge --help')", err)
	}
	if f.NArg() == 0 {
		return usageErr("merge: name the shard state files or their directories (see 'journeykpi merge --help')")
	}
	cfg, _, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	log := e.logger.With("run_id", runID(), "trigger", "merge")
	outs, err := pipeline.Merge(ctx, pipeline.MergeJob{
		Job:   pipeline.Job{Config: cfg, Out: *out, Logger: log, Version: version, Timings: *timings, Progress: progressWriter(e)},
		Paths: f.Args(),
	})
	for _, o := range outs {
		for _, p := range o.Files {
			fmt.Fprintln(e.stdout, p)
		}
	}
	return err
}

// runShard folds one shard of job's window and prints its state file. It takes no lock and
// records nothing in the ledger: the shards of a report run at once, often on other machines.
func runShard(ctx context.Context, job pipeline.Job, e console) error {
	job.Logger = e.logger.With("run_id", runID(), "window", job.Window.String(), "trigger", "run", "shard", job.Shard.String())
	o, err := pipeline.Run(ctx, job)
	if err != nil {
		return err
	}
	for _, p := range o.Files {
		fmt.Fprintln(e.stdout, p)
	}
	return nil
}

// runID is a random 16-hex-digit id for the log lines of a command that the ledger does not
// record (a shard, a merge, a sync), in the ledger's form.
func runID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
