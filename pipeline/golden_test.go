package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/window"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/cases")

// TestGoldenCases runs every testdata/cases/<case>/ — config.yaml (its paths relative to the case
// folder) over events.csv — through the whole pipeline and compares the JSON report with
// expected.json. Run with -update to regenerate after a deliberate change, then review the diff.
func TestGoldenCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "cases", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			win, err := window.Parse(cfg.Report.From, cfg.Report.To, cfg.Location())
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			o, err := Run(context.Background(), Job{Config: cfg, Window: win, Out: out, FS: os.DirFS(dir), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(OutputBase(out, cfg.Report.Name, win) + ".json")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wordedAlike(t, OutputBase(out, cfg.Report.Name, win), got)
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pipeline -run TestGoldenCases -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report differs from %s (rerun with -update and review the diff); files %v", golden, o.Files)
				diffLines(t, string(want), string(got))
			}
		})
	}
}

// diffLines logs the first lines that differ.
func diffLines(t *testing.T, want, got string) {
	t.Helper()
	w, g := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b []byte
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if !bytes.Equal(a, b) {
			t.Logf("line %d:\n  want %s\n  got  %s", i+1, a, b)
			if shown++; shown == 10 {
				return
			}
		}
	}
}

// wordedAlike checks that the workbook's Resources sheet shows every recommendation of the JSON
// report, in the same words: both are worded by reports from the same numbers.
func wordedAlike(t *testing.T, base string, js []byte) {
	t.Helper()
	var doc struct {
		Allocation struct {
			Recommendations []struct{ Text string }
		}
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(base + ".xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Resources")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, row := range rows {
		for _, c := range row {
			shown[c] = true
		}
	}
	for _, rec := range doc.Allocation.Recommendations {
		if rec.Text == "" || !shown[rec.Text] {
			t.Errorf("recommendation %q of the JSON is not on the Resources sheet", rec.Text)
		}
	}
}
