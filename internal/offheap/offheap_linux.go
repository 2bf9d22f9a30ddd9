package offheap

import (
	"fmt"
	"syscall"
)

// madvHugepage is MADV_HUGEPAGE, which the syscall package does not name.
const madvHugepage = 14

func alloc(n int) ([]byte, error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("offheap: map %d bytes: %w", n, err)
	}
	// Advice only: a kernel without transparent huge pages gives 4 KiB pages.
	_ = syscall.Madvise(b, madvHugepage)
	return b, nil
}

func free(b []byte) error {
	if err := syscall.Munmap(b); err != nil {
		return fmt.Errorf("offheap: unmap: %w", err)
	}
	return nil
}

func release(b []byte) error {
	if err := syscall.Madvise(b, syscall.MADV_DONTNEED); err != nil {
		return fmt.Errorf("offheap: release: %w", err)
	}
	return nil
}
