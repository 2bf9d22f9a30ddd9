package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// Shard is one of Count customer shards (run --shard i/N): the customers of a run of the
// engine's partitions. A shard folds its partitions as one run would and writes their
// accumulators; Merge replays every partition's in partition order, so N shards give the bytes
// of one run.
type Shard struct{ Index, Count int }

// ParseShard reads "i/N", 0 ≤ i < N ≤ 256.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || cnt < 1 || cnt > group.Partitions || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("%q is not a shard i/N with 0 ≤ i < N ≤ %d", s, group.Partitions)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Parts are the partitions of the shard: the Index-th of Count near-equal runs.
func (s Shard) Parts() (first, last int) {
	return s.Index * group.Partitions / s.Count, (s.Index+1)*group.Partitions/s.Count - 1
}

// ShardPath is the file a shard of a report writes its state to.
func ShardPath(out, name string, w window.Window, s Shard) string {
	return fmt.Sprintf("%s.shard-%d-of-%d", OutputBase(out, name, w), s.Index, s.Count)
}

// shardMagic starts a shard state file; the digit is the version of the format.
const shardMagic = "journeykpi shard 1\n"

// shardHeader is what a shard state says of its read, in JSON after the magic line. The
// accumulators follow it in binary (kpi.Acc.AppendBinary).
type shardHeader struct {
	ConfigHash string `json:"config_hash"`
	From       string `json:"from"`
	To         string `json:"to"`
	Index      int    `json:"index"`
	Count      int    `json:"count"`
	// ShardRead says the source read only the shard's customers: the counts are the shard's.
	ShardRead bool      `json:"shard_read"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Full      time.Time `json:"full"`
	// DataEnd is the data's end the shard folded with; RowsEnd the latest event among its rows.
	DataEnd  int64           `json:"data_end"`
	RowsEnd  int64           `json:"rows_end"`
	Quality  kpi.DataQuality `json:"quality"`
	Cover    ingest.Coverage `json:"coverage"`
	Source   string          `json:"source"`
	LastRead string          `json:"last_read"`
	Spend    []kpi.SpendRow  `json:"spend"`
	// Stats are the fold's counts of each partition of the shard, in order.
	Stats []group.Stats `json:"stats"`
}

// writeShard folds the shard's partitions and writes their accumulators, with what its read
// counted, to the shard's state file.
func writeShard(ctx context.Context, job *Job, in *readOutput, timer *stepTimer) (*Outcome, error) {
	p, err := in.params(job)
	if err != nil {
		return nil, err
	}
	dicts, remap := in.dicts.Sort()
	accs, stats, err := in.groups.FoldParts(ctx, workers(&job.Config), p, remap)
	if err != nil {
		return nil, err
	}
	first, last := job.Shard.Parts()
	h := shardHeader{
		ConfigHash: ConfigHash(&job.Config), From: job.Window.FromDay(), To: job.Window.ToDay(),
		Index: job.Shard.Index, Count: job.Shard.Count, ShardRead: in.shardRead,
		Start: in.start.UTC(), End: in.end.UTC(), Full: in.full.UTC(), DataEnd: in.dataEnd, RowsEnd: in.rowsEnd,
		Quality: in.quality, Cover: in.cover, Source: in.source, LastRead: in.lastRead, Spend: in.spend,
		Stats: stats[first : last+1],
	}
	var customers int64
	for _, st := range h.Stats {
		customers += st.Customers
	}
	timer.done("group", "customers", customers)
	head, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	b := append([]byte(shardMagic), binary.AppendUvarint(nil, uint64(len(head)))...)
	b = append(b, head...)
	for _, d := range []*kpi.Dict{dicts.EventName, dicts.Touchpoint, dicts.Campaign, dicts.Segment} {
		b = binary.AppendUvarint(b, uint64(d.Len()))
		for c := range d.Len() {
			name := d.Name(uint32(c))
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
		}
	}
	for part := first; part <= last; part++ {
		acc := accs[part].AppendBinary(nil)
		b = binary.AppendUvarint(b, uint64(len(acc)))
		b = append(b, acc...)
	}
	out := outputDir(job)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	path := ShardPath(out, job.Config.Report.Name, job.Window, *job.Shard)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	timer.done("write", "files", 1)
	return &Outcome{Window: job.Window, Files: []string{path}, Source: in.source, LastRead: in.lastRead,
		ConfigHash: h.ConfigHash, Timings: timer.steps}, nil
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

// shardState is one shard state file, read.
type shardState struct {
	path  string
	h     shardHeader
	dicts [4][]string
	accs  [][]byte // by partition of the shard
}

// Merge makes one report for each window whose shard states are in mj.Paths: every shard of it
// must be there once, written with the same config from the same data. It returns the outcomes
// in window order.
func Merge(ctx context.Context, mj MergeJob) ([]*Outcome, error) {
	paths, err := shardFiles(mj.Paths)
	if err != nil {
		return nil, err
	}
	byWindow := map[[2]string][]*shardState{}
	for _, p := range paths {
		s, err := readShard(p)
		if err != nil {
			return nil, err
		}
		k := [2]string{s.h.From, s.h.To}
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

// shardFiles lists the shard state files among paths, directories expanded.
func shardFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fault.Errorf(fault.Config, "merge: %v", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.shard-*-of-*"))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			if !atomicfile.IsTemp(filepath.Base(f)) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, fault.Errorf(fault.Config, "merge: no shard state files in %s", strings.Join(paths, ", "))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readShard reads one shard state file.
func readShard(path string) (*shardState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	bad := func(why string) error {
		return fault.Errorf(fault.Config, "merge: %s is not a shard state of this version of journeykpi (%s)", path, why)
	}
	if !bytes.HasPrefix(data, []byte(shardMagic)) {
		return nil, bad("no header")
	}
	r := bufio.NewReader(bytes.NewReader(data[len(shardMagic):]))
	chunk := func() ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(len(data)) {
			return nil, bad("truncated")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, bad("truncated")
		}
		return b, nil
	}
	s := &shardState{path: path}
	head, err := chunk()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(head, &s.h); err != nil {
		return nil, bad(err.Error())
	}
	for i := range s.dicts {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(len(data)) {
			return nil, bad("truncated")
		}
		for range n {
			name, err := chunk()
			if err != nil {
				return nil, err
			}
			s.dicts[i] = append(s.dicts[i], string(name))
		}
	}
	sh := Shard{Index: s.h.Index, Count: s.h.Count}
	if _, err := ParseShard(sh.String()); err != nil {
		return nil, bad(err.Error())
	}
	first, last := sh.Parts()
	if len(s.h.Stats) != last-first+1 {
		return nil, bad("partition counts")
	}
	for range last - first + 1 {
		acc, err := chunk()
		if err != nil {
			return nil, err
		}
		s.accs = append(s.accs, acc)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, bad("trailing bytes")
	}
	return s, nil
}

// mergeWindow makes the report of one window from all its shards.
func mergeWindow(ctx context.Context, job Job, shards []*shardState) (*Outcome, error) {
	cfg := &job.Config
	if job.Logger == nil {
		job.Logger = slog.New(slog.DiscardHandler)
	}
	timer := &stepTimer{last: time.Now(), log: job.Logger, out: job.Progress}
	first := shards[0].h
	n := first.Count
	byIndex := make([]*shardState, n)
	for _, s := range shards {
		h := s.h
		switch {
		case h.Count != n:
			return nil, fault.Errorf(fault.Config, "%s is shard %d of %d, %s of %d", s.path, h.Index, h.Count, shards[0].path, n)
		case byIndex[h.Index] != nil:
			return nil, fault.Errorf(fault.Config, "shard %d/%d twice: %s and %s", h.Index, n, byIndex[h.Index].path, s.path)
		case h.ConfigHash != ConfigHash(cfg):
			return nil, fault.Errorf(fault.Config, "%s was written with another configuration (hash %s, this one %s)", s.path, h.ConfigHash, ConfigHash(cfg))
		case h.ShardRead != first.ShardRead || h.DataEnd != first.DataEnd || !h.Start.Equal(first.Start) || !h.End.Equal(first.End) ||
			!h.Full.Equal(first.Full) || len(h.Spend) != len(first.Spend):
			return nil, fmt.Errorf("%s and %s were not read from the same data (data end, range or spend differ); run the shards again", shards[0].path, s.path)
		case !h.ShardRead && !sameRead(&h, &first):
			return nil, fmt.Errorf("%s and %s read different rows; run the shards again", shards[0].path, s.path)
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
	job.Window = w

	// The read: one shard's when every shard read every customer, else the sum.
	in := &readOutput{start: first.Start, end: first.End, full: first.Full, dataEnd: first.DataEnd, quality: first.Quality,
		cover: first.Cover, spend: first.Spend, source: first.Source, lastRead: first.LastRead, shardRead: first.ShardRead}
	if first.ShardRead {
		in.quality, in.cover = sumReads(byIndex)
		rowsEnd := int64(-1 << 63)
		for _, s := range byIndex {
			rowsEnd = max(rowsEnd, s.h.RowsEnd)
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
	rng := ingest.Range{Start: in.start, End: in.end, PeriodStart: w.From, PeriodEnd: w.End()}
	if in.warnings, err = checkCoverage(w, rng, in.cover, in.quality, in.source, cfg.Location()); err != nil {
		return nil, err
	}
	timer.done("read", "shards", n)

	// The dictionaries: every shard's strings, sorted; each shard's codes translated to them.
	union := kpi.NewDicts()
	cols := func(d *kpi.Dicts) [4]*kpi.Dict { return [4]*kpi.Dict{d.EventName, d.Touchpoint, d.Campaign, d.Segment} }
	for _, s := range byIndex {
		for i, d := range cols(union) {
			for _, name := range s.dicts[i] {
				d.Code(name)
			}
		}
	}
	dicts, sorted := union.Sort()
	sortedCols := [4][]uint32{sorted.EventName, sorted.Touchpoint, sorted.Campaign, sorted.Segment}
	p, err := in.params(&job)
	if err != nil {
		return nil, err
	}
	total := kpi.NewAcc(p)
	var st group.Stats
	for _, s := range byIndex {
		var tr [4][]uint32
		for i, d := range cols(union) {
			tr[i] = make([]uint32, len(s.dicts[i]))
			for c, name := range s.dicts[i] {
				u, _ := d.Lookup(name)
				tr[i][c] = sortedCols[i][u]
			}
		}
		remap := &kpi.Remap{EventName: tr[0], Touchpoint: tr[1], Campaign: tr[2], Segment: tr[3]}
		for k, b := range s.accs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			acc, err := kpi.DecodeAcc(p, b, remap)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.path, err)
			}
			total.Merge(acc)
			st.Customers += s.h.Stats[k].Customers
			st.Duplicates += s.h.Stats[k].Duplicates
			st.Rows += s.h.Stats[k].Rows
		}
	}
	timer.done("group", "customers", st.Customers, "duplicates", st.Duplicates)
	res := result(&job, in, total, st, dicts)
	timer.done("kpi")

	o := &Outcome{Window: w, Result: res, Source: in.source, LastRead: in.lastRead, ConfigHash: ConfigHash(cfg)}
	files, err := write(ctx, &job, in, o, timer)
	if err != nil {
		return nil, err
	}
	o.Files = files
	timer.done("write", "files", len(files))
	o.Timings = timer.steps
	if _, err := WriteManifest(OutputBase(outputDir(&job), cfg.Report.Name, w), o, job.Version); err != nil {
		job.Logger.Warn("manifest not written", "error", err.Error())
	}
	return o, nil
}

// sameRead reports whether two shards that each read every customer read the same rows.
func sameRead(a, b *shardHeader) bool {
	qa, qb := a.Quality, b.Quality
	return qa.RowsRead == qb.RowsRead && qa.RowsRejected == qb.RowsRejected && qa.RowsOutsideRange == qb.RowsOutsideRange &&
		qa.Unmatched == qb.Unmatched && qa.SpendRows == qb.SpendRows && a.Cover == b.Cover && a.RowsEnd == b.RowsEnd
}

// sumReads adds up the counts of shards that each read only their customers.
func sumReads(shards []*shardState) (kpi.DataQuality, ingest.Coverage) {
	q := kpi.DataQuality{RejectedByReason: map[string]int64{}}
	c := ingest.Coverage{First: 1<<63 - 1, Last: -1 << 63}
	for _, s := range shards {
		sq := s.h.Quality
		q.RowsRead += sq.RowsRead
		q.RowsRejected += sq.RowsRejected
		q.RowsOutsideRange += sq.RowsOutsideRange
		q.Unmatched += sq.Unmatched
		for k, v := range sq.RejectedByReason {
			q.RejectedByReason[k] += v
		}

		c.First, c.Last = min(c.First, s.h.Cover.First), max(c.Last, s.h.Cover.Last)
		c.InRange += s.h.Cover.InRange
		c.InPeriod += s.h.Cover.InPeriod
	}
	// Spend is read whole by every shard, and the rows left out at the source are counted for
	// every customer by each.
	q.SpendRows, q.SpendRejected = shards[0].h.Quality.SpendRows, shards[0].h.Quality.SpendRejected
	q.LeftOut = shards[0].h.Quality.LeftOut
	return q, c
}
