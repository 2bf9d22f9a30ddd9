package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"
)

// WriteFileAtomic writes a file so that a reader never sees half of it: write fills a temporary
// file in the same directory, which is synced, closed and renamed over path; then the directory
// itself is synced so the rename survives a crash. When write (or any step) fails, the temporary
// file is removed and an existing file at path is left untouched. The file is created with mode
// 0644. It is safe for concurrent use on different paths.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(bw); err != nil {
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("reports: sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("reports: close %s: %w", path, err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("reports: rename %s: %w", path, err)
	}
	// The file is complete and in place from here on; a failed directory sync is still reported
	// because the rename may not survive a crash.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("reports: sync directory of %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
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

// FileBase returns the base name of a report's files, `<name>_<from>_<to>`, with every part
// sanitised for file systems: only letters, digits, '.', '-' and '_' are kept (anything else
// becomes '_'), no part starts with a dot, and an empty name becomes "report".
func FileBase(name, from, to string) string {
	n := sanitizePart(name, 100)
	if n == "" {
		n = "report"
	}
	parts := []string{n}
	for _, p := range []string{from, to} {
		if s := sanitizePart(p, 40); s != "" {
			parts = append(parts, s)
		}
	}
	base := strings.Join(parts, "_")
	if reservedWindowsName(n) {
		base = "_" + base
	}
	return base
}

// sanitizePart keeps ASCII letters, digits, '.', '-' and '_', replaces runs of anything else by
// one '_', trims leading dots and separators and caps the length.
func sanitizePart(s string, max int) string {
	var b strings.Builder
	lastUnderscore := false
	for _, r := range s {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_')
		if !ok {
			r = '_'
		}
		if r == '_' && lastUnderscore {
			continue
		}
		lastUnderscore = r == '_'
		b.WriteRune(r)
	}
	out := strings.TrimLeft(b.String(), "._-")
	out = strings.TrimRight(out, "._")
	if len(out) > max {
		out = strings.TrimRight(out[:max], "._")
	}
	return out
}

func reservedWindowsName(s string) bool {
	u := strings.ToUpper(s)
	if i := strings.IndexByte(u, '.'); i >= 0 {
		u = u[:i]
	}
	switch u {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(u) == 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")) && u[3] >= '1' && u[3] <= '9' {
		return true
	}
	return false
}
