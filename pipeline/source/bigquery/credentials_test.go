package bigquery_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/civil"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// isolateCredentials makes the credential lookup see nothing of this machine, and points the
// metadata server at a closed local port so that nothing probes the real one.
func isolateCredentials(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("GCE_METADATA_HOST", "127.0.0.1:9")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("HOME", home)
	t.Setenv("CLOUDSDK_CONFIG", filepath.Join(home, "gcloud"))
	t.Setenv(bigquery.EnvEmulatorREST, "")
	t.Setenv(bigquery.EnvEmulatorGRPC, "")
}

func TestMissingCredentials(t *testing.T) {
	tests := []struct {
		name string
		file string // content of GOOGLE_APPLICATION_CREDENTIALS; "" leaves it unset
	}{
		{"none anywhere", ""},
		{"key file not JSON", "not a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateCredentials(t)
			if tt.file != "" {
				p := filepath.Join(t.TempDir(), "key.json")
				if err := os.WriteFile(p, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", p)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := bigquery.Open(ctx, bigquery.Options{Config: config.BigQuery{Project: "p", Table: "p.d.t"}})
			if !errors.Is(err, bigquery.ErrNoCredentials) {
				t.Fatalf("err = %v, want ErrNoCredentials", err)
			}
			msg := err.Error()
			t.Logf("message: %s", msg)
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "gcloud auth application-default login") ||
				!strings.Contains(msg, "GOOGLE_APPLICATION_CREDENTIALS") {
				t.Errorf("message %q is not one line saying how to provide credentials", msg)
			}
			if tt.file != "" && strings.Contains(msg, tt.file) {
				t.Errorf("message %q repeats the key file's content", msg)
			}
		})
	}
}

// TestRealBigQuery reads from real BigQuery when a project and credentials are configured:
// JOURNEYKPI_BQ_PROJECT (billing project) and GOOGLE_APPLICATION_CREDENTIALS. It reads a public
// table through the Storage Read API and checks the dry run's estimate.
func TestRealBigQuery(t *testing.T) {
	project := os.Getenv("JOURNEYKPI_BQ_PROJECT")
	if project == "" {
		t.Skip("JOURNEYKPI_BQ_PROJECT not set (a billing project for the integration test)")
	}
	if os.Getenv("GOOGLE_APPLICATION_CREDENTIALS") == "" {
		t.Skip("GOOGLE_APPLICATION_CREDENTIALS not set (a service-account key file)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	src, err := bigquery.Open(ctx, bigquery.Options{
		Config: config.BigQuery{Project: project, Location: "US", MaxBytesBilled: 1e9, Labels: map[string]string{"purpose": "test"},
			Query: "SELECT name, number, TIMESTAMP('2026-03-01') AS event_time FROM `bigquery-public-data.usa_names.usa_1910_2013` " +
				"WHERE state = 'TX' AND year = 1950 AND TIMESTAMP('2026-03-01') >= @start AND TIMESTAMP('2026-03-01') < @end"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start, end := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	_, n, err := src.Plan(ctx, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 {
		t.Errorf("dry run estimate = %d bytes, want > 0", n)
	}
	var rows int64
	var c collector
	defer c.release()
	if err := src.Read(ctx, start, end, c.emit); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.recs {
		rows += r.NumRows()
	}
	if rows == 0 {
		t.Fatal("read no rows")
	}
	schema, err := src.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{schema.Field(0).Name, schema.Field(1).Name}; !reflect.DeepEqual(got, []string{"name", "number"}) {
		t.Errorf("schema fields = %v", got)
	}
}

// TestRealBigQueryGA4DryRuns dry-runs every statement the GA4 preset and the compact table send,
// against Google's public GA4 sample (bigquery-public-data.ga4_obfuscated_sample_ecommerce,
// 2020-11-01 to 2021-01-31): nothing runs, nothing is billed, and BigQuery itself checks the SQL
// and says how many bytes each would scan. It needs JOURNEYKPI_BQ_PROJECT and
// GOOGLE_APPLICATION_CREDENTIALS; JOURNEYKPI_BQ_DATASET (project.dataset, US, writable) adds the
// sync script and the compact table's reads, dry-run too (the tables need not exist for the read's
// schema check to name them, so those are expected to fail with notFound until a sync ran).
func TestRealBigQueryGA4DryRuns(t *testing.T) {
	project := os.Getenv("JOURNEYKPI_BQ_PROJECT")
	if project == "" {
		t.Skip("JOURNEYKPI_BQ_PROJECT not set (a billing project for the integration test)")
	}
	if os.Getenv("GOOGLE_APPLICATION_CREDENTIALS") == "" {
		t.Skip("GOOGLE_APPLICATION_CREDENTIALS not set (a service-account key file)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := config.DefaultBigQuery()
	cfg.Project, cfg.Location, cfg.MaxBytesBilled = project, "US", 2e9
	cfg.Table = "bigquery-public-data.ga4_obfuscated_sample_ecommerce.events_*"
	o := bigquery.Options{Config: cfg, Preset: "ga4", Names: config.DefaultColumns(), OrderColumn: "event_name", OrderValues: []string{"purchase"},
		Columns: []string{"customer_id", "event_time", "event_name", "stage", "touchpoint", "campaign", "segment", "order_id", "revenue", "sentiment"}}
	src, err := bigquery.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	start, end := time.Date(2020, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC)
	narrowed, _ := src.Narrow(bigquery.Narrowing{FullFrom: time.Date(2020, 12, 1, 0, 0, 0, 0, time.UTC)})
	for name, s := range map[string]*bigquery.Source{"read": src, "split read": narrowed} {
		_, n, err := s.Plan(ctx, start, end)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("GA4 %s, Nov 2020 to Jan 2021: %d bytes would be scanned", name, n)
	}
	if ds := os.Getenv("JOURNEYKPI_BQ_DATASET"); ds != "" {
		cfg.Sync.Table = ds + ".journeykpi_test_touchpoints"
		o.Config = cfg
		sync, err := bigquery.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer sync.Close()
		st, err := sync.SyncStatement(ctx, civil.Date{Year: 2021, Month: 1, Day: 27}, civil.Date{Year: 2021, Month: 1, Day: 31})
		if err != nil {
			t.Fatal(err)
		}
		n, err := sync.DryRun(ctx, st)
		if err != nil {
			t.Fatalf("sync script: %v", err)
		}
		t.Logf("sync of 5 days: %d bytes would be scanned", n)
		_, n, err = sync.Plan(ctx, start, end)
		t.Logf("compact read: %d bytes, %v (notFound until a sync ran)", n, err)
	} else {
		t.Log("JOURNEYKPI_BQ_DATASET not set: the sync script and the compact reads were not dry-run")
	}
}
