package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// planServer starts a local BigQuery holding an events and a spend table, and points the
// command's BigQuery client at it through the emulator environment.
func planServer(t *testing.T, eventBytes int64) *bqfake.Server {
	t.Helper()
	t.Setenv("GCE_METADATA_HOST", "127.0.0.1:9")
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Setenv(bigquery.EnvEmulatorREST, srv.RESTEndpoint())
	t.Setenv(bigquery.EnvEmulatorGRPC, srv.GRPCAddr())

	table := func(fields ...arrow.Field) *bqfake.Table {
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
		defer b.Release()
		rec := b.NewRecord()
		defer rec.Release()
		return &bqfake.Table{Records: []arrow.Record{rec}}
	}
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	events := table(arrow.Field{Name: "user_id", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "event_time", Type: ts},
		arrow.Field{Name: "event_name", Type: arrow.BinaryTypes.String})
	spend := table(arrow.Field{Name: "day", Type: arrow.FixedWidthTypes.Date32}, arrow.Field{Name: "touchpoint", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "cost", Type: arrow.PrimitiveTypes.Float64})
	srv.SetTable("proj.mkt.events", events)
	srv.SetTable("proj.mkt.spend", spend)
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "mkt.spend") {
			return &bqfake.Table{Records: spend.Records, Bytes: 2048}, nil
		}
		return &bqfake.Table{Records: events.Records, Bytes: eventBytes}, nil
	})
	return srv
}

func writePlanConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const planConfig = `
source:
  kind: bigquery
  bigquery: {project: proj, location: EU, table: proj.mkt.events, max_bytes_billed: 1GB, labels: {team: marketing}}
  columns: {customer_id: user_id}
  spend:
    kind: bigquery
    bigquery: {project: proj, table: proj.mkt.spend}
    columns: {date: day}
report: {timezone: UTC}
`

func TestPlanBigQuery(t *testing.T) {
	srv := planServer(t, 123_000_000)
	var out, errOut bytes.Buffer
	e := console{stdout: &out, stderr: &errOut, logger: slog.New(slog.DiscardHandler)}
	err := run(context.Background(), []string{"plan", "--config", writePlanConfig(t, planConfig), "--from", "2026-03-01", "--to", "2026-03-31"}, e)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out.String())
	}
	got := out.String()
	t.Logf("plan output:\n%s", got)
	for _, want := range []string{
		"window 2026-03-01..2026-03-31",
		"SELECT `user_id`, `event_time`, `event_name`\nFROM `proj.mkt.events`",
		"-- @start = TIMESTAMP",
		"events: 123.00 MB to scan (123000000 bytes)",
		"FROM `proj.mkt.spend`\nWHERE `day` >= @start",
		"-- @start = DATE",
		"spend: 2.05 KB to scan (2048 bytes)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan output lacks %q:\n%s", want, got)
		}
	}
	for _, j := range srv.Jobs() {
		if !j.DryRun {
			t.Errorf("plan ran a query that is not a dry run: %s", j.SQL)
		}
	}
	if srv.Calls(bqfake.CreateReadSession) != 0 {
		t.Error("plan opened a read session")
	}
}

func TestPlanRefusesAboveLimit(t *testing.T) {
	planServer(t, 5_000_000_000)
	var out, errOut bytes.Buffer
	e := console{stdout: &out, stderr: &errOut, logger: slog.New(slog.DiscardHandler)}
	err := run(context.Background(), []string{"plan", "--config", writePlanConfig(t, planConfig), "--date", "2026-03-10"}, e)
	if code := exitCode(err, &errOut, e.logger); code != exitUsage {
		t.Fatalf("exit code = %d, want %d (err %v)", code, exitUsage, err)
	}
	msg := errOut.String()
	if !strings.Contains(msg, "source.bigquery.max_bytes_billed") || !strings.Contains(msg, "5.00 GB") || strings.Count(msg, "\n") != 1 {
		t.Errorf("message = %q, want one line naming the key and the bytes", msg)
	}
	if !strings.Contains(out.String(), "events: 5.00 GB to scan") {
		t.Errorf("the plan was not printed before refusing:\n%s", out.String())
	}
}

func TestPlanHelp(t *testing.T) {
	var out bytes.Buffer
	e := console{stdout: &out, stderr: io.Discard, logger: slog.New(slog.DiscardHandler)}
	if err := run(context.Background(), []string{"plan", "--help"}, e); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--from", "--date", "Exit codes", "max_bytes_billed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	err := run(context.Background(), []string{"plan", "--from", "2026-03-01"}, e)
	if code := exitCode(err, io.Discard, e.logger); code != exitUsage {
		t.Errorf("--from alone: exit %d, want %d", code, exitUsage)
	}
}

// TestRunBigQuery runs a whole report from the local BigQuery through the command, as a user
// would with a bigquery config: the rows are read through the Storage Read API and the report
// is written.
func TestRunBigQuery(t *testing.T) {
	srv := planServer(t, 1000)
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "event_time", Type: ts, Nullable: true},
		{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil))
	defer b.Release()
	day := int64(1772323200) * 1e6 // 2026-03-01T00:00:00Z
	for i, name := range []string{"page_view", "view_item", "add_to_cart", "purchase", "page_view"} {
		b.Field(0).(*array.StringBuilder).Append([]string{"u1", "u1", "u1", "u1", "u2"}[i])
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(day + int64(i)*3600e6))
		b.Field(2).(*array.StringBuilder).Append(name)
	}
	rec := b.NewRecord()
	defer rec.Release()
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "mkt.spend") {
			return &bqfake.Table{}, nil
		}
		return &bqfake.Table{Records: []arrow.Record{rec}}, nil
	})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	e := console{stdout: &stdout, stderr: &stderr, logger: slog.New(slog.DiscardHandler)}
	err := run(context.Background(), []string{"run", "--config", writePlanConfig(t, planConfig), "--from", "2026-03-01", "--to", "2026-03-31", "--out", out}, e)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	b2, err := os.ReadFile(filepath.Join(out, "journey-report_2026-03-01_2026-03-31.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b2), `"rows_read": 5`) {
		t.Errorf("report does not count the 5 rows read:\n%.400s", b2)
	}
	var queries int
	for _, j := range srv.Jobs() {
		if !j.DryRun {
			queries++
		}
	}
	if queries != 2 {
		t.Errorf("query jobs = %d, want 2 (events and spend)", queries)
	}
}

// TestBigQueryColumnProblemsAreConfigErrors: a required column the table lacks, on the events
// table or the spend table, is a configuration error (exit 2) naming its key and the columns
// there are, found from the tables' metadata before any query runs.
func TestBigQueryColumnProblemsAreConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, config, want string
	}{
		{"events customer_id", strings.Replace(planConfig, "columns: {customer_id: user_id}", "columns: {customer_id: uid}", 1),
			`source.columns.customer_id: table proj.mkt.events has no column "uid" (its columns are user_id, event_time, event_name)`},
		{"events time", strings.Replace(planConfig, "columns: {customer_id: user_id}", "columns: {customer_id: user_id, event_time: ts}", 1),
			`source.columns.event_time: table proj.mkt.events has no column "ts" to filter the range on`},
		{"spend cost", strings.Replace(planConfig, "columns: {date: day}", "columns: {date: day, cost: spend}", 1),
			`source.spend.columns.cost: table proj.mkt.spend has no column "spend" (its columns are day, touchpoint, cost)`},
		{"query customer_id", strings.Replace(strings.Replace(planConfig, "table: proj.mkt.events,", `query: "SELECT * FROM proj.mkt.events WHERE event_time >= @start AND event_time < @end",`, 1),
			"columns: {customer_id: user_id}", "columns: {customer_id: uid}", 1),
			`source.columns.customer_id: the query gives no column "uid" (its columns are user_id, event_time, event_name)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := planServer(t, 1000)
			code, _, stderr := runCmd(t, "run", "--config", writePlanConfig(t, c.config), "--date", "2026-03-10", "--out", t.TempDir())
			if code != exitUsage || !strings.Contains(stderr, c.want) || len(plainLines(stderr)) != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, c.want)
			}
			for _, j := range srv.Jobs() {
				if !j.DryRun {
					t.Errorf("a query ran before the config error: %s", j.SQL)
				}
			}
		})
	}
}
