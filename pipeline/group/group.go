package group

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/journeykpi/journeykpi/internal/offheap"
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

// keySize is the size of what the radix sort moves per row (custKey); it sorts with two arrays
// of them.
const keySize = int(unsafe.Sizeof(custKey{}))

// FoldRowBytes is what folding holds per row of the piece a worker sorts: the row and two sort
// keys.
const FoldRowBytes = rowSize + 2*keySize

// The memory budget is shared by the two phases of grouping. While reading, half of it holds
// rows (the rest are spilled); while folding, the other half is the workers' working memory:
// each sorts a piece of at most PieceRows rows. A partition larger than a piece is split by
// customer key range into pieces folded one after another, so memory does not grow with the
// input, and the journeys are folded in the same order as if the partition were sorted whole.
//
// ReadBytes is the part of budget that holds rows while reading.
func ReadBytes(budget int64) int64 { return budget / 2 }

// PieceRows is the most rows one of workers folding within budget sorts at once: its share of
// the folding half, at least minPieceRows.
func PieceRows(budget int64, workers int) int {
	return int(max((budget-ReadBytes(budget))/int64(max(workers, 1))/int64(FoldRowBytes), minPieceRows))
}

// minPieceRows bounds the pieces from below for tiny budgets (tests use a budget of 1 byte).
const minPieceRows = 16

// maxFanOut is the most pieces a partition, or a piece too large after its split, is split into
// at once.
const maxFanOut = 64

// maxChunkRows is how many rows a partition allocates at a time at most. Chunks never move once
// allocated, so appending copies each row once, and the memory they hold is what the budget
// counts. A small budget takes smaller chunks (ChunkRows): every partition holds a partly filled
// chunk, and 256 chunks of 2048 rows are 36 MiB, more than a small budget.
const maxChunkRows = 2048

// ChunkRows is the rows per chunk for a budget: at most a quarter of the rows held while reading
// in the 256 partitions' partly filled chunks, from 64 to maxChunkRows rows.
func ChunkRows(budget int64) int {
	return int(min(max(ReadBytes(budget)/(4*partitions*int64(rowSize)), 64), maxChunkRows))
}

// Grouper hash-partitions rows by customer. It keeps rows in memory up to its budget and spills
// the largest partitions to temporary files beyond it, so memory is bounded by the budget, not by
// the number of events. Add is safe for concurrent use; Fold runs once adding is over.
type Grouper struct {
	budget    int64
	chunkRows int
	dir       string
	// first and last bound the partitions kept (a shard); rows of the others are dropped.
	first, last int

	mu sync.Mutex
	// arena is the memory rows are held in while reading, outside Go's heap (offheap): the
	// collector neither scans nor counts it, so the heap's growth target applies to the rest.
	// It is mapped at the first row and holds nChunks chunks; next is the first never used.
	arena   []byte
	nChunks int
	next    int
	free    [][]ingest.Row             // chunks spilled or folded, for reuse
	parts   [partitions][][]ingest.Row // full chunks
	tail    [partitions][]ingest.Row   // the chunk being filled; nil when none
	lo, hi  [partitions]uint64         // the range of customer keys added, when rows[p] > 0
	rows    [partitions]int64          // rows added, in memory or spilled
	files   [partitions]*os.File
	spilled [partitions]int64
	err     error
}

// New returns a grouper that holds up to ReadBytes(budget) bytes of rows in memory while
// reading and spills into files in tempDir ("" means the system's). Each spill file is unlinked
// as soon as it is created and lives on through its open descriptor only, so the kernel frees it
// when the process ends, however it ends: a killed run leaves nothing in tempDir. Close releases
// them and the memory.
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

// Add stores rows (copied: the caller may reuse the slice), spilling the largest partitions
// when the memory for rows is full. Each row is copied once, straight into its partition's
// chunk.
func (g *Grouper) Add(rows []ingest.Row) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	if g.arena == nil && len(rows) > 0 {
		if g.err = g.mapArena(); g.err != nil {
			return g.err
		}
	}
	first, last := g.first, g.last
	for i := range rows {
		c := rows[i].Cust
		p := PartitionOf(c)
		if p < first || p > last {
			continue
		}
		if g.rows[p] == 0 || c < g.lo[p] {
			g.lo[p] = c
		}
		if g.rows[p] == 0 || c > g.hi[p] {
			g.hi[p] = c
		}
		g.rows[p]++
		tail := g.tail[p]
		if len(tail) == cap(tail) {
			var err error
			if tail, err = g.newChunk(p); err != nil {
				g.err = err
				return err
			}
		}
		g.tail[p] = append(tail, rows[i])
	}
	return nil
}

// mapArena maps the memory for rows: the reading half of the budget in whole chunks, at least
// one. g.mu must be held.
func (g *Grouper) mapArena() error {
	chunk := int64(g.chunkRows * rowSize)
	g.nChunks = int(max(ReadBytes(g.budget)/chunk, 1))
	var err error
	if g.arena, err = offheap.Alloc(g.nChunks * int(chunk)); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// newChunk retires partition p's full tail chunk, if any, and returns an empty chunk in its
// place, spilling the largest partitions (perhaps p) until one is free. g.mu must be held.
func (g *Grouper) newChunk(p int) ([]ingest.Row, error) {
	if t := g.tail[p]; t != nil {
		g.parts[p] = append(g.parts[p], t)
		g.tail[p] = nil
	}
	for len(g.free) == 0 && g.next == g.nChunks {
		if err := g.spillLargest(); err != nil {
			return nil, err
		}
	}
	if n := len(g.free); n > 0 {
		c := g.free[n-1][:0]
		g.free = g.free[:n-1]
		return c, nil
	}
	b := g.arena[g.next*g.chunkRows*rowSize : (g.next+1)*g.chunkRows*rowSize]
	g.next++
	return unsafe.Slice((*ingest.Row)(unsafe.Pointer(unsafe.SliceData(b))), g.chunkRows)[:0], nil
}

// memChunks is the number of chunks of partition p in memory.
func (g *Grouper) memChunks(p int) int {
	n := len(g.parts[p])
	if g.tail[p] != nil {
		n++
	}
	return n
}

// spillLargest writes the largest in-memory partition to its spill file and frees its chunks.
// g.mu must be held.
func (g *Grouper) spillLargest() error {
	p := 0
	for i := range g.parts {
		if g.memChunks(i) > g.memChunks(p) {
			p = i
		}
	}
	if g.memChunks(p) == 0 {
		return errors.New("group: no memory for rows")
	}
	if g.files[p] == nil {
		f, err := createSpill(g.dir, fmt.Sprintf("%03d-", p))
		if err != nil {
			return err
		}
		g.files[p] = f
	}
	cs := g.parts[p]
	if g.tail[p] != nil {
		cs = append(cs, g.tail[p])
	}
	for _, c := range cs {
		if _, err := g.files[p].Write(rowBytes(c)); err != nil {
			return fmt.Errorf("group: spill: %w", err)
		}
		g.spilled[p] += int64(len(c))
	}
	g.free = append(g.free, cs...)
	g.parts[p], g.tail[p] = nil, nil
	return nil
}

// createSpill creates a spill file in dir and unlinks it at once.
func createSpill(dir, name string) (*os.File, error) {
	f, err := os.CreateTemp(dir, SpillPrefix+name)
	if err != nil {
		return nil, fmt.Errorf("group: spill: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("group: spill: %w", err)
	}
	return f, nil
}

// rowBytes views rows as bytes. Rows hold no pointers, and spill files are read back by the same
// process, so the in-memory layout is the file format.
func rowBytes(rows []ingest.Row) []byte {
	if len(rows) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&rows[0])), len(rows)*rowSize)
}

// Close releases the spill files (already unlinked, so nothing stays on disk) and the memory
// rows were held in.
func (g *Grouper) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for i, f := range g.files {
		if f != nil {
			errs = append(errs, f.Close())
			g.files[i] = nil
		}
	}
	g.parts, g.tail, g.free = [partitions][][]ingest.Row{}, [partitions][]ingest.Row{}, nil
	errs = append(errs, offheap.Free(g.arena))
	g.arena, g.nChunks, g.next = nil, 0, 0
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
	pieceRows := PieceRows(g.budget, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{g: g, remap: remap, maxRows: pieceRows}
			defer w.release()
			for part := range next {
				acc := kpi.NewAcc(p)
				st, err := w.foldPart(part, acc.Add)
				if err != nil {
					errc <- err
					return
				}
				accs[part], stats[part] = acc, st
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

// worker folds partitions one at a time within its share of the budget: pieces of at most
// maxRows rows, sorted in memory it keeps from partition to partition.
type worker struct {
	g       *Grouper
	remap   *kpi.Remap
	maxRows int
	// mem holds rows (maxRows rows) and the sort's two key arrays, outside Go's heap; mapped at
	// the first piece.
	mem  []byte
	rows []ingest.Row
	s    journeySorter
	// bufs are the write buffers of a split's pieces.
	bufs [][]ingest.Row
}

// release gives back the worker's memory.
func (w *worker) release() {
	offheap.Free(w.mem)
	w.mem, w.rows, w.s.keys, w.s.tmp = nil, nil, nil, nil
}

// buffers maps the worker's memory at its first use.
func (w *worker) buffers() error {
	if w.mem != nil {
		return nil
	}
	var err error
	if w.mem, err = offheap.Alloc(w.maxRows * FoldRowBytes); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	rows := w.mem[:w.maxRows*rowSize]
	w.rows = unsafe.Slice((*ingest.Row)(unsafe.Pointer(unsafe.SliceData(rows))), w.maxRows)
	keys := w.mem[w.maxRows*rowSize:]
	all := unsafe.Slice((*custKey)(unsafe.Pointer(unsafe.SliceData(keys))), 2*w.maxRows)
	w.s.keys, w.s.tmp = all[:w.maxRows:w.maxRows], all[w.maxRows:]
	return nil
}

// foldPart folds partition p's journeys, in ascending customer key, into add, and releases the
// partition's memory and spill file.
func (w *worker) foldPart(p int, add func(*kpi.Journey)) (Stats, error) {
	g := w.g
	n := g.rows[p]
	if n == 0 {
		return Stats{}, nil
	}
	if err := w.buffers(); err != nil {
		return Stats{}, err
	}
	g.mu.Lock()
	chunks := g.parts[p]
	if g.tail[p] != nil {
		chunks = append(chunks, g.tail[p])
	}
	g.parts[p], g.tail[p] = nil, nil
	g.mu.Unlock()
	src := &partStream{file: g.files[p], left: g.spilled[p], chunks: chunks}
	defer func() {
		// Adding is over, so the partition's chunks are not reused: their pages go back to the
		// system at once, so that the rows held while reading do not add to the memory the
		// accumulators take while folding. Its spill file is closed.
		for _, c := range chunks {
			_ = offheap.Release(rowBytes(c[:cap(c)]))
		}
		g.mu.Lock()
		if f := g.files[p]; f != nil {
			f.Close()
			g.files[p] = nil
		}
		g.mu.Unlock()
	}()
	if src.file != nil {
		if _, err := src.file.Seek(0, io.SeekStart); err != nil {
			return Stats{}, fmt.Errorf("group: read spill: %w", err)
		}
	}
	return w.fold(src, n, g.lo[p], g.hi[p], add)
}

// fold folds the n rows of src, whose customer keys lie in lo..hi, in ascending key: sorted
// whole when they fit in the worker's memory (or are one customer's), else split into pieces.
func (w *worker) fold(src rowStream, n int64, lo, hi uint64, add func(*kpi.Journey)) (Stats, error) {
	if n <= int64(w.maxRows) || lo == hi {
		rows := w.rows
		if n > int64(len(rows)) {
			// One customer with more events than a piece: their journey is folded whole.
			rows = make([]ingest.Row, n)
		}
		rows, err := readAll(src, rows[:0])
		if err != nil {
			return Stats{}, err
		}
		if int64(len(rows)) != n {
			return Stats{}, fmt.Errorf("group: read %d rows back, want %d", len(rows), n)
		}
		return w.s.journeys(rows, w.remap, add), nil
	}
	return w.split(src, n, lo, hi, add)
}

// split distributes the n rows of src over pieces of equal key ranges within lo..hi, written to
// spill files, then folds the pieces in key order: within a piece, and from piece to piece, the
// journeys come in ascending key, as from a sort of all n rows.
func (w *worker) split(src rowStream, n int64, lo, hi uint64, add func(*kpi.Journey)) (Stats, error) {
	k := int(min((n*5/4+int64(w.maxRows)-1)/int64(w.maxRows), maxFanOut))
	k = max(k, 2)
	span := hi - lo + 1 // 0 stands for 2⁶⁴
	pieceOf := func(c uint64) int {
		h, l := bits.Mul64(c-lo, uint64(k))
		if span == 0 {
			return int(h)
		}
		q, _ := bits.Div64(h, l, span)
		return int(q)
	}
	type piece struct {
		file   *os.File
		n      int64
		lo, hi uint64
		buf    []ingest.Row
	}
	pieces := make([]piece, k)
	defer func() {
		for _, pc := range pieces {
			if pc.file != nil {
				pc.file.Close()
			}
		}
	}()
	bufRows := min(max(w.maxRows/(2*k), 16), 1024)
	for len(w.bufs) < k {
		w.bufs = append(w.bufs, nil)
	}
	for i := range pieces {
		if cap(w.bufs[i]) < bufRows {
			w.bufs[i] = make([]ingest.Row, 0, bufRows)
		}
		pieces[i].buf = w.bufs[i][:0:bufRows]
	}
	flush := func(pc *piece) error {
		if len(pc.buf) == 0 {
			return nil
		}
		if pc.file == nil {
			f, err := createSpill(w.g.dir, "piece-")
			if err != nil {
				return err
			}
			pc.file = f
		}
		if _, err := pc.file.Write(rowBytes(pc.buf)); err != nil {
			return fmt.Errorf("group: spill: %w", err)
		}
		pc.buf = pc.buf[:0]
		return nil
	}
	// The worker's row memory is free while splitting: it is the read block.
	block := w.rows[:max(len(w.rows)/2, 1)]
	for {
		rows, err := src.next(block)
		if err != nil {
			return Stats{}, err
		}
		if len(rows) == 0 {
			break
		}
		for i := range rows {
			c := rows[i].Cust
			pc := &pieces[pieceOf(c)]
			if pc.n == 0 || c < pc.lo {
				pc.lo = c
			}
			if pc.n == 0 || c > pc.hi {
				pc.hi = c
			}
			pc.n++
			pc.buf = append(pc.buf, rows[i])
			if len(pc.buf) == cap(pc.buf) {
				if err := flush(pc); err != nil {
					return Stats{}, err
				}
			}
		}
	}
	// Every piece goes to its file before any is folded: a piece split further reuses the write
	// buffers.
	for i := range pieces {
		if err := flush(&pieces[i]); err != nil {
			return Stats{}, err
		}
	}
	var st Stats
	for i := range pieces {
		pc := &pieces[i]
		if pc.n == 0 {
			continue
		}
		if _, err := pc.file.Seek(0, io.SeekStart); err != nil {
			return Stats{}, fmt.Errorf("group: read spill: %w", err)
		}
		s, err := w.fold(&partStream{file: pc.file, left: pc.n}, pc.n, pc.lo, pc.hi, add)
		if err != nil {
			return Stats{}, err
		}
		st.add(s)
		pc.file.Close()
		pc.file = nil
	}
	return st, nil
}

// rowStream yields rows block by block.
type rowStream interface {
	// next returns the next rows, in buf's memory or in memory of the stream's own, valid until
	// the following call; none at the end.
	next(buf []ingest.Row) ([]ingest.Row, error)
}

// partStream streams the left rows of a spill file, then chunks in memory.
type partStream struct {
	file   *os.File
	left   int64
	chunks [][]ingest.Row
}

func (s *partStream) next(buf []ingest.Row) ([]ingest.Row, error) {
	if s.left > 0 {
		n := int(min(s.left, int64(len(buf))))
		if _, err := io.ReadFull(s.file, rowBytes(buf[:n])); err != nil {
			return nil, fmt.Errorf("group: read spill: %w", err)
		}
		s.left -= int64(n)
		return buf[:n], nil
	}
	for len(s.chunks) > 0 {
		c := s.chunks[0]
		s.chunks = s.chunks[1:]
		if len(c) > 0 {
			return c, nil
		}
	}
	return nil, nil
}

// readAll appends every row of src to buf, which must have room for them.
func readAll(src rowStream, buf []ingest.Row) ([]ingest.Row, error) {
	if s, ok := src.(*partStream); ok && s.left > 0 {
		// The spilled rows straight into buf, in one read.
		n := int(s.left)
		if n > cap(buf)-len(buf) {
			return nil, fmt.Errorf("group: %d rows do not fit in %d", n, cap(buf)-len(buf))
		}
		rows, err := s.next(buf[len(buf) : len(buf)+n])
		if err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+len(rows)]
	}
	for {
		rows, err := src.next(buf[len(buf):cap(buf)])
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return buf, nil
		}
		if len(buf)+len(rows) > cap(buf) {
			return nil, fmt.Errorf("group: more rows than %d", cap(buf))
		}
		if unsafe.SliceData(rows) != unsafe.SliceData(buf[len(buf):cap(buf)]) {
			copy(buf[len(buf):cap(buf)], rows)
		}
		buf = buf[:len(buf)+len(rows)]
	}
}

// journeySorter turns partitions into journeys with one worker's scratch buffers, reused from
// partition to partition.
type journeySorter struct {
	keys, tmp []custKey
	events    []kpi.Event
}

// custKey is what the radix sort moves: the customer and the row's index.
type custKey struct {
	cust uint64
	idx  uint32
}

// journeys sorts rows into journeys (each customer's events in journey order, exact duplicates
// removed and counted) and passes each to add, which must not keep it.
func (s *journeySorter) journeys(rows []ingest.Row, remap *kpi.Remap, add func(*kpi.Journey)) Stats {
	var st Stats
	st.Rows = int64(len(rows))
	for i := range rows {
		remap.Apply(&rows[i].Ev)
	}
	keys := s.sort(rows)
	var j kpi.Journey
	for i := 0; i < len(keys); {
		k := i + 1
		for k < len(keys) && keys[k].cust == keys[i].cust {
			k++
		}
		events := s.events[:0]
		for r := i; r < k; r++ {
			events = append(events, rows[keys[r].idx].Ev)
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
		j.Customer, j.Events = keys[i].cust, kept
		add(&j)
		st.Customers++
		i = k
	}
	return st
}

// sort orders the rows' keys by customer (ascending) with a stable LSD radix sort on the key's
// bytes, skipping bytes all keys share, and returns them: the rows in journey order are
// rows[keys[i].idx].
func (s *journeySorter) sort(rows []ingest.Row) []custKey {
	n := len(rows)
	if cap(s.keys) < n || cap(s.tmp) < n {
		s.keys, s.tmp = make([]custKey, n), make([]custKey, n)
	}
	keys, tmp := s.keys[:n], s.tmp[:n]
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
	return keys
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
