package offheap

import (
	"os"
	"runtime"
	"testing"
)

func TestAllocWriteFree(t *testing.T) {
	for _, n := range []int{1, 4096, 3 << 20} {
		b, err := Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		if InUse() < int64(n) {
			t.Errorf("Alloc(%d): InUse %d", n, InUse())
		}
		if len(b) != n {
			t.Fatalf("Alloc(%d) has %d bytes", n, len(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("Alloc(%d): byte %d is %d", n, i, b[i])
			}
			b[i] = byte(i)
		}
		if err := Free(b); err != nil {
			t.Fatal(err)
		}
	}
	if n := InUse(); n != 0 {
		t.Errorf("%d bytes in use after every buffer was freed", n)
	}
	if b, err := Alloc(0); b != nil || err != nil {
		t.Fatalf("Alloc(0) = %v, %v", b, err)
	}
	if err := Free(nil); err != nil {
		t.Fatal(err)
	}
}

func TestReleaseKeepsTheBufferUsable(t *testing.T) {
	page := os.Getpagesize()
	b, err := Alloc(16 * page)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(b)
	for i := range b {
		b[i] = 1
	}
	// Unaligned ends: only the whole pages inside (pages 1 to 7, whatever the page size) are
	// given back; the parts of pages 0 and 8 in the range are kept, as is everything outside it.
	if err := Release(b[100 : 8*page+100]); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{99, 100, page - 1, 8 * page, 8*page + 99, 8*page + 100} {
		if b[i] != 1 {
			t.Errorf("Release changed byte %d, outside its whole pages (page size %d)", i, page)
		}
	}
	if runtime.GOOS == "linux" {
		for _, i := range []int{page, 8*page - 1} {
			if b[i] != 0 {
				t.Errorf("byte %d of a released page reads %d, want 0", i, b[i])
			}
		}
	}
	b[page] = 2
	if err := Release(nil); err != nil {
		t.Fatal(err)
	}
}
