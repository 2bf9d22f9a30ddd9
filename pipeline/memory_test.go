package pipeline

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/internal/offheap"
	"github.com/journeykpi/journeykpi/internal/sample"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// liveHeap is the memory held by live objects, after a collection: what is held, not what the
// collector has not come round to.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// held is the memory the run holds: the live heap and the rows mapped outside it
// (internal/offheap), which the collector does not see.
func held() uint64 { return liveHeap() + uint64(offheap.InUse()) }

// heapSampler passes every batch of a source on and then measures the live heap. A batch is
// sampled once the mapping and the grouping have done with it, when the most memory is held:
// the budgeted rows, this batch's, and the other reader's in flight.
type heapSampler struct {
	src  source.Source
	mu   sync.Mutex
	peak uint64
}

func (h *heapSampler) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	return h.src.Read(ctx, start, end, func(rec arrow.Record) error {
		err := emit(rec)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.peak = max(h.peak, held())
		return err
	})
}

// TestMemoryWhileReadingFollowsTheBudget reads a sample of 628,000 events (45 MB of rows)
// with a 16 MiB budget and checks the peak of what the run holds while reading (the live heap
// and the rows mapped outside it) against the formula
// of docs/performance.md: 1.25 × the budget (the rows held, with the partitions' partly filled
// chunks), plus two readers' batches in flight of source.BatchRows(budget) rows of at most
// source.BytesPerBatchRow bytes, plus 10 MiB for the Parquet readers' footers and decoders and
// the dictionaries, above what the process held before the run. The measure does not depend on
// timing: it is measured after a collection at the end of every batch.
func TestMemoryWhileReadingFollowsTheBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads 628,000 events; not with -short")
	}
	if raceDetector {
		t.Skip("the race detector changes what the heap holds; the bound is checked without it")
	}
	dir := t.TempDir()
	st, err := sample.Write(dir, sample.Options{Customers: 100_000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 16 << 20
	cfg := testConfig(t)
	cfg.Source.Files.Paths = []string{dir + "/events.parquet"}
	cfg.Engine.MemoryBudget = budget
	src, err := source.Open(context.Background(), &cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &heapSampler{src: src}
	w, _ := window.Parse("2026-04-01", "2026-04-30", time.UTC)
	base := held()
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: h})
	if err != nil {
		t.Fatal(err)
	}
	if o.Result.DataQuality.RowsRead*72 < 2*budget {
		t.Fatalf("read %d rows (of %d events): too few to spill", o.Result.DataQuality.RowsRead, st.Events)
	}
	batches := uint64(2 * source.BatchRows(budget) * source.BytesPerBatchRow)
	limit := base + budget*5/4 + batches + 10<<20
	t.Logf("rows %d, chunks of %d rows; held before %.1f MiB, peak while reading %.1f MiB (live heap and rows outside it), formula %.1f MiB",
		o.Result.DataQuality.RowsRead, group.ChunkRows(budget), mib(base), mib(h.peak), mib(limit))
	if h.peak > limit {
		t.Errorf("peak held while reading (live heap and rows outside it) %.1f MiB, above 1.25 × budget %.1f + batches %.1f + before %.1f + 10 MiB = %.1f MiB",
			mib(h.peak), mib(budget), mib(batches), mib(base), mib(limit))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
