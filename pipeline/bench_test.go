package pipeline

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// BenchmarkRunPeer runs a whole report on the DuckDB peer's generated file
// (../shared/bench: scripts/gen_data.sh 1m; JOURNEYKPI_BENCH_FILE to choose another).
func BenchmarkRunPeer(b *testing.B) {
	file := os.Getenv("JOURNEYKPI_BENCH_FILE")
	if file == "" {
		file = "/tmp/bench-peer/events_1m.parquet"
	}
	if _, err := os.Stat(file); err != nil {
		b.Skipf("peer file %s not found: run ../shared/bench/scripts/gen_data.sh 1m, or set JOURNEYKPI_BENCH_FILE", file)
	}
	cfg, err := config.Load("../testdata/bench/bench10m.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Source.Files.Paths = []string{file}
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

// BenchmarkExpressions reads and maps the peer's 10M-event file (testdata/bench/bench10m.yaml;
// JOURNEYKPI_BENCH_FILE to choose another) without expressions, and with a filter plus one
// derived column: over dictionary-encoded strings (evaluated once per combination of values in a
// batch) and over numbers (evaluated row by row). ns/row is the whole read and mapping per row
// (wall clock, two reading goroutines); cpu-ns/row the process's CPU time per row, which other
// processes on a shared machine disturb less.
//
//	go test ./pipeline -run x -bench Expressions -benchtime 3x
func BenchmarkExpressions(b *testing.B) {
	file := os.Getenv("JOURNEYKPI_BENCH_FILE")
	if file == "" {
		file = "/tmp/bench-peer/events_10m.parquet"
	}
	if _, err := os.Stat(file); err != nil {
		b.Skipf("peer file %s not found: run ../shared/bench/scripts/gen_data.sh 10m, or set JOURNEYKPI_BENCH_FILE", file)
	}
	for _, c := range []struct {
		name, where string
		derive      map[string]string
	}{
		{"none", "", nil},
		{"dictionary", "touchpoint != 'email'", map[string]string{"campaign": "touchpoint + '/' + segment"}},
		{"numbers", "customer_id % 10 != 0", map[string]string{"revenue": "revenue * 1.19"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg, err := config.Load("../testdata/bench/bench10m.yaml")
			if err != nil {
				b.Fatal(err)
			}
			cfg.Source.Files.Paths = []string{file}
			cfg.Source.Where, cfg.Source.Derive = c.where, c.derive
			if err := cfg.Validate(); err != nil {
				b.Fatal(err)
			}
			src, err := source.Open(context.Background(), &cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			start, end := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
			var rows int64
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := ingest.NewMapper(&cfg, ingest.Range{Start: start, End: end}, func([]ingest.Row) error { return nil })
				if err := src.Read(context.Background(), start, end, m.Add); err != nil {
					b.Fatal(err)
				}
				q, _ := m.Quality(1)
				rows += q.RowsRead
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(rows), "cpu-ns/row")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
