package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// The process tests run the built binary as a subprocess. A run is held mid-way, to signal or
// kill it, by reading its events from a local BigQuery (internal/bqfake) that holds every query
// job until the test releases it: a fake at the process boundary, no hook in the binary.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process tests build the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "journeykpi-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "journeykpi")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// moduleRoot is the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// writeConfig writes the example config reading the bundled sample by absolute path, with the
// schedule section given. With bigquery, the events come from the BigQuery of heldBigQuery.
func writeConfig(t *testing.T, dir, sched string, bigquery bool) string {
	t.Helper()
	y := string(config.ExampleYAML())
	y = strings.ReplaceAll(y, `"testdata/sample/`, `"`+filepath.Join(moduleRoot(t), "testdata", "sample")+"/")
	if bigquery {
		i, j := strings.Index(y, "source:\n"), strings.Index(y, "  spend:")
		if i < 0 || j < i {
			t.Fatal("example config has no source section before its spend")
		}
		y = y[:i] + "source:\n  kind: bigquery\n  bigquery: {project: p, query: \"SELECT * FROM d.events\"}\n" + y[j:]
	}
	i := strings.Index(y, "\nschedule:")
	if i < 0 {
		t.Fatal("example config has no schedule line")
	}
	y = y[:i+1] + "schedule: " + sched + "\n"
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// heldBigQuery starts a local BigQuery serving the bundled sample's events, moved in time so that
// the latest falls an hour before today (the day a scheduled run reports has data), as the result
// of every query, and holding each query job until release is called (at the latest when the
// test ends). env points the binary at it; writeConfig with bigquery true reads from it.
func heldBigQuery(t *testing.T) (env []string, release func()) {
	t.Helper()
	_, env, release = heldBigQueryServer(t)
	return env, release
}

// heldBigQueryServer is heldBigQuery with its server: the query reads table p.d.events (a dry
// run says so), whose last-modified time the test may change with SetTable.
func heldBigQueryServer(t *testing.T) (srv *bqfake.Server, env []string, release func()) {
	t.Helper()
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	recs := sampleRecords(t, time.Now().UTC().Truncate(24*time.Hour).Add(-time.Hour))
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	srv.SetTable("p.d.events", &bqfake.Table{Records: recs, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if !j.DryRun {
			<-gate
		}
		return &bqfake.Table{Records: recs, Referenced: []string{"p.d.events"}}, nil
	})
	return srv, []string{bigquery.EnvEmulatorREST + "=" + srv.RESTEndpoint(), bigquery.EnvEmulatorGRPC + "=" + srv.GRPCAddr()}, release
}

// daysAgo is the UTC day n days before today, YYYY-MM-DD: within heldBigQuery's data.
func daysAgo(n int) string { return time.Now().UTC().AddDate(0, 0, -n).Format(time.DateOnly) }

// sampleRecords reads the bundled sample's events, their times moved so that the latest is last.
func sampleRecords(t *testing.T, last time.Time) []arrow.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(t), "testdata", "sample", "events.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	var recs []arrow.Record
	latest := int64(math.MinInt64)
	for tr.Next() {
		r := tr.Record()
		r.Retain()
		recs = append(recs, r)
		ts := r.Column(r.Schema().FieldIndices("event_time")[0]).(*array.Timestamp)
		for i := 0; i < ts.Len(); i++ {
			latest = max(latest, int64(ts.Value(i)))
		}
	}
	shift := last.UnixMicro() - latest
	for i, r := range recs {
		col := r.Schema().FieldIndices("event_time")[0]
		ts := r.Column(col).(*array.Timestamp)
		b := array.NewTimestampBuilder(memory.DefaultAllocator, ts.DataType().(*arrow.TimestampType))
		for j := 0; j < ts.Len(); j++ {
			b.Append(ts.Value(j) + arrow.Timestamp(shift))
		}
		cols := slices.Clone(r.Columns())
		cols[col] = b.NewArray()
		b.Release()
		recs[i] = array.NewRecord(r.Schema(), cols, r.NumRows())
		cols[col].Release()
		r.Release()
	}
	return recs
}

// syncBuffer is a buffer the process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// start runs the binary with args, and env added to the test's environment.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	return startCmd(t, cmd)
}

// startCmd starts cmd, collecting its stderr; the test's end kills it if it still runs.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code; it fails the test if the process is still running after limit
// (a hang, not a timing assertion).
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		t.Fatalf("process still running after %s; stderr:\n%s", limit, p.stderr)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// waitFor polls until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func ledgerEntries(t *testing.T, dir string) []schedule.Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, schedule.LedgerFile))
	if err != nil {
		return nil
	}
	var f struct{ Runs []schedule.Entry }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("ledger is not valid JSON (not written atomically?): %v", err)
	}
	return f.Runs
}

func hasOutcome(t *testing.T, dir, outcome string) bool {
	for _, e := range ledgerEntries(t, dir) {
		if e.Outcome == outcome {
			return true
		}
	}
	return false
}

// reports lists the reports in dir (one name per .json/.xlsx pair, checked complete: the JSON
// parses, the workbook opens as a zip archive) and the temporary files left there.
func reports(t *testing.T, dir string) (files, temps []string) {
	t.Helper()
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"):
			temps = append(temps, name)
		case strings.HasPrefix(name, "journey-report_") && strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".manifest.json"):
			base := strings.TrimSuffix(name, ".json")
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !json.Valid(b) {
				t.Errorf("%s is not complete JSON: %v", name, err)
			}
			z, err := zip.OpenReader(filepath.Join(dir, base+".xlsx"))
			if err != nil {
				t.Errorf("%s.xlsx: %v", base, err)
			} else {
				z.Close()
			}
			files = append(files, base)
		}
	}
	return files, temps
}

// seedLedger records yesterday's 03:00 UTC fire time as done, so a starting scheduler catches up
// exactly one fire time (today's, when it is past 03:00 UTC) or none.
func seedLedger(t *testing.T, dir string, scheduled time.Time) {
	t.Helper()
	l, err := schedule.OpenLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(schedule.Entry{RunID: "seed", Trigger: schedule.TriggerSchedule, Scheduled: scheduled.UTC().Format(time.RFC3339),
		From: "2000-01-01", To: "2000-01-01", Outcome: schedule.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
}

func TestTwoSchedulersOneStateDirectory(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day, recompute_days: 0, catch_up: 0}`, true)
	out := filepath.Join(dir, "out")
	env, release := heldBigQuery(t)
	release()
	a := start(t, env, "schedule", "--config", cfg, "--out", out)
	waitFor(t, "the first scheduler to take its lock", func() bool {
		b, _ := os.ReadFile(filepath.Join(out, schedule.SchedulerLockFile))
		return bytes.Contains(b, []byte("journeykpi schedule"))
	})
	b := start(t, env, "schedule", "--config", cfg, "--out", out)
	if code := b.wait(t, 30*time.Second); code != exitLocked {
		t.Fatalf("second scheduler exit %d, want %d; stderr:\n%s", code, exitLocked, b.stderr)
	}
	if msg := b.stderr.String(); !strings.Contains(msg, "locked by another journeykpi") || !strings.Contains(msg, "schedule, pid") ||
		!strings.Contains(msg, "one scheduler per state directory") {
		t.Errorf("second scheduler's message: %s", msg)
	}
	// A scheduler waiting for its next fire time does not block a backfill of its output.
	bf := start(t, env, "backfill", "--config", cfg, "--out", out, "--from", daysAgo(5), "--to", daysAgo(5))
	if code := bf.wait(t, 30*time.Second); code != exitOK {
		t.Errorf("backfill beside an idle scheduler: exit %d; stderr:\n%s", code, bf.stderr)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	if code := a.wait(t, 30*time.Second); code != exitOK {
		t.Errorf("idle scheduler on SIGTERM: exit %d; stderr:\n%s", code, a.stderr)
	}
	// The lock went with the process: a new scheduler starts.
	c := start(t, env, "schedule", "--once", "--config", cfg, "--out", out)
	if code := c.wait(t, 30*time.Second); code != exitOK {
		t.Errorf("scheduler after the first stopped: exit %d; stderr:\n%s", code, c.stderr)
	}
}

func TestBackfillWhileTheSchedulerRunsAReport(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "* * * * *", period: previous_day, recompute_days: 0, catch_up: 1, grace_period: 100ms}`, true)
	out := filepath.Join(dir, "out")
	seedLedger(t, out, time.Now().Add(-time.Hour))
	env, _ := heldBigQuery(t)
	a := start(t, env, "schedule", "--config", cfg, "--out", out)
	waitFor(t, "the catch-up run to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
	bf := start(t, env, "backfill", "--config", cfg, "--out", out, "--from", daysAgo(5), "--to", daysAgo(4))
	if code := bf.wait(t, 30*time.Second); code != exitLocked {
		t.Fatalf("backfill during a scheduled run: exit %d, want %d; stderr:\n%s", code, exitLocked, bf.stderr)
	}
	if msg := bf.stderr.String(); !strings.Contains(msg, "journeykpi schedule, pid") || !strings.Contains(msg, "wait for it to finish") {
		t.Errorf("backfill's message: %s", msg)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.wait(t, 30*time.Second)
}

// TestSchedulerWaitsForABackfill: a scheduler run that comes during a backfill waits for it, and
// neither loses the other's ledger entries.
func TestSchedulerWaitsForABackfill(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day, recompute_days: 0, catch_up: 0}`, true)
	out := filepath.Join(dir, "out")
	env, release := heldBigQuery(t)
	bf := start(t, env, "backfill", "--config", cfg, "--out", out, "--from", daysAgo(5), "--to", daysAgo(4))
	waitFor(t, "the backfill to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
	s := start(t, env, "schedule", "--once", "--config", cfg, "--out", out)
	waitFor(t, "the scheduler to wait for the backfill", func() bool {
		return strings.Contains(s.stderr.String(), "waiting for the output lock")
	})
	release()
	if code := s.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("scheduler: exit %d; stderr:\n%s", code, s.stderr)
	}
	if code := bf.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("backfill: exit %d; stderr:\n%s", code, bf.stderr)
	}
	if !strings.Contains(s.stderr.String(), "waiting for the output lock") {
		t.Errorf("the scheduler did not wait: %s", s.stderr)
	}
	es := ledgerEntries(t, out)
	if len(es) != 3 || es[0].Trigger != schedule.TriggerBackfill || es[1].Trigger != schedule.TriggerBackfill ||
		es[2].Trigger != schedule.TriggerSchedule {
		t.Errorf("ledger %+v", es)
	}
	for _, e := range es {
		if e.Outcome != schedule.OutcomeOK {
			t.Errorf("%+v", e)
		}
	}
}

func TestKilledRunLeavesNoPartialReportAndTheNextStartRecovers(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day, recompute_days: 0, catch_up: 0}`, true)
	out := filepath.Join(dir, "out")
	env, release := heldBigQuery(t)
	p := start(t, env, "schedule", "--once", "--config", cfg, "--out", out)
	waitFor(t, "the run to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t, 30*time.Second)
	// What a kill in the middle of an atomic write leaves: a temporary file, never a report.
	if err := os.WriteFile(filepath.Join(out, ".journey-report_2026-03-16_2026-03-16.xlsx.tmp-123456"), []byte(`{"report": {"na`), 0o644); err != nil {
		t.Fatal(err)
	}
	if files, _ := reports(t, out); len(files) != 0 {
		t.Fatalf("killed run left report files %v", files)
	}

	release()
	q := start(t, env, "schedule", "--once", "--config", cfg, "--out", out)
	if code := q.wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("restart exit %d; stderr:\n%s", code, q.stderr)
	}
	files, temps := reports(t, out)
	if len(files) != 1 || len(temps) != 0 {
		t.Errorf("after recovery: reports %v, temporary files %v", files, temps)
	}
	es := ledgerEntries(t, out)
	if len(es) != 2 || es[0].Outcome != schedule.OutcomeAbandoned || es[1].Outcome != schedule.OutcomeOK ||
		es[1].From != es[0].From {
		t.Errorf("ledger after recovery: %+v", es)
	}
}

func TestSIGTERMDuringARun(t *testing.T) {
	cases := []struct {
		name, grace string
		// finish lets the held read go on after the signal.
		finish  bool
		code    int
		outcome string
		reports int
	}{
		{"finishes within the grace period", "60s", true, exitOK, schedule.OutcomeOK, 1},
		{"cancelled after the grace period", "100ms", false, exitInterrupted, schedule.OutcomeInterrupted, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			// A fire time every minute and a ledger whose last one was an hour ago: the scheduler
			// starts with a catch-up run.
			cfg := writeConfig(t, dir, `{cron: "* * * * *", period: previous_day, recompute_days: 0, catch_up: 1, grace_period: `+c.grace+`}`, true)
			out := filepath.Join(dir, "out")
			seedLedger(t, out, time.Now().Add(-time.Hour))
			env, release := heldBigQuery(t)
			p := start(t, env, "schedule", "--config", cfg, "--out", out)
			waitFor(t, "the catch-up run to start", func() bool { return hasOutcome(t, out, schedule.OutcomeRunning) })
			p.cmd.Process.Signal(syscall.SIGTERM)
			if c.finish {
				waitFor(t, "the scheduler to stop scheduling", func() bool { return strings.Contains(p.stderr.String(), "grace") })
				release()
			}
			if code := p.wait(t, 60*time.Second); code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, p.stderr)
			}
			es := ledgerEntries(t, out)
			if len(es) != 2 || es[1].Outcome != c.outcome || es[1].Trigger != schedule.TriggerCatchUp {
				t.Errorf("ledger %+v", es)
			}
			files, temps := reports(t, out)
			if len(files) != c.reports || len(temps) != 0 {
				t.Errorf("reports %v, temporary files %v", files, temps)
			}
		})
	}
}

// TestBackfillThirtyDaysOverTheSample runs in-process: 30 reports, then a rerun that does no work.
func TestBackfillThirtyDaysOverTheSample(t *testing.T) {
	out := t.TempDir()
	args := []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-30", "--every", "day", "--out", out}
	code, stdout, stderr := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "30 written (30 ok, 0 incomplete), 0 skipped (unchanged), 0 no data, 0 failed") {
		t.Errorf("summary: %s", stdout)
	}
	// Every log line of a run names the run and its window, the pipeline's own lines included.
	steps := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		msg, _ := rec["msg"].(string)
		steps[msg]++
		if msg == "run started" || msg == "run finished" || msg == "read" || msg == "write" {
			if rec["run_id"] == nil || rec["window"] == nil {
				t.Errorf("log line without run_id or window: %s", line)
			}
		}
	}
	if steps["run finished"] != 30 || steps["read"] != 30 {
		t.Errorf("log lines by message: %v", steps)
	}
	files, temps := reports(t, out)
	if len(files) != 30 || len(temps) != 0 {
		t.Fatalf("%d reports, temporary files %v", len(files), temps)
	}
	stat := map[string]time.Time{}
	for _, f := range files {
		fi, _ := os.Stat(filepath.Join(out, f+".xlsx"))
		stat[f] = fi.ModTime()
	}
	code, stdout, stderr = runCmd(t, args...)
	if code != exitOK || !strings.Contains(stdout, "0 written (0 ok, 0 incomplete), 30 skipped") || strings.Contains(stderr, "run started") {
		t.Fatalf("rerun: exit %d, %s\n%s", code, stdout, stderr)
	}
	for _, f := range files {
		fi, _ := os.Stat(filepath.Join(out, f+".xlsx"))
		if !fi.ModTime().Equal(stat[f]) {
			t.Errorf("%s rewritten by the rerun", f)
		}
	}
	if n := len(ledgerEntries(t, out)); n != 30 {
		t.Errorf("ledger has %d runs, want 30", n)
	}
}

func TestBackfillFlags(t *testing.T) {
	out := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backfill", "--from", "2026-03-01"}, exitUsage, "--from and --to are required"},
		{[]string{"backfill", "--from", "2026-03-01", "--to", "2026-03-02", "--every", "year"}, exitUsage, "--every"},
		{[]string{"backfill", "--from", "2026-03-03", "--to", "2026-03-05", "--every", "week"}, exitUsage, "no whole week"},
		{[]string{"schedule", "--config", "/nonexistent.yaml"}, exitUsage, "/nonexistent.yaml"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, append(c.args, "--out", out)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
	}
}
