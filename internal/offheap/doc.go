// Package offheap maps large pointer-free buffers outside Go's heap, in transparent huge pages
// where the kernel allows, and unmaps them when they are freed.
package offheap
