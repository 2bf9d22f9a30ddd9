package pipeline

import (
	"context"
	"os"
	"testing"

	"github.com/journeykpi/journeykpi/config"
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
