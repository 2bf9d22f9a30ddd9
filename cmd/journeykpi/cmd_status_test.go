package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatusShowsTheLedgerAndTheNextRuns: after a backfill, status lists each period's last run
// with its rows and input fingerprint, and the next fire time's plan.
func TestStatusShowsTheLedgerAndTheNextRuns(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCmd(t, "backfill", "--from", "2026-03-01", "--to", "2026-03-02", "--out", out); code != exitOK {
		t.Fatalf("backfill: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "status", "--out", out, "--json")
	if code != exitOK {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Runs != 2 || len(rep.Periods) != 2 || rep.OutputLock != "free" || rep.Next.At == "" || len(rep.Next.Runs) == 0 {
		t.Fatalf("status %+v", rep)
	}
	for _, p := range rep.Periods {
		if p.Outcome != "ok" || p.RowsRead == 0 || p.Input == "" || p.Trigger != "backfill" {
			t.Errorf("period %+v", p)
		}
	}
	code, stdout, _ = runCmd(t, "status", "--out", out)
	if code != exitOK || !strings.Contains(stdout, "2026-03-01..2026-03-01  ok") || !strings.Contains(stdout, "next fire time") {
		t.Errorf("status table:\n%s", stdout)
	}
}
