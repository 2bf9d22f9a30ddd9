package offheap

import (
	"os"
	"sync/atomic"
	"unsafe"
)

// inUse is the number of bytes mapped by Alloc and not yet freed.
var inUse atomic.Int64

// Alloc returns n zeroed bytes outside Go's heap. Memory is taken from the system only as it is
// first written, and on Linux in 2 MiB pages when transparent huge pages are enabled or allowed
// on request (madvise): a page fault costs the same for 2 MiB as for 4 KiB, and on some virtual
// machines a fault costs microseconds. The buffer must hold no Go pointers and must not be used
// after Free.
func Alloc(n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	b, err := alloc(n)
	if err == nil {
		inUse.Add(int64(cap(b)))
	}
	return b, err
}

// InUse is the number of bytes taken by Alloc and not given back by Free: zero between runs, or
// a long-running scheduler would grow by a run's rows every night.
func InUse() int64 { return inUse.Load() }

// Free gives back a buffer from Alloc; nil is ignored.
func Free(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	if err := free(b[:cap(b)]); err != nil {
		return err
	}
	inUse.Add(-int64(cap(b)))
	return nil
}

// Release gives the whole pages within b back to the system while keeping b mapped: they read as
// zeros when next touched. It lowers the resident memory of a buffer whose content is no longer
// needed, before it is freed.
func Release(b []byte) error {
	page := uintptr(os.Getpagesize())
	if len(b) == 0 {
		return nil
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := int((start+page-1)&^(page-1) - start)
	hi := int((start+uintptr(len(b)))&^(page-1) - start)
	if hi <= lo {
		return nil
	}
	return release(b[lo:hi])
}
