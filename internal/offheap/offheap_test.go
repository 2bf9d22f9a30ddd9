package offheap

import (
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
	b, err := Alloc(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(b)
	for i := range b {
		b[i] = 1
	}
	// Unaligned ends: only the whole pages inside are given back, the rest is kept.
	if err := Release(b[100 : 1<<19]); err != nil {
		t.Fatal(err)
	}
	if b[99] != 1 || b[100] != 1 || b[1<<19] != 1 {
		t.Fatal("Release changed bytes outside its whole pages")
	}
	if runtime.GOOS == "linux" && b[8192] != 0 {
		t.Errorf("a released page reads %d, want 0", b[8192])
	}
	b[8192] = 2
	if err := Release(nil); err != nil {
		t.Fatal(err)
	}
}
