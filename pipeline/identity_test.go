package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestOneCustomerWhateverTheColumnType: customer 7 is one customer, and order 100 one order,
// whether a file carries them as Parquet int64, CSV text or NDJSON numbers, all in one read.
func TestOneCustomerWhateverTheColumnType(t *testing.T) {
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "event_time", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "event_name", Type: arrow.BinaryTypes.String},
		{Name: "order_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(7)
	b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()))
	b.Field(2).(*array.StringBuilder).Append("purchase")
	b.Field(3).(*array.Int64Builder).Append(100)
	b.Field(4).(*array.Float64Builder).Append(30)
	rec := b.NewRecord()
	defer rec.Release()
	f, err := os.Create(filepath.Join(dir, "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := array.NewTableFromRecords(sc, []arrow.Record{rec})
	defer tbl.Release()
	if err := pqarrow.WriteTable(tbl, f, 1, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The same purchase again as text (an exact duplicate once read), and a visit of the same customer as a JSON number.
	os.WriteFile(filepath.Join(dir, "b.csv"), []byte("customer_id,event_time,event_name,order_id,revenue\n 7 ,2026-03-02T10:00:00Z,purchase,100,30\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.ndjson"), []byte(`{"customer_id": 7, "event_time": "2026-03-01T09:00:00Z", "event_name": "page_view"}`+"\n"), 0o644)

	cfg := testConfig(t)
	cfg.Source.Files.Paths = []string{filepath.Join(dir, "*")}
	w, _ := window.Parse("2026-03-01", "2026-03-31", time.UTC)
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	q, r := o.Result.DataQuality, o.Result.Repeat
	if q.RowsRead != 3 || q.Customers != 1 || r.Purchasers != 1 || r.Orders != 1 || r.Revenue != 30 || q.Duplicates != 1 {
		t.Errorf("read %d, customers %d, purchasers %d, orders %d, revenue %v, duplicates %d; want 3, 1, 1, 1, 30, 1",
			q.RowsRead, q.Customers, r.Purchasers, r.Orders, r.Revenue, q.Duplicates)
	}
	if o.Result.Funnel.Entrants != 1 {
		t.Errorf("entrants %d, want 1", o.Result.Funnel.Entrants)
	}
}
