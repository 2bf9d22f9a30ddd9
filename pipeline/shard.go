package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/shard"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/steps"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// writeShard folds the shard's partitions and writes their accumulators, with what its read
// counted, to the shard's state file.
func writeShard(ctx context.Context, job *Job, in *readOutput, timer *steps.Timer) (*Outcome, error) {
	p, _, err := in.params(job)
	if err != nil {
		return nil, err
	}
	dicts, remap := in.dicts.Sort()
	accs, stats, err := in.groups.FoldParts(ctx, workers(&job.Config), p, remap)
	if err != nil {
		return nil, err
	}
	first, last := job.Shard.Parts()
	h := shard.Header{
		ConfigHash: ConfigHash(&job.Config), From: job.Window.FromDay(), To: job.Window.ToDay(), By: job.By,
		Index: job.Shard.Index, Count: job.Shard.Count, ShardRead: in.shardRead,
		Start: in.start.UTC(), End: in.end.UTC(), Full: in.full.UTC(), DataEnd: in.dataEnd, RowsEnd: in.rowsEnd,
		Quality: in.quality, Cover: in.cover, Source: in.source, LastRead: in.lastRead, Spend: in.spend,
		Stats: stats[first : last+1],
	}
	var customers int64
	for _, st := range h.Stats {
		customers += st.Customers
	}
	timer.Done("group", "customers", customers)
	encoded := make([][]byte, 0, last-first+1)
	for part := first; part <= last; part++ {
		encoded = append(encoded, accs[part].AppendBinary(nil))
	}
	out := outputDir(job)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	path := job.Shard.Path(OutputBase(out, job.Config.Report.Name, job.Window))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := shard.Write(path, h, dicts, encoded); err != nil {
		return nil, err
	}
	timer.Done("write", "files", 1)
	return &Outcome{Window: job.Window, Files: []string{path}, Source: in.source, LastRead: in.lastRead,
		ConfigHash: h.ConfigHash, Timings: timer.Steps}, nil
}

// latestEvent is the data's end of a read that saw only the shard's customers: the source's
// latest event time of the range, which must not be before the latest the shard read (rowsEnd).
func latestEvent(ctx context.Context, src source.Source, start, end time.Time, rowsEnd int64) (int64, error) {
	l, ok := src.(source.LatestEventer)
	if !ok {
		return 0, fmt.Errorf("read %s: the source read only the shard's customers but cannot tell where the data end", source.Describe(src))
	}
	t, found, err := l.LatestEvent(ctx, start, end)
	if err != nil {
		return 0, fmt.Errorf("read %s: the data's end: %w", source.Describe(src), err)
	}
	if !found {
		return rowsEnd, nil
	}
	if t.UnixMicro() < rowsEnd {
		return 0, fmt.Errorf("read %s: the latest event of the range (%s) is before the shard's own (%s): the data changed during the read",
			source.Describe(src), t.UTC().Format(time.RFC3339Nano), time.UnixMicro(rowsEnd).UTC().Format(time.RFC3339Nano))
	}
	return t.UnixMicro(), nil
}

// MergeJob makes the reports of shard states written by run --shard.
type MergeJob struct {
	// Job carries the config, the output and the logger; its Window, Source and Shard are unused.
	Job Job
	// Paths are shard state files, or directories whose shard state files are all merged.
	Paths []string
}

// Merge makes one report for each window whose shard states are in mj.Paths: every shard of it
// must be there once, written with the same config from the same data. It returns the outcomes
// in window order.
func Merge(ctx context.Context, mj MergeJob) ([]*Outcome, error) {
	paths, err := shard.Files(mj.Paths)
	if err != nil {
		return nil, err
	}
	byWindow := map[[2]string][]*shard.State{}
	for _, p := range paths {
		s, err := shard.Read(p)
		if err != nil {
			return nil, err
		}
		k := [2]string{s.Header.From, s.Header.To}
		byWindow[k] = append(byWindow[k], s)
	}
	keys := make([][2]string, 0, len(byWindow))
	for k := range byWindow {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	var outs []*Outcome
	for _, k := range keys {
		o, err := mergeWindow(ctx, mj.Job, byWindow[k])
		if err != nil {
			return outs, fmt.Errorf("merge %s..%s: %w", k[0], k[1], err)
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// mergeWindow makes the report of one window from all its shards.
func mergeWindow(ctx context.Context, job Job, shards []*shard.State) (*Outcome, error) {
	cfg := &job.Config
	if job.Logger == nil {
		job.Logger = slog.New(slog.DiscardHandler)
	}
	timer := steps.Start(ctx, "read", job.Logger, job.Progress)
	defer timer.Stop()
	first := shards[0].Header
	n := first.Count
	byIndex := make([]*shard.State, n)
	for _, s := range shards {
		h := s.Header
		switch {
		case h.Count != n:
			return nil, fault.Errorf(fault.Config, "%s is shard %d of %d, %s of %d", s.Path, h.Index, h.Count, shards[0].Path, n)
		case byIndex[h.Index] != nil:
			return nil, fault.Errorf(fault.Config, "shard %d/%d twice: %s and %s", h.Index, n, byIndex[h.Index].Path, s.Path)
		case h.ConfigHash != ConfigHash(cfg):
			return nil, fault.Errorf(fault.Config, "%s was written with another configuration (hash %s, this one %s)", s.Path, h.ConfigHash, ConfigHash(cfg))
		case h.By != first.By:
			return nil, fault.Errorf(fault.Config, "%s and %s are shards of different reports (run --by %q and %q)", shards[0].Path, s.Path, first.By, h.By)
		case h.ShardRead != first.ShardRead || h.DataEnd != first.DataEnd || !h.Start.Equal(first.Start) || !h.End.Equal(first.End) ||
			!h.Full.Equal(first.Full) || len(h.Spend) != len(first.Spend):
			return nil, fmt.Errorf("%s and %s were not read from the same data (data end, range or spend differ); run the shards again", shards[0].Path, s.Path)
		case !h.ShardRead && !sameRead(&h, &first):
			return nil, fmt.Errorf("%s and %s read different rows; run the shards again", shards[0].Path, s.Path)
		}
		byIndex[h.Index] = s
	}
	for i, s := range byIndex {
		if s == nil {
			return nil, fault.Errorf(fault.Config, "shard %d/%d is missing", i, n)
		}
	}
	w, err := window.Parse(first.From, first.To, cfg.Location())
	if err != nil {
		return nil, err
	}
	job.Window, job.By = w, first.By

	// The read: one shard's when every shard read every customer, else the sum.
	in := &readOutput{start: first.Start, end: first.End, full: first.Full, dataEnd: first.DataEnd, quality: first.Quality,
		cover: first.Cover, spend: first.Spend, source: first.Source, lastRead: first.LastRead, shardRead: first.ShardRead}
	if first.ShardRead {
		in.quality, in.cover = sumReads(byIndex)
		rowsEnd := int64(-1 << 63)
		for _, s := range byIndex {
			rowsEnd = max(rowsEnd, s.Header.RowsEnd)
		}
		if in.cover.InRange > 0 && rowsEnd != first.DataEnd {
			return nil, fmt.Errorf("the shards' latest event (%s) is not the data's end they folded with (%s): the data changed between their reads; run the shards again",
				time.UnixMicro(rowsEnd).UTC().Format(time.RFC3339Nano), time.UnixMicro(first.DataEnd).UTC().Format(time.RFC3339Nano))
		}
		q := in.quality
		if q.RowsRead > 0 && float64(q.RowsRejected)/float64(q.RowsRead) > cfg.Quality.MaxRejectRatio {
			return nil, &ingest.QualityError{Read: q.RowsRead, Rejected: q.RowsRejected, MaxRatio: cfg.Quality.MaxRejectRatio, ByReason: q.RejectedByReason}
		}
	}
	in.dataStart = dayStart(in.cover.First, cfg.Location())
	if in.warnings, err = checkCoverage(cfg, w, comparisonOf(cfg, w, job.By), in.cover, in.quality, in.source, in.lastRead); err != nil {
		return nil, err
	}
	timer.Done("read", "shards", n)

	// The dictionaries: every shard's strings, sorted; each shard's codes translated to them.
	union := kpi.NewDicts()
	for _, s := range byIndex {
		for i, d := range union.List() {
			for _, name := range s.Dicts[i] {
				d.Code(name)
			}
		}
	}
	dicts, sorted := union.Sort()
	sortedCols := sorted.List()
	p, cmp, err := in.params(&job)
	if err != nil {
		return nil, err
	}
	total := kpi.NewAcc(p)
	var st group.Stats
	for _, s := range byIndex {
		var tr [kpi.NumDicts][]uint32
		for i, d := range union.List() {
			tr[i] = make([]uint32, len(s.Dicts[i]))
			for c, name := range s.Dicts[i] {
				u, _ := d.Lookup(name)
				tr[i][c] = sortedCols[i][u]
			}
		}
		remap := kpi.RemapOf(tr)
		for k, b := range s.Accs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			acc, err := kpi.DecodeAcc(p, b, remap)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Path, err)
			}
			total.Merge(acc)
			st.Customers += s.Header.Stats[k].Customers
			st.Duplicates += s.Header.Stats[k].Duplicates
			st.Rows += s.Header.Stats[k].Rows
		}
	}
	timer.Done("group", "customers", st.Customers, "duplicates", st.Duplicates)
	res := result(&job, in, cmp, total, st, dicts)
	timer.Done("kpi")

	o := &Outcome{Window: w, Result: res, Source: in.source, LastRead: in.lastRead, ConfigHash: ConfigHash(cfg)}
	files, err := write(ctx, &job, in, o, timer)
	if err != nil {
		return nil, err
	}
	o.Files = files
	timer.Done("write", "files", len(files))
	o.Timings = timer.Steps
	if _, err := WriteManifest(OutputBase(outputDir(&job), cfg.Report.Name, w), o, job.Version); err != nil {
		job.Logger.Warn("manifest not written", "error", err.Error())
	}
	return o, nil
}

// sameRead reports whether two shards that each read every customer read the same rows.
func sameRead(a, b *shard.Header) bool {
	qa, qb := a.Quality, b.Quality
	return qa.RowsRead == qb.RowsRead && qa.RowsRejected == qb.RowsRejected && qa.RowsFiltered == qb.RowsFiltered && qa.RowsOutsideRange == qb.RowsOutsideRange &&
		qa.Unmatched == qb.Unmatched && qa.SpendRows == qb.SpendRows && a.Cover == b.Cover && a.RowsEnd == b.RowsEnd
}

// sumReads adds up the counts of shards that each read only their customers.
func sumReads(shards []*shard.State) (kpi.DataQuality, ingest.Coverage) {
	q := kpi.DataQuality{RejectedByReason: map[string]int64{}}
	c := ingest.Coverage{First: 1<<63 - 1, Last: -1 << 63}
	for _, s := range shards {
		sq := s.Header.Quality
		q.RowsRead += sq.RowsRead
		q.RowsRejected += sq.RowsRejected
		q.RowsFiltered += sq.RowsFiltered
		q.RowsOutsideRange += sq.RowsOutsideRange
		q.Unmatched += sq.Unmatched
		for k, v := range sq.RejectedByReason {
			q.RejectedByReason[k] += v
		}

		c.First, c.Last = min(c.First, s.Header.Cover.First), max(c.Last, s.Header.Cover.Last)
		c.InRange += s.Header.Cover.InRange
		c.InPeriod += s.Header.Cover.InPeriod
	}
	// Spend is read whole by every shard, and the rows left out at the source are counted for
	// every customer by each.
	q.SpendRows, q.SpendRejected = shards[0].Header.Quality.SpendRows, shards[0].Header.Quality.SpendRejected
	q.LeftOut = shards[0].Header.Quality.LeftOut
	return q, c
}
