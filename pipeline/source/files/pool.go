package files

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// bufferPool is an Arrow allocator that keeps the buffers of released records for the next
// batches. The Parquet reader allocates every column buffer of every batch afresh; from Go's heap
// each is a large allocation the runtime must zero and often fault in from the kernel again,
// which cost more than decoding the values (about 60 ns an event on the peer's file). Reused
// buffers are zeroed like new ones (what Arrow's allocators promise), but in memory already
// mapped and mostly in cache.
//
// Buffers come in size classes of four steps per power of two, so a buffer wastes under a
// quarter of its size. At most limit bytes are kept; beyond that a freed buffer is left to the
// garbage collector. It is safe for concurrent use.
type bufferPool struct {
	limit int64
	// poison fills freed buffers with 0xDB, so that a test reading through the pool sees any
	// use of a buffer after its release.
	poison bool

	mu   sync.Mutex
	free map[int][][]byte // by capacity (a class size)
	held int64
	// ours are the buffers this pool handed out and not taken back, by address: Arrow also
	// releases buffers it made as views of others' memory (a decompressed page), which must not
	// be reused.
	ours map[*byte]int
}

// poolBytesPerRow is how many bytes of free buffers a pool keeps per row of a batch and reader:
// about two batches' column buffers (a batch of the peer's ten columns takes about 60 bytes a
// row), so that the pool holds what the garbage collector would otherwise, not more.
const poolBytesPerRow = 128

func newBufferPool(limit int64) *bufferPool {
	return &bufferPool{limit: limit, free: map[int][][]byte{}, ours: map[*byte]int{}}
}

// classSize is the capacity of the size class holding size bytes: four classes per power of two
// (5, 6, 7 and 8 eighths of the next one), in steps of at least 64 bytes, since Arrow aligns
// buffers to 64 bytes.
func classSize(size int) int {
	if size <= 64 {
		return 64
	}
	step := max(1<<(bits.Len(uint(size-1))-3), 64)
	return (size + step - 1) &^ (step - 1)
}

// Allocate returns a zeroed buffer of size bytes.
func (p *bufferPool) Allocate(size int) []byte {
	c := classSize(size)
	p.mu.Lock()
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		p.held -= int64(c)
		p.ours[unsafe.SliceData(b)] = c
		p.mu.Unlock()
		clear(b[:c])
		return b[:size]
	}
	p.mu.Unlock()
	b := make([]byte, size, c)
	if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64 != 0 {
		// Not on a 64-byte boundary: aligned as Arrow's Go allocator does, and not kept.
		return memory.DefaultAllocator.Allocate(size)
	}
	p.mu.Lock()
	p.ours[unsafe.SliceData(b)] = c
	p.mu.Unlock()
	return b
}

// Reallocate grows or shrinks b to size bytes, keeping its content. A buffer grown into a new one
// is left to the garbage collector, not reused, as Arrow's Go allocator does: Arrow's builders
// may still hold views of it.
func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.mu.Lock()
	delete(p.ours, unsafe.SliceData(b))
	p.mu.Unlock()
	return nb
}

// Free takes b back for reuse when the pool handed it out whole; any other buffer is left to the
// garbage collector.
func (p *bufferPool) Free(b []byte) {
	c := cap(b)
	if c == 0 {
		return
	}
	p.mu.Lock()
	if p.ours[unsafe.SliceData(b)] != c {
		p.mu.Unlock()
		return
	}
	delete(p.ours, unsafe.SliceData(b))
	p.mu.Unlock()
	if p.poison {
		b = b[:c]
		for i := range b {
			b[i] = 0xDB
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held+int64(c) > p.limit {
		return
	}
	p.free[c] = append(p.free[c], b[:c])
	p.held += int64(c)
}
