package bigquery_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/civil"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// jobWith returns the last query job whose SQL contains s.
func jobWith(t *testing.T, srv *bqfake.Server, s string) bqfake.Job {
	t.Helper()
	jobs := srv.Jobs()
	for i := len(jobs) - 1; i >= 0; i-- {
		if strings.Contains(jobs[i].SQL, s) {
			return jobs[i]
		}
	}
	t.Fatalf("no job with %q among %d", s, len(jobs))
	return bqfake.Job{}
}

// jobText is a job as the golden files hold it: the SQL the client sent, then its parameters as
// the server received them, by name.
func jobText(j bqfake.Job) string {
	var b strings.Builder
	b.WriteString(j.SQL)
	if !strings.HasSuffix(j.SQL, "\n") {
		b.WriteByte('\n')
	}
	names := make([]string, 0, len(j.Params))
	for n := range j.Params {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "-- @%s = %s\n", n, j.Params[n])
	}
	return b.String()
}

// golden compares text with testdata/sql/<name>.sql; -update rewrites it.
func golden(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join("testdata", "sql", name+".sql")
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if text != string(want) {
		t.Errorf("statement differs from %s:\n%s", path, text)
	}
}

// record builds a one-row record from name, value pairs: int64, float64, string, time.Time
// (TIMESTAMP), civil.Date (DATE), or nil (a NULL string).
func record(t testing.TB, kv ...any) arrow.Record {
	t.Helper()
	var fields []arrow.Field
	var cols []arrow.Array
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		var a arrow.Array
		switch v := kv[i+1].(type) {
		case int64:
			b := array.NewInt64Builder(memory.DefaultAllocator)
			b.Append(v)
			a = b.NewArray()
		case float64:
			b := array.NewFloat64Builder(memory.DefaultAllocator)
			b.Append(v)
			a = b.NewArray()
		case string:
			b := array.NewStringBuilder(memory.DefaultAllocator)
			b.Append(v)
			a = b.NewArray()
		case nil:
			b := array.NewStringBuilder(memory.DefaultAllocator)
			b.AppendNull()
			a = b.NewArray()
		case time.Time:
			b := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
			b.Append(arrow.Timestamp(v.UnixMicro()))
			a = b.NewArray()
		case civil.Date:
			b := array.NewDate32Builder(memory.DefaultAllocator)
			b.Append(arrow.Date32FromTime(v.In(time.UTC)))
			a = b.NewArray()
		default:
			t.Fatalf("record: %T", v)
		}
		fields = append(fields, arrow.Field{Name: name, Type: a.DataType(), Nullable: true})
		cols = append(cols, a)
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, 1)
	for _, c := range cols {
		c.Release()
	}
	t.Cleanup(rec.Release)
	return rec
}

// route answers each query with the table of the first key its SQL contains, else with rest.
func route(srv *bqfake.Server, rest *bqfake.Table, routes ...any) {
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		for i := 0; i < len(routes); i += 2 {
			if strings.Contains(j.SQL, routes[i].(string)) {
				return routes[i+1].(*bqfake.Table), nil
			}
		}
		return rest, nil
	})
}

// exportSchema is a dry run's answer for a GA4 export with the given traffic fields.
func exportSchema(t testing.TB, fields ...string) *bqfake.Table {
	kv := []any{"event_name", "page_view"}
	for _, f := range fields {
		kv = append(kv, f, "x")
	}
	return &bqfake.Table{Records: []arrow.Record{record(t, kv...)}}
}

var (
	ga4Table   = "analytics.analytics_42.events_*"
	purchase   = []string{"purchase"}
	fullFrom   = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	compactRef = "proj.jkpi.touchpoints"
)

// TestScaleStatementsGolden pins every statement of the split read, the GA4 preset, the compact
// table, its sync, the freshness check and the counts, as the real client sends them. Run with
// -update to rewrite testdata/sql/*.sql.
func TestScaleStatementsGolden(t *testing.T) {
	ctx := context.Background()
	recs := events(t, 10, 10)
	ga4 := bigquery.Options{Config: config.BigQuery{Project: "billing", Location: "EU", Table: ga4Table, GA4: config.DefaultGA4()},
		Preset: "ga4", Names: config.DefaultColumns(), OrderColumn: "event_name", OrderValues: purchase}
	compact := bigquery.Options{Config: config.BigQuery{Project: "proj", Table: "proj.marketing.events", Sync: config.Sync{Table: compactRef, Days: 4}},
		TimeColumn: "event_time", Names: config.DefaultColumns(), OrderColumn: "event_name", OrderValues: purchase,
		Columns: []string{"customer_id", "event_time", "event_name", "touchpoint", "campaign", "order_id", "revenue"}}
	counts := &bqfake.Table{Records: []arrow.Record{record(t, "rows_in_range", int64(120), "no_client_id", int64(7))}}
	latest := &bqfake.Table{Records: []arrow.Record{record(t, "latest", time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC))}}
	syncDays := &bqfake.Table{Records: []arrow.Record{record(t, "day", civil.Date{Year: 2026, Month: 3, Day: 28}, "rows_staged", int64(9),
		"rows_kept", int64(8), "no_client_id", int64(1), "refunds", int64(0))}}

	type read struct {
		name   string
		o      bigquery.Options
		schema *bqfake.Table // the GA4 export's schema
		narrow bigquery.Narrowing
		do     func(*bigquery.Source) error
		job    string // the job to pin: the last whose SQL contains it
	}
	readAll := func(s *bigquery.Source) error {
		var c collector
		defer c.release()
		return s.Read(ctx, rangeStart, rangeEnd, c.emit)
	}
	shard := &[2]int{86, 170}
	ga4Compact := ga4
	ga4Compact.Config.Sync = config.Sync{Table: compactRef, Days: 4}
	usd := ga4
	usd.Config.GA4 = config.GA4{Revenue: "usd", Refunds: "ignore", Tables: "daily", Identity: "none"}
	staged := compact
	staged.Names.CustomerID, staged.Names.EventTime, staged.Names.Stage = "user", "ts", "phase"
	staged.OrderColumn, staged.OrderValues = "phase", []string{"bought"}
	staged.Columns = []string{"user", "ts", "phase", "touchpoint", "revenue"}
	tableSync := compact
	tableSync.Config.Table = "proj.marketing.events_dated"
	querySync := compact
	querySync.Config.Table, querySync.Config.Query = "", "SELECT * FROM `proj.crm.contacts` WHERE ts >= @start AND ts < @end"
	sync := func(s *bigquery.Source) error {
		_, err := s.Sync(ctx, civil.Date{Year: 2026, Month: 3, Day: 27}, civil.Date{Year: 2026, Month: 3, Day: 31})
		return err
	}
	fresh := func(s *bigquery.Source) error {
		_, _, err := s.Fresh(ctx, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC))
		return err
	}
	reads := []read{
		{name: "table_split", o: withOrders(tableOptions()), narrow: bigquery.Narrowing{FullFrom: fullFrom}, job: "FROM `proj.marketing.events`"},
		{name: "ga4_event_params", o: ga4, schema: exportSchema(t), job: "AS customer_id"},
		{name: "ga4_collected", o: ga4, schema: exportSchema(t, "collected_traffic_source"), job: "AS customer_id"},
		{name: "ga4_last_click", o: ga4, schema: exportSchema(t, "collected_traffic_source", "session_traffic_source_last_click"), job: "AS customer_id"},
		{name: "ga4_split_usd_no_refunds", o: usd, schema: exportSchema(t), narrow: bigquery.Narrowing{FullFrom: fullFrom}, job: "AS customer_id"},
		{name: "ga4_consent_count", o: ga4, schema: exportSchema(t), job: "COUNTIF(user_pseudo_id IS NULL)"},
		{name: "compact_read", o: compact, job: "WITH picked"},
		{name: "compact_split", o: compact, narrow: bigquery.Narrowing{FullFrom: fullFrom}, job: "WITH picked"},
		{name: "compact_shard", o: compact, narrow: bigquery.Narrowing{Shard: shard}, job: "WITH picked"},
		{name: "compact_stage_names", o: staged, narrow: bigquery.Narrowing{FullFrom: fullFrom, Shard: &[2]int{0, 31}}, job: "WITH picked"},
		{name: "compact_ga4", o: ga4Compact, schema: exportSchema(t), narrow: bigquery.Narrowing{FullFrom: fullFrom, Shard: shard}, job: "WITH picked"},
		{name: "compact_left_out", o: ga4Compact, schema: exportSchema(t), job: "no_client_id"},
		{name: "compact_latest", o: compact, narrow: bigquery.Narrowing{Shard: shard},
			do: func(s *bigquery.Source) error { _, _, err := s.LatestEvent(ctx, rangeStart, rangeEnd); return err }, job: "MAX(event_time)"},
		{name: "compact_fresh", o: compact, do: fresh, job: "MAX(event_time)"},
		{name: "table_fresh", o: tableOptions(), do: fresh, job: "AS latest"},
		{name: "compact_fingerprint", o: compact, do: func(s *bigquery.Source) error { _, err := s.Fingerprint(ctx, rangeStart, rangeEnd); return err },
			job: "TO_JSON_STRING"},
		{name: "sync_ga4", o: ga4Compact, schema: exportSchema(t, "collected_traffic_source", "session_traffic_source_last_click"), do: sync,
			job: "BEGIN TRANSACTION"},
		{name: "sync_table", o: compact, do: sync, job: "BEGIN TRANSACTION"},
		{name: "sync_table_date", o: tableSync, do: sync, job: "BEGIN TRANSACTION"},
		{name: "sync_query", o: querySync, do: sync, job: "BEGIN TRANSACTION"},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
			srv.SetTable("proj.marketing.events_dated", &bqfake.Table{Records: []arrow.Record{record(t, "customer_id", int64(7),
				"event_time", civil.Date{Year: 2026, Month: 3, Day: 1}, "event_name", "x", "revenue", "12.5")}})
			schema := r.schema
			if schema == nil {
				schema = exportSchema(t)
			}
			route(srv, &bqfake.Table{Records: recs}, "LIMIT 0", schema, "COUNTIF(user_pseudo_id IS NULL)", counts,
				"no_client_id), 0)", counts, "AS latest", latest, "BEGIN TRANSACTION", syncDays)
			src := open(t, srv, r.o)
			if r.narrow != (bigquery.Narrowing{}) {
				src, _ = src.Narrow(r.narrow)
			}
			do := r.do
			if do == nil {
				do = readAll
			}
			err := do(src)
			if r.name == "sync_table_date" {
				// A STRING revenue is refused: the sync would have to reject rows BigQuery-side.
				if err == nil || !strings.Contains(err.Error(), "needs a number") {
					t.Fatalf("sync of a STRING revenue: %v, want a refusal", err)
				}
				tableSync := tableSync
				tableSync.Names.Revenue = "none"
				src = open(t, srv, tableSync)
				err = do(src)
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, r.name, jobText(jobWith(t, srv, r.job)))
		})
	}
}

// TestSplitReadNarrows: the split read narrows a table with the stage column, the GA4 export and
// the compact table; not a query (the user's), nor a table without the column; a shard only the
// compact table, whose keys select it.
func TestSplitReadNarrows(t *testing.T) {
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	shard := &[2]int{0, 127}
	n := bigquery.Narrowing{FullFrom: fullFrom, Shard: shard}
	query := tableOptions()
	query.Config.Table, query.Config.Query = "", "SELECT 1"
	noCol := tableOptions()
	noCol.Columns = []string{"customer_id", "event_time"}
	noCol.OrderColumn = "kind"
	compact := tableOptions()
	compact.Config.Sync.Table = compactRef
	for _, c := range []struct {
		name        string
		o           bigquery.Options
		full, shard bool
	}{
		{"table", withOrders(tableOptions()), true, false},
		{"query", withOrders(query), false, false},
		{"table without the stage column", withOrders(noCol), false, false},
		{"compact", withOrders(compact), true, true},
	} {
		_, got := open(t, srv, c.o).Narrow(n)
		if !got.FullFrom.IsZero() != c.full || (got.Shard != nil) != c.shard {
			t.Errorf("%s: narrowed %+v, want split %v shard %v", c.name, got, c.full, c.shard)
		}
	}
}

func withOrders(o bigquery.Options) bigquery.Options {
	o.OrderColumn, o.OrderValues, o.Names = "event_name", purchase, config.DefaultColumns()
	return o
}

// TestResultsGoToAnExpiringTable: with a destination dataset, the dataset is created once (with
// the expiration as its default), each query writes its own table there (truncating), the table
// is given its expiration, and the rows are read from it.
func TestResultsGoToAnExpiringTable(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 30, 7)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
	srv.SetResult(&bqfake.Table{Records: recs, Streams: 2})
	o := tableOptions()
	o.Config.Destination = config.Destination{Dataset: "results", Expiration: config.Duration(6 * time.Hour)}
	src := open(t, srv, o)
	for range 2 {
		var c collector
		if err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
			t.Fatal(err)
		}
		if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
			t.Fatalf("read %d rows, want %d", len(got), len(want))
		}
		c.release()
	}
	ds := srv.Dataset("proj.results")
	if ds == nil || ds.DefaultTableExpirationMs != (6*time.Hour).Milliseconds() || ds.Location != "EU" {
		t.Fatalf("dataset %+v, want proj.results in EU expiring tables after 6h", ds)
	}
	if n := srv.Calls(bqfake.DatasetsInsert); n != 1 {
		t.Errorf("datasets.insert calls = %d, want 1", n)
	}
	written := srv.Written()
	jobs := srv.Jobs()
	if len(written) != 2 || len(jobs) != 2 {
		t.Fatalf("written %v by %d jobs, want 2 tables", written, len(jobs))
	}
	for i, w := range written {
		j := jobs[i]
		if w != "proj.results."+j.ID || j.Raw.Configuration.Query.WriteDisposition != "WRITE_TRUNCATE" {
			t.Errorf("job %s wrote %s with %q, want its own table, truncated", j.ID, w, j.Raw.Configuration.Query.WriteDisposition)
		}
		exp := srv.Expiration(w)
		if d := time.Until(exp); d < 5*time.Hour || d > 7*time.Hour {
			t.Errorf("%s expires %v from now, want about 6h", w, d)
		}
		if !strings.HasPrefix(j.ID, "journeykpi_") || j.Raw.Configuration.JobTimeoutMs != 0 {
			t.Errorf("job %s timeout %d", j.ID, j.Raw.Configuration.JobTimeoutMs)
		}
	}
	// The compact table's dataset is the default home of results.
	srv2 := newServer(t)
	srv2.SetResult(&bqfake.Table{Records: recs})
	srv2.SetDataset("proj.jkpi")
	c := tableOptions()
	c.Config.Sync.Table = compactRef
	c.Config.Destination.Expiration = config.Duration(time.Hour)
	var col collector
	defer col.release()
	if err := open(t, srv2, c).Read(context.Background(), rangeStart, rangeEnd, col.emit); err != nil {
		t.Fatal(err)
	}
	if w := srv2.Written(); len(w) != 1 || !strings.HasPrefix(w[0], "proj.jkpi.journeykpi_") || srv2.Calls(bqfake.DatasetsInsert) != 0 {
		t.Errorf("results written to %v (%d datasets created), want a table in the compact table's dataset", w, srv2.Calls(bqfake.DatasetsInsert))
	}
	// Created by a read before the first sync, the compact table's dataset gets no default
	// expiration: the compact table, created there later, would expire with it.
	srv3 := newServer(t)
	srv3.SetResult(&bqfake.Table{Records: recs})
	if err := open(t, srv3, c).Read(context.Background(), rangeStart, rangeEnd, col.emit); err != nil {
		t.Fatal(err)
	}
	if ds := srv3.Dataset("proj.jkpi"); ds == nil || ds.DefaultTableExpirationMs != 0 {
		t.Errorf("the compact table's dataset, created for results: %+v, want no default table expiration", ds)
	}
	if w := srv3.Written(); len(w) != 1 || time.Until(srv3.Expiration(w[0])) > time.Hour {
		t.Errorf("results %v, want one table expiring within the hour", w)
	}
}

// TestJobTimeoutAndCancel: the job timeout goes to BigQuery, and a job BigQuery stops for it is
// a plain, permanent error naming the job and the key; a read whose context ends while its job
// runs cancels the job, so that nothing keeps running and billing.
func TestJobTimeoutAndCancel(t *testing.T) {
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	srv.SetResult(&bqfake.Table{Records: events(t, 5, 5)})
	srv.HoldJobs(true)
	o := tableOptions()
	o.Config.JobTimeout = config.Duration(300 * time.Millisecond)
	src := source.WithRetry(open(t, srv, o), source.RetryPolicy{Attempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	err := src.Read(context.Background(), rangeStart, rangeEnd, func(arrow.Record) error { return nil })
	var be *bigquery.Error
	if !errors.As(err, &be) || be.Reason != "timeout" || be.Transient() || !strings.Contains(err.Error(), "job_timeout") ||
		!strings.Contains(err.Error(), "(job proj:EU.journeykpi_") {
		t.Fatalf("err = %v, want a permanent timeout naming the job and job_timeout", err)
	}
	if j := srv.Jobs(); len(j) != 1 || j[0].Raw.Configuration.JobTimeoutMs != 300 {
		t.Fatalf("%d jobs, timeout %d ms; want 1 job with jobTimeoutMs 300", len(j), j[0].Raw.Configuration.JobTimeoutMs)
	}

	o.Config.JobTimeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err = open(t, srv, o).Read(ctx, rangeStart, rangeEnd, func(arrow.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	jobs := srv.Jobs()
	if c := srv.Cancelled(); len(c) != 1 || c[0] != jobs[len(jobs)-1].ID {
		t.Fatalf("cancelled %v, want the interrupted job %s", c, jobs[len(jobs)-1].ID)
	}
}

// TestStorageReadLZ4AndStreams: the read session asks for LZ4-compressed Arrow buffers (unless
// compression: none), as many streams as configured and at least one per CPU preferred, and
// every stream is read; the compressed batches decode to the same rows.
func TestStorageReadLZ4AndStreams(t *testing.T) {
	for _, comp := range []string{"lz4", "none"} {
		srv := newServer(t)
		recs := events(t, 60, 9)
		srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs})
		srv.SetResult(&bqfake.Table{Records: recs, Streams: 5})
		o := tableOptions()
		o.Config.Compression, o.Config.Streams = comp, 4
		var c collector
		if err := open(t, srv, o).Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
			t.Fatal(err)
		}
		if got, want := rowsOf(c.recs), rowsOf(recs); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %d rows, want %d", comp, len(got), len(want))
		}
		c.release()
		reqs := srv.ReadSessions()
		if len(reqs) != 1 {
			t.Fatalf("%d read sessions", len(reqs))
		}
		r := reqs[0]
		lz4 := r.GetReadSession().GetReadOptions().GetArrowSerializationOptions().GetBufferCompression() == storagepb.ArrowSerializationOptions_LZ4_FRAME
		if lz4 != (comp == "lz4") || r.GetMaxStreamCount() != 4 || r.GetPreferredMinStreamCount() < 1 ||
			r.GetReadSession().GetDataFormat() != storagepb.DataFormat_ARROW {
			t.Errorf("%s: session request %v", comp, r)
		}
		if n := len(srv.ReadRowsCalls()); n != 4 {
			t.Errorf("%s: %d streams read, want 4", comp, n)
		}
	}
}

// TestTooLargeOrTooHeavyFailOnce: responseTooLarge and resourcesExceeded are not retried (the
// same query fails the same way) and say, in one line naming the job, what to change.
func TestTooLargeOrTooHeavyFailOnce(t *testing.T) {
	for reason, hint := range map[string]string{"responseTooLarge": "destination.dataset", "resourcesExceeded": "run --shard"} {
		srv := newServer(t)
		srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
		srv.SetResult(&bqfake.Table{Records: events(t, 5, 5)})
		srv.Inject(bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: reason, Message: "BigQuery says " + reason})
		src := source.WithRetry(open(t, srv, tableOptions()), source.RetryPolicy{Attempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
		err := src.Read(context.Background(), rangeStart, rangeEnd, func(arrow.Record) error { return nil })
		msg := fmt.Sprint(err)
		if err == nil || source.IsTransient(err) || len(srv.Jobs()) != 1 || strings.Contains(msg, "\n") ||
			!strings.Contains(msg, hint) || !strings.Contains(msg, "(job proj:EU.journeykpi_") || !strings.Contains(msg, "BigQuery says") {
			t.Errorf("%s: %d jobs, err %q; want one job, one permanent line naming the job and %q", reason, len(srv.Jobs()), msg, hint)
		}
	}
}

// TestGA4LeftOutCounted: the GA4 preset leaves rows without a client id out in SQL and counts them
// (from the export, or from the compact table's days), for the report's data quality.
func TestGA4LeftOutCounted(t *testing.T) {
	for _, compact := range []bool{false, true} {
		srv := newServer(t)
		recs := events(t, 10, 10)
		route(srv, &bqfake.Table{Records: recs}, "LIMIT 0", exportSchema(t),
			"COUNTIF(user_pseudo_id IS NULL)", &bqfake.Table{Records: []arrow.Record{record(t, "rows_in_range", int64(99), "no_client_id", int64(12))}},
			"no_client_id), 0)", &bqfake.Table{Records: []arrow.Record{record(t, "no_client_id", int64(12), "days_synced", int64(31))}})
		o := bigquery.Options{Config: config.BigQuery{Project: "billing", Table: ga4Table, GA4: config.DefaultGA4()}, Preset: "ga4",
			Names: config.DefaultColumns(), OrderColumn: "event_name", OrderValues: purchase}
		if compact {
			o.Config.Sync.Table = compactRef
			srv.SetDataset("proj.jkpi")
		}
		src := open(t, srv, o)
		var c collector
		if err := src.Read(context.Background(), rangeStart, rangeEnd, c.emit); err != nil {
			t.Fatal(err)
		}
		c.release()
		if got := src.LeftOut(); !reflect.DeepEqual(got, map[string]int64{"no_client_id": 12}) {
			t.Errorf("compact %v: left out %v, want 12 without a client id", compact, got)
		}
	}
}

// TestFreshness: the GA4 export is fresh for a day when the day's table exists (and, read through
// the compact table, that has the day too); a table or the compact table when its latest event is
// on the day or after; a query cannot tell.
func TestFreshness(t *testing.T) {
	ctx := context.Background()
	last := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	ga4 := bigquery.Options{Config: config.BigQuery{Project: "billing", Table: ga4Table, GA4: config.DefaultGA4()}, Preset: "ga4",
		OrderValues: purchase}
	if ok, detail, err := open(t, srv, ga4).Fresh(ctx, last); err != nil || ok || !strings.Contains(detail, "events_20260331") {
		t.Errorf("GA4 without the day's table: %v %q %v", ok, detail, err)
	}
	srv.SetTable("analytics.analytics_42.events_20260331", &bqfake.Table{Records: events(t, 1, 1)})
	if ok, _, err := open(t, srv, ga4).Fresh(ctx, last); err != nil || !ok {
		t.Errorf("GA4 with the day's table: %v %v", ok, err)
	}
	fresh := ga4
	fresh.Config.GA4.Tables = "fresh"
	if ok, detail, _ := open(t, srv, fresh).Fresh(ctx, last); ok || !strings.Contains(detail, "events_fresh_20260331") {
		t.Errorf("GA4 fresh tables: %v %q", ok, detail)
	}
	ga4Compact := ga4
	ga4Compact.Config.Sync = config.Sync{Table: compactRef, Days: 4}
	for _, c := range []struct {
		latest any
		want   bool
	}{{time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC), true}, {nil, false}} {
		route(srv, nil, "AS latest", &bqfake.Table{Records: []arrow.Record{record(t, "latest", c.latest)}})
		// The GA4 export has the day's table; the compact table, synced before it came, may not.
		for _, o := range []bigquery.Options{tableOptions(), func() bigquery.Options { o := tableOptions(); o.Config.Sync.Table = compactRef; return o }(), ga4Compact} {
			ok, detail, err := open(t, srv, o).Fresh(ctx, last)
			if err != nil || ok != c.want {
				t.Errorf("latest %v, compact %q: fresh %v (%s) %v, want %v", c.latest, o.Config.Sync.Table, ok, detail, err, c.want)
			}
		}
	}
	q := tableOptions()
	q.Config.Table, q.Config.Query = "", "SELECT 1"
	if ok, detail, err := open(t, srv, q).Fresh(ctx, last); !ok || err != nil || !strings.Contains(detail, "cannot tell") {
		t.Errorf("query: %v %q %v", ok, detail, err)
	}
}

// TestSyncRunsOneTransaction: a sync sends one script job: the tables created if missing, the
// rows staged, then the days deleted and inserted between BEGIN and COMMIT; the days it recorded
// come back from the script's last statement.
func TestSyncRunsOneTransaction(t *testing.T) {
	srv := newServer(t)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: events(t, 5, 5)})
	day := civil.Date{Year: 2026, Month: 3, Day: 30}
	route(srv, nil, "BEGIN TRANSACTION", &bqfake.Table{Records: []arrow.Record{record(t, "day", day, "rows_staged", int64(40),
		"rows_kept", int64(38), "no_client_id", int64(2), "refunds", int64(1))}})
	o := tableOptions()
	o.Names = config.DefaultColumns()
	o.Config.Sync.Table = compactRef
	days, err := open(t, srv, o).Sync(context.Background(), day, day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []bigquery.SyncDay{{Day: day, Staged: 40, Kept: 38, NoClientID: 2, Refunds: 1}}; !reflect.DeepEqual(days, want) {
		t.Errorf("days %+v, want %+v", days, want)
	}
	j := jobWith(t, srv, "BEGIN TRANSACTION")
	order := []string{"CREATE TABLE IF NOT EXISTS `proj.jkpi.touchpoints`", "CREATE TEMP TABLE staged", "BEGIN TRANSACTION",
		"DELETE FROM `proj.jkpi.touchpoints`", "INSERT INTO `proj.jkpi.touchpoints`", "COMMIT TRANSACTION", "SELECT day"}
	at := 0
	for _, s := range order {
		i := strings.Index(j.SQL[at:], s)
		if i < 0 {
			t.Fatalf("the script lacks %q after position %d:\n%s", s, at, j.SQL)
		}
		at += i
	}
	if j.Params["from_day"] != "DATE 2026-03-30" || j.Params["to_day"] != "DATE 2026-03-31" || j.Raw.Configuration.Query.DestinationTable != nil {
		t.Errorf("params %v, destination %v", j.Params, j.Raw.Configuration.Query.DestinationTable)
	}
	if len(srv.Jobs()) != 1 {
		t.Errorf("%d jobs, want the one script", len(srv.Jobs()))
	}
}

// TestSyncFiltersTimesAsReadsDo: a sync converts and filters an integer time column as a report's
// read does, in source.time_unit and on the column itself; one of formatted integers
// (source.time_format) is refused, from a table or a query, naming where the column is.
func TestSyncFiltersTimesAsReadsDo(t *testing.T) {
	srv := newServer(t)
	s := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	rec := b.NewRecord()
	defer rec.Release()
	srv.SetTable("proj.ds.ts_int64", &bqfake.Table{Records: []arrow.Record{rec}})
	srv.SetResult(&bqfake.Table{Records: []arrow.Record{rec}})
	day := civil.Date{Year: 2026, Month: 3, Day: 30}
	opts := func(table, query, unit, format string) bigquery.Options {
		return bigquery.Options{Config: config.BigQuery{Project: "proj", Table: table, Query: query, Sync: config.Sync{Table: compactRef}},
			TimeColumn: "ts", TimeUnit: unit, TimeFormat: format, Names: config.Columns{CustomerID: "customer_id", EventTime: "ts"}}
	}
	st, err := open(t, srv, opts("proj.ds.ts_int64", "", "ms", "")).SyncStatement(context.Background(), day, day)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TIMESTAMP_MILLIS(`ts`) AS event_time", "WHERE `ts` >= UNIX_MILLIS(@start) AND `ts` < UNIX_MILLIS(@end);"} {
		if !strings.Contains(st.SQL, want) {
			t.Errorf("the sync lacks %q:\n%s", want, st.SQL)
		}
	}
	for _, c := range []struct{ table, query, want string }{
		{"proj.ds.ts_int64", "", `column "ts" of table proj.ds.ts_int64 holds integers`},
		{"", "SELECT customer_id, ts FROM `proj.ds.ts_int64`", `column "ts" of the query (source.bigquery.query) holds integers`},
	} {
		_, err := open(t, srv, opts(c.table, c.query, "", "20060102")).SyncStatement(context.Background(), day, day)
		if fault.KindOf(err) != fault.Config || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "of table  ") {
			t.Errorf("formatted integer times: %v, want a config error with %q", err, c.want)
		}
	}
}

// TestCompactFingerprint: the compact table's fingerprint follows the days of the range synced and
// when (every sync rewrites the table, so its last-modified time tells nothing), and, with
// identity stitching, the identity table's last change.
func TestCompactFingerprint(t *testing.T) {
	srv := newServer(t)
	synced := "[]"
	srv.SetResultFunc(func(j bqfake.Job) (*bqfake.Table, error) {
		return &bqfake.Table{Records: []arrow.Record{record(t, "synced", synced)}}, nil
	})
	o := tableOptions()
	o.Config.Sync.Table = compactRef
	src := open(t, srv, o)
	fp := func() string {
		f, err := src.Fingerprint(context.Background(), rangeStart, rangeEnd)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a := fp()
	if b := fp(); b != a || !strings.HasPrefix(a, "bigquery:") {
		t.Fatalf("fingerprints %q then %q of the same days", a, b)
	}
	synced = `[{"day":"2026-03-30","synced_at":"2026-03-31T03:00:00Z"}]`
	if b := fp(); b == a {
		t.Error("a day synced again does not change the fingerprint")
	}
	j := jobWith(t, srv, "TO_JSON_STRING")
	if j.Params["first_day"] != "DATE 2026-03-01" || j.Params["last_day"] != "DATE 2026-03-31" {
		t.Errorf("days %v, want the range's", j.Params)
	}
}
