package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tempPattern is the name of a write's temporary file beside its target: ".<name>.tmp-<random>".
// IsTemp recognises exactly these names.
const (
	tempPrefix = "."
	tempInfix  = ".tmp-"
)

// IsTemp reports whether name is a temporary file of a write (".<name>.tmp-123"): one that outlives
// its process was left by a kill mid-write.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.Contains(name, tempInfix)
}

// Write writes a file so that a reader never sees half of it: write fills a temporary file in the
// same directory, which is synced, closed and renamed over path; then the directory itself is
// synced so the rename survives a crash. When write (or any step) fails, the temporary file is
// removed and an existing file at path is left untouched. The file is created with mode 0644. It
// is safe for concurrent use on different paths.
func Write(path string, write func(io.Writer) error) error {
	tmp, _, err := writeTemp(path, write)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", path, err)
	}
	// The file is complete and in place from here on; a failed directory sync is still reported
	// because the rename may not survive a crash.
	dir := filepath.Dir(path)
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("sync directory of %s: %w", path, err)
	}
	return nil
}

// WriteBytes writes data to path with Write.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir syncs a directory, so that renames into it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	// Some file systems cannot sync a directory; the rename is still in place.
	if errors.Is(err, syscall.EINVAL) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// RemoveStale deletes the temporary files that writes killed mid-way left in dir and returns how
// many it removed. A missing dir has none. Call it only while no live write can be using dir
// (holding the output's lock), so that no live write's temporary file is taken.
func RemoveStale(dir string) (int, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if e.Type().IsRegular() && IsTemp(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				n++
			}
		}
	}
	return n, nil
}

// Probe checks that files can be written in dir before any work is done for them: it creates
// dir when missing, then writes, syncs and removes a small temporary file there (named as a
// write's, so a kill leaves only what RemoveStale takes). The error says what failed: a missing
// permission, a read-only or full file system.
func Probe(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	tmp, _, err := writeTemp(filepath.Join(dir, "journeykpi-probe"), func(w io.Writer) error {
		_, err := w.Write(make([]byte, 4096))
		return err
	})
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	// A clean-up of the directory may have taken it already.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
