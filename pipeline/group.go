package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/journeykpi/journeykpi/kpi"
)

// partitions is the fixed number of customer partitions. It is fixed, not derived from the
// budget, so that the order in which journeys are folded (and so every floating-point sum) is
// the same whatever the memory budget or the number of workers.
const partitions = 256

// rowSize is the in-memory size of one row; spilled rows are written as these bytes.
const rowSize = int(unsafe.Sizeof(row{}))

// grouper hash-partitions rows by customer. It keeps rows in memory up to its budget and spills
// the largest partitions to temporary files beyond it, so memory is bounded by the budget, not by
// the number of events. add is safe for concurrent use.
type grouper struct {
	budget int64 // bytes of rows held in memory before spilling
	dir    string

	mu      sync.Mutex
	mem     [partitions][]row
	memRows int64
	files   [partitions]*os.File
	spilled [partitions]int64
	total   int64
	err     error
	tmpDir  string
}

func newGrouper(budget int64, tempDir string) *grouper {
	return &grouper{budget: budget, dir: tempDir}
}

// partitionOf mixes the customer key so that sequential integer ids spread evenly.
func partitionOf(cust uint64) int {
	h := cust * 0x9E3779B97F4A7C15
	return int(h >> 56)
}

// add stores rows; it spills when the rows in memory exceed the budget.
func (g *grouper) add(rows []row) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	for i := range rows {
		p := partitionOf(rows[i].cust)
		g.mem[p] = append(g.mem[p], rows[i])
	}
	g.memRows += int64(len(rows))
	g.total += int64(len(rows))
	for g.memRows*int64(rowSize) > g.budget {
		if err := g.spillLargest(); err != nil {
			g.err = err
			return err
		}
	}
	return nil
}

// spillLargest writes the largest in-memory partition to its spill file. g.mu must be held.
func (g *grouper) spillLargest() error {
	p := 0
	for i := range g.mem {
		if len(g.mem[i]) > len(g.mem[p]) {
			p = i
		}
	}
	rows := g.mem[p]
	if len(rows) == 0 {
		return nil
	}
	if g.files[p] == nil {
		if g.tmpDir == "" {
			d, err := os.MkdirTemp(g.dir, "journeykpi-spill-")
			if err != nil {
				return fmt.Errorf("group: spill: %w", err)
			}
			g.tmpDir = d
		}
		f, err := os.CreateTemp(g.tmpDir, fmt.Sprintf("part-%03d-", p))
		if err != nil {
			return fmt.Errorf("group: spill: %w", err)
		}
		g.files[p] = f
	}
	if _, err := g.files[p].Write(rowBytes(rows)); err != nil {
		return fmt.Errorf("group: spill: %w", err)
	}
	g.spilled[p] += int64(len(rows))
	g.memRows -= int64(len(rows))
	g.mem[p] = nil // release the memory: the budget is what matters
	return nil
}

// rowBytes views rows as bytes. Rows hold no pointers, and spill files are read back by the same
// process, so the in-memory layout is the file format.
func rowBytes(rows []row) []byte {
	if len(rows) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&rows[0])), len(rows)*rowSize)
}

// load returns every row of partition p: spilled ones read back, then those in memory.
func (g *grouper) load(p int, buf []row) ([]row, error) {
	n := g.spilled[p] + int64(len(g.mem[p]))
	buf = slices.Grow(buf[:0], int(n))[:g.spilled[p]]
	if f := g.files[p]; f != nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("group: read spill: %w", err)
		}
		if _, err := io.ReadFull(f, rowBytes(buf)); err != nil {
			return nil, fmt.Errorf("group: read spill: %w", err)
		}
	}
	buf = append(buf, g.mem[p]...)
	g.mem[p] = nil
	return buf, nil
}

// Close removes the spill files.
func (g *grouper) Close() error {
	var errs []error
	for i, f := range g.files {
		if f != nil {
			errs = append(errs, f.Close())
			g.files[i] = nil
		}
	}
	if g.tmpDir != "" {
		errs = append(errs, os.RemoveAll(g.tmpDir))
		g.tmpDir = ""
	}
	return errors.Join(errs...)
}

// sortKey is the compact key rows are sorted by: customer, time, then the full event order.
type sortKey struct {
	cust uint64
	time int64
	idx  uint32
}

// sortRows orders rows by customer, then by the journey order of kpi.Compare. It sorts small
// keys rather than whole rows (a third of the bytes to move), falling back to the full
// comparison only between events of one customer at the same instant.
func sortRows(rows []row) []row {
	keys := make([]sortKey, len(rows))
	for i := range rows {
		keys[i] = sortKey{rows[i].cust, rows[i].ev.Time, uint32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.cust != b.cust {
			return cmp.Compare(a.cust, b.cust)
		}
		if a.time != b.time {
			return cmp.Compare(a.time, b.time)
		}
		return kpi.Compare(&rows[a.idx].ev, &rows[b.idx].ev)
	})
	out := make([]row, len(rows))
	for i, k := range keys {
		out[i] = rows[k.idx]
	}
	return out
}

// foldStats counts what folding saw.
type foldStats struct {
	customers, duplicates, rows int64
}

// fold turns every partition into journeys and folds them into one kpi.Acc per partition, using
// up to workers goroutines, then merges the accumulators in partition order (so the result does
// not depend on scheduling). remap recodes the rows' strings to the sorted dictionaries.
func (g *grouper) fold(ctx context.Context, workers int, p *kpi.Params, remap *kpi.Remap, progress func(done int)) (*kpi.Acc, foldStats, error) {
	if workers < 1 {
		workers = 1
	}
	accs := make([]*kpi.Acc, partitions)
	stats := make([]foldStats, partitions)
	next := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	var doneMu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []row
			var events []kpi.Event
			for part := range next {
				rows, err := g.load(part, buf)
				if err != nil {
					errc <- err
					return
				}
				acc := kpi.NewAcc(p)
				st, evs := foldPartition(rows, remap, acc.Add, events)
				events = evs
				accs[part], stats[part] = acc, st
				buf = rows[:0]
				if progress != nil {
					doneMu.Lock()
					done++
					progress(done)
					doneMu.Unlock()
				}
			}
		}()
	}
	var err error
feed:
	for part := 0; part < partitions; part++ {
		select {
		case next <- part:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return nil, foldStats{}, err
	}
	total := kpi.NewAcc(p)
	var st foldStats
	for part := range accs {
		total.Merge(accs[part])
		st.customers += stats[part].customers
		st.duplicates += stats[part].duplicates
		st.rows += stats[part].rows
	}
	return total, st, nil
}

// foldPartition sorts one partition's rows into journeys and passes each to add, which must not
// keep it.
func foldPartition(rows []row, remap *kpi.Remap, add func(*kpi.Journey), events []kpi.Event) (foldStats, []kpi.Event) {
	var st foldStats
	st.rows = int64(len(rows))
	for i := range rows {
		remap.Apply(&rows[i].ev)
	}
	rows = sortRows(rows)
	var j kpi.Journey
	for i := 0; i < len(rows); {
		k := i + 1
		for k < len(rows) && rows[k].cust == rows[i].cust {
			k++
		}
		events = events[:0]
		for r := i; r < k; r++ {
			if r > i && kpi.Same(&rows[r].ev, &rows[r-1].ev) {
				st.duplicates++
				continue
			}
			events = append(events, rows[r].ev)
		}
		j.Customer, j.Events = rows[i].cust, events
		add(&j)
		st.customers++
		i = k
	}
	return st, events
}
