package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/schedule"

	"github.com/xuri/excelize/v2"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestRunOnTheBundledSample is the README's first command: `run` with no flags on the embedded
// sample writes the workbook and the JSON, the workbook read back shows the funnel numbers the
// JSON has, and its About sheet the files and the range read.
func TestRunOnTheBundledSample(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "run", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	base := filepath.Join(out, "journey-report_2026-04-01_2026-04-30")
	if !strings.Contains(stdout, base+".xlsx") || !strings.Contains(stdout, base+".json") {
		t.Fatalf("stdout %q does not name both files", stdout)
	}
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var res kpi.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Funnel.Entrants == 0 || len(res.Funnel.Closed) != 7 {
		t.Fatalf("funnel: %d entrants, %d stages", res.Funnel.Entrants, len(res.Funnel.Closed))
	}
	if res.DataQuality.RowsRead == 0 || res.DataQuality.RowsRejected != 0 {
		t.Errorf("data quality %+v", res.DataQuality)
	}

	f, err := excelize.OpenFile(base + ".xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 11 || sheets[0] != "Summary" || sheets[1] != "Funnel" || sheets[10] != "About" {
		t.Fatalf("sheets %v", sheets)
	}
	rows, err := f.GetRows("Funnel", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	reached := map[string]int64{}
	for i, r := range rows {
		if len(r) < 3 || r[0] != "Stage" || r[2] != "Reached" {
			continue
		}
		for _, d := range rows[i+1:] {
			if len(d) < 3 || d[0] == "" {
				break
			}
			n, err := strconv.ParseInt(d[2], 10, 64)
			if err != nil {
				t.Fatalf("Funnel!%s reached %q is not a count", d[0], d[2])
			}
			reached[d[0]] = n
		}
		break
	}
	for _, st := range res.Funnel.Closed {
		if got, ok := reached[st.Stage]; !ok || got != st.Reached {
			t.Errorf("stage %s: workbook shows %d (found %v), JSON has %d", st.Stage, got, ok, st.Reached)
		}
	}

	// The About sheet says what was read: the files, and the range the window needed.
	cfg, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	win, err := window.Parse("2026-04-01", "2026-04-30", cfg.Location())
	if err != nil {
		t.Fatal(err)
	}
	start, end := pipeline.ReadRange(&cfg, win)
	rows, err = f.GetRows("About")
	if err != nil {
		t.Fatal(err)
	}
	about := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			about[r[0]] = r[1]
		}
	}
	for k, want := range map[string]string{
		"read from":           start.Format(time.RFC3339),
		"read to (exclusive)": end.Format(time.RFC3339),
		"Source":              "files testdata/sample/events.parquet: read 1 file, ",
	} {
		if !strings.HasPrefix(about[k], want) {
			t.Errorf("About %s = %q, want %q", k, about[k], want)
		}
	}
}

// TestBadRowsFailWithAClearMessage: a CSV whose rejected share is over quality.max_reject_ratio
// stops the run with exit code 3, a message that says how many rows and why, and no report.
func TestBadRowsFailWithAClearMessage(t *testing.T) {
	dir := t.TempDir()
	csv := "customer_id,event_time,event_name,revenue\n" +
		"c1,2026-03-01T10:00:00Z,page_view,\n" +
		"c1,2026-03-01T11:00:00Z,purchase,12.50\n" +
		",2026-03-01T10:00:00Z,page_view,\n" +
		"c2,2026-03-01T10:00:00Z,purchase,twelve\n" +
		"c3,2026-03-01T10:00:00Z,page_view,\n"
	if err := os.WriteFile(filepath.Join(dir, "events.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	out := filepath.Join(dir, "out")
	cfg := "source: {kind: files, files: {paths: [" + filepath.Join(dir, "events.csv") + "]}}\n" +
		"report: {out: " + out + "}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "run", "--config", cfgPath, "--date", "2026-03-01")
	if code != exitQuality {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitQuality, stderr)
	}
	want := "2 of 5 rows (40.00%) rejected, above quality.max_reject_ratio 1.00%: customer_id_missing 1, revenue_not_a_number 1"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	// Only the ledger (recording the failure) and the lock file: no report, no temporary file.
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() != schedule.LedgerFile && e.Name() != schedule.OutputLockFile {
			t.Errorf("a failed run left %s", e.Name())
		}
	}
}
