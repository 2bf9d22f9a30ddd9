// Package atomicfile writes files so that a reader sees the old file or the new one, never part of
// either, and removes the temporary files that writes killed mid-way leave behind.
package atomicfile
