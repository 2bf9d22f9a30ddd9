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
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
)

// Options say what a Source reads and how it reaches BigQuery.
type Options struct {
	// Config is the source.bigquery (or source.spend.bigquery) section.
	Config config.BigQuery
	// Preset is "" or "ga4" (source.preset); ga4 maps the GA4 export onto the data contract.
	Preset string
	// TimeColumn is the table column the range applies to (event_time or the spend date, as
	// named in the source). Unused for a query or the ga4 preset.
	TimeColumn string
	// Columns are the table columns to select; those the table lacks are left out. Empty selects
	// every column.
	Columns []string
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

// Source reads a BigQuery table, query or GA4 export. It satisfies the pipeline's Source,
// Describer, Planner, Schemer and Closer. Its methods are safe for concurrent use.
type Source struct {
	o       Options
	project string
	client  *bigquery.Client
	conn    *grpc.ClientConn // the emulator's, when one is used
	log     *slog.Logger
	mem     memory.Allocator

	mu   sync.Mutex
	last string // the statement the latest Read ran, as LastRead says it
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
	client, err := bigquery.NewClient(ctx, project, o.ClientOptions...)
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, classify("client", err, int64(c.MaxBytesBilled))
	}
	client.Location = c.Location
	if err := client.EnableStorageReadClient(ctx, o.StorageOptions...); err != nil {
		client.Close()
		if conn != nil {
			conn.Close()
		}
		return nil, classify("storage read client", err, int64(c.MaxBytesBilled))
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{o: o, project: project, client: client, conn: conn, log: log, mem: memory.DefaultAllocator}, nil
}

// defaultCredentials finds Application Default Credentials and fetches a token once, so that a
// missing or broken credential is one plain error at start rather than a failure deep in the
// first request. Nothing of the credential is logged or put in the error.
func defaultCredentials(ctx context.Context) (*auth.Credentials, error) {
	creds, err := credentials.DetectDefault(&credentials.DetectOptions{Scopes: []string{bigquery.Scope}})
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoCredentials, firstLine(err.Error()))
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := creds.Token(tctx); err != nil {
		return nil, fmt.Errorf("%w (the credentials found give no token: %s)", ErrNoCredentials, firstLine(err.Error()))
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

// Close releases the clients.
func (s *Source) Close() error {
	err := s.client.Close()
	if s.conn != nil {
		s.conn.Close()
	}
	return err
}

// Describe says what the source reads, for logs and the About sheet.
func (s *Source) Describe() string {
	c := s.o.Config
	var what string
	switch {
	case s.o.Preset == "ga4":
		what = "GA4 export " + c.Table
	case c.Table != "":
		what = "table " + c.Table
	default:
		what = "query " + firstLine(strings.TrimSpace(c.Query))
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

// splitTable splits a table reference into project, dataset and table, the project defaulting
// to the source's.
func (s *Source) splitTable() (project, dataset, table string) {
	parts := strings.Split(s.o.Config.Table, ".")
	if len(parts) == 2 {
		return s.project, parts[0], parts[1]
	}
	return parts[0], parts[1], parts[2]
}

// qualifiedTable is the table reference with its project.
func (s *Source) qualifiedTable() string {
	p, d, t := s.splitTable()
	return p + "." + d + "." + t
}

// Statement builds the SQL and parameters a read of [start, end) runs. For a table it reads the
// table's schema first, to select only the wanted columns and to filter on the time column by
// its type.
func (s *Source) Statement(ctx context.Context, start, end time.Time) (Statement, error) {
	c := s.o.Config
	switch {
	case s.o.Preset == "ga4":
		return ga4Statement(s.qualifiedTable(), start, end)
	case c.Query != "":
		return queryStatement(c.Query, start, end), nil
	}
	p, d, t := s.splitTable()
	md, err := s.client.DatasetInProject(p, d).Table(t).Metadata(ctx)
	if err != nil {
		return Statement{}, classify("table metadata", err, int64(c.MaxBytesBilled))
	}
	types := map[string]string{}
	for _, f := range md.Schema {
		types[f.Name] = string(f.Type)
	}
	timeCol := s.o.TimeColumn
	if timeCol == "" {
		timeCol = "event_time"
	}
	timeKey := s.o.TimeKey
	if timeKey == "" {
		timeKey = "source.columns.event_time"
	}
	// What a table lacks is the config's to fix, and is found before a billed query runs.
	names := make([]string, 0, len(md.Schema))
	for _, f := range md.Schema {
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
	st, err := tableStatement(s.qualifiedTable(), cols, timeCol, typ, start, end)
	if err != nil {
		return Statement{}, fault.Errorf(fault.Config, "%s: %w", timeKey, err)
	}
	return st, nil
}

// labels are the configured job labels plus app=journeykpi, so the jobs can be found in billing.
func (s *Source) labels() map[string]string {
	l := map[string]string{"app": "journeykpi"}
	maps.Copy(l, s.o.Config.Labels)
	return l
}

func (s *Source) query(st Statement, dryRun bool) *bigquery.Query {
	q := s.client.Query(st.SQL)
	for _, p := range st.Params {
		q.Parameters = append(q.Parameters, bigquery.QueryParameter{Name: p.Name, Value: p.Value})
	}
	q.Labels = s.labels()
	q.Location = s.o.Config.Location
	q.MaxBytesBilled = int64(s.o.Config.MaxBytesBilled)
	q.DryRun = dryRun
	return q
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *Source) dryRun(ctx context.Context, st Statement) (*bigquery.QueryStatistics, error) {
	job, err := s.query(st, true).Run(ctx)
	if err != nil {
		return nil, classify("dry run", err, int64(s.o.Config.MaxBytesBilled))
	}
	status := job.LastStatus()
	if status == nil {
		return nil, fmt.Errorf("bigquery: dry run: no status returned")
	}
	if err := status.Err(); err != nil {
		return nil, classify("dry run", err, int64(s.o.Config.MaxBytesBilled))
	}
	qs, _ := status.Statistics.Details.(*bigquery.QueryStatistics)
	if qs == nil {
		return nil, fmt.Errorf("bigquery: dry run: no query statistics returned")
	}
	return qs, nil
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
	return arrowSchema(qs.Schema), nil
}

// Check tells, without running a billed query, whether a Read of [start, end) would find the
// columns it needs: for a table, from its metadata (Statement); for a query, from a dry run,
// which BigQuery does not bill. A column missing is a configuration error naming its key.
func (s *Source) Check(ctx context.Context, start, end time.Time) error {
	st, err := s.Statement(ctx, start, end)
	if err != nil || s.o.Config.Query == "" || s.o.Preset != "" {
		return err
	}
	qs, err := s.dryRun(ctx, st)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var names []string
	for _, f := range qs.Schema {
		have[f.Name] = true
		names = append(names, f.Name)
	}
	need := append([]Column{{Key: s.o.TimeKey, Name: s.o.TimeColumn}}, s.o.Required...)
	for _, r := range need {
		if r.Name != "" && !have[r.Name] {
			return fault.Errorf(fault.Config, "%s: the query gives no column %q (its columns are %s)", r.Key, r.Name, strings.Join(names, ", "))
		}
	}
	return nil
}

// Read runs the query for [start, end) and streams its result to emit, one Arrow record batch
// at a time, in the order the Storage Read API delivers them. Streams interrupted by a
// transient error are resumed by the client from the row offset reached, so no row is emitted
// twice; a read that ends with fewer rows than the result holds is an error.
func (s *Source) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	maxBytes := int64(s.o.Config.MaxBytesBilled)
	st, err := s.Statement(ctx, start, end)
	if err != nil {
		return err
	}
	text := s.statementText(st)
	s.mu.Lock()
	s.last = text
	s.mu.Unlock()
	// Run the job and read the job's results: Query.Read only uses the Storage Read API when
	// the result has more than one page.
	job, err := s.query(st, false).Run(ctx)
	if err != nil {
		return classify("query", err, maxBytes)
	}
	s.log.Info("bigquery job", "job_id", job.ID(), "location", job.Location())
	if err := waitJob(ctx, job, maxBytes); err != nil {
		return err
	}
	want, err := s.resultRows(ctx, job)
	if err != nil {
		return err
	}
	it, err := job.Read(ctx)
	if err != nil {
		return classify("read", err, maxBytes)
	}
	var got int64
	if !it.IsAccelerated() {
		// The client fell back to row pages without saying so (the read session could not be
		// created: usually a missing bigquery.readsessions.create permission).
		if !s.o.Config.AllowRowFallback {
			return &Error{Op: "read session", Reason: "storageReadUnavailable", Err: errors.New("the Storage Read API could not be used"),
				Hint: "grant BigQuery Read Session User, or set source.bigquery.allow_row_fallback: true to read row pages, much more slowly"}
		}
		s.log.Warn("bigquery: reading row pages; the Storage Read API could not be used")
		got, err = readRows(it, s.mem, emit)
		if err != nil {
			return classify("read rows", err, maxBytes)
		}
	} else {
		got, err = s.readArrow(it, emit)
		if err != nil {
			return err
		}
	}
	if want >= 0 && got != want {
		return &Error{Op: "read rows", Reason: "incomplete", Err: fmt.Errorf("read %d rows of the %d in the result", got, want),
			transient: got == 0}
	}
	return nil
}

// waitJob polls the job's status until it is done. Job.Wait would ask for the query results,
// and for a job that failed with backendError the client retries that request until the
// context ends; jobs.get instead reports the failure, which the retry policy can act on.
func waitJob(ctx context.Context, job *bigquery.Job, maxBytes int64) error {
	pause := 100 * time.Millisecond
	for {
		st, err := job.Status(ctx)
		if err != nil {
			return classify("query", err, maxBytes)
		}
		if st.Done() {
			if err := st.Err(); err != nil {
				return classify("query", err, maxBytes)
			}
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// resultRows is the number of rows in the job's result table, or -1 when unknown (a script).
func (s *Source) resultRows(ctx context.Context, job *bigquery.Job) (int64, error) {
	// The job as inserted may not name its result table yet; the finished job does.
	full, err := s.client.JobFromProject(ctx, job.ProjectID(), job.ID(), job.Location())
	if err != nil {
		return -1, classify("job", err, int64(s.o.Config.MaxBytesBilled))
	}
	cfg, err := full.Config()
	if err != nil {
		return -1, nil
	}
	qc, ok := cfg.(*bigquery.QueryConfig)
	if !ok || qc.Dst == nil {
		return -1, nil
	}
	md, err := qc.Dst.Metadata(ctx)
	if err != nil {
		return -1, classify("result table", err, int64(s.o.Config.MaxBytesBilled))
	}
	return int64(md.NumRows), nil
}

// readArrow decodes the Storage Read API's batches one by one: schema bytes plus batch bytes
// through an IPC reader. (NewArrowIteratorReader would turn a stream error into a nil-pointer
// panic.)
func (s *Source) readArrow(it *bigquery.RowIterator, emit func(arrow.Record) error) (int64, error) {
	ai, err := it.ArrowIterator()
	if err != nil {
		return 0, classify("read session", err, 0)
	}
	schema := ai.SerializedArrowSchema()
	var rows int64
	for {
		batch, err := ai.Next()
		if errors.Is(err, iterator.Done) {
			return rows, nil
		}
		if err != nil {
			return rows, classify("read rows", err, 0)
		}
		n, err := s.decode(schema, batch.Data, emit)
		rows += n
		if err != nil {
			return rows, err
		}
	}
}

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
