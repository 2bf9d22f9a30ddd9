package source

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"google.golang.org/grpc/codes"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// TestOpenLogsRetriesAndTheRowFallback: what a BigQuery read has to tell the operator (each retry,
// a fallback to the slow row path, the job id) reaches the logger Open is given.
func TestOpenLogsRetriesAndTheRowFallback(t *testing.T) {
	srv, err := bqfake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Setenv(bigquery.EnvEmulatorREST, srv.RESTEndpoint())
	t.Setenv(bigquery.EnvEmulatorGRPC, srv.GRPCAddr())
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil))
	b.Field(0).(*array.StringBuilder).Append("c1")
	b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixMicro()))
	b.Field(2).(*array.StringBuilder).Append("page_view")
	rec := b.NewRecord()
	b.Release()
	t.Cleanup(rec.Release)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: []arrow.Record{rec}})
	srv.SetResult(&bqfake.Table{Records: []arrow.Record{rec}})
	srv.Inject(bqfake.Fault{Method: bqfake.JobsInsert, JobError: true, Reason: "backendError", Count: 1})
	srv.Inject(bqfake.Fault{Method: bqfake.CreateReadSession, Code: codes.PermissionDenied, Count: 1})

	cfg := config.Default()
	cfg.Source.Kind = "bigquery"
	cfg.Source.BigQuery.Table = "proj.marketing.events"
	cfg.Source.BigQuery.Project = "proj"
	cfg.Source.BigQuery.AllowRowFallback = true
	cfg.Source.BigQuery.Retry = config.Retry{Attempts: 3, InitialBackoff: config.Duration(time.Millisecond),
		MaxBackoff: config.Duration(time.Millisecond), Deadline: config.Duration(time.Minute)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	src, err := Open(context.Background(), &cfg, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer src.(Closer).Close()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := src.Read(context.Background(), start, start.AddDate(0, 1, 0), func(arrow.Record) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"msg":"read failed, retrying"`, `"attempt":1`, `backendError`,
		`"msg":"bigquery: reading row pages; the Storage Read API could not be used"`, `"msg":"bigquery job"`, `"job_id"`, `"source":"events"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}
}
