package bqfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	bq "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// Table is data the server holds: a stored table, or the result a query returns.
type Table struct {
	// Records are the rows, all with one schema. The server retains them.
	Records []arrow.Record
	// Streams is how many Storage Read streams a read session splits the records over
	// (round-robin by record); 0 means 1.
	Streams int
	// Bytes is what a query over it processes (dry-run estimate); 0 means the size of the Arrow
	// buffers.
	Bytes int64
	// Modified is the table's last-modified time (tables.get); zero means the Unix epoch plus
	// one millisecond.
	Modified time.Time
	// Referenced are the tables ("project.dataset.table") a query whose result this is reads:
	// a dry run lists them in its statistics, as BigQuery does.
	Referenced []string
}

func (t *Table) schema() *arrow.Schema {
	if t == nil || len(t.Records) == 0 {
		return arrow.NewSchema(nil, nil)
	}
	return t.Records[0].Schema()
}

func (t *Table) rows() int64 {
	var n int64
	for _, r := range t.Records {
		n += r.NumRows()
	}
	return n
}

func (t *Table) bytes() int64 {
	if t.Bytes > 0 {
		return t.Bytes
	}
	var n int64
	for _, r := range t.Records {
		for _, c := range r.Columns() {
			for _, b := range c.Data().Buffers() {
				if b != nil {
					n += int64(b.Len())
				}
			}
		}
	}
	return n
}

// Job is a query job as the client sent it.
type Job struct {
	ID, Project, Location string
	SQL                   string
	// Params are the named parameters as "TYPE value", e.g. "TIMESTAMP 2026-03-01 00:00:00+00:00".
	Params         map[string]string
	Labels         map[string]string
	MaxBytesBilled int64
	DryRun         bool
	// Raw is the request as received.
	Raw *bq.Job
}

// ReadRowsCall is one ReadRows request: the stream and the row offset asked for.
type ReadRowsCall struct {
	Stream string
	Offset int64
}

// Methods that faults can target.
const (
	JobsInsert         = "jobs.insert"
	JobsGet            = "jobs.get"
	JobsGetQueryResult = "jobs.getQueryResults"
	TablesGet          = "tables.get"
	CreateReadSession  = "CreateReadSession"
	ReadRows           = "ReadRows"
)

// Fault is an error the server returns instead of an answer.
type Fault struct {
	// Method is one of the method constants.
	Method string
	// Count is how many times the fault fires; 0 means every time.
	Count int
	// HTTPStatus, Reason and Message make a REST error (e.g. 403 accessDenied).
	HTTPStatus int
	Reason     string
	Message    string
	// JobError, for jobs.insert, accepts the job but finishes it with an errorResult of Reason
	// (how BigQuery reports invalidQuery, bytesBilledLimitExceeded or a backendError of a job).
	JobError bool
	// Code is the gRPC code for CreateReadSession and ReadRows.
	Code codes.Code
	// AfterRows, for ReadRows, sends rows until the stream's offset reaches it, then fails.
	AfterRows int64
}

// Server is a local BigQuery: REST on one port, Storage Read gRPC on another, both on
// 127.0.0.1. Its methods are safe for concurrent use.
type Server struct {
	storagepb.UnimplementedBigQueryReadServer

	httpSrv  *http.Server
	httpLn   net.Listener
	grpcSrv  *grpc.Server
	grpcLn   net.Listener
	grpcConn *grpc.ClientConn

	// PageSize is the rows per page of getQueryResults row pages (the client's fallback).
	PageSize int

	mu       sync.Mutex
	tables   map[string]*Table // "project.dataset.table"
	result   func(Job) (*Table, error)
	jobs     []Job
	jobByID  map[string]*jobState
	faults   []*Fault
	calls    map[string]int
	reads    []ReadRowsCall
	sessions map[string][]arrow.Record // stream name → records
	nsession int

	admin // datasets, table expirations, held and cancelled jobs, read options (admin.go)
}

type jobState struct {
	raw   *bq.Job
	table string // result table key
	err   *bq.ErrorProto
	// held jobs run until released, cancelled or past their timeout (admin.go).
	held     bool
	inserted time.Time
}

// NewServer starts a server. Close stops it.
func NewServer() (*Server, error) {
	s := &Server{PageSize: 1000, tables: map[string]*Table{}, jobByID: map[string]*jobState{}, calls: map[string]int{},
		sessions: map[string][]arrow.Record{}, admin: newAdmin()}
	var err error
	if s.httpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if s.grpcLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.httpLn.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bigquery/v2/projects/{project}/jobs", s.jobsInsert)
	mux.HandleFunc("GET /bigquery/v2/projects/{project}/jobs/{job}", s.jobsGet)
	mux.HandleFunc("GET /bigquery/v2/projects/{project}/queries/{job}", s.getQueryResults)
	mux.HandleFunc("GET /bigquery/v2/projects/{project}/datasets/{dataset}/tables/{table}", s.tablesGet)
	s.handleAdmin(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "notFound", "bqfake: no handler for "+r.Method+" "+r.URL.Path)
	})
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(s.httpLn)
	s.grpcSrv = grpc.NewServer()
	storagepb.RegisterBigQueryReadServer(s.grpcSrv, s)
	go s.grpcSrv.Serve(s.grpcLn)
	s.grpcConn, err = grpc.NewClient(s.grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops both servers and releases the records they hold.
func (s *Server) Close() {
	if s.grpcConn != nil {
		s.grpcConn.Close()
	}
	s.grpcSrv.Stop()
	s.httpSrv.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tables {
		for _, r := range t.Records {
			r.Release()
		}
	}
	s.tables = map[string]*Table{}
}

// ClientOptions point the BigQuery REST client at the server, without authentication.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint("http://" + s.httpLn.Addr().String() + "/bigquery/v2/"),
		option.WithoutAuthentication(),
	}
}

// RESTEndpoint is the REST base URL (bigquery.EnvEmulatorREST).
func (s *Server) RESTEndpoint() string { return "http://" + s.httpLn.Addr().String() + "/bigquery/v2/" }

// GRPCAddr is the Storage Read API's host:port (bigquery.EnvEmulatorGRPC).
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// StorageOptions point the Storage Read client at the server over plain gRPC.
//
// Each call gets a connection of its own, which the client closes with itself: a client closing
// must not cut the others off.
func (s *Server) StorageOptions() []option.ClientOption {
	conn, err := grpc.NewClient(s.grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		conn = s.grpcConn
	}
	return []option.ClientOption{option.WithGRPCConn(conn), option.WithoutAuthentication()}
}

// SetTable stores a table under "project.dataset.table" (tables.get, read sessions).
func (s *Server) SetTable(ref string, t *Table) {
	for _, r := range t.Records {
		r.Retain()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[ref] = t
}

// SetResult makes every query return t (a dry run only estimates it).
func (s *Server) SetResult(t *Table) {
	s.SetResultFunc(func(Job) (*Table, error) { return t, nil })
}

// SetResultFunc decides each query's result; an error fails the job with invalidQuery.
func (s *Server) SetResultFunc(f func(Job) (*Table, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.result = f
}

// Inject adds a fault. Faults fire in the order added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fc := f
	s.faults = append(s.faults, &fc)
}

// Jobs returns the query jobs received, in order (dry runs included).
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Job(nil), s.jobs...)
}

// Calls returns how many requests each method received (faulted ones included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// ReadRowsCalls returns the ReadRows requests received, in order.
func (s *Server) ReadRowsCalls() []ReadRowsCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReadRowsCall(nil), s.reads...)
}

// fault counts a call of method and returns the fault to apply, if any. s.mu must be held.
func (s *Server) fault(method string, match func(*Fault) bool) *Fault {
	for _, f := range s.faults {
		if f.Method != method || (match != nil && !match(f)) {
			continue
		}
		if f.Count < 0 {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				f.Count = -1
			}
		}
		return f
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "errors": []map[string]any{{"reason": reason, "message": msg, "domain": "global"}},
	}})
}

func (s *Server) restFault(w http.ResponseWriter, method string) bool {
	s.mu.Lock()
	s.calls[method]++
	f := s.fault(method, func(f *Fault) bool { return !f.JobError })
	s.mu.Unlock()
	if f == nil {
		return false
	}
	msg := f.Message
	if msg == "" {
		msg = "bqfake: injected " + f.Reason
	}
	writeError(w, f.HTTPStatus, f.Reason, msg)
	return true
}

func paramText(p *bq.QueryParameter) string {
	if p.ParameterValue == nil || p.ParameterType == nil {
		return ""
	}
	if t := p.ParameterType; t.Type == "ARRAY" && t.ArrayType != nil {
		vals := make([]string, len(p.ParameterValue.ArrayValues))
		for i, v := range p.ParameterValue.ArrayValues {
			vals[i] = v.Value
		}
		return "ARRAY<" + t.ArrayType.Type + "> [" + strings.Join(vals, ", ") + "]"
	}
	return p.ParameterType.Type + " " + p.ParameterValue.Value
}

func (s *Server) jobsInsert(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, JobsInsert) {
		return
	}
	var in bq.Job
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if in.Configuration == nil || in.Configuration.Query == nil {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: only query jobs are served")
		return
	}
	project := r.PathValue("project")
	ref := in.JobReference
	if ref == nil {
		ref = &bq.JobReference{}
	}
	if ref.JobId == "" {
		ref.JobId = fmt.Sprintf("bqfake_%d", time.Now().UnixNano())
	}
	ref.ProjectId = project
	if ref.Location == "" {
		ref.Location = "US"
	}
	qc := in.Configuration.Query
	job := Job{ID: ref.JobId, Project: project, Location: ref.Location, SQL: qc.Query, Params: map[string]string{},
		Labels: in.Configuration.Labels, MaxBytesBilled: qc.MaximumBytesBilled, DryRun: in.Configuration.DryRun, Raw: &in}
	for _, p := range qc.QueryParameters {
		job.Params[p.Name] = paramText(p)
	}

	s.mu.Lock()
	s.jobs = append(s.jobs, job)
	jf := s.fault(JobsInsert, func(f *Fault) bool { return f.JobError })
	resultFn := s.result
	s.mu.Unlock()

	st := &jobState{}
	var table *Table
	if jf != nil {
		msg := jf.Message
		if msg == "" {
			msg = "bqfake: injected " + jf.Reason
		}
		st.err = &bq.ErrorProto{Reason: jf.Reason, Message: msg}
	} else if resultFn == nil {
		st.err = &bq.ErrorProto{Reason: "invalidQuery", Message: "bqfake: no result set for queries"}
	} else {
		t, err := resultFn(job)
		if err != nil {
			st.err = &bq.ErrorProto{Reason: "invalidQuery", Message: err.Error()}
		} else {
			table = t
		}
	}
	if st.err != nil && job.DryRun {
		// A dry run reports its failure on the request itself.
		writeError(w, http.StatusBadRequest, st.err.Reason, st.err.Message)
		return
	}
	out := &bq.Job{
		Kind:          "bigquery#job",
		Id:            project + ":" + ref.Location + "." + ref.JobId,
		JobReference:  ref,
		Configuration: in.Configuration,
		Status:        &bq.JobStatus{State: "DONE"},
		Statistics:    &bq.JobStatistics{Query: &bq.JobStatistics2{StatementType: statementType(qc.Query)}},
	}
	if st.err != nil {
		out.Status.ErrorResult = st.err
		out.Status.Errors = []*bq.ErrorProto{st.err}
	} else {
		out.Statistics.Query.TotalBytesProcessed = table.bytes()
		out.Statistics.TotalBytesProcessed = table.bytes()
		out.Statistics.Query.Schema = bqSchema(table.schema())
		for _, ref := range table.Referenced {
			if p := strings.SplitN(ref, ".", 3); len(p) == 3 {
				out.Statistics.Query.ReferencedTables = append(out.Statistics.Query.ReferencedTables,
					&bq.TableReference{ProjectId: p[0], DatasetId: p[1], TableId: p[2]})
			}
		}
		if !job.DryRun {
			out.Statistics.Query.TotalBytesBilled = table.bytes()
			dst := qc.DestinationTable
			if dst == nil {
				dst = &bq.TableReference{ProjectId: project, DatasetId: "_bqfake_anon", TableId: ref.JobId}
			}
			key := dst.ProjectId + "." + dst.DatasetId + "." + dst.TableId
			s.SetTable(key, table)
			s.wrote(key)
			st.table = key
			cfg := *in.Configuration
			q := *cfg.Query
			q.DestinationTable = dst
			cfg.Query = &q
			out.Configuration = &cfg
		}
	}
	if st.err == nil && !job.DryRun && s.holding() {
		st.held, st.inserted = true, time.Now()
		out.Status = &bq.JobStatus{State: "RUNNING"}
	}
	st.raw = out
	if !job.DryRun {
		s.mu.Lock()
		s.jobByID[ref.JobId] = st
		s.mu.Unlock()
	}
	writeJSON(w, out)
}

func (s *Server) lookupJob(w http.ResponseWriter, r *http.Request) *jobState {
	s.mu.Lock()
	st := s.jobByID[r.PathValue("job")]
	s.mu.Unlock()
	if st == nil {
		writeError(w, http.StatusNotFound, "notFound", "Not found: Job "+r.PathValue("job"))
	}
	return st
}

func (s *Server) jobsGet(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, JobsGet) {
		return
	}
	if st := s.lookupJob(w, r); st != nil {
		s.mu.Lock()
		s.expire(st)
		raw := st.raw
		s.mu.Unlock()
		writeJSON(w, raw)
	}
}

func (s *Server) getQueryResults(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, JobsGetQueryResult) {
		return
	}
	st := s.lookupJob(w, r)
	if st == nil {
		return
	}
	s.mu.Lock()
	s.expire(st)
	held, jerr := st.held, st.err
	s.mu.Unlock()
	if jerr != nil {
		writeError(w, http.StatusBadRequest, jerr.Reason, jerr.Message)
		return
	}
	if held {
		writeJSON(w, &bq.GetQueryResultsResponse{Kind: "bigquery#getQueryResultsResponse", JobComplete: false, JobReference: st.raw.JobReference})
		return
	}
	s.mu.Lock()
	t := s.tables[st.table]
	s.mu.Unlock()
	q := r.URL.Query()
	resp := &bq.GetQueryResultsResponse{
		Kind: "bigquery#getQueryResultsResponse", JobComplete: true, JobReference: st.raw.JobReference,
		Schema: bqSchema(t.schema()), TotalRows: uint64(t.rows()),
	}
	if q.Get("maxResults") != "0" {
		start, _ := strconv.ParseInt(q.Get("startIndex"), 10, 64)
		if tok := q.Get("pageToken"); tok != "" {
			start, _ = strconv.ParseInt(tok, 10, 64)
		}
		size := int64(s.PageSize)
		if m, err := strconv.ParseInt(q.Get("maxResults"), 10, 64); err == nil && m > 0 && m < size {
			size = m
		}
		resp.Rows = tableRows(t, start, size)
		if next := start + int64(len(resp.Rows)); next < t.rows() {
			resp.PageToken = strconv.FormatInt(next, 10)
		}
	}
	writeJSON(w, resp)
}

func (s *Server) tablesGet(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, TablesGet) {
		return
	}
	p, d, tb := r.PathValue("project"), r.PathValue("dataset"), r.PathValue("table")
	s.mu.Lock()
	t := s.tables[p+"."+d+"."+tb]
	s.mu.Unlock()
	if t == nil {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Table %s:%s.%s", p, d, tb))
		return
	}
	modified := int64(1)
	if !t.Modified.IsZero() {
		modified = t.Modified.UnixMilli()
	}
	writeJSON(w, &bq.Table{
		Kind:             "bigquery#table",
		Id:               p + ":" + d + "." + tb,
		TableReference:   &bq.TableReference{ProjectId: p, DatasetId: d, TableId: tb},
		Schema:           bqSchema(t.schema()),
		NumRows:          uint64(t.rows()),
		NumBytes:         t.bytes(),
		Type:             "TABLE",
		CreationTime:     1,
		LastModifiedTime: uint64(modified),
		ExpirationTime:   s.expiration(p + "." + d + "." + tb),
	})
}

// CreateReadSession implements the Storage Read API.
func (s *Server) CreateReadSession(ctx context.Context, req *storagepb.CreateReadSessionRequest) (*storagepb.ReadSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[CreateReadSession]++
	if f := s.fault(CreateReadSession, nil); f != nil {
		return nil, status.Error(f.Code, "bqfake: injected "+f.Code.String())
	}
	name := req.GetReadSession().GetTable() // projects/p/datasets/d/tables/t
	parts := strings.Split(name, "/")
	if len(parts) != 6 {
		return nil, status.Errorf(codes.InvalidArgument, "bad table %q", name)
	}
	t := s.tables[parts[1]+"."+parts[3]+"."+parts[5]]
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "table %q not found", name)
	}
	n := t.Streams
	if n < 1 {
		n = 1
	}
	if m := int(req.GetMaxStreamCount()); m > 0 && n > m {
		n = m
	}
	if n > len(t.Records) {
		n = max(1, len(t.Records))
	}
	s.nsession++
	s.sessionReqs = append(s.sessionReqs, req)
	lz4 := req.GetReadSession().GetReadOptions().GetArrowSerializationOptions().GetBufferCompression() == storagepb.ArrowSerializationOptions_LZ4_FRAME
	sess := fmt.Sprintf("projects/%s/locations/us/sessions/s%d", parts[1], s.nsession)
	schema, err := serializeSchema(t.schema())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	out := &storagepb.ReadSession{
		Name: sess, DataFormat: storagepb.DataFormat_ARROW, Table: name, EstimatedRowCount: t.rows(),
		Schema: &storagepb.ReadSession_ArrowSchema{ArrowSchema: &storagepb.ArrowSchema{SerializedSchema: schema}},
	}
	for i := 0; i < n; i++ {
		sn := fmt.Sprintf("%s/streams/%d", sess, i)
		var recs []arrow.Record
		for j := i; j < len(t.Records); j += n {
			recs = append(recs, t.Records[j])
		}
		s.sessions[sn] = recs
		s.lz4[sn] = lz4
		out.Streams = append(out.Streams, &storagepb.ReadStream{Name: sn})
	}
	return out, nil
}

// ReadRows implements the Storage Read API: the stream's records from the requested offset.
func (s *Server) ReadRows(req *storagepb.ReadRowsRequest, srv storagepb.BigQueryRead_ReadRowsServer) error {
	s.mu.Lock()
	s.calls[ReadRows]++
	s.reads = append(s.reads, ReadRowsCall{Stream: req.ReadStream, Offset: req.Offset})
	recs, ok := s.sessions[req.ReadStream]
	lz4 := s.lz4[req.ReadStream]
	f := s.fault(ReadRows, nil)
	s.mu.Unlock()
	if !ok {
		return status.Errorf(codes.NotFound, "stream %q not found", req.ReadStream)
	}
	if f != nil && f.AfterRows <= req.Offset {
		return status.Error(f.Code, "bqfake: injected "+f.Code.String())
	}
	var pos int64
	for _, rec := range recs {
		n := rec.NumRows()
		if pos+n <= req.Offset {
			pos += n
			continue
		}
		from := max(0, req.Offset-pos)
		to := n
		if f != nil && pos+to > f.AfterRows {
			to = max(from, f.AfterRows-pos)
		}
		if to > from {
			part := rec.NewSlice(from, to)
			data, err := serializeBatch(part, lz4)
			part.Release()
			if err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			s.mu.Lock()
			s.sent += int64(len(data))
			s.mu.Unlock()
			if err := srv.Send(&storagepb.ReadRowsResponse{
				Rows:     &storagepb.ReadRowsResponse_ArrowRecordBatch{ArrowRecordBatch: &storagepb.ArrowRecordBatch{SerializedRecordBatch: data}},
				RowCount: to - from,
			}); err != nil {
				return err
			}
		}
		pos += n
		if f != nil && pos >= f.AfterRows {
			return status.Error(f.Code, "bqfake: injected "+f.Code.String())
		}
	}
	return nil
}

// serializeSchema is the Arrow IPC schema message, as a read session carries it.
func serializeSchema(schema *arrow.Schema) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	if err := w.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	// Drop the end-of-stream marker: the client appends batches after the schema.
	return b[:len(b)-8], nil
}

// serializeBatch is the Arrow IPC record batch message of rec, without the schema; its buffers
// LZ4-frame compressed when lz4 (ArrowSerializationOptions.BufferCompression).
func serializeBatch(rec arrow.Record, lz4 bool) ([]byte, error) {
	schema, err := serializeSchema(rec.Schema())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	opts := []ipc.Option{ipc.WithSchema(rec.Schema()), ipc.WithAllocator(memory.DefaultAllocator)}
	if lz4 {
		opts = append(opts, ipc.WithLZ4())
	}
	w := ipc.NewWriter(&buf, opts...)
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, schema) {
		return nil, fmt.Errorf("bqfake: schema message not at the start of the stream")
	}
	return bytes.Clone(b[len(schema):]), nil
}

// bqSchema maps an Arrow schema onto a BigQuery table schema.
func bqSchema(s *arrow.Schema) *bq.TableSchema {
	out := &bq.TableSchema{}
	for _, f := range s.Fields() {
		typ := "STRING"
		switch t := f.Type.(type) {
		case *arrow.Int64Type, *arrow.Int32Type:
			typ = "INTEGER"
		case *arrow.Float64Type, *arrow.Float32Type:
			typ = "FLOAT"
		case *arrow.BooleanType:
			typ = "BOOLEAN"
		case *arrow.Date32Type:
			typ = "DATE"
		case *arrow.Decimal128Type:
			typ = "NUMERIC"
		case *arrow.TimestampType:
			typ = "TIMESTAMP"
			if t.TimeZone == "" {
				typ = "DATETIME"
			}
		}
		mode := "NULLABLE"
		if !f.Nullable {
			mode = "REQUIRED"
		}
		out.Fields = append(out.Fields, &bq.TableFieldSchema{Name: f.Name, Type: typ, Mode: mode})
	}
	return out
}

// tableRows renders rows [start, start+size) as REST row cells (TIMESTAMP as int64 micros, the
// format the client asks for).
func tableRows(t *Table, start, size int64) []*bq.TableRow {
	var out []*bq.TableRow
	var pos int64
	for _, rec := range t.Records {
		n := rec.NumRows()
		for i := int64(0); i < n; i++ {
			if pos+i < start {
				continue
			}
			if int64(len(out)) >= size {
				return out
			}
			row := &bq.TableRow{}
			for _, col := range rec.Columns() {
				row.F = append(row.F, &bq.TableCell{V: cellValue(col, int(i))})
			}
			out = append(out, row)
		}
		pos += n
	}
	return out
}

func cellValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i)
	case *array.Int64:
		return strconv.FormatInt(c.Value(i), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(c.Value(i)), 10)
	case *array.Float64:
		return strconv.FormatFloat(c.Value(i), 'g', -1, 64)
	case *array.Boolean:
		return strconv.FormatBool(c.Value(i))
	case *array.Date32:
		return c.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		t := c.Value(i).ToTime(unit)
		if c.DataType().(*arrow.TimestampType).TimeZone == "" {
			return t.UTC().Format("2006-01-02T15:04:05.999999")
		}
		return strconv.FormatInt(t.UnixMicro(), 10)
	case *array.Decimal128:
		return c.ValueStr(i)
	}
	return a.ValueStr(i)
}
