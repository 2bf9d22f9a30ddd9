package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/source"
)

// ConfigHash is a short stable hash of the part of the configuration a report depends on: the
// ledger uses it to tell whether a period was computed with the same settings. How the work is
// done (engine.*), when it runs (schedule.*) and where the files go (report.out, and report.from
// and report.to, which only pick the default window of `run`) are left out, so tuning the
// workers, the memory budget or the cron does not make a backfill redo everything.
func ConfigHash(cfg *config.Config) string {
	c := *cfg
	c.Engine = config.Engine{}
	c.Schedule = config.Schedule{}
	c.Report.Out, c.Report.From, c.Report.To = "", "", ""
	c.Origin = ""
	b, err := c.Marshal()
	if err != nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Fingerprint is a short hash of the input a report of job's window would read: the events
// source's fingerprint over the read range (source.Fingerprinter), and the spend source's when
// there is one. "" when a source cannot tell: the ledger then compares "" with "", so such a
// period is done by its config alone (a failed fingerprint, an error, makes it due). It reads
// no rows: files are listed and stat'ed (small ones hashed), BigQuery is asked for the tables'
// last-modified times.
func Fingerprint(ctx context.Context, job Job) (string, error) {
	cfg := &job.Config
	start, end := ReadRange(cfg, job.Window)
	h := sha256.New()
	for _, kind := range []string{"events", "spend"} {
		src, closeSrc, err := openFor(ctx, job, kind)
		if err != nil {
			return "", err
		}
		if src == nil {
			continue
		}
		fp := ""
		if f, ok := src.(source.Fingerprinter); ok {
			fp, err = f.Fingerprint(ctx, start, end)
		}
		closeSrc()
		if err != nil {
			return "", fmt.Errorf("input fingerprint: %s: %w", kind, err)
		}
		if fp == "" {
			return "", nil
		}
		fmt.Fprintf(h, "%s\x00%s\n", kind, fp)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// openFor returns job's events or spend source (nil for a spend it has none of) and the function
// that closes it.
func openFor(ctx context.Context, job Job, kind string) (source.Source, func(), error) {
	given := job.Source
	open := source.Open
	if kind == "spend" {
		given, open = job.Spend, source.OpenSpend
	}
	if given != nil {
		return given, func() {}, nil
	}
	src, err := open(ctx, &job.Config, job.FS, job.Logger)
	if err != nil || src == nil {
		return nil, func() {}, err
	}
	return src, func() {
		if c, ok := src.(source.Closer); ok {
			c.Close()
		}
	}, nil
}
