package pipeline

import (
	"context"
	"errors"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// peerConfig loads the config at path pointed at the DuckDB peer's generated file of size (1m,
// 10m: /tmp/bench-peer/events_<size>.parquet), or at JOURNEYKPI_BENCH_FILE; it skips b when the
// file is not there.
func peerConfig(b *testing.B, size, path string) config.Config {
	b.Helper()
	file := os.Getenv("JOURNEYKPI_BENCH_FILE")
	if file == "" {
		file = "/tmp/bench-peer/events_" + size + ".parquet"
	}
	if _, err := os.Stat(file); err != nil {
		b.Skipf("peer file %s not found: run ../shared/bench/scripts/gen_data.sh %s, or set JOURNEYKPI_BENCH_FILE", file, size)
	}
	cfg, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Source.Files.Paths = []string{file}
	return cfg
}

// BenchmarkRunPeer runs a whole report on the DuckDB peer's generated file
// (../shared/bench: scripts/gen_data.sh 1m; JOURNEYKPI_BENCH_FILE to choose another) with the
// default engine settings and the command's collector setting (GOGC=50). Its CPU profile splits
// by step: go tool pprof -tagfocus step=read (group, kpi, write).
//
//	JOURNEYKPI_BENCH_FILE=/tmp/bench-peer/events_50m.parquet go test ./pipeline -run x -bench RunPeer -benchtime 1x -cpuprofile cpu.out
func BenchmarkRunPeer(b *testing.B) {
	cfg := peerConfig(b, "1m", "../testdata/bench/peer.yaml")
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	win, err := window.Parse("2025-01-01", "2025-03-31", cfg.Location())
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Job{Config: cfg, Window: win, Out: out}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpressions measures what a filter plus one derived column cost per row: the first
// 2M rows of the peer's 10M-event file (testdata/bench/bench10m.yaml; JOURNEYKPI_BENCH_FILE to
// choose another) are read into memory once, then mapped onto the contract by one goroutine, as
// a reader does batch by batch: without expressions, and with each pair of expressions. ns/row is
// the mapping's cost per row; the expressions' cost is the difference with "none".
//
//	go test ./pipeline -run x -bench Expressions -benchtime 3x
func BenchmarkExpressions(b *testing.B) {
	base := peerConfig(b, "10m", "../testdata/bench/bench10m.yaml")
	// Every column a variant reads, so that all map the same records.
	base.Source.Derive = map[string]string{"campaign": "touchpoint + string(customer_id)"}
	if err := base.Validate(); err != nil {
		b.Fatal(err)
	}
	src, err := source.OpenOrdered(context.Background(), &base, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.Record
	var rows int64
	errEnough := errors.New("enough")
	err = src.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
		rec.Retain()
		recs, rows = append(recs, rec), rows+rec.NumRows()
		if rows >= 2_000_000 {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		b.Fatal(err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, c := range []struct {
		name, where string
		derive      map[string]string
	}{
		{"none", "", nil},
		// Over dictionary-encoded strings: once per combination of values in a batch.
		{"dictionary", "touchpoint != 'email'", map[string]string{"campaign": "touchpoint + '/' + segment"}},
		// Over numbers, row by row; revenue is null (so not evaluated) on non-purchase rows.
		{"numbers", "customer_id % 10 != 0", map[string]string{"revenue": "revenue * 1.19"}},
		// Row by row on every row, building a string: the dearest kind.
		{"every-row", "customer_id % 10 != 0", map[string]string{"campaign": "touchpoint + '/' + string(customer_id % 7)"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := base
			cfg.Source.Where, cfg.Source.Derive = c.where, c.derive
			if err := cfg.Validate(); err != nil {
				b.Fatal(err)
			}
			start, end := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := ingest.NewMapper(&cfg, ingest.Range{Start: start, End: end}, func([]ingest.Row) error { return nil })
				for _, r := range recs {
					if err := m.Add(r); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*int64(b.N)), "ns/row")
		})
	}
}

// BenchmarkReadLayers splits the read step on the peer's file (JOURNEYKPI_BENCH_FILE, default
// the 1M-event one) into its layers, each including the ones before: the Parquet decode alone
// ("source"), mapping onto the contract ("map"), and bucketing into the grouper with the
// default budget ("group"). ns/row is wall time per event with the source's two readers.
//
//	go test ./pipeline -run x -bench ReadLayers -count 10
func BenchmarkReadLayers(b *testing.B) {
	cfg := peerConfig(b, "1m", "../testdata/bench/peer.yaml")
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	start, end := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, layer := range []string{"source", "map", "group"} {
		b.Run(layer, func(b *testing.B) {
			var rows int64
			cpu0 := cpuTime()
			for range b.N {
				src, err := source.Open(context.Background(), &cfg, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				g := group.New(int64(cfg.Engine.MemoryBudget), b.TempDir())
				sink := func([]ingest.Row) error { return nil }
				if layer == "group" {
					sink = g.Add
				}
				m := ingest.NewMapper(&cfg, ingest.Range{Start: start, End: end}, sink)
				var mu sync.Mutex
				err = src.Read(context.Background(), start, end, func(rec arrow.Record) error {
					mu.Lock()
					rows += rec.NumRows()
					mu.Unlock()
					if layer == "source" {
						return nil
					}
					return m.Add(rec)
				})
				if err != nil {
					b.Fatal(err)
				}
				g.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(rows), "cpu-ns/row")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used: on a machine shared with other
// work it varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
