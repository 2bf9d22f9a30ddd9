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

// WriteManifest writes the manifest of outcome o to base+".manifest.json" atomically and
// returns its path. base is the report's path without extension (OutputBase). The files in
// o.Files must already be in place: their sizes and hashes are read from disk.
func WriteManifest(base string, o *Outcome, version string) (string, error) {
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
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
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
