package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/schedule"
)

// TestTwoRunsOnOneOutput: a run takes the output lock; a second run on the same output exits 4
// at once naming the holder's pid and command, or with --wait waits for it and then runs; both
// are in the ledger, in the order they wrote.
func TestTwoRunsOnOneOutput(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day}`, true)
	out := filepath.Join(dir, "out")
	env, release := heldBigQuery(t)
	a := start(t, env, "run", "--config", cfg, "--out", out, "--date", daysAgo(2))
	waitFor(t, "the first run to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
	b := start(t, env, "run", "--config", cfg, "--out", out, "--date", daysAgo(2))
	if code := b.wait(t, 30*time.Second); code != exitLocked {
		t.Fatalf("second run: exit %d, want %d; stderr:\n%s", code, exitLocked, b.stderr)
	}
	if msg := b.stderr.String(); !strings.Contains(msg, "journeykpi: run: ") || !strings.Contains(msg, "journeykpi run, pid ") {
		t.Errorf("second run's message does not name the holder: %s", msg)
	}
	c := start(t, env, "run", "--config", cfg, "--out", out, "--date", daysAgo(2), "--wait", "1m")
	waitFor(t, "the third run to wait", func() bool { return strings.Contains(c.stderr.String(), "waiting for the output lock") })
	release()
	if code := a.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, a.stderr)
	}
	if code := c.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("waiting run: exit %d; stderr:\n%s", code, c.stderr)
	}
	es := ledgerEntries(t, out)
	if len(es) != 2 || es[0].Trigger != schedule.TriggerRun || es[0].Outcome != schedule.OutcomeOK || es[1].Outcome != schedule.OutcomeOK {
		t.Errorf("ledger %+v", es)
	}
	checkOutput(t, out)
}

// TestRunDuringABackfillWaitsAndTheResumeRedoesIt: a run of a period a backfill is writing waits
// for the backfill; its config differs, so a resumed backfill computes that period again rather
// than take the run's report for its own.
func TestRunDuringABackfillWaitsAndTheResumeRedoesIt(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day}`, true)
	b, _ := os.ReadFile(cfg)
	other := filepath.Join(dir, "other.yaml")
	os.WriteFile(other, []byte(strings.Replace(string(b), "window: 30d", "window: 14d", 1)), 0o644)
	out := filepath.Join(dir, "out")
	env, release := heldBigQuery(t)
	bf := start(t, env, "backfill", "--config", cfg, "--out", out, "--from", daysAgo(3), "--to", daysAgo(3))
	waitFor(t, "the backfill to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
	r := start(t, env, "run", "--config", other, "--out", out, "--date", daysAgo(3), "--wait", "1m")
	waitFor(t, "the run to wait", func() bool { return strings.Contains(r.stderr.String(), "waiting for the output lock") })
	release()
	if code := bf.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("backfill: exit %d; stderr:\n%s", code, bf.stderr)
	}
	if code := r.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("run: exit %d; stderr:\n%s", code, r.stderr)
	}
	again := start(t, env, "backfill", "--config", cfg, "--out", out, "--from", daysAgo(3), "--to", daysAgo(3))
	if code := again.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("resumed backfill: exit %d; stderr:\n%s", code, again.stderr)
	}
	es := ledgerEntries(t, out)
	if len(es) != 3 || es[1].Trigger != schedule.TriggerRun || es[2].Trigger != schedule.TriggerBackfill || es[2].Outcome != schedule.OutcomeOK {
		t.Errorf("the resumed backfill did not redo the period the run overwrote: %+v", es)
	}
	checkOutput(t, out)
}
