package atomicfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// journalSuffix ends the name of a Set's journal: ".<record name>.commit". IsJournal recognises
// exactly these names.
const journalSuffix = ".commit"

// IsJournal reports whether name is the journal of a Set's commit (".<name>.commit"): one that
// outlives its process marks a commit Recover finishes.
func IsJournal(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.HasSuffix(name, journalSuffix) && !IsTemp(name)
}

// Digest is a written file's name (without directory), size and SHA-256 (hex).
type Digest struct {
	Name   string
	Bytes  int64
	SHA256 string
}

// Set writes files that replace their previous versions together, as one commit: Add writes each
// to a temporary file beside its target, and Commit renames them all into place, the commit
// record (a manifest naming the others and their digests) last. Before the first rename Commit
// writes a journal, so that a process killed half-way through the renames leaves a commit that
// Recover finishes at the next start; a process killed before the journal leaves only temporary
// files, which RemoveStale removes, and the previous versions untouched. So, once Recover has
// run, every file of the set is the previous version or every one is the new. A Set is used by
// one goroutine; its files must all be in one directory.
type Set struct {
	dir    string
	staged []staged
}

type staged struct{ temp, final string }

// journal is what a Set's journal file holds: the renames of the commit, in order, as names in
// the set's directory.
type journal struct {
	Renames [][2]string `json:"renames"`
}

// NewSet returns an empty set writing into dir.
func NewSet(dir string) *Set { return &Set{dir: dir} }

// Add writes a file of the set to a temporary file beside path (synced and closed, not yet
// renamed) and returns its digest. path must be in the set's directory. Nothing replaces path
// before Commit. On error the temporary file is removed.
func (s *Set) Add(path string, write func(io.Writer) error) (Digest, error) {
	if filepath.Clean(filepath.Dir(path)) != filepath.Clean(s.dir) {
		return Digest{}, fmt.Errorf("write %s: not in the directory %s", path, s.dir)
	}
	tmp, d, err := writeTemp(path, write)
	if err != nil {
		return Digest{}, err
	}
	s.staged = append(s.staged, staged{temp: tmp, final: path})
	return d, nil
}

// Abort removes the temporary files of a set that is not to be committed. After Commit it does
// nothing.
func (s *Set) Abort() {
	for _, f := range s.staged {
		_ = os.Remove(f.temp)
	}
	s.staged = nil
}

// Commit writes data as the commit record at path (in the set's directory) and puts every file
// of the set in place, the record last. On an error before the journal is written nothing is
// replaced and the temporary files are removed; after it, Recover finishes the commit.
func (s *Set) Commit(path string, data []byte) error {
	return s.commit(path, data, math.MaxInt)
}

// commit runs the first steps of a commit, as a kill would stop it after any of them: 1 stages
// the record, 2 writes the journal, then one step per rename (the record's last), then the
// directory sync, then the journal's removal.
func (s *Set) commit(path string, data []byte, steps int) error {
	if _, err := s.Add(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		s.Abort()
		return err
	}
	done := 1
	if done >= steps {
		return nil
	}
	var j journal
	for _, f := range s.staged {
		j.Renames = append(j.Renames, [2]string{filepath.Base(f.temp), filepath.Base(f.final)})
	}
	b, err := json.Marshal(j)
	if err != nil {
		s.Abort()
		return err
	}
	jpath := journalPath(path)
	if err := WriteBytes(jpath, b); err != nil {
		s.Abort()
		return fmt.Errorf("commit %s: %w", path, err)
	}
	staged := s.staged
	s.staged = nil // from here on the commit goes forward, now or at the next Recover
	if done++; done >= steps {
		return nil
	}
	for _, f := range staged {
		if err := os.Rename(f.temp, f.final); err != nil {
			return fmt.Errorf("commit %s: rename %s: %w (the next start finishes it)", path, f.final, err)
		}
		if done++; done >= steps {
			return nil
		}
	}
	if err := SyncDir(s.dir); err != nil {
		return fmt.Errorf("commit %s: sync directory: %w", path, err)
	}
	if done++; done >= steps {
		return nil
	}
	if err := os.Remove(jpath); err != nil {
		return fmt.Errorf("commit %s: %w", path, err)
	}
	return nil
}

// journalPath is the journal of the commit whose record is path.
func journalPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, tempPrefix+base+journalSuffix)
}

// Recover finishes the commits that a killed process left half-way in dir: for each journal it
// renames the temporary files still there into place and removes the journal. It returns how
// many commits it finished. Call it, like RemoveStale, only while no live write can be using dir
// (holding the output's lock), and before RemoveStale, which would remove the temporary files
// a journal names: when it returns an error, a commit is still unfinished, and neither
// RemoveStale nor anything else that judges the files against their commit record may run.
func Recover(dir string) (int, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range es {
		if !e.Type().IsRegular() || !IsJournal(e.Name()) {
			continue
		}
		jpath := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(jpath)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var j journal
		if err := json.Unmarshal(b, &j); err != nil {
			// Written atomically, so never half a journal: a file that is not one is not ours to
			// act on. Its temporary files go with RemoveStale; the previous versions stay.
			errs = append(errs, os.Remove(jpath))
			continue
		}
		// In order, stopping at the first rename that fails: the commit record comes last, so it
		// never goes in place over files that did not. The journal and the temporary files it
		// names stay for the next Recover. A missing temporary file was renamed already.
		failed := false
		for _, r := range j.Renames {
			from, to := filepath.Join(dir, filepath.Base(r[0])), filepath.Join(dir, filepath.Base(r[1]))
			if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("finish the commit %s: %w", e.Name(), err))
				failed = true
				break
			}
		}
		if failed {
			continue
		}
		if err := SyncDir(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Remove(jpath))
		n++
	}
	return n, errors.Join(errs...)
}

// writeTemp writes a temporary file beside path with write, synced and closed, and returns its
// name and digest; on error it is removed.
func writeTemp(path string, write func(io.Writer) error) (name string, d Digest, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+base+tempInfix+"*")
	if err != nil {
		return "", Digest{}, fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	bw := bufio.NewWriterSize(cw, 1<<16)
	if err = write(bw); err != nil {
		return "", Digest{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return "", Digest{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return "", Digest{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return "", Digest{}, fmt.Errorf("sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return "", Digest{}, fmt.Errorf("close %s: %w", path, err)
	}
	return tmpName, Digest{Name: base, Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
