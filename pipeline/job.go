package pipeline

import (
	"io"
	"io/fs"
	"log/slog"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/shard"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/steps"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// Job is one report run.
type Job struct {
	Config config.Config
	Window window.Window
	// Out overrides report.out when non-empty.
	Out string
	// FS, when set, is where a files source resolves its paths (the sample embedded in the binary);
	// nil means the OS filesystem.
	FS fs.FS
	// Source and Spend, when set, replace the sources the config describes (tests, embedding).
	Source source.Source
	Spend  source.Source
	Logger *slog.Logger
	// Progress receives a progress line per stage of the run when non-nil (a terminal).
	Progress io.Writer
	// Version is the product version written into the report.
	Version string
	// Shard, when set, makes the run fold only the customers of one shard and write their
	// accumulators (a shard state) instead of a report; Merge makes the report of every shard's.
	Shard *shard.Shard
	// CheckFreshness asks the source, before reading, whether its data reach the period's last
	// day, and acts by source.bigquery.freshness (a scheduled report).
	CheckFreshness bool
	// freshness are the warnings the freshness check left for the report.
	freshness []kpi.Warning
	// Timings adds the step timings to the workbook's About sheet; they make the bytes differ
	// between runs.
	Timings bool
	// By (week, month, quarter) adds the headline KPIs of each such period of the window (run
	// --by): the Periods sheet and the JSON periods[]. Empty for none.
	By string
}

// Outcome is what a run did.
type Outcome struct {
	Window window.Window
	// Files are the files written, workbook first.
	Files  []string
	Result *kpi.Result
	// Source describes what was read; LastRead is what its read ran, when the source can say
	// (source.ReadReporter): the statement with its parameters, or the files opened and pruned.
	Source     string
	LastRead   string
	ConfigHash string
	Timings    []Timing
}

// Timing is how long one step of the run took.
type Timing = steps.Timing
