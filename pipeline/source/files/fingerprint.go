package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// contentHashLimit is the size up to which Fingerprint hashes a file's content as well as its
// size and modification time: a few milliseconds per file, so a nightly run does not read its
// input twice. A file without a modification time (an embedded sample) is always hashed.
const contentHashLimit = 4 << 20

// Fingerprint is a hash of the files a Read of [start, end) would open: each one's path, size
// and modification time, and the SHA-256 of its content when it is small (contentHashLimit) or
// has no modification time. Files added, removed, rewritten or touched change it.
func (s *Source) Fingerprint(ctx context.Context, start, end time.Time) (string, error) {
	read, _, err := s.match(span{start, end})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range read {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", f.path, f.size, f.mtime.UnixNano())
		if f.size <= contentHashLimit || f.mtime.IsZero() {
			if err := hashContent(h, f); err != nil {
				return "", fmt.Errorf("files: %s: %w", f.path, err)
			}
		}
		h.Write([]byte{'\n'})
	}
	return "files:" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

func hashContent(w io.Writer, f file) error {
	r, err := f.fsys.Open(f.name)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}
