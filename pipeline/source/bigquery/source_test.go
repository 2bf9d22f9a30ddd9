package bigquery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"google.golang.org/grpc/codes"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	rangeStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rangeEnd   = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "touchpoint", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "order_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// events builds n deterministic journeys in March 2026, split into records of batch rows.
func events(t testing.TB, customers, batch int) []arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, eventSchema)
	defer b.Release()
	var recs []arrow.Record
	names := []string{"page_view", "view_item", "add_to_cart", "purchase"}
	tps := []string{"search_ads", "email", "social", "website"}
	rows := 0
	flush := func() {
		if b.Field(0).Len() > 0 {
			recs = append(recs, b.NewRecord())
		}
	}
	for c := 0; c < customers; c++ {
		steps := 1 + c%4
		at := rangeStart.Add(time.Duration(c) * 7 * time.Hour)
		for s := 0; s < steps; s++ {
			at = at.Add(time.Duration(30+c%50) * time.Minute)
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("c%03d", c))
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixMicro()))
			b.Field(2).(*array.StringBuilder).Append(names[s])
			b.Field(3).(*array.StringBuilder).Append(tps[(c+s)%len(tps)])
			if names[s] == "purchase" {
				b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("o%03d", c))
				b.Field(5).(*array.Float64Builder).Append(float64(10 + c))
			} else {
				b.Field(4).AppendNull()
				b.Field(5).AppendNull()
			}
			rows++
			if rows%batch == 0 {
				flush()
			}
		}
	}
	flush()
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// rowsOf renders every row as text, sorted, to compare reads regardless of batch order.
func rowsOf(recs []arrow.Record) []string {
	var out []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			var cells []string
			for j, col := range r.Columns() {
				cells = append(cells, r.ColumnName(j)+"="+col.ValueStr(i))
			}
			out = append(out, strings.Join(cells, ","))
		}
	}
	slices.Sort(out)
	return out
}

type collector struct {
	mu   sync.Mutex
	recs []arrow.Record
}

func (c *collector) emit(rec arrow.Record) error {
	rec.Retain()
	c.mu.Lock()
	c.recs = append(c.recs, rec)
	c.mu.Unlock()
	return nil
}

func (c *collector) release() {
	for _, r := range c.recs {
		r.Release()
	}
}

func newServer(t *testing.T) *bqfake.Server {
	t.Helper()
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func open(t *testing.T, srv *bqfake.Server, o bigquery.Options) *bigquery.Source {
	t.Helper()
	o.ClientOptions = srv.ClientOptions()
	o.StorageOptions = srv.StorageOptions()
	if o.Config.Retry.Attempts == 0 {
		o.Config.Retry.Attempts = 1
	}
	src, err := bigquery.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func tableOptions() bigquery.Options {
	return bigquery.Options{
		Config: config.BigQuery{Project: "proj", Location: "EU", Table: "proj.marketing.events", MaxBytesBilled: 10e9,
			Labels: map[string]string{"team": "marketing"}},
		TimeColumn: "event_time",
		Columns:    []string{"customer_id", "event_time", "event_name", "touchpoint", "campaign", "order_id", "revenue"},
	}
}

// TestReadTable reads a table through the real client: the job carries the range as parameters,
// the labels, location and byte limit, and the multi-stream, multi-batch Arrow read gives back
// exactly the source rows.
func TestReadTable(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 60, 17)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs, Streams: 3})
	src := open(t, srv, tableOptions())

	var c collector
	defer c.release()
	if err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
		t.Fatal(err)
	}
	if len(c.recs) < 2 {
		t.Errorf("got %d batches, want several", len(c.recs))
	}
	if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("read %d rows, want %d equal to the source", len(got), len(want))
	}
	jobs := srv.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
	j := jobs[0]
	wantSQL := "SELECT `customer_id`, `event_time`, `event_name`, `touchpoint`, `order_id`, `revenue`\nFROM `proj.marketing.events`\nWHERE `event_time` >= @start AND `event_time` < @end\n"
	if j.SQL != wantSQL {
		t.Errorf("SQL =\n%s\nwant\n%s", j.SQL, wantSQL)
	}
	wantParams := map[string]string{"start": "TIMESTAMP 2026-03-01 00:00:00+00:00", "end": "TIMESTAMP 2026-04-01 00:00:00+00:00"}
	for k, v := range wantParams {
		if !strings.HasPrefix(j.Params[k], v) {
			t.Errorf("param %s = %q, want prefix %q", k, j.Params[k], v)
		}
	}
	if !reflect.DeepEqual(j.Labels, map[string]string{"team": "marketing", "app": "journeykpi"}) {
		t.Errorf("labels = %v", j.Labels)
	}
	if j.Location != "EU" || j.MaxBytesBilled != 10e9 || j.DryRun {
		t.Errorf("location %q, max bytes %d, dry run %v; want EU, 1e10, false", j.Location, j.MaxBytesBilled, j.DryRun)
	}
	if n := srv.Calls(bqfake.CreateReadSession); n != 1 {
		t.Errorf("read sessions = %d, want 1", n)
	}
	if n := len(srv.ReadRowsCalls()); n != 3 {
		t.Errorf("ReadRows calls = %d, want 3 (one per stream)", n)
	}
}

// TestReadQuery runs the configured query with the range parameters it uses.
func TestReadQuery(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 10, 7)
	srv.SetResult(&bqfake.Table{Records: recs})
	o := tableOptions()
	o.Config.Table = ""
	o.Config.Query = "SELECT * FROM `proj.marketing.events` WHERE event_time >= @start AND event_time < @end"
	src := open(t, srv, o)
	var c collector
	defer c.release()
	if err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
		t.Fatal(err)
	}
	if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("read %d rows, want %d equal to the source", len(got), len(want))
	}
	j := srv.Jobs()[0]
	if j.SQL != o.Config.Query || len(j.Params) != 2 || !strings.HasPrefix(j.Params["start"], "TIMESTAMP 2026-03-01") {
		t.Errorf("job = %q %v", j.SQL, j.Params)
	}
}

// TestPlan dry-runs: the SQL, its parameters and the bytes come back, and no query runs.
func TestPlan(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 10, 7)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs, Bytes: 123456789})
	src := open(t, srv, tableOptions())
	text, n, err := src.Plan(context.Background(), rangeStart, rangeEnd)
	if err != nil {
		t.Fatal(err)
	}
	if n != 123456789 {
		t.Errorf("bytes = %d, want 123456789", n)
	}
	for _, want := range []string{"FROM `proj.marketing.events`", "-- @start = TIMESTAMP '2026-03-01 00:00:00 UTC'", "-- @end = TIMESTAMP '2026-04-01 00:00:00 UTC'", "maximum_bytes_billed: 10000000000"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, text)
		}
	}
	jobs := srv.Jobs()
	if len(jobs) != 1 || !jobs[0].DryRun {
		t.Fatalf("jobs = %+v, want one dry run", jobs)
	}
	if srv.Calls(bqfake.CreateReadSession) != 0 {
		t.Error("a dry run opened a read session")
	}
	schema, err := src.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !schema.HasField("event_time") || schema.Field(schema.FieldIndices("event_time")[0]).Type.ID() != arrow.TIMESTAMP {
		t.Errorf("schema = %v", schema)
	}
}

// TestErrors checks each error class through the real client and the retry wrapper: transient
// ones are retried, the others fail at once with a message saying what to do.
func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		fault      bqfake.Fault
		fallback   bool
		wantErr    string // "" means the read succeeds
		transient  bool
		wantJobs   int
		wantInsert int
	}{
		{name: "job backend error retried", fault: bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "backendError", Count: 1},
			wantJobs: 2},
		{name: "insert 503 retried by the client", fault: bqfake.Fault{Method: bqfake.JobsInsert, HTTPStatus: 503, Reason: "backendError", Count: 1},
			wantJobs: 1, wantInsert: 2},
		{name: "rate limit retried", fault: bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "rateLimitExceeded", Count: 2},
			wantJobs: 3},
		{name: "access denied fails fast", fault: bqfake.Fault{Method: bqfake.JobsInsert, HTTPStatus: 403, Reason: "accessDenied", Message: "Access Denied: Project proj"},
			wantErr: "Read Session User", wantJobs: 0, wantInsert: 1},
		{name: "table not found fails fast", fault: bqfake.Fault{Method: bqfake.TablesGet, HTTPStatus: 404, Reason: "notFound", Message: "Not found: Table proj:marketing.events"},
			wantErr: "Not found: Table", wantJobs: 0},
		// A table's read is SQL journeykpi wrote: the hint does not send the user to a query they have not.
		{name: "invalid query fails fast", fault: bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "invalidQuery", Message: "Syntax error"},
			wantErr: "Syntax error (BigQuery refused the SQL journeykpi wrote", wantJobs: 1},
		{name: "bytes billed limit fails fast", fault: bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "bytesBilledLimitExceeded", Message: "Query exceeded limit for bytes billed"},
			wantErr: "raise source.bigquery.max_bytes_billed", wantJobs: 1},
		{name: "silent row fallback refused", fault: bqfake.Fault{Method: bqfake.CreateReadSession, Code: codes.PermissionDenied},
			wantErr: "allow_row_fallback", wantJobs: 1},
		{name: "row fallback when allowed", fault: bqfake.Fault{Method: bqfake.CreateReadSession, Code: codes.PermissionDenied},
			fallback: true, wantJobs: 1},
		{name: "stream resumed from its offset", fault: bqfake.Fault{Method: bqfake.ReadRows, Code: codes.Unavailable, AfterRows: 20, Count: 1},
			wantJobs: 1},
		{name: "stream failing for good is not retried after rows went out", fault: bqfake.Fault{Method: bqfake.ReadRows, Code: codes.PermissionDenied, AfterRows: 20, Count: 1},
			wantErr: "injected PermissionDenied", wantJobs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.PageSize = 13
			recs := events(t, 40, 9)
			srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
			srv.SetResult(&bqfake.Table{Records: recs})
			srv.Inject(tt.fault)
			o := tableOptions()
			o.Config.AllowRowFallback = tt.fallback
			src := source.WithRetry(open(t, srv, o), source.RetryPolicy{
				Attempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Deadline: time.Minute,
			})
			var c collector
			defer c.release()
			err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
					t.Fatalf("read %d rows, want %d equal to the source", len(got), len(want))
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read error = %v, want it to mention %q", err, tt.wantErr)
				}
				if len(rowsOf(c.recs)) > len(rowsOf(recs)) {
					t.Fatalf("emitted %d rows, more than the %d in the source", len(rowsOf(c.recs)), len(rowsOf(recs)))
				}
				t.Logf("error: %v", err)
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
			}
			nonDry := 0
			for _, j := range srv.Jobs() {
				if !j.DryRun {
					nonDry++
				}
			}
			if nonDry != tt.wantJobs {
				t.Errorf("query jobs = %d, want %d", nonDry, tt.wantJobs)
			}
			if tt.wantInsert > 0 && srv.Calls(bqfake.JobsInsert) != tt.wantInsert {
				t.Errorf("jobs.insert calls = %d, want %d", srv.Calls(bqfake.JobsInsert), tt.wantInsert)
			}
			if tt.fault.Method == bqfake.ReadRows && tt.wantErr == "" {
				calls := srv.ReadRowsCalls()
				if len(calls) != 2 || calls[1].Offset != 20 {
					t.Errorf("ReadRows calls = %+v, want a resume at offset 20", calls)
				}
			}
		})
	}
}

// A stream interrupted mid-read resumes after the retry policy's first pause (its initial
// backoff), as config.Retry.Backoff gives it, not at once.
func TestStreamResumePausesByRetryPolicy(t *testing.T) {
	srv := newServer(t)
	srv.PageSize = 13
	recs := events(t, 40, 9)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs})
	srv.Inject(bqfake.Fault{Method: bqfake.ReadRows, Code: codes.Unavailable, AfterRows: 20, Count: 1})
	var logs bytes.Buffer
	o := tableOptions()
	o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	o.Config.Retry = config.Retry{InitialBackoff: config.Duration(3 * time.Millisecond), MaxBackoff: config.Duration(time.Second)}
	var c collector
	defer c.release()
	if err := open(t, srv, o).Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
		t.Fatalf("Read: %v", err)
	}
	var resumes []string
	for line := range strings.Lines(logs.String()) {
		var rec struct{ Msg, Pause string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.Contains(rec.Msg, "resuming") {
			resumes = append(resumes, rec.Pause)
		}
	}
	if want := o.Config.Retry.Backoff(1).String(); len(resumes) != 1 || resumes[0] != want {
		t.Errorf("resume pauses %q, want [%s]", resumes, want)
	}
}

func TestErrorClass(t *testing.T) {
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	srv.Inject(bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "bytesBilledLimitExceeded"})
	src := open(t, srv, tableOptions())
	err := src.Read(context.Background(), rangeStart, rangeEnd, func(arrow.Record) error { return nil })
	var be *bigquery.Error
	if !errors.As(err, &be) || be.Reason != "bytesBilledLimitExceeded" || be.Transient() || source.IsTransient(err) {
		t.Fatalf("err = %#v, want a permanent bytesBilledLimitExceeded *bigquery.Error", err)
	}
}

// TestResultTooLargeHint: a result too large for BigQuery to return is not a permissions
// problem, and the hint must not send the user to the roles.
func TestResultTooLargeHint(t *testing.T) {
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	srv.Inject(bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "responseTooLarge"})
	src := open(t, srv, tableOptions())
	err := src.Read(context.Background(), rangeStart, rangeEnd, func(arrow.Record) error { return nil })
	var be *bigquery.Error
	if !errors.As(err, &be) || be.Reason != "responseTooLarge" || be.Transient() {
		t.Fatalf("err = %#v, want a permanent responseTooLarge *bigquery.Error", err)
	}
	if strings.Contains(be.Hint, "roles") || !strings.Contains(be.Hint, "range") {
		t.Errorf("hint %q", be.Hint)
	}
}

// memSource serves records from memory: the same rows given another way.
type memSource struct{ recs []arrow.Record }

func (m memSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	for _, r := range m.recs {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// TestPipelineSameResult runs the whole pipeline over the BigQuery source and over the same rows
// from memory: the KPIs must be identical.
func TestPipelineSameResult(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 200, 64)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs, Streams: 4})
	cfg := config.Default()
	cfg.Source.Kind = "bigquery"
	cfg.Source.BigQuery.Project = "proj"
	cfg.Source.BigQuery.Table = "proj.marketing.events"
	cfg.Engine.Workers = 2
	win, err := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	spend := spendRecords(t)
	srv.SetTable("proj.marketing.spend", &bqfake.Table{Records: spend})
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		if strings.Contains(j.SQL, "marketing.spend") {
			return &bqfake.Table{Records: spend}, nil
		}
		return &bqfake.Table{Records: recs, Streams: 4}, nil
	})
	var bqPlan string
	runWith := func(src, spendSrc source.Source) []byte {
		o, err := pipeline.Run(context.Background(), pipeline.Job{Config: cfg, Window: win, Source: src, Spend: spendSrc, Out: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := src.(*bigquery.Source); ok {
			bqPlan = o.LastRead
		}
		b, err := json.Marshal(o.Result)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	spendOpts := bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "marketing.spend"}, TimeColumn: "date",
		Columns: []string{"date", "touchpoint", "cost"}}
	viaBQ := runWith(open(t, srv, bigquery.Options{Config: cfg.Source.BigQuery, TimeColumn: "event_time"}), open(t, srv, spendOpts))
	viaMem := runWith(memSource{recs}, memSource{spend})
	if string(viaBQ) != string(viaMem) {
		t.Fatalf("results differ:\nbigquery %s\nmemory   %s", viaBQ, viaMem)
	}
	var res struct {
		DataQuality struct {
			RowsRead  int64 `json:"rows_read"`
			SpendRows int64 `json:"spend_rows"`
		} `json:"data_quality"`
	}
	if err := json.Unmarshal(viaBQ, &res); err != nil {
		t.Fatal(err)
	}
	if res.DataQuality.RowsRead == 0 || res.DataQuality.SpendRows != int64(len(rowsOf(spend))) {
		t.Fatalf("rows read %d, spend rows %d (want %d)", res.DataQuality.RowsRead, res.DataQuality.SpendRows, len(rowsOf(spend)))
	}
	// The About sheet shows the statement the run executed, and a report costs no dry run.
	var ran []bqfake.Job
	for _, j := range srv.Jobs() {
		if j.DryRun {
			t.Errorf("a report ran a dry-run job: %s", j.SQL)
		}
		ran = append(ran, j)
	}
	if len(ran) != 2 || !strings.Contains(bqPlan, ran[0].SQL) || !strings.Contains(bqPlan, "@start") {
		t.Errorf("%d jobs; the report's read text %q does not show the events statement", len(ran), bqPlan)
	}
}

// TestStatementGolden pins the generated SQL for each table time-column type, a query and the
// GA4 preset. Run with -update to rewrite testdata/sql/*.sql.
func TestStatementGolden(t *testing.T) {
	srv := newServer(t)
	mk := func(typ arrow.DataType) *bqfake.Table {
		s := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "ts", Type: typ, Nullable: true}, {Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		defer b.Release()
		rec := b.NewRecord()
		defer rec.Release()
		return &bqfake.Table{Records: []arrow.Record{rec}}
	}
	srv.SetTable("proj.ds.ts_timestamp", mk(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}))
	srv.SetTable("proj.ds.ts_datetime", mk(&arrow.TimestampType{Unit: arrow.Microsecond}))
	srv.SetTable("proj.ds.ts_date", mk(arrow.FixedWidthTypes.Date32))
	srv.SetTable("proj.ds.ts_int64", mk(arrow.PrimitiveTypes.Int64))
	route(srv, nil, "LIMIT 0", exportSchema(t))
	cases := []struct {
		name string
		o    bigquery.Options
	}{
		{"table_timestamp", bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "ds.ts_timestamp"}, TimeColumn: "ts",
			Columns: []string{"customer_id", "ts", "event_name", "revenue"}}},
		{"table_datetime", bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_datetime"}, TimeColumn: "ts"}},
		{"table_date", bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_date"}, TimeColumn: "ts"}},
		{"table_int64_micros", bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_int64"}, TimeColumn: "ts",
			Columns: []string{"customer_id", "ts"}}},
		{"table_int64_seconds", bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_int64"}, TimeColumn: "ts",
			TimeUnit: "s", Columns: []string{"customer_id", "ts"}}},
		{"query", bigquery.Options{Config: config.BigQuery{Project: "proj", Query: "SELECT * FROM `proj.ds.t`\nWHERE ts >= @start AND ts < @end"}}},
		{"ga4", bigquery.Options{Config: config.BigQuery{Project: "billing", Table: "analytics.analytics_123456.events_*"}, Preset: "ga4",
			OrderValues: []string{"purchase"}}},
	}
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := open(t, srv, c.o)
			st, err := src.Statement(context.Background(), start, end)
			if err != nil {
				t.Fatal(err)
			}
			got := st.String()
			path := filepath.Join("testdata", "sql", c.name+".sql")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("statement differs from %s:\n%s", path, got)
			}
		})
	}
}

// TestIntegerTimesInTheirUnit: an integer time column is filtered in its declared unit
// (source.time_unit), so that a table of epoch seconds is not read as empty; one of formatted
// integers (source.time_format) cannot be filtered and is refused as the config's to fix.
func TestIntegerTimesInTheirUnit(t *testing.T) {
	srv := newServer(t)
	s := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	rec := b.NewRecord()
	defer rec.Release()
	srv.SetTable("proj.ds.ts_int64", &bqfake.Table{Records: []arrow.Record{rec}})
	start, end := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for unit, fn := range map[string]string{"s": "UNIX_SECONDS(@start)", "ms": "UNIX_MILLIS(@start)", "us": "UNIX_MICROS(@start)",
		"": "UNIX_MICROS(@start)", "ns": "UNIX_MICROS(@start) * 1000"} {
		src := open(t, srv, bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_int64"}, TimeColumn: "ts", TimeUnit: unit})
		st, err := src.Statement(context.Background(), start, end)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(st.SQL, "`ts` >= "+fn) {
			t.Errorf("time_unit %q: %s", unit, st.SQL)
		}
	}
	src := open(t, srv, bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.ds.ts_int64"}, TimeColumn: "ts", TimeFormat: "20060102"})
	_, err := src.Statement(context.Background(), start, end)
	if fault.KindOf(err) != fault.Config || !strings.Contains(err.Error(), "source.time_format") {
		t.Errorf("integer dates filtered as epoch times: %v, want a config error naming source.time_format", err)
	}
}

// TestReadGA4 reads through the GA4 preset: the shards are pruned by _TABLE_SUFFIX parameters
// and the rows come back under the contract's names, ready for the pipeline.
func TestReadGA4(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 20, 8)
	srv.SetResult(&bqfake.Table{Records: recs, Streams: 2})
	src := open(t, srv, bigquery.Options{Config: config.BigQuery{Project: "billing", Table: "analytics.analytics_42.events_*"}, Preset: "ga4",
		OrderValues: []string{"purchase"}})
	var c collector
	defer c.release()
	if err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
		t.Fatal(err)
	}
	if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	j := jobWith(t, srv, "AS customer_id")
	want := map[string]string{"start_suffix": "STRING 20260228", "end_suffix": "STRING 20260402"}
	for k, v := range want {
		if j.Params[k] != v {
			t.Errorf("param %s = %q, want %q", k, j.Params[k], v)
		}
	}
	if !strings.Contains(j.SQL, "FROM `analytics.analytics_42.events_*`") || !strings.Contains(j.SQL, "_TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix") {
		t.Errorf("SQL = %s", j.SQL)
	}
	if j.Project != "billing" {
		t.Errorf("job project = %q, want the billing project", j.Project)
	}
	for _, name := range bigquery.GA4Columns {
		if !strings.Contains(j.SQL, " AS "+name) && !strings.Contains(j.SQL, "  "+name+",") {
			t.Errorf("SQL does not produce column %s", name)
		}
	}
}

// spendRecords is a spend table: one row per day of March 2026 and touchpoint, DATE typed.
func spendRecords(t testing.TB) []arrow.Record {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "touchpoint", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "cost", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for d := 0; d < 31; d++ {
		for i, tp := range []string{"search_ads", "email", "social"} {
			b.Field(0).(*array.Date32Builder).Append(arrow.Date32FromTime(rangeStart.AddDate(0, 0, d)))
			b.Field(1).(*array.StringBuilder).Append(tp)
			b.Field(2).(*array.Float64Builder).Append(float64(5 * (i + 1)))
		}
	}
	rec := b.NewRecord()
	t.Cleanup(rec.Release)
	return []arrow.Record{rec}
}

// BenchmarkRead measures a read through the real client and the local server: Storage Read
// streams, Arrow IPC decode, one emit per batch.
func BenchmarkRead(b *testing.B) {
	srv, err := bqfake.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	recs := events(b, 50000, 10000) // 125,000 rows
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs, Streams: 4})
	for _, comp := range []string{"none", "lz4"} {
		b.Run(comp, func(b *testing.B) {
			o := tableOptions()
			o.Config.Compression = comp
			o.ClientOptions, o.StorageOptions = srv.ClientOptions(), srv.StorageOptions()
			src, err := bigquery.Open(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var n atomic.Int64 // the streams emit at once
				if err := src.Read(context.Background(), rangeStart, rangeEnd, func(rec arrow.Record) error { n.Add(rec.NumRows()); return nil }); err != nil {
					b.Fatal(err)
				}
				if n.Load() != rows {
					b.Fatalf("read %d rows, want %d", n.Load(), rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
