package bqfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	bq "google.golang.org/api/bigquery/v2"
)

// Methods of the administration API that faults can target and Calls counts.
const (
	DatasetsGet    = "datasets.get"
	DatasetsInsert = "datasets.insert"
	TablesPatch    = "tables.patch"
	JobsCancel     = "jobs.cancel"
)

// admin is the server's state beyond queries and reads: datasets, table expirations, jobs held
// running, cancelled jobs, and the read sessions' options.
type admin struct {
	datasets    map[string]*bq.Dataset // "project.dataset"
	expires     map[string]time.Time   // table key → expiration time
	written     []string               // tables written by jobs, in order
	hold        bool
	cancelled   []string // job ids
	sessionReqs []*storagepb.CreateReadSessionRequest
	lz4         map[string]bool // stream name → LZ4-compressed buffers
	sent        int64           // bytes of record batches sent by ReadRows
}

func newAdmin() admin {
	return admin{datasets: map[string]*bq.Dataset{}, expires: map[string]time.Time{}, lz4: map[string]bool{}}
}

func (s *Server) handleAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /bigquery/v2/projects/{project}/datasets/{dataset}", s.datasetsGet)
	mux.HandleFunc("POST /bigquery/v2/projects/{project}/datasets", s.datasetsInsert)
	mux.HandleFunc("PATCH /bigquery/v2/projects/{project}/datasets/{dataset}/tables/{table}", s.tablesPatch)
	mux.HandleFunc("POST /bigquery/v2/projects/{project}/jobs/{job}/cancel", s.jobsCancel)
}

// SetDataset makes a dataset exist ("project.dataset").
func (s *Server) SetDataset(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, d, _ := strings.Cut(ref, ".")
	s.datasets[ref] = &bq.Dataset{DatasetReference: &bq.DatasetReference{ProjectId: p, DatasetId: d}}
}

// Dataset returns the dataset as created (datasets.insert or SetDataset), or nil.
func (s *Server) Dataset(ref string) *bq.Dataset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datasets[ref]
}

// Expiration is a table's expiration time (tables.patch); zero when none was set.
func (s *Server) Expiration(ref string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expires[ref]
}

// Written returns the tables query jobs wrote their results to, in order (anonymous ones included).
func (s *Server) Written() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.written...)
}

// HoldJobs makes the query jobs inserted from now on run until Release, a jobs.cancel or their
// jobTimeoutMs; false lets new jobs finish at once again.
func (s *Server) HoldJobs(hold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
}

// Release finishes every held job as it would have finished.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.jobByID {
		if st.held {
			st.held = false
			st.raw.Status = &bq.JobStatus{State: "DONE"}
		}
	}
}

// Cancelled returns the ids of the jobs cancelled with jobs.cancel, in order.
func (s *Server) Cancelled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cancelled...)
}

// ReadSessions returns the CreateReadSession requests received, in order.
func (s *Server) ReadSessions() []*storagepb.CreateReadSessionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*storagepb.CreateReadSessionRequest(nil), s.sessionReqs...)
}

// SentBytes is the size of the Arrow record batches ReadRows has sent, as they went over the
// wire (compressed when the session asked for LZ4).
func (s *Server) SentBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func (s *Server) holding() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hold
}

func (s *Server) wrote(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written = append(s.written, key)
}

func (s *Server) expiration(key string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.expires[key]; ok {
		return t.UnixMilli()
	}
	return 0
}

// stop finishes a held job with an error. s.mu must be held.
func stop(st *jobState, reason, msg string) {
	st.held = false
	st.err = &bq.ErrorProto{Reason: reason, Message: msg}
	st.raw.Status = &bq.JobStatus{State: "DONE", ErrorResult: st.err, Errors: []*bq.ErrorProto{st.err}}
}

// expire stops a held job past its jobTimeoutMs, as BigQuery does. s.mu must be held.
func (s *Server) expire(st *jobState) {
	if !st.held || st.raw.Configuration == nil {
		return
	}
	ms := st.raw.Configuration.JobTimeoutMs
	if ms > 0 && time.Since(st.inserted) > time.Duration(ms)*time.Millisecond {
		stop(st, "timeout", fmt.Sprintf("Job timed out after %s", time.Duration(ms)*time.Millisecond))
	}
}

func (s *Server) jobsCancel(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, JobsCancel) {
		return
	}
	st := s.lookupJob(w, r)
	if st == nil {
		return
	}
	s.mu.Lock()
	s.cancelled = append(s.cancelled, r.PathValue("job"))
	if st.held {
		stop(st, "stopped", "Job execution was cancelled: User requested cancellation")
	}
	raw := st.raw
	s.mu.Unlock()
	writeJSON(w, &bq.JobCancelResponse{Kind: "bigquery#jobCancelResponse", Job: raw})
}

func (s *Server) datasetsGet(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, DatasetsGet) {
		return
	}
	ref := r.PathValue("project") + "." + r.PathValue("dataset")
	s.mu.Lock()
	d := s.datasets[ref]
	s.mu.Unlock()
	if d == nil {
		writeError(w, http.StatusNotFound, "notFound", "Not found: Dataset "+strings.Replace(ref, ".", ":", 1))
		return
	}
	writeJSON(w, d)
}

func (s *Server) datasetsInsert(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, DatasetsInsert) {
		return
	}
	var d bq.Dataset
	if err := json.NewDecoder(r.Body).Decode(&d); err != nil || d.DatasetReference == nil {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: bad dataset")
		return
	}
	d.DatasetReference.ProjectId = r.PathValue("project")
	ref := d.DatasetReference.ProjectId + "." + d.DatasetReference.DatasetId
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.datasets[ref] != nil {
		writeError(w, http.StatusConflict, "duplicate", "Already Exists: Dataset "+strings.Replace(ref, ".", ":", 1))
		return
	}
	s.datasets[ref] = &d
	writeJSON(w, &d)
}

func (s *Server) tablesPatch(w http.ResponseWriter, r *http.Request) {
	if s.restFault(w, TablesPatch) {
		return
	}
	p, d, tb := r.PathValue("project"), r.PathValue("dataset"), r.PathValue("table")
	key := p + "." + d + "." + tb
	var in bq.Table
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	s.mu.Lock()
	t := s.tables[key]
	if t != nil && in.ExpirationTime != 0 {
		s.expires[key] = time.UnixMilli(in.ExpirationTime)
	}
	s.mu.Unlock()
	if t == nil {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Table %s:%s.%s", p, d, tb))
		return
	}
	writeJSON(w, &bq.Table{Kind: "bigquery#table", Id: p + ":" + d + "." + tb,
		TableReference: &bq.TableReference{ProjectId: p, DatasetId: d, TableId: tb},
		Schema:         bqSchema(t.schema()), NumRows: uint64(t.rows()), ExpirationTime: in.ExpirationTime})
}

// statementType is what BigQuery reports a query as: a script when it has several statements.
func statementType(sql string) string {
	trimmed := strings.TrimSpace(sql)
	if strings.Contains(strings.TrimSuffix(trimmed, ";"), ";") {
		return "SCRIPT"
	}
	return "SELECT"
}
