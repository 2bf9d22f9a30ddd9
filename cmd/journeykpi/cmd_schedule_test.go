package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/pipeline"
)

// TestRunWithoutDatesReportsTheSchedulePeriod: `run` with no dates and no report.from reports
// what the schedule would at that moment.
func TestRunWithoutDatesReportsTheSchedulePeriod(t *testing.T) {
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // already 2 March in Berlin
	cases := []struct {
		period, tz, want string
	}{
		{"previous_day", "UTC", "2026-02-28..2026-02-28"},
		{"previous_day", "Europe/Berlin", "2026-03-01..2026-03-01"},
		{"previous_week", "Europe/Berlin", "2026-02-23..2026-03-01"},
		{"previous_month", "UTC", "2026-02-01..2026-02-28"},
		{"previous_month", "Europe/Berlin", "2026-02-01..2026-02-28"},
		{"trailing_7d", "UTC", "2026-02-22..2026-02-28"},
	}
	for _, c := range cases {
		cfg := config.Default()
		cfg.Report.Timezone = c.tz
		cfg.Schedule.Period = c.period
		w, err := resolveWindow(cfg, "", "", "", now)
		if err != nil {
			t.Fatal(err)
		}
		if w.String() != c.want {
			t.Errorf("%s in %s: %s, want %s", c.period, c.tz, w, c.want)
		}
	}
}

// TestHelpNamesTheCommandsExitCodes: the commands an unattended caller acts on say when they end
// with which code, and none names a code it never ends with.
func TestHelpNamesTheCommandsExitCodes(t *testing.T) {
	for cmd, want := range map[string][]string{
		"schedule": {"4 another scheduler holds this state directory", "3 --once: periods had no data", "130 a run cut short"},
		"backfill": {"4 output locked", "5 some periods failed or had no\ndata", "130 interrupted"},
		"run":      {"3 too many rejected rows", "4 output locked", "(after --wait)"},
		"status":   {"0 printed"},
	} {
		code, stdout, _ := runCmd(t, cmd, "--help")
		for _, w := range want {
			if code != exitOK || !strings.Contains(stdout, w) {
				t.Errorf("%s --help: exit %d, no %q\n%s", cmd, code, w, stdout)
			}
		}
		if cmd != "backfill" && strings.Contains(stdout, "5 ") {
			t.Errorf("%s --help names exit 5, which only backfill has\n%s", cmd, stdout)
		}
	}
}

// TestCleanOutputKeepsACommitItCannotFinishYet: a report commit whose rename failed (here the
// workbook's place is taken by a directory) is left alone by the start-up clean-up — its
// temporary files and the files already renamed are what finish it — and the first start at
// which the rename works finishes it: workbook, JSON and manifest all new, and matching.
func TestCleanOutputKeepsACommitItCannotFinishYet(t *testing.T) {
	out := t.TempDir()
	blocker := filepath.Join(out, "r.xlsx")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	set := atomicfile.NewSet(out)
	var m pipeline.Manifest
	for _, f := range [][2]string{{"r.xlsx", "new workbook"}, {"r.json", "new json"}} {
		d, err := set.Add(filepath.Join(out, f[0]), func(w io.Writer) error { _, err := io.WriteString(w, f[1]); return err })
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, pipeline.ManifestFile{Name: d.Name, Bytes: d.Bytes, SHA256: d.SHA256})
	}
	b, _ := json.Marshal(m)
	if err := set.Commit(filepath.Join(out, "r"+pipeline.ManifestSuffix), b); err == nil {
		t.Fatal("the commit renamed a file over a directory")
	}
	log := slog.New(slog.DiscardHandler)
	cleanOutput(out, log)
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	cleanOutput(out, log)
	checkOutput(t, out)
	if st := readOutput(t, out); st.reports != 1 {
		t.Errorf("%d reports, want 1", st.reports)
	}
}
