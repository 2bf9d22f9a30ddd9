package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

func TestWriteManifest(t *testing.T) {
	dir := t.TempDir()
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	base := OutputBase(dir, "journey-report", w)
	body := []byte(`{"report":{}}`)
	if err := atomicfile.WriteBytes(base+".json", body); err != nil {
		t.Fatal(err)
	}
	o := &Outcome{Window: w, Files: []string{base + ".json"}, Source: "files: events.parquet", ConfigHash: "abc",
		Result:  &kpi.Result{DataQuality: kpi.DataQuality{RowsRead: 100, RowsUsed: 90, RowsRejected: 4, Customers: 7}},
		Timings: []Timing{{Step: "read", Duration: 1500 * time.Millisecond}, {Step: "write", Duration: 500 * time.Millisecond}}}
	path, err := WriteManifest(base, o, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if path != base+".manifest.json" {
		t.Errorf("path %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if m.Version != "1.2.3" || m.From != "2026-03-01" || m.To != "2026-03-31" || m.ConfigHash != "abc" ||
		m.Source != "files: events.parquet" || m.RowsRead != 100 || m.RowsUsed != 90 || m.Rejected != 4 || m.Customers != 7 ||
		len(m.Files) != 1 || m.Files[0].Name != "journey-report_2026-03-01_2026-03-31.json" || m.Files[0].Bytes != int64(len(body)) ||
		m.Files[0].SHA256 != hex.EncodeToString(sum[:]) || len(m.Timings) != 2 || m.Seconds != 2 {
		t.Errorf("manifest %+v", m)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	o.Files = append(o.Files, filepath.Join(dir, "missing.xlsx"))
	if _, err := WriteManifest(base, o, "1.2.3"); err == nil {
		t.Error("a missing report file is not an error")
	}
}

// TestSweepOutputRemovesFilesTheirManifestDoesNotName: a workbook replaced without its manifest
// (the mixed pair an interrupted or outside write leaves) is removed; matching files stay.
func TestSweepOutputRemovesFilesTheirManifestDoesNotName(t *testing.T) {
	dir := t.TempDir()
	w, _ := window.Day("2026-03-01", time.UTC)
	base := OutputBase(dir, "journey-report", w)
	atomicfile.WriteBytes(base+".json", []byte(`{"a":1}`))
	atomicfile.WriteBytes(base+".xlsx", []byte("workbook"))
	o := &Outcome{Window: w, Files: []string{base + ".xlsx", base + ".json"}}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(base+".json", past, past)
	os.Chtimes(base+".xlsx", past, past)
	if _, err := WriteManifest(base, o, "v"); err != nil {
		t.Fatal(err)
	}
	if removed, err := SweepOutput(dir); err != nil || len(removed) != 0 {
		t.Fatalf("a matching pair: removed %v, %v", removed, err)
	}
	// Same size, newer, other bytes: hashed and removed. The JSON stays.
	atomicfile.WriteBytes(base+".xlsx", []byte("WORKBOOK"))
	future := time.Now().Add(time.Hour)
	os.Chtimes(base+".xlsx", future, future)
	removed, err := SweepOutput(dir)
	if err != nil || len(removed) != 1 || removed[0] != base+".xlsx" {
		t.Fatalf("removed %v, %v", removed, err)
	}
	if _, err := os.Stat(base + ".json"); err != nil {
		t.Error("the matching JSON was removed")
	}
}
