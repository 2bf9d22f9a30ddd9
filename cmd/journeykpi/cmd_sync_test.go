package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// syncServer is a local BigQuery whose scripts answer with one synced day and whose other
// queries answer with the bundled sample's events; the environment points journeykpi at it.
func syncServer(t *testing.T) *bqfake.Server {
	t.Helper()
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Setenv(bigquery.EnvEmulatorREST, srv.RESTEndpoint())
	t.Setenv(bigquery.EnvEmulatorGRPC, srv.GRPCAddr())
	synced := syncedDay(t)
	events := sampleRecords(t, time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC))
	srv.SetDataset("proj.jkpi")
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "BEGIN TRANSACTION") {
			return &bqfake.Table{Records: []arrow.Record{synced}}, nil
		}
		return &bqfake.Table{Records: events}, nil
	})
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events})
	return srv
}

// syncedDay is a sync script's result: one day, 7 rows of each count.
func syncedDay(t *testing.T) arrow.Record {
	day := array.NewDate32Builder(memory.DefaultAllocator)
	day.Append(arrow.Date32FromTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	cols := []arrow.Array{day.NewArray()}
	fields := []arrow.Field{{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}
	for _, n := range []string{"rows_staged", "rows_kept", "no_client_id", "refunds"} {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		b.Append(7)
		cols = append(cols, b.NewArray())
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	synced := array.NewRecord(arrow.NewSchema(fields, nil), cols, 1)
	t.Cleanup(synced.Release)
	return synced
}

func syncConfig(t *testing.T, table string) string {
	t.Helper()
	y := "source:\n  kind: bigquery\n  bigquery: {project: proj, table: proj.marketing.events, retry: {attempts: 1}, sync: {table: " + table + "}}\n"
	if table == "" {
		y = "source:\n  kind: bigquery\n  bigquery: {project: proj, table: proj.marketing.events}\n"
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(y+"report: {timezone: UTC}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSyncCommand: sync --from/--to backfills a range a month per transaction and prints what
// each day recorded; a config without a compact table is exit 2 naming the key.
func TestSyncCommand(t *testing.T) {
	srv := syncServer(t)
	code, stdout, stderr := runCmd(t, "sync", "--config", syncConfig(t, "proj.jkpi.touchpoints"), "--from", "2026-01-01", "--to", "2026-02-15")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var scripts []bqfake.Job
	for _, j := range srv.Jobs() {
		if strings.Contains(j.SQL, "BEGIN TRANSACTION") {
			scripts = append(scripts, j)
		}
	}
	if len(scripts) != 2 || scripts[0].Params["to_day"] != "DATE 2026-01-31" || scripts[1].Params["from_day"] != "DATE 2026-02-01" ||
		scripts[1].Params["to_day"] != "DATE 2026-02-15" {
		t.Fatalf("%d scripts, want two a month each: %v", len(scripts), scripts)
	}
	if !strings.Contains(stdout, "2026-01-01  7 rows kept of 7") {
		t.Errorf("stdout %q", stdout)
	}
	// A month that fails leaves the months before it synced (each is its own transaction): the
	// message says which, and what to rerun.
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "BEGIN TRANSACTION") && j.Params["from_day"] == "DATE 2026-02-01" {
			return nil, errors.New("Transaction is aborted due to concurrent update")
		}
		return &bqfake.Table{Records: []arrow.Record{syncedDay(t)}}, nil
	})
	code, _, stderr = runCmd(t, "sync", "--config", syncConfig(t, "proj.jkpi.touchpoints"), "--from", "2026-01-01", "--to", "2026-03-15")
	if code == exitOK || !strings.Contains(stderr, "2026-01-01..2026-01-31 were synced; rerun journeykpi sync --from 2026-02-01 --to 2026-03-15") {
		t.Errorf("a failed month: exit %d, %s", code, stderr)

	}
	if code, _, stderr := runCmd(t, "sync", "--config", syncConfig(t, "")); code != exitUsage || !strings.Contains(stderr, "source.bigquery.sync.table") {
		t.Errorf("sync without a compact table: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "sync", "--from", "2026-02-01", "--to", "2026-01-01"); code != exitUsage {
		t.Errorf("reversed range: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "sync", "--from", "2026-02-30", "--to", "2026-03-01"); code != exitUsage || !strings.Contains(stderr, `"2026-02-30" is not a date`) {
		t.Errorf("a day that is not one: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "sync", "--from", "2026-02-01"); code != exitUsage || !strings.Contains(stderr, "--from and --to go together") {
		t.Errorf("--from alone: exit %d, %s", code, stderr)
	}
}

// TestScheduledRunnerSyncsFirst: the scheduler's run rebuilds the compact table's recent days
// before the first report, not again within the hour, and reads the report from the compact table.
func TestScheduledRunnerSyncsFirst(t *testing.T) {
	srv := syncServer(t)
	cfg, err := config.Load(syncConfig(t, "proj.jkpi.touchpoints"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Source.BigQuery.Freshness = "warn"
	run, _ := scheduled(cfg, t.TempDir(), nil, slog.New(slog.DiscardHandler))
	for _, day := range []string{"2026-04-01", "2026-04-02"} {
		w, _ := window.Day(day, time.UTC)
		if _, err := run(context.Background(), w, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	for _, j := range srv.Jobs() {
		switch {
		case strings.Contains(j.SQL, "BEGIN TRANSACTION"):
			kinds = append(kinds, "sync")
		case strings.Contains(j.SQL, "WITH picked"):
			kinds = append(kinds, "read")
		}
	}
	if strings.Join(kinds, ",") != "sync,read,read" {
		t.Errorf("jobs %v, want one sync before the two reads", kinds)
	}
}

// TestScheduledSyncLogs: the night's sync, when the input fingerprint makes it (before any run),
// logs its job like any other, not into the void.
func TestScheduledSyncLogs(t *testing.T) {
	syncServer(t)
	cfg, err := config.Load(syncConfig(t, "proj.jkpi.touchpoints"))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	_, fingerprint := scheduled(cfg, t.TempDir(), nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	w, _ := window.Day("2026-04-01", time.UTC)
	if _, err := fingerprint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"op":"sync","job_id":"journeykpi_`) || !strings.Contains(logs.String(), `"msg":"synced"`) {
		t.Errorf("the sync's job is not in the log: %s", logs.String())
	}
}
