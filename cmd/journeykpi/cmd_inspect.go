package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/journeykpi/journeykpi/pipeline/inspect"
)

// inspectHelp is what `journeykpi inspect --help` says after the flags.
const inspectHelp = `
Reads the source the config describes through the real mapping (columns, computed columns,
filter, time format, stages) and prints its first rows as the engine sees them: the contract
columns, the event time in the report time zone, the stage matched, or why a row is filtered or
rejected. Then a profile: rows read, accepted, filtered and rejected by reason, the time range,
nulls per contract column, event names with their rows and stage (unmatched ones marked; with
funnel.match: stage, the stages their rows' stage column matched), and distinct customers; of the first 100,000 rows, or of the whole source with --scan. Every row is
read whatever its time; nothing is written.
`

func cmdInspect(ctx context.Context, args []string, e console) error {
	f := newFlags("inspect", "inspect [--config F] [--rows N] [--scan] [--json]")
	cfgPath := f.String("config", "", "config `file` (default: the built-in example on the bundled sample)")
	rows := f.Int("rows", 20, "how many of the first `rows` to show")
	scan := f.Bool("scan", false, "profile the whole source, not its first 100,000 rows")
	asJSON := f.Bool("json", false, "print JSON instead of tables")
	if help, err := parseArgs(f, args, e.stdout, inspectHelp); help || err != nil {
		return err
	}
	if *rows < 0 {
		return usageErr("inspect: --rows %d: must not be negative", *rows)
	}
	cfg, fsys, err := loadConfig(*cfgPath, e)
	if err != nil {
		return err
	}
	ins, err := inspect.Inspect(ctx, &cfg, nil, fsys, e.logger, *rows, *scan)
	if err != nil {
		return sourceConfigErr(err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ins)
	}
	printInspection(e.stdout, ins)
	return nil
}

// printInspection writes the rows and the profile as tables.
func printInspection(w io.Writer, ins *inspect.Inspection) {
	fmt.Fprintf(w, "source: %s\n", ins.Source)
	fmt.Fprintf(w, "first %d rows as the engine sees them (times in %s):\n\n", len(ins.Rows), ins.Zone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "#\tverdict\t%s\n", strings.Join(ins.Columns, "\t"))
	for i, r := range ins.Rows {
		vals := make([]string, len(ins.Columns))
		for j, c := range ins.Columns {
			if v, ok := r.Values[c]; ok {
				vals[j] = v
			} else {
				vals[j] = "-"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", i+1, r.Verdict, strings.Join(vals, "\t"))
	}
	tw.Flush()

	p := ins.Profile
	fmt.Fprintln(w)
	if p.Scanned {
		fmt.Fprintln(w, "profile of the whole source:")
	} else {
		fmt.Fprintf(w, "profile of the first %d rows (--scan for the whole source):\n", inspect.ProfileRows)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  rows read\t%d\n", p.RowsRead)
	fmt.Fprintf(tw, "  accepted\t%d\n", p.Accepted)
	fmt.Fprintf(tw, "  filtered\t%d\t(source.where)\n", p.Filtered)
	fmt.Fprintf(tw, "  rejected\t%d\n", p.Rejected)
	for _, k := range slices.Sorted(maps.Keys(p.RejectedByReason)) {
		fmt.Fprintf(tw, "    %s\t%d\n", k, p.RejectedByReason[k])
	}
	if p.FirstEvent != "" {
		fmt.Fprintf(tw, "  event times\t%s .. %s\n", p.FirstEvent, p.LastEvent)
	}
	fmt.Fprintf(tw, "  customers\t%d\n", p.Customers)
	tw.Flush()
	fmt.Fprintln(w, "\n  nulls per contract column (required ones: of the rows read; others: of the accepted rows):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range slices.Sorted(maps.Keys(p.Nulls)) {
		n := p.Nulls[k]
		if n == 0 {
			continue
		}
		fmt.Fprintf(tw, "    %s\t%d\t%.1f%%\n", k, n, 100*float64(n)/float64(max(p.NullShareOf(k), 1)))
	}
	tw.Flush()
	fmt.Fprintln(w, "\n  event names:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "    name\trows\tstage\n")
	for _, n := range p.EventNames {
		stage := n.Stage
		if stage == "" {
			stage = "(no stage: kept as a touch only)"
		}
		name := n.Name
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(tw, "    %s\t%d\t%s\n", name, n.Rows, stage)
	}
	tw.Flush()
}
