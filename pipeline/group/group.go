package group

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
)

// Partitions is the fixed number of customer partitions. It is fixed, not derived from the
// budget, so that the order in which journeys are folded (and so every floating-point sum) is
// the same whatever the memory budget, the number of workers or of shards.
const Partitions = 256

const partitions = Partitions

// Mix is the multiplier that spreads customer keys over the partitions: a customer's partition
// is the top byte of key × Mix (mod 2⁶⁴), so a source that stores keys already mixed can select
// a run of partitions as a range of keys.
const Mix uint64 = 0x9E3779B97F4A7C15

// rowSize is the in-memory size of one row; spilled rows are written as these bytes.
const rowSize = int(unsafe.Sizeof(ingest.Row{}))

// maxChunkRows is how many rows a partition allocates at a time at most. Chunks never move once
// allocated, so appending copies each row once, and the memory they hold is what the budget
// counts. A small budget takes smaller chunks (ChunkRows): every partition holds a partly filled
// chunk, and 256 chunks of 2048 rows are 36 MiB, more than a small budget.
const maxChunkRows = 2048

// ChunkRows is the rows per chunk for a budget: at most a quarter of the budget in the 256
// partitions' partly filled chunks, from 64 to maxChunkRows rows.
func ChunkRows(budget int64) int {
	return int(min(max(budget/(4*partitions*int64(rowSize)), 64), maxChunkRows))
}

// Grouper hash-partitions rows by customer. It keeps rows in memory up to its budget and spills
// the largest partitions to temporary files beyond it, so memory is bounded by the budget, not by
// the number of events. Add is safe for concurrent use; Fold runs once adding is over.
type Grouper struct {
	budget    int64 // bytes of rows held in memory before spilling
	chunkRows int
	dir       string
	// first and last bound the partitions kept (a shard); rows of the others are dropped.
	first, last int

	mu      sync.Mutex
	parts   [partitions][][]ingest.Row // chunks; all full but the last
	chunks  int64                      // chunks held in memory
	free    [][]ingest.Row             // spilled chunks, reused; within the budget with chunks
	files   [partitions]*os.File
	spilled [partitions]int64
	err     error
}

// New returns a grouper that holds up to budget bytes of rows in memory and spills into files in
// tempDir ("" means the system's). Each spill file is unlinked as soon as it is created and lives
// on through its open descriptor only, so the kernel frees it when the process ends, however it
// ends: a killed run leaves nothing in tempDir. Close releases them.
func New(budget int64, tempDir string) *Grouper {
	return &Grouper{budget: budget, chunkRows: ChunkRows(budget), dir: tempDir, last: partitions - 1}
}

// Keep makes the grouper keep only the customers of partitions first..last (inclusive), a
// shard: rows of other customers are dropped as they are added. Call it before Add.
func (g *Grouper) Keep(first, last int) {
	g.first, g.last = first, last
}

// PartitionOf is the partition of a customer key. It mixes the key so that sequential integer
// ids spread evenly.
func PartitionOf(cust uint64) int {
	h := cust * Mix
	return int(h >> 56)
}

// Add stores rows (copied: the caller may reuse the slice); it spills when the rows in memory
// exceed the budget. The rows are bucketed by partition before the lock is taken, so concurrent
// readers mostly copy.
func (g *Grouper) Add(rows []ingest.Row) error {
	var counts [partitions + 1]int
	part := make([]uint8, len(rows))
	for i := range rows {
		p := PartitionOf(rows[i].Cust)
		part[i] = uint8(p)
		counts[p+1]++
	}
	for p := 1; p <= partitions; p++ {
		counts[p] += counts[p-1]
	}
	bucketed := make([]ingest.Row, len(rows))
	next := counts
	for i := range rows {
		p := part[i]
		bucketed[next[p]] = rows[i]
		next[p]++
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	for p := g.first; p <= g.last; p++ {
		g.appendRows(p, bucketed[counts[p]:counts[p+1]])
	}
	chunk := int64(g.chunkRows * rowSize)
	for g.chunks*chunk > g.budget {
		if err := g.spillLargest(); err != nil {
			g.err = err
			return err
		}
	}
	// Spilled chunks are kept for reuse only as far as the budget goes with the chunks in use.
	for n := len(g.free); n > 0 && (g.chunks+int64(n))*chunk > g.budget; n-- {
		g.free[n-1] = nil
		g.free = g.free[:n-1]
	}
	return nil
}

// appendRows copies rows into partition p's chunks. g.mu must be held.
func (g *Grouper) appendRows(p int, rows []ingest.Row) {
	for len(rows) > 0 {
		cs := g.parts[p]
		if len(cs) == 0 || len(cs[len(cs)-1]) == g.chunkRows {
			var c []ingest.Row
			if n := len(g.free); n > 0 {
				c, g.free = g.free[n-1][:0], g.free[:n-1]
			} else {
				c = make([]ingest.Row, 0, g.chunkRows)
			}
			cs = append(cs, c)
			g.chunks++
		}
		last := cs[len(cs)-1]
		n := min(g.chunkRows-len(last), len(rows))
		cs[len(cs)-1] = append(last, rows[:n]...)
		g.parts[p] = cs
		rows = rows[n:]
	}
}

// memRows is the number of rows of partition p in memory.
func (g *Grouper) memRows(p int) int {
	cs := g.parts[p]
	if len(cs) == 0 {
		return 0
	}
	return (len(cs)-1)*g.chunkRows + len(cs[len(cs)-1])
}

// spillLargest writes the largest in-memory partition to its spill file. g.mu must be held.
func (g *Grouper) spillLargest() error {
	p := 0
	for i := range g.parts {
		if len(g.parts[i]) > len(g.parts[p]) {
			p = i
		}
	}
	if len(g.parts[p]) == 0 {
		return nil
	}
	if g.files[p] == nil {
		f, err := os.CreateTemp(g.dir, fmt.Sprintf("%s%03d-", SpillPrefix, p))
		if err != nil {
			return fmt.Errorf("group: spill: %w", err)
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return fmt.Errorf("group: spill: %w", err)
		}
		g.files[p] = f
	}
	for _, c := range g.parts[p] {
		if _, err := g.files[p].Write(rowBytes(c)); err != nil {
			return fmt.Errorf("group: spill: %w", err)
		}
		g.spilled[p] += int64(len(c))
	}
	g.chunks -= int64(len(g.parts[p]))
	g.free = append(g.free, g.parts[p]...)
	g.parts[p] = nil
	return nil
}

// rowBytes views rows as bytes. Rows hold no pointers, and spill files are read back by the same
// process, so the in-memory layout is the file format.
func rowBytes(rows []ingest.Row) []byte {
	if len(rows) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&rows[0])), len(rows)*rowSize)
}

// load returns every row of partition p, spilled ones read back, in buf's memory when it is
// large enough. It releases the partition's in-memory chunks. Loads of different partitions may
// run concurrently once adding is over.
func (g *Grouper) load(p int, buf []ingest.Row) ([]ingest.Row, error) {
	n := int(g.spilled[p]) + g.memRows(p)
	buf = slices.Grow(buf[:0], n)[:g.spilled[p]]
	if f := g.files[p]; f != nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("group: read spill: %w", err)
		}
		if _, err := io.ReadFull(f, rowBytes(buf)); err != nil {
			return nil, fmt.Errorf("group: read spill: %w", err)
		}
	}
	for _, c := range g.parts[p] {
		buf = append(buf, c...)
	}
	g.parts[p] = nil
	return buf, nil
}

// Close releases the spill files (already unlinked, so nothing stays on disk).
func (g *Grouper) Close() error {
	var errs []error
	for i, f := range g.files {
		if f != nil {
			errs = append(errs, f.Close())
			g.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

// SpilledRows is the number of rows written to spill files so far.
func (g *Grouper) SpilledRows() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var n int64
	for _, s := range g.spilled {
		n += s
	}
	return n
}

// Stats counts what folding saw: customers (journeys), rows, and rows that were exact
// duplicates of another row of their journey (counted once).
type Stats struct {
	Customers, Duplicates, Rows int64
}

// add adds o's counts to s.
func (s *Stats) add(o Stats) {
	s.Customers += o.Customers
	s.Duplicates += o.Duplicates
	s.Rows += o.Rows
}

// Fold turns every partition into journeys and folds them into one kpi.Acc per partition, using
// up to workers goroutines, then merges the accumulators in partition order (so the result does
// not depend on scheduling, the budget or the number of workers). remap recodes the rows'
// strings to the sorted dictionaries.
func (g *Grouper) Fold(ctx context.Context, workers int, p *kpi.Params, remap *kpi.Remap) (*kpi.Acc, Stats, error) {
	accs, stats, err := g.FoldParts(ctx, workers, p, remap)
	if err != nil {
		return nil, Stats{}, err
	}
	total := kpi.NewAcc(p)
	var st Stats
	for part := range accs {
		if accs[part] != nil {
			total.Merge(accs[part])
		}
		st.add(stats[part])
	}
	return total, st, nil
}

// FoldParts folds each kept partition into an accumulator of its own and returns them by
// partition (nil for the partitions not kept, see Keep) with their counts. Merging them in
// partition order is Fold; a shard keeps them apart so that its partitions can be merged with
// the other shards' in that order.
func (g *Grouper) FoldParts(ctx context.Context, workers int, p *kpi.Params, remap *kpi.Remap) ([]*kpi.Acc, []Stats, error) {
	if workers < 1 {
		workers = 1
	}
	accs := make([]*kpi.Acc, partitions)
	stats := make([]Stats, partitions)
	next := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s journeySorter
			var buf []ingest.Row
			for part := range next {
				rows, err := g.load(part, buf)
				if err != nil {
					errc <- err
					return
				}
				acc := kpi.NewAcc(p)
				accs[part], stats[part] = acc, s.journeys(rows, remap, acc.Add)
				buf = rows[:0]
			}
		}()
	}
	var err error
feed:
	for part := g.first; part <= g.last; part++ {
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
		return nil, nil, err
	}
	return accs, stats, nil
}

// journeySorter turns partitions into journeys with one worker's scratch buffers, reused from
// partition to partition.
type journeySorter struct {
	keys, tmp []custKey
	sorted    []ingest.Row
	events    []kpi.Event
}

// custKey is what the radix sort moves: the customer and the row's index.
type custKey struct {
	cust uint64
	idx  uint32
}

// journeys sorts one partition's rows into journeys (each customer's events in journey order,
// exact duplicates removed and counted) and passes each to add, which must not keep it.
func (s *journeySorter) journeys(rows []ingest.Row, remap *kpi.Remap, add func(*kpi.Journey)) Stats {
	var st Stats
	st.Rows = int64(len(rows))
	for i := range rows {
		remap.Apply(&rows[i].Ev)
	}
	rows = s.sort(rows)
	var j kpi.Journey
	for i := 0; i < len(rows); {
		k := i + 1
		for k < len(rows) && rows[k].Cust == rows[i].Cust {
			k++
		}
		events := s.events[:0]
		for r := i; r < k; r++ {
			events = append(events, rows[r].Ev)
		}
		sortEvents(events)
		kept := events[:1]
		for r := 1; r < len(events); r++ {
			if kpi.Same(&events[r], &kept[len(kept)-1]) {
				st.Duplicates++
				continue
			}
			kept = append(kept, events[r])
		}
		s.events = events
		j.Customer, j.Events = rows[i].Cust, kept
		add(&j)
		st.Customers++
		i = k
	}
	return st
}

// sort groups rows by customer (ascending key) with a stable LSD radix sort on the key's bytes,
// skipping bytes all keys share. It returns the rows in s.sorted.
func (s *journeySorter) sort(rows []ingest.Row) []ingest.Row {
	n := len(rows)
	s.keys = slices.Grow(s.keys[:0], n)[:n]
	s.tmp = slices.Grow(s.tmp[:0], n)[:n]
	keys, tmp := s.keys, s.tmp
	var or, and uint64 = 0, ^uint64(0)
	for i := range rows {
		c := rows[i].Cust
		keys[i] = custKey{c, uint32(i)}
		or |= c
		and &= c
	}
	varying := or ^ and // bits that differ between some keys
	for shift := uint(0); shift < 64; shift += 8 {
		if (varying>>shift)&0xff == 0 {
			continue
		}
		var counts [257]int
		for i := range keys {
			counts[((keys[i].cust>>shift)&0xff)+1]++
		}
		for b := 1; b <= 256; b++ {
			counts[b] += counts[b-1]
		}
		for i := range keys {
			b := (keys[i].cust >> shift) & 0xff
			tmp[counts[b]] = keys[i]
			counts[b]++
		}
		keys, tmp = tmp, keys
	}
	s.sorted = slices.Grow(s.sorted[:0], n)[:n]
	for i, k := range keys {
		s.sorted[i] = rows[k.idx]
	}
	return s.sorted
}

// sortEvents orders one customer's events by kpi.Compare: insertion sort for the usual short,
// nearly ordered journey, the standard sort for long ones.
func sortEvents(ev []kpi.Event) {
	if len(ev) > 24 {
		slices.SortFunc(ev, func(a, b kpi.Event) int { return kpi.Compare(&a, &b) })
		return
	}
	for i := 1; i < len(ev); i++ {
		for k := i; k > 0 && kpi.Compare(&ev[k], &ev[k-1]) < 0; k-- {
			ev[k], ev[k-1] = ev[k-1], ev[k]
		}
	}
}
