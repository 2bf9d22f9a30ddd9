package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/kpi"
)

// Manifest describes one written report: what produced it, from what, and how long it took. It
// is written next to the report as <name>_<from>_<to>.manifest.json.
type Manifest struct {
	Version    string `json:"version"`
	From       string `json:"from"`
	To         string `json:"to"`
	ConfigHash string `json:"config_hash"`
	Source     string `json:"source"`
	RowsRead   int64  `json:"rows_read"`
	RowsUsed   int64  `json:"rows_used"`
	Rejected   int64  `json:"rows_rejected"`
	Customers  int64  `json:"customers"`
	// Status is "ok", or "incomplete" when the data cover the period only in part (the warnings
	// say how).
	Status string `json:"status"`
	// Warnings are the report's (kpi.Result.Warnings): an incomplete period says so here too.
	Warnings []kpi.Warning  `json:"warnings"`
	Files    []ManifestFile `json:"files"`
	Timings  []ManifestStep `json:"timings"`
	Seconds  float64        `json:"seconds"`
	Written  string         `json:"written"`
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

// ManifestSuffix ends a manifest's file name: <name>_<from>_<to>.manifest.json.
const ManifestSuffix = ".manifest.json"

// newManifest is the manifest of outcome o, whose files have the digests files.
func newManifest(o *Outcome, version string, files []atomicfile.Digest) Manifest {
	m := Manifest{
		Version: version, From: o.Window.FromDay(), To: o.Window.ToDay(), ConfigHash: o.ConfigHash,
		Source: o.Source, Written: time.Now().UTC().Format(time.RFC3339),
		Files: []ManifestFile{}, Timings: []ManifestStep{}, Warnings: []kpi.Warning{},
	}
	if o.Result != nil {
		q := o.Result.DataQuality
		m.RowsRead, m.RowsUsed, m.Rejected, m.Customers = q.RowsRead, q.RowsUsed, q.RowsRejected, q.Customers
		m.Warnings = append(m.Warnings, o.Result.Warnings...)
	}
	m.Status = "ok"
	if Incomplete(m.Warnings) {
		m.Status = "incomplete"
	}
	for _, f := range files {
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Bytes: f.Bytes, SHA256: f.SHA256})
	}
	for _, t := range o.Timings {
		m.Timings = append(m.Timings, ManifestStep{Step: t.Step, Seconds: t.Duration.Seconds()})
		m.Seconds += t.Duration.Seconds()
	}
	return m
}

// WriteManifest writes the manifest of outcome o to base+".manifest.json" atomically and
// returns its path. base is the report's path without extension (OutputBase). The files in
// o.Files must already be in place: their sizes and hashes are read from disk. (Run commits the
// manifest together with the report instead.)
func WriteManifest(base string, o *Outcome, version string) (string, error) {
	var ds []atomicfile.Digest
	for _, p := range o.Files {
		f, err := fileDigest(p)
		if err != nil {
			return "", fmt.Errorf("manifest: %w", err)
		}
		ds = append(ds, atomicfile.Digest{Name: f.Name, Bytes: f.Bytes, SHA256: f.SHA256})
	}
	b, err := json.MarshalIndent(newManifest(o, version, ds), "", "  ")
	if err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	path := base + ManifestSuffix
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	return path, nil
}

// SweepOutput removes from dir every report file that does not match its manifest (size and
// SHA-256): a workbook or JSON that an interrupted or outside write replaced without its
// manifest. A file is hashed only when its size matches and it is newer than its manifest, so
// a start over a directory of years of reports reads almost nothing. It returns the paths
// removed. Call it holding the output lock, after atomicfile.Recover.
func SweepOutput(dir string) ([]string, error) {
	ms, err := filepath.Glob(filepath.Join(dir, "*"+ManifestSuffix))
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, mp := range ms {
		mi, err := os.Stat(mp)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(mp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var m Manifest
		if json.Unmarshal(b, &m) != nil {
			continue // not one of ours
		}
		for _, f := range m.Files {
			p := filepath.Join(dir, filepath.Base(f.Name))
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if fi.Size() == f.Bytes && !fi.ModTime().After(mi.ModTime()) {
				continue
			}
			if fi.Size() == f.Bytes {
				if d, err := fileDigest(p); err != nil || d.SHA256 == f.SHA256 {
					continue
				}
			}
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, p)
		}
	}
	return removed, errors.Join(errs...)
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
