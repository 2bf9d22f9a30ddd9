package files

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/journeykpi/journeykpi/config"
)

func TestBufferPoolClasses(t *testing.T) {
	prev := 0
	for size := 1; size <= 1<<22; size++ {
		c := classSize(size)
		if c < size || c%64 != 0 || c > max(64, size+size/4+63) {
			t.Fatalf("classSize(%d) = %d", size, c)
		}
		if classSize(c) != c {
			t.Fatalf("classSize(classSize(%d)) = %d, want %d", size, classSize(c), c)
		}
		if c < prev {
			t.Fatalf("classSize(%d) = %d < %d", size, c, prev)
		}
		prev = c
	}
	p := newBufferPool(1 << 20)
	for _, size := range []int{1, 63, 65, 100, 1000, 4097, 70000, 300000} {
		b := p.Allocate(size)
		if len(b) != size || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64 != 0 {
			t.Fatalf("Allocate(%d): len %d, address %p", size, len(b), unsafe.SliceData(b))
		}
		for i := range b {
			b[i] = 0xAB
		}
		p.Free(b)
		freed := unsafe.SliceData(b)
		b = p.Allocate(size)
		if unsafe.SliceData(b) != freed {
			t.Fatalf("Allocate(%d) after Free: a new buffer, not the one freed", size)
		}
		for i, v := range b[:cap(b)] {
			if v != 0 {
				t.Fatalf("Allocate(%d) after Free: byte %d is %#x, want 0", size, i, v)
			}
		}
	}
}

// TestBufferPoolReadsWhatTheGoAllocatorReads reads a Parquet file of several row groups,
// dictionary and plain strings, nulls and numbers, in small batches, through a pool that
// poisons every buffer it takes back, and through Arrow's Go allocator: every value must be the
// same, so no buffer is used after its record was released.
func TestBufferPoolReadsWhatTheGoAllocatorReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.parquet")
	writeParquet(t, path, 20000, 3000)
	dump := func(alloc memory.Allocator) []string {
		s, err := New(config.Files{Paths: []string{path}}, Options{Parallel: 1, BatchRows: 1000, Allocator: alloc})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		err = s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
			for i := range int(rec.NumRows()) {
				var b strings.Builder
				for _, c := range rec.Columns() {
					b.WriteString(c.ValueStr(i))
					b.WriteByte('|')
				}
				out = append(out, b.String())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pool := newBufferPool(1 << 30)
	pool.poison = true
	want, got := dump(memory.DefaultAllocator), dump(pool)
	if len(want) != 20000 || !slices.Equal(got, want) {
		t.Fatalf("read %d rows through the pool, %d through the Go allocator, or different values", len(got), len(want))
	}
	if pool.held == 0 {
		t.Fatal("the pool took no buffer back")
	}
}
