package bigquery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bigquery "cloud.google.com/go/bigquery"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"
	"google.golang.org/api/googleapi"
)

// cancelTimeout bounds the jobs.cancel request sent when a read is interrupted.
const cancelTimeout = 30 * time.Second

// newJobID is a job id of our own, so that an error can name the job even when its insert failed.
func newJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "journeykpi_" + hex.EncodeToString(b[:])
}

// query is the configured query job of st: parameters, labels, location, byte limit, job
// timeout, its own job id.
func (s *Source) query(st Statement, dryRun bool) *bigquery.Query {
	q := s.client.Query(st.SQL)
	for _, p := range st.Params {
		q.Parameters = append(q.Parameters, bigquery.QueryParameter{Name: p.Name, Value: p.Value})
	}
	q.Labels = s.labels()
	q.Location = s.o.Config.Location
	q.MaxBytesBilled = int64(s.o.Config.MaxBytesBilled)
	q.DryRun = dryRun
	if !dryRun {
		q.JobID = newJobID()
		q.JobTimeout = s.o.Config.JobTimeout.D()
	}
	return q
}

// runQuery runs st as a query job and waits for it. Its result goes to a table of the
// destination dataset when there is one (a table that expires), else to the anonymous result
// table. When ctx ends before the job does, the job is cancelled, so that nothing keeps running
// and billing. Errors name the job.
func (s *Source) runQuery(ctx context.Context, op string, st Statement) (*bigquery.Job, error) {
	q := s.query(st, false)
	ds, err := s.destination(ctx)
	if err != nil {
		return nil, err
	}
	if ds != nil {
		q.Dst = ds.Table(q.JobID)
		q.CreateDisposition = bigquery.CreateIfNeeded
		q.WriteDisposition = bigquery.WriteTruncate
	}
	job, err := q.Run(ctx)
	if err != nil {
		return nil, bqerror.WithJob(bqerror.Classify(op, err, s.maxBytes()), s.jobName(q.JobID))
	}
	s.log.Info("bigquery job", "op", op, "job_id", job.ID(), "location", job.Location())
	if err := s.wait(ctx, job); err != nil {
		return nil, bqerror.WithJob(err, s.jobName(job.ID()))
	}
	if q.Dst != nil {
		// The dataset's default expiration may be longer, or none: every result table expires.
		exp := time.Now().Add(s.o.Config.Destination.Expiration.D())
		if _, err := q.Dst.Update(ctx, bigquery.TableMetadataToUpdate{ExpirationTime: exp}, ""); err != nil {
			s.log.Warn("bigquery: the result table's expiration was not set", "table", q.Dst.FullyQualifiedName(), "error", err.Error())
		}
	}
	return job, nil
}

// jobName is a job's full name, project:location.id, as BigQuery's console and bq show it.
func (s *Source) jobName(id string) string {
	loc := s.o.Config.Location
	if loc == "" {
		return s.project + ":" + id
	}
	return s.project + ":" + loc + "." + id
}

// wait polls the job's status until it is done. Job.Wait would ask for the query results, and for
// a job that failed with backendError the client retries that request until the context ends;
// jobs.get instead reports the failure, which the retry policy can act on. When ctx ends first,
// the job is cancelled.
func (s *Source) wait(ctx context.Context, job *bigquery.Job) error {
	pause := 100 * time.Millisecond
	for {
		st, err := job.Status(ctx)
		if err != nil {
			if ctx.Err() != nil {
				s.cancel(ctx, job)
				return ctx.Err()
			}
			return bqerror.Classify("query", err, s.maxBytes())
		}
		if st.Done() {
			if err := st.Err(); err != nil {
				return s.refused(bqerror.Classify("query", err, s.maxBytes()))
			}
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			s.cancel(ctx, job)
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// cancel asks BigQuery to stop a job whose read was interrupted, outside ctx (which has ended).
// It does not wait for the job to stop; a failure is logged.
func (s *Source) cancel(ctx context.Context, job *bigquery.Job) {
	cctx, done := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
	defer done()
	if err := job.Cancel(cctx); err != nil {
		s.log.Warn("bigquery: the interrupted job was not cancelled", "job_id", job.ID(), "error", err.Error())
		return
	}
	s.log.Info("bigquery: cancelled the interrupted job", "job_id", job.ID())
}

// destination is the dataset query results are written to, created (with the result expiration
// as its default) the first time it is missing; nil means the anonymous result table.
func (s *Source) destination(ctx context.Context) (*bigquery.Dataset, error) {
	ref := s.o.Config.Destination.Dataset
	if ref == "" && s.o.Config.Sync.Table != "" {
		parts := strings.Split(s.o.Config.Sync.Table, ".")
		ref = parts[0] + "." + parts[1]
	}
	if ref == "" {
		return nil, nil
	}
	project, dataset, ok := strings.Cut(ref, ".")
	if !ok {
		project, dataset = s.project, ref
	}
	ds := s.client.DatasetInProject(project, dataset)
	s.shared.mu.Lock()
	defer s.shared.mu.Unlock()
	if s.shared.datasetReady {
		return ds, nil
	}
	_, err := ds.Metadata(ctx)
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusNotFound {
		md := &bigquery.DatasetMetadata{
			Location: s.o.Config.Location, DefaultTableExpiration: s.o.Config.Destination.Expiration.D(),
			Description: "journeykpi: query results, each kept for a short time", Labels: map[string]string{"app": "journeykpi"},
		}
		if strings.HasPrefix(s.o.Config.Sync.Table, project+"."+dataset+".") {
			// The compact table will live here too: a default expiration would delete it, its
			// days and identity a day after a sync creates them. Each result table is given its
			// own expiration instead.
			md.DefaultTableExpiration = 0
			md.Description = "journeykpi: the compact touchpoint table, and query results each kept for a short time"
		}
		err = ds.Create(ctx, md)
		if errors.As(err, &ge) && ge.Code == http.StatusConflict {
			err = nil // created meanwhile
		}
		if err == nil {
			s.log.Info("bigquery: created the dataset for query results", "dataset", project+"."+dataset)
		}
	}
	if err != nil {
		return nil, bqerror.Classify(fmt.Sprintf("results dataset %s.%s", project, dataset), err, s.maxBytes())
	}
	s.shared.datasetReady = true
	return ds, nil
}

// dryRun validates st and estimates it, without running it or billing anything.
func (s *Source) dryRun(ctx context.Context, st Statement) (*bigquery.QueryStatistics, error) {
	job, err := s.query(st, true).Run(ctx)
	if err != nil {
		return nil, s.refused(bqerror.Classify("dry run", err, s.maxBytes()))
	}
	status := job.LastStatus()
	if status == nil {
		return nil, fmt.Errorf("bigquery: dry run: no status returned")
	}
	if err := status.Err(); err != nil {
		return nil, s.refused(bqerror.Classify("dry run", err, s.maxBytes()))
	}
	qs, _ := status.Statistics.Details.(*bigquery.QueryStatistics)
	if qs == nil {
		return nil, fmt.Errorf("bigquery: dry run: no query statistics returned")
	}
	return qs, nil
}

// DryRun validates st and returns the bytes BigQuery would process for it (a dry run: nothing is
// run or billed).
func (s *Source) DryRun(ctx context.Context, st Statement) (int64, error) {
	qs, err := s.dryRun(ctx, st)
	if err != nil {
		return -1, err
	}
	return qs.TotalBytesProcessed, nil
}

// refused gives an invalid statement the hint that fits its author: the user's query is theirs to
// check; SQL journeykpi wrote (a table's read, the GA4 preset, the compact table, a sync) was
// refused because the source is not what the config says, or by a fault of journeykpi's.
func (s *Source) refused(err error) error {
	var e *Error
	if errors.As(err, &e) && (e.Reason == "invalidQuery" || e.Reason == "invalid") && s.o.Config.Query == "" {
		e.Hint = "BigQuery refused the SQL journeykpi wrote for this source (journeykpi plan prints it); check that the table and the columns the config names are there with the types it reads, else report it as a bug"
	}
	return err
}

func (s *Source) maxBytes() int64 { return int64(s.o.Config.MaxBytesBilled) }
