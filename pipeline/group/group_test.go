package group

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/offheap"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
)

// randomRows makes n rows for about n/5 customers, with some exact duplicates.
func randomRows(n int, seed uint64) []ingest.Row {
	r := rand.New(rand.NewPCG(seed, 1))
	rows := make([]ingest.Row, 0, n)
	for len(rows) < n {
		ev := kpi.Event{Time: 1e15 + r.Int64N(1e12), Stage: int8(r.IntN(4)) - 1, Touchpoint: uint32(r.IntN(3)),
			Revenue: math.NaN(), Sentiment: float32(math.NaN())}
		rw := ingest.Row{Cust: uint64(r.IntN(n/5 + 1)), Ev: ev}
		rows = append(rows, rw)
		if r.IntN(20) == 0 {
			rows = append(rows, rw) // an exact duplicate
		}
	}
	return rows
}

// foldAll folds every partition of g with one worker sorting pieces of at most maxRows rows,
// and renders the journeys as text, in fold order.
func foldAll(t *testing.T, g *Grouper, maxRows int) ([]string, Stats) {
	t.Helper()
	remap := &kpi.Remap{EventName: []uint32{0}, Touchpoint: []uint32{0, 1, 2}, Campaign: []uint32{0}, Segment: []uint32{0}, Line: []uint32{0}}
	var out []string
	var total Stats
	w := &worker{g: g, remap: remap, maxRows: maxRows}
	defer w.release()
	for p := 0; p < partitions; p++ {
		st, err := w.foldPart(p, func(j *kpi.Journey) {
			out = append(out, fmt.Sprintf("%d:%v", j.Customer, j.Events))
		})
		if err != nil {
			t.Fatal(err)
		}
		total.add(st)
	}
	return out, total
}

// TestGrouperSpillGivesTheSameJourneys: whatever the budget (rows in memory or spilled), the
// order rows come in, and the size of the pieces partitions are split into, the journeys come
// out the same, in the same order.
func TestGrouperSpillGivesTheSameJourneys(t *testing.T) {
	rows := randomRows(20000, 7)
	// A customer with more events than a piece, and keys bunched in a narrow range.
	for i := range 300 {
		ev := kpi.Event{Time: 1e15 + int64(i)*1e9, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
		rows = append(rows, ingest.Row{Cust: 123456789, Ev: ev}, ingest.Row{Cust: 1<<40 + uint64(i%7), Ev: ev})
	}
	var results [][]string
	for _, c := range []struct {
		budget  int64
		maxRows int
	}{{1 << 30, 1 << 20}, {64 * int64(rowSize), 1 << 20}, {1000 * int64(rowSize), 1 << 20}, {1 << 30, 16}, {1000 * int64(rowSize), 50}, {1, 17}} {
		tmp := t.TempDir()
		g := New(c.budget, tmp)
		// Add in uneven batches, shuffled differently per budget: the order of input must not matter.
		in := slices.Clone(rows)
		rand.New(rand.NewPCG(uint64(c.budget), uint64(c.maxRows))).Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		for lo := 0; lo < len(in); lo += 777 {
			if err := g.Add(in[lo:min(lo+777, len(in))]); err != nil {
				t.Fatal(err)
			}
		}
		if c.budget < 1<<30 && g.SpilledRows() == 0 {
			t.Errorf("budget %d: nothing spilled", c.budget)
		}
		if c.budget == 1<<30 && g.SpilledRows() != 0 {
			t.Errorf("spilled within budget")
		}
		// Spill files are unlinked at once: a kill now would leave nothing behind.
		if es, _ := os.ReadDir(tmp); len(es) != 0 {
			t.Errorf("budget %d: %d entries visible in the temporary directory while spilling", c.budget, len(es))
		}
		js, st := foldAll(t, g, c.maxRows)
		if st.Rows != int64(len(rows)) || st.Duplicates == 0 {
			t.Errorf("budget %d: stats %+v for %d rows", c.budget, st, len(rows))
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if n := offheap.InUse(); n != 0 {
			t.Errorf("budget %d: %d bytes of rows still mapped after Close", c.budget, n)
		}
		results = append(results, js)
	}
	for i := 1; i < len(results); i++ {
		if !slices.Equal(results[0], results[i]) {
			t.Fatalf("journeys differ between budgets and pieces (run %d)", i)
		}
	}
}

func TestPartitionsSpreadSequentialIDs(t *testing.T) {
	var counts [partitions]int
	for id := uint64(0); id < 256*100; id++ {
		counts[PartitionOf(id)]++
	}
	lo, hi := slices.Min(counts[:]), slices.Max(counts[:])
	if lo < 50 || hi > 200 {
		t.Errorf("partition sizes range %d..%d for 100 ids each on average", lo, hi)
	}
}

func BenchmarkFoldPartition(b *testing.B) {
	rows := randomRows(100000, 3)
	remap := &kpi.Remap{EventName: []uint32{0}, Touchpoint: []uint32{0, 1, 2}, Campaign: []uint32{0}, Segment: []uint32{0}, Line: []uint32{0}}
	buf := make([]ingest.Row, len(rows))
	var s journeySorter
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(buf, rows)
		s.journeys(buf, remap, func(*kpi.Journey) {})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

func TestRemoveStaleSpill(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := now.Add(-2 * StaleSpillAge)
	for _, name := range []string{SpillPrefix + "111", SpillPrefix + "222", "other"} {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "part-001-1"), []byte("rows"), 0o644)
	}
	os.Chtimes(filepath.Join(dir, SpillPrefix+"111"), old, old)
	os.Chtimes(filepath.Join(dir, "other"), old, old)
	n, err := RemoveStaleSpill(dir, now)
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v", n, err)
	}
	es, _ := os.ReadDir(dir)
	if len(es) != 2 || es[0].Name() != SpillPrefix+"222" || es[1].Name() != "other" {
		t.Errorf("left %v", es)
	}
}
