package bigquery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	bigquery "cloud.google.com/go/bigquery"
	storage "cloud.google.com/go/bigquery/storage/apiv1"
	"cloud.google.com/go/civil"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqsql"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/rowpages"
)

// Statement is the SQL a read runs and its parameters (package bqsql builds them).
type Statement = bqsql.Statement

// Param is one named query parameter.
type Param = bqsql.Param

// GA4Columns are the canonical columns the GA4 preset produces.
var GA4Columns = bqsql.GA4Columns

// Options say what a Source reads and how it reaches BigQuery.
type Options struct {
	// Config is the source.bigquery (or source.spend.bigquery) section. With Config.Sync.Table
	// set, reports read that compact table instead of the table, query or export.
	Config config.BigQuery
	// Preset is "" or "ga4" (source.preset); ga4 maps the GA4 export onto the data contract.
	Preset string
	// TimeColumn is the table column the range applies to (event_time or the spend date, as
	// named in the source). Unused for a query or the ga4 preset.
	TimeColumn string
	// Columns are the table columns to select; those the table lacks are left out. Empty selects
	// every column.
	Columns []string
	// Names map the data contract's columns onto the source's (source.columns): a compact
	// table's read gives them these names, and a sync reads them from the source.
	Names config.Columns
	// OrderColumn is the source column that tells an event's stage (event_name's, or the stage
	// column's with funnel.match: stage) and OrderValues its values on purchase-stage events:
	// the split read keeps only those before its full part, and refunds are netted on them.
	OrderColumn string
	OrderValues []string
	// TimeZone is the zone of DATETIME and DATE times a sync converts (source.timezone).
	TimeZone string
	// TimeUnit is the unit of an integer TimeColumn's epoch values (source.time_unit: s, ms, us,
	// ns; "" is us); TimeFormat, when set (source.time_format), says an integer TimeColumn holds
	// formatted times (20260131), which no range filter on the table can select.
	TimeUnit, TimeFormat string
	// Required are the columns a table must have, each with the config key that names it
	// (source.columns.customer_id): one the table lacks is a configuration error, found from the
	// table's metadata before any query runs. Unused for a query or the ga4 preset.
	Required []Column
	// TimeKey is the config key naming TimeColumn, for the messages about it.
	TimeKey string
	// ClientOptions go to the BigQuery REST client, StorageOptions to the Storage Read gRPC
	// client. Empty means Application Default Credentials and Google's endpoints.
	ClientOptions, StorageOptions []option.ClientOption
	// Logger receives one line per query job; nil discards.
	Logger *slog.Logger
}

// Column is a table column the config names, with the key that names it.
type Column struct {
	Key, Name string
}

// Narrowing is what a read may leave out at the source: before FullFrom (when not zero) every
// event that is not a purchase-stage event; and, when Shard is not nil, every customer outside
// the engine's partitions Shard[0]..Shard[1]. (pipeline/source.Narrowing, in this package's terms.)
type Narrowing struct {
	FullFrom time.Time
	Shard    *[2]int
}

// Source reads a BigQuery table, query, GA4 export or compact touchpoint table. It satisfies
// the pipeline's Source, Describer, ReadReporter, Planner, Schemer, Checker and Closer. Its methods are
// safe for concurrent use.
type Source struct {
	o       Options
	project string
	client  *bigquery.Client
	storage *storage.BigQueryReadClient
	conn    *grpc.ClientConn // the emulator's, when one is used
	log     *slog.Logger
	mem     memory.Allocator
	// narrow is what this source's reads leave out; owner is false for a narrowed copy, which
	// shares the clients and must not close them.
	narrow Narrowing
	owner  bool
	shared *shared
}

// shared is the state of an opened source that its narrowed copies share.
type shared struct {
	mu           sync.Mutex
	last         string           // the statement the latest Read ran, as LastRead says it
	leftOut      map[string]int64 // rows the latest Read left out by design, by reason
	traffic      *bqsql.Traffic   // the GA4 export's traffic-source fields, once looked up
	datasetReady bool             // the results dataset exists
}

// Open connects to BigQuery (no request is sent until a read or plan). o.Config must be a
// validated, resolved config section (config.Parse), whose project is set. Credentials come from
// Application Default Credentials unless o.ClientOptions say otherwise; they are never logged.
func Open(ctx context.Context, o Options) (*Source, error) {
	// The config was validated (config.Validate): a preset the package knows, exactly one of
	// table and query, safe table and column names, a project.
	c := o.Config
	project := c.Project
	if project == "" {
		return nil, fault.Errorf(fault.Config, "source.bigquery.project: no project to run the query in (give the project, or a table as project.dataset.table)")
	}
	var conn *grpc.ClientConn
	if len(o.ClientOptions) == 0 && len(o.StorageOptions) == 0 {
		var err error
		if o.ClientOptions, o.StorageOptions, conn, err = emulatorFromEnv(os.Getenv); err != nil {
			return nil, err
		}
	}
	if len(o.ClientOptions) == 0 && len(o.StorageOptions) == 0 {
		creds, err := defaultCredentials(ctx)
		if err != nil {
			return nil, err
		}
		o.ClientOptions = []option.ClientOption{option.WithAuthCredentials(creds)}
		o.StorageOptions = []option.ClientOption{option.WithAuthCredentials(creds)}
	}
	closeConn := func() {
		if conn != nil {
			conn.Close()
		}
	}
	client, err := bigquery.NewClient(ctx, project, o.ClientOptions...)
	if err != nil {
		closeConn()
		return nil, bqerror.Classify("client", err, int64(c.MaxBytesBilled))
	}
	client.Location = c.Location
	rc, err := storage.NewBigQueryReadClient(ctx, o.StorageOptions...)
	if err != nil {
		client.Close()
		closeConn()
		return nil, bqerror.Classify("storage read client", err, int64(c.MaxBytesBilled))
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{o: o, project: project, client: client, storage: rc, conn: conn, log: log, mem: memory.DefaultAllocator,
		owner: true, shared: &shared{}}, nil
}

// defaultCredentials finds Application Default Credentials and fetches a token once, so that a
// missing or broken credential is one plain error at start rather than a failure deep in the
// first request. Nothing of the credential is logged or put in the error.
func defaultCredentials(ctx context.Context) (*auth.Credentials, error) {
	creds, err := credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{bigquery.Scope}})
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoCredentials, bqerror.FirstLine(err.Error()))
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := creds.Token(tctx); err != nil {
		return nil, fmt.Errorf("%w (the credentials found give no token: %s)", ErrNoCredentials, bqerror.FirstLine(err.Error()))
	}
	return creds, nil
}

// Environment variables that point the source at a local BigQuery emulator (such as the bqfake
// server) instead of Google, without credentials. Both are needed.
const (
	// EnvEmulatorREST is the REST base URL, e.g. http://127.0.0.1:9050/bigquery/v2/.
	EnvEmulatorREST = "JOURNEYKPI_BIGQUERY_EMULATOR_REST"
	// EnvEmulatorGRPC is the host:port of the Storage Read API (plain gRPC).
	EnvEmulatorGRPC = "JOURNEYKPI_BIGQUERY_EMULATOR_GRPC"
)

// emulatorFromEnv returns the client options for an emulator named in the environment, or nil
// options when none is.
func emulatorFromEnv(getenv func(string) string) (rest, storage []option.ClientOption, conn *grpc.ClientConn, err error) {
	r, g := getenv(EnvEmulatorREST), getenv(EnvEmulatorGRPC)
	if r == "" && g == "" {
		return nil, nil, nil, nil
	}
	if r == "" || g == "" {
		return nil, nil, nil, fmt.Errorf("bigquery: %s and %s go together", EnvEmulatorREST, EnvEmulatorGRPC)
	}
	conn, err = grpc.NewClient(g, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bigquery: emulator %s: %w", g, err)
	}
	rest = []option.ClientOption{option.WithEndpoint(r), option.WithoutAuthentication()}
	storage = []option.ClientOption{option.WithGRPCConn(conn), option.WithoutAuthentication()}
	return rest, storage, conn, nil
}

// Close releases the clients. A narrowed copy closes nothing: close the source it came from.
func (s *Source) Close() error {
	if !s.owner {
		return nil
	}
	err := errors.Join(s.client.Close(), s.storage.Close())
	if s.conn != nil {
		s.conn.Close()
	}
	return err
}

// Narrow returns a source whose reads leave out what n lets this source leave out in its query,
// and what that is: the split read for a table with the stage column, the GA4 export and the
// compact table (not a query, which is the user's); a shard for the compact table only, whose
// customer keys select it (and then LatestEvent tells the data's end). The copy shares this
// source's clients: close this one.
func (s *Source) Narrow(n Narrowing) (*Source, Narrowing) {
	var applied Narrowing
	c := s.o.Config
	if !n.FullFrom.IsZero() && c.Query == "" && len(s.o.OrderValues) > 0 {
		if c.Sync.Table != "" || s.o.Preset == "ga4" || (s.o.OrderColumn != "" && slices.Contains(s.o.Columns, s.o.OrderColumn)) {
			applied.FullFrom = n.FullFrom
		}
	}
	if n.Shard != nil && c.Sync.Table != "" {
		applied.Shard = n.Shard
	}
	cp := *s
	cp.narrow, cp.owner = applied, false
	return &cp, applied
}

// Describe says what the source reads, for logs and the About sheet.
func (s *Source) Describe() string {
	c := s.o.Config
	var what string
	switch {
	case c.Sync.Table != "":
		what = "compact table " + c.Sync.Table
	case s.o.Preset == "ga4":
		what = "GA4 export " + c.Table
	case c.Table != "":
		what = "table " + c.Table
	default:
		what = "query " + bqerror.FirstLine(strings.TrimSpace(c.Query))
		if len(what) > 80 {
			what = what[:77] + "..."
		}
	}
	d := fmt.Sprintf("bigquery %s (project %s", what, s.project)
	if c.Location != "" {
		d += ", location " + c.Location
	}
	return d + ")"
}

// splitRef splits a table reference into project, dataset and table, the project defaulting to
// the source's.
func (s *Source) splitRef(ref string) (project, dataset, table string) {
	parts := strings.Split(ref, ".")
	if len(parts) == 2 {
		return s.project, parts[0], parts[1]
	}
	return parts[0], parts[1], parts[2]
}

// qualify is a table reference with its project.
func (s *Source) qualify(ref string) string {
	p, d, t := s.splitRef(ref)
	return p + "." + d + "." + t
}

// split is the narrowing's split read for a source whose stage column is col; nil when none.
func (s *Source) split(col string) *bqsql.Split {
	if s.narrow.FullFrom.IsZero() {
		return nil
	}
	return &bqsql.Split{Full: s.narrow.FullFrom, Column: col, Values: s.o.OrderValues}
}

// ga4 is the GA4 preset's view of the export, its traffic-source fields looked up once.
func (s *Source) ga4(ctx context.Context) (bqsql.GA4, error) {
	c := s.o.Config
	g := bqsql.GA4{Table: s.ga4Table(), RevenueUSD: c.GA4.Revenue == "usd", NetRefunds: c.GA4.Refunds != "ignore",
		OrderEvents: s.o.OrderValues}
	s.shared.mu.Lock()
	t := s.shared.traffic
	s.shared.mu.Unlock()
	if t == nil {
		// The wildcard table's schema is its newest table's: a dry run of SELECT * costs nothing.
		qs, err := s.dryRun(ctx, Statement{SQL: "SELECT * FROM `" + g.Table + "` LIMIT 0"})
		if err != nil {
			return g, err
		}
		t = &bqsql.Traffic{}
		for _, f := range qs.Schema {
			switch f.Name {
			case "session_traffic_source_last_click":
				t.SessionLastClick = true
			case "collected_traffic_source":
				t.Collected = true
			}
		}
		s.shared.mu.Lock()
		s.shared.traffic = t
		s.shared.mu.Unlock()
	}
	g.Traffic = *t
	return g, nil
}

// ga4Table is the export's wildcard table of the configured kind (source.bigquery.ga4.tables).
func (s *Source) ga4Table() string {
	t := s.qualify(s.o.Config.Table)
	base := strings.TrimSuffix(t, "events_*")
	switch s.o.Config.GA4.Tables {
	case "fresh":
		return base + "events_fresh_*"
	case "intraday":
		return base + "events_intraday_*"
	}
	return t
}

// compact is the compact table as the config describes it.
func (s *Source) compact() bqsql.Compact {
	c := s.o.Config
	ga4 := s.o.Preset == "ga4"
	return bqsql.Compact{Table: c.Sync.Table, GA4: ga4, Identity: ga4 && c.GA4.Identity == "user_id",
		NetRefunds: ga4 && c.GA4.Refunds != "ignore"}
}

// Statement builds the SQL and parameters a read of [start, end) runs. For a table it reads the
// table's schema first, to select only the wanted columns and to filter on the time column by
// its type; for the GA4 export, which traffic-source fields it has.
func (s *Source) Statement(ctx context.Context, start, end time.Time) (Statement, error) {
	c := s.o.Config
	switch {
	case c.Sync.Table != "":
		var shard *bqsql.Shard
		if p := s.narrow.Shard; p != nil {
			shard = &bqsql.Shard{First: p[0], Last: p[1]}
		}
		col := "event_name"
		if s.o.OrderColumn != "" && s.o.OrderColumn == s.o.Names.Stage {
			col = "stage"
		}
		st, err := bqsql.CompactRead(s.compact(), s.wanted(), s.o.Names, start, end, s.split(col), shard, s.o.OrderValues)
		if err != nil {
			return Statement{}, fmt.Errorf("bigquery: %w", err)
		}
		return st, nil
	case s.o.Preset == "ga4":
		g, err := s.ga4(ctx)
		if err != nil {
			return Statement{}, err
		}
		st, err := bqsql.GA4Read(g, start, end, s.split("event_name"))
		if err != nil {
			return Statement{}, fmt.Errorf("bigquery: %w", err)
		}
		return st, nil
	case c.Query != "":
		return bqsql.Query(c.Query, start, end), nil
	}
	schema, err := s.tableSchema(ctx, c.Table)
	if err != nil {
		return Statement{}, err
	}
	types := schemaTypes(schema)
	timeCol := s.o.TimeColumn
	if timeCol == "" {
		timeCol = "event_time"
	}
	timeKey := s.o.TimeKey
	if timeKey == "" {
		timeKey = "source.columns.event_time"
	}
	// What a table lacks is the config's to fix, and is found before a billed query runs.
	names := make([]string, 0, len(schema))
	for _, f := range schema {
		names = append(names, f.Name)
	}
	typ, ok := types[timeCol]
	if !ok {
		return Statement{}, fault.Errorf(fault.Config, "%s: table %s has no column %q to filter the range on (its columns are %s)", timeKey, c.Table, timeCol, strings.Join(names, ", "))
	}
	for _, r := range s.o.Required {
		if _, ok := types[r.Name]; !ok {
			return Statement{}, fault.Errorf(fault.Config, "%s: table %s has no column %q (its columns are %s)", r.Key, c.Table, r.Name, strings.Join(names, ", "))
		}
	}
	var cols []string
	for _, col := range s.o.Columns {
		if _, ok := types[col]; ok && !slices.Contains(cols, col) {
			cols = append(cols, col)
		}
	}
	var split *bqsql.Split
	if _, ok := types[s.o.OrderColumn]; ok {
		split = s.split(s.o.OrderColumn)
	}
	tc, err := s.timeColumn(timeCol, typ)
	if err != nil {
		return Statement{}, err
	}
	st, err := bqsql.Table(s.qualify(c.Table), cols, tc, start, end, split)
	if err != nil {
		return Statement{}, fault.Errorf(fault.Config, "%s: %w", timeKey, err)
	}
	return st, nil
}

// tableSchema is the schema of the table ref, from its metadata (tables.get).
func (s *Source) tableSchema(ctx context.Context, ref string) (bigquery.Schema, error) {
	p, d, t := s.splitRef(ref)
	md, err := s.client.DatasetInProject(p, d).Table(t).Metadata(ctx)
	if err != nil {
		return nil, bqerror.Classify("table metadata", err, s.maxBytes())
	}
	return md.Schema, nil
}

// schemaTypes are the BigQuery types of schema's columns, by column name.
func schemaTypes(schema bigquery.Schema) map[string]string {
	types := make(map[string]string, len(schema))
	for _, f := range schema {
		types[f.Name] = string(f.Type)
	}
	return types
}

// timeColumn is the time column col of BigQuery type typ, of the table or the query's result,
// with the unit of its epoch values when it is an integer. An integer column of formatted times is
// refused: filtering it as epoch times would select nothing.
func (s *Source) timeColumn(col, typ string) (bqsql.TimeColumn, error) {
	if (typ == "INTEGER" || typ == "INT64") && s.o.TimeFormat != "" {
		if s.o.Config.Table == "" {
			return bqsql.TimeColumn{}, fault.Errorf(fault.Config, "source.time_format: column %q of the query (source.bigquery.query) holds integers written %q, which the range cannot be filtered on; convert them to a TIMESTAMP or DATE in the query",
				col, s.o.TimeFormat)
		}
		return bqsql.TimeColumn{}, fault.Errorf(fault.Config, "source.time_format: column %q of table %s holds integers written %q, which the range cannot be filtered on; write a query (source.bigquery.query) that converts them to a TIMESTAMP or DATE",
			col, s.o.Config.Table, s.o.TimeFormat)
	}
	return bqsql.TimeColumn{Name: col, Type: typ, Unit: s.o.TimeUnit}, nil
}

// wanted are the contract's columns the config maps (source.columns), for a compact read.
func (s *Source) wanted() []string {
	var out []string
	for _, k := range bqsql.ContractColumns {
		if c := s.o.Names.Mapped(k); c != "" && (len(s.o.Columns) == 0 || slices.Contains(s.o.Columns, c)) {
			out = append(out, k)
		}
	}
	return out
}

// labels are the configured job labels plus app=journeykpi, so the jobs can be found in billing.
func (s *Source) labels() map[string]string {
	l := map[string]string{"app": "journeykpi"}
	maps.Copy(l, s.o.Config.Labels)
	return l
}

// Plan dry-runs the read of [start, end): it returns the SQL with its parameters and the bytes
// BigQuery would scan. It runs no query and bills nothing.
func (s *Source) Plan(ctx context.Context, start, end time.Time) (string, int64, error) {
	st, err := s.Statement(ctx, start, end)
	if err != nil {
		return "", -1, err
	}
	stats, err := s.dryRun(ctx, st)
	if err != nil {
		return "", -1, err
	}
	return s.statementText(st), stats.TotalBytesProcessed, nil
}

// statementText is st as Plan and LastRead show it: the source, the byte limit, then the SQL
// with its parameters.
func (s *Source) statementText(st Statement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n", s.Describe())
	if s.o.Config.MaxBytesBilled > 0 {
		fmt.Fprintf(&b, "-- maximum_bytes_billed: %d\n", int64(s.o.Config.MaxBytesBilled))
	}
	b.WriteString(st.String())
	return b.String()
}

// LastRead is the statement the latest Read ran, with its parameters; "" before any. It sends
// no request: the About sheet shows it without a second (dry-run) query per report.
func (s *Source) LastRead() string {
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	return s.shared.last
}

// LeftOut counts, by reason, the rows the latest Read left out by design: the GA4 export's rows
// without a client id (consent mode), which cannot be keyed to a customer. Nil when none.
func (s *Source) LeftOut() map[string]int64 {
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	return maps.Clone(s.shared.leftOut)
}

// Schema returns the columns Read produces, from a dry run over the last day (no rows are read
// and nothing is billed).
func (s *Source) Schema(ctx context.Context) (*arrow.Schema, error) {
	end := time.Now().UTC().Truncate(24 * time.Hour)
	st, err := s.Statement(ctx, end.AddDate(0, 0, -1), end)
	if err != nil {
		return nil, err
	}
	qs, err := s.dryRun(ctx, st)
	if err != nil {
		return nil, err
	}
	return rowpages.Schema(qs.Schema), nil
}

// Read runs the query for [start, end) and streams its result to emit, one Arrow record batch
// at a time, in the order the Storage Read API delivers them, from several streams at once.
// Streams interrupted by a transient error resume from the row offset reached, so no row is
// emitted twice; a read that ends with fewer rows than the result holds is an error. When ctx
// ends while the query runs, the job is cancelled.
func (s *Source) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	st, err := s.Statement(ctx, start, end)
	if err != nil {
		return err
	}
	s.shared.mu.Lock()
	s.shared.last = s.statementText(st)
	s.shared.mu.Unlock()
	if err := s.countLeftOut(ctx, start, end); err != nil {
		return err
	}
	job, err := s.runQuery(ctx, "query", st)
	if err != nil {
		return err
	}
	dst, want, err := s.resultTable(ctx, job)
	if err != nil {
		return bqerror.WithJob(err, s.jobName(job.ID()))
	}
	got, err := s.readTable(ctx, dst, emit)
	if errors.Is(err, errNoReadSession) {
		// Usually a missing bigquery.readsessions.create permission.
		if !s.o.Config.AllowRowFallback {
			return bqerror.WithJob(&Error{Op: "read session", Reason: "storageReadUnavailable", Err: errNoReadSession,
				Hint: "grant BigQuery Read Session User, or set source.bigquery.allow_row_fallback: true to read row pages, much more slowly"},
				s.jobName(job.ID()))
		}
		s.log.Warn("bigquery: reading row pages; the Storage Read API could not be used", "job_id", job.ID())
		it, rerr := job.Read(ctx)
		if rerr != nil {
			return bqerror.WithJob(bqerror.Classify("read", rerr, s.maxBytes()), s.jobName(job.ID()))
		}
		got, err = rowpages.Read(it, s.mem, emit)
		if err != nil {
			err = bqerror.Classify("read rows", err, s.maxBytes())
		}
	}
	if err != nil {
		return bqerror.WithJob(err, s.jobName(job.ID()))
	}
	if want >= 0 && got != want {
		return bqerror.WithJob(&Error{Op: "read rows", Reason: "incomplete", Err: fmt.Errorf("read %d rows of the %d in the result", got, want),
			Retryable: got == 0}, s.jobName(job.ID()))
	}
	return nil
}

// countLeftOut counts, for the GA4 preset, the rows of [start, end) without a client id, which
// the read leaves out: from the export with a small query, or from the compact table's days.
func (s *Source) countLeftOut(ctx context.Context, start, end time.Time) error {
	if s.o.Preset != "ga4" {
		return nil
	}
	var st Statement
	if s.o.Config.Sync.Table != "" {
		last := end.Add(-time.Microsecond)
		st = bqsql.CompactLeftOut(s.compact(), civil.DateOf(start.UTC()), civil.DateOf(last.UTC()))
	} else {
		g, err := s.ga4(ctx)
		if err != nil {
			return err
		}
		if st, err = bqsql.GA4Consent(g, start, end); err != nil {
			return fmt.Errorf("bigquery: %w", err)
		}
	}
	row, err := s.queryRow(ctx, "count rows left out", st)
	if err != nil {
		return err
	}
	n, _ := row["no_client_id"].(int64)
	s.shared.mu.Lock()
	s.shared.leftOut = map[string]int64{"no_client_id": n}
	s.shared.mu.Unlock()
	return nil
}

// queryRow runs a query of one result row and returns it by column name.
func (s *Source) queryRow(ctx context.Context, op string, st Statement) (map[string]bigquery.Value, error) {
	job, err := s.runQuery(ctx, op, st)
	if err != nil {
		return nil, err
	}
	it, err := job.Read(ctx)
	if err != nil {
		return nil, bqerror.WithJob(bqerror.Classify(op, err, s.maxBytes()), s.jobName(job.ID()))
	}
	row := map[string]bigquery.Value{}
	if err := it.Next(&row); err != nil && !errors.Is(err, iterator.Done) {
		return nil, bqerror.WithJob(bqerror.Classify(op, err, s.maxBytes()), s.jobName(job.ID()))
	}
	return row, nil
}

// resultTable is the finished job's result table and its row count (-1 when unknown).
func (s *Source) resultTable(ctx context.Context, job *bigquery.Job) (*bigquery.Table, int64, error) {
	// The job as inserted may not name its result table yet; the finished job does.
	full, err := s.client.JobFromProject(ctx, job.ProjectID(), job.ID(), job.Location())
	if err != nil {
		return nil, -1, bqerror.Classify("job", err, s.maxBytes())
	}
	cfg, err := full.Config()
	if err != nil {
		return nil, -1, bqerror.Classify("job", err, s.maxBytes())
	}
	qc, ok := cfg.(*bigquery.QueryConfig)
	if !ok || qc.Dst == nil {
		return nil, -1, &Error{Op: "job", Reason: "noResultTable", Err: errors.New("the finished job names no result table")}
	}
	md, err := qc.Dst.Metadata(ctx)
	if err != nil {
		return nil, -1, bqerror.Classify("result table", err, s.maxBytes())
	}
	return qc.Dst, int64(md.NumRows), nil
}

// LatestEvent is the latest event time of [start, end) in the compact table, every customer's
// (a shard's read sees only its own): first over the last 8 days, which is where it is unless
// the data stop early, then over the whole range. ok is false when there is no event.
func (s *Source) LatestEvent(ctx context.Context, start, end time.Time) (time.Time, bool, error) {
	if s.o.Config.Sync.Table == "" {
		return time.Time{}, false, fmt.Errorf("bigquery: the latest event is known for the compact table only")
	}
	from := end.AddDate(0, 0, -8)
	for {
		if from.Before(start) {
			from = start
		}
		t, found, err := s.latestSince(ctx, bqsql.CompactLatest(s.compact(), from, end))
		if err != nil || found {
			return t, found, err
		}
		if !from.After(start) {
			return time.Time{}, false, nil
		}
		from = start
	}
}

// RawKeys reports whether Read gives customer keys made by BigQuery (the compact read's
// unmix(customer_key), whose engine partition a shard's filter relies on) rather than ids. A
// read stitched to user_id gives them too, from the stitched key: hashing them again as ids would
// put a shard's customers in other shards' partitions, where the shard drops them.
func (s *Source) RawKeys() bool { return s.o.Config.Sync.Table != "" }

// decode reads one Arrow IPC record batch (its buffers possibly LZ4-compressed) after the
// session's schema and emits its records.
func (s *Source) decode(schema, data []byte, emit func(arrow.Record) error) (int64, error) {
	r, err := ipc.NewReader(io.MultiReader(bytes.NewReader(schema), bytes.NewReader(data)), ipc.WithAllocator(s.mem))
	if err != nil {
		return 0, fmt.Errorf("bigquery: decode arrow batch: %w", err)
	}
	defer r.Release()
	var rows int64
	for r.Next() {
		rec := r.Record()
		rows += rec.NumRows()
		if err := emit(rec); err != nil {
			return rows, err
		}
	}
	if err := r.Err(); err != nil {
		return rows, fmt.Errorf("bigquery: decode arrow batch: %w", err)
	}
	return rows, nil
}
