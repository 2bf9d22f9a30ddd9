package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/journeykpi/journeykpi/config"
)

// writeOneRowParquet writes a Parquet file of schema sc with one all-null row.
func writeOneRowParquet(t *testing.T, path string, sc *arrow.Schema) {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, f := range b.Fields() {
		f.AppendNull()
	}
	rec := b.NewRecord()
	defer rec.Release()
	tbl := array.NewTableFromRecords(sc, []arrow.Record{rec})
	defer tbl.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pqarrow.WriteTable(tbl, f, 1, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
}

// TestCheckSchemaChecksTypes: validate refuses a column whose type a run cannot read (a float
// event_time, a boolean revenue), naming the column, and accepts the types a run reads.
func TestCheckSchemaChecksTypes(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	for _, c := range []struct {
		name   string
		fields []arrow.Field
		want   []string // substrings of the error; none means valid
	}{
		{"valid", []arrow.Field{
			{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "event_time", Type: ts, Nullable: true},
			{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "touchpoint", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
			{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		}, nil},
		{"bad types", []arrow.Field{
			{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "event_time", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "revenue", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		}, []string{`"event_time" has type float64`, `"revenue" has type bool`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.parquet")
			writeOneRowParquet(t, path, arrow.NewSchema(c.fields, nil))
			cfg := testConfig(t)
			cfg.Source.Files.Paths = []string{path}
			report, err := CheckSchema(context.Background(), cfg, nil)
			if c.want == nil {
				if err != nil {
					t.Fatalf("valid schema refused: %v", err)
				}
				// Each column is reported as read, none as absent.
				for _, f := range c.fields {
					if !strings.Contains(report, "<- "+f.Name) {
						t.Errorf("report lacks %s:\n%s", f.Name, report)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %s", report)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestCheckSchemaChecksSpend: validate checks the spend input too, naming its config keys.
func TestCheckSchemaChecksSpend(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.parquet")
	writeOneRowParquet(t, events, arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "event_name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil))
	spend := filepath.Join(dir, "spend.csv")
	if err := os.WriteFile(spend, []byte("day,touchpoint,cost\n2026-03-01,email,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Source.Files.Paths = []string{events}
	sp := config.DefaultSpend()
	sp.Files.Paths = []string{spend}
	cfg.Source.Spend = &sp
	_, err := CheckSchema(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), `spend: the source has no column "date" (source.spend.columns.date)`) {
		t.Fatalf("error %v does not name the spend date column", err)
	}
	cfg.Source.Spend.Columns.Date = "day"
	report, err := CheckSchema(context.Background(), cfg, nil)
	if err != nil || !strings.Contains(report, "cost") {
		t.Fatalf("report %q, error %v", report, err)
	}
}

// testConfig is the default config, valid, with a files source whose paths each test sets.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	c := config.Default()
	c.Source.Files.Paths = []string{"unused"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}
