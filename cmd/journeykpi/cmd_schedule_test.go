package main

import (
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
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

func TestScheduleAndBackfillHelpNameExitCodes(t *testing.T) {
	for _, cmd := range []string{"schedule", "backfill"} {
		code, stdout, _ := runCmd(t, cmd, "--help")
		if code != exitOK || !strings.Contains(stdout, "4 output locked") || !strings.Contains(stdout, "5 backfill partly failed") {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, stdout)
		}
	}
}
