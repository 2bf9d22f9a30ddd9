package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Manifest describes one written report: what produced it, from what, and how long it took. It
// is written next to the report as <name>_<from>_<to>.manifest.json.
type Manifest struct {
	Version    string         `json:"version"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	ConfigHash string         `json:"config_hash"`
	Source     string         `json:"source"`
	RowsRead   int64          `json:"rows_read"`
	RowsUsed   int64          `json:"rows_used"`
	Rejected   int64          `json:"rows_rejected"`
	Customers  int64          `json:"customers"`
	Files      []ManifestFile `json:"files"`
	Timings    []ManifestStep `json:"timings"`
	Seconds    float64        `json:"seconds"`
	Written    string         `json:"written"`
}

// ManifestFile is one report file with its size and SHA-256, so a reader can tell a complete
// file from a replaced one.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ManifestStep is one step's duration in seconds.
type ManifestStep struct {
	Step    string  `json:"step"`
	Seconds float64 `json:"seconds"`
}

// WriteManifest writes the manifest of outcome o to base+".manifest.json" atomically and
// returns its path. base is the report's path without extension (OutputBase). The files in
// o.Files must already be in place: their sizes and hashes are read from disk.
func WriteManifest(base string, o *Outcome, version string) (string, error) {
	m := Manifest{
		Version: version, From: o.Window.FromDay(), To: o.Window.ToDay(), ConfigHash: o.ConfigHash,
		Source: o.Source, Written: time.Now().UTC().Format(time.RFC3339),
		Files: []ManifestFile{}, Timings: []ManifestStep{},
	}
	if o.Result != nil {
		q := o.Result.DataQuality
		m.RowsRead, m.RowsUsed, m.Rejected, m.Customers = q.RowsRead, q.RowsUsed, q.RowsRejected, q.Customers
	}
	for _, p := range o.Files {
		f, err := fileDigest(p)
		if err != nil {
			return "", fmt.Errorf("manifest: %w", err)
		}
		m.Files = append(m.Files, f)
	}
	for _, t := range o.Timings {
		m.Timings = append(m.Timings, ManifestStep{Step: t.Step, Seconds: t.Duration.Seconds()})
		m.Seconds += t.Duration.Seconds()
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	path := base + ".manifest.json"
	if err := WriteFileAtomic(path, append(b, '\n')); err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	return path, nil
}

func fileDigest(path string) (ManifestFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return ManifestFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ManifestFile{}, err
	}
	return ManifestFile{Name: filepath.Base(path), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// TempPrefix starts the name of every temporary file an atomic write leaves while it runs; a
// process killed mid-write may leave one behind, never a partial file under the final name.
const TempPrefix = ".tmp-"

// WriteFileAtomic writes data to path through a temporary file in the same directory that is
// synced and then renamed over path: a reader sees the old file or the new one, never part of
// either, even if the process is killed.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o644)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: makes the rename durable across a power loss
		d.Close()
	}
	return nil
}

// RemoveStaleTemp deletes the temporary files that atomic writes killed mid-way left in dir and
// returns how many it removed. Call it only while holding the output's lock, so that no live
// write's temporary file is taken.
func RemoveStaleTemp(dir string) (int, error) {
	matches, err := filepath.Glob(filepath.Join(dir, TempPrefix+"*"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range matches {
		if err := os.Remove(m); err == nil {
			n++
		}
	}
	return n, nil
}
