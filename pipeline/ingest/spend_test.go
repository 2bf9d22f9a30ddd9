package ingest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// reusingSpend emits one spend batch and then, as a source reusing its buffers would, overwrites
// the batch's text.
type reusingSpend struct{}

func (reusingSpend) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "date", Type: arrow.BinaryTypes.String}, {Name: "touchpoint", Type: arrow.BinaryTypes.String},
		{Name: "cost", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("2026-03-01")
	b.Field(1).(*array.StringBuilder).Append("email")
	b.Field(2).(*array.Float64Builder).Append(10)
	rec := b.NewRecord()
	defer rec.Release()
	if err := emit(rec); err != nil {
		return err
	}
	for _, col := range rec.Columns()[:2] {
		buf := col.(*array.String).ValueBytes()
		for i := range buf {
			buf[i] = 'x'
		}
	}
	return nil
}

func TestSpendRowsOwnTheirTouchpoints(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := NewSpendReader(nil, time.UTC, start, start.AddDate(1, 0, 0), "EUR")
	if err := (reusingSpend{}).Read(context.Background(), start, start.AddDate(1, 0, 0), r.Add); err != nil {
		t.Fatal(err)
	}
	rows, _, _ := r.Rows()
	if len(rows) != 1 || rows[0].Touchpoint != "email" {
		t.Errorf("spend rows %+v after the batch's memory was reused", rows)
	}
}

// TestSpendReaderWideInput reads the touchpoint metrics' optional columns: campaign, impressions
// and clicks when given (NaN when not), rows in another currency than the report's rejected and
// named, negative counts rejected; a mapped name wins over the canonical one.
func TestSpendReaderWideInput(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "day", Type: arrow.BinaryTypes.String}, {Name: "touchpoint", Type: arrow.BinaryTypes.String},
		{Name: "campaign", Type: arrow.BinaryTypes.String}, {Name: "cost", Type: arrow.PrimitiveTypes.Float64},
		{Name: "imps", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "clicks", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	type row struct {
		day, tp, camp string
		cost          float64
		imps, clicks  int64 // -2: null
		cur           string
	}
	for _, r := range []row{
		{"2026-03-01", "search", "brand", 10, 1000, 50, "EUR"},
		{"2026-03-01", "search", "generic", 20, -2, -2, ""},
		{"2026-03-02", "social", "", 5, 400, 8, "eur"},
		{"2026-03-02", "social", "launch", 7, 300, 9, "USD"}, // another currency
		{"2026-03-03", "display", "pros", 3, -1, 2, "EUR"},   // negative impressions
	} {
		b.Field(0).(*array.StringBuilder).Append(r.day)
		b.Field(1).(*array.StringBuilder).Append(r.tp)
		b.Field(2).(*array.StringBuilder).Append(r.camp)
		b.Field(3).(*array.Float64Builder).Append(r.cost)
		for i, v := range []int64{r.imps, r.clicks} {
			if v == -2 {
				b.Field(4 + i).(*array.Int64Builder).AppendNull()
			} else {
				b.Field(4 + i).(*array.Int64Builder).Append(v)
			}
		}
		if r.cur == "" {
			b.Field(6).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(6).(*array.StringBuilder).Append(r.cur)
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	sp := config.DefaultSpend()
	sp.Columns.Date, sp.Columns.Impressions = "day", "imps"
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := NewSpendReader(&sp, time.UTC, start, start.AddDate(1, 0, 0), "EUR")
	if err := r.Add(rec); err != nil {
		t.Fatal(err)
	}
	rows, read, rejected := r.Rows()
	day := func(d int) int64 { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC).UnixMicro() }
	nan := math.NaN()
	want := []kpi.SpendRow{
		{Day: day(1), Touchpoint: "search", Campaign: "brand", Cost: 10, Impressions: 1000, Clicks: 50},
		{Day: day(1), Touchpoint: "search", Campaign: "generic", Cost: 20, Impressions: nan, Clicks: nan},
		{Day: day(2), Touchpoint: "social", Campaign: "", Cost: 5, Impressions: 400, Clicks: 8},
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	if len(rows) != len(want) || read != 5 || rejected != 2 {
		t.Fatalf("rows %+v, read %d, rejected %d; want %d rows, 5 read, 2 rejected", rows, read, rejected, len(want))
	}
	for i, w := range want {
		g := rows[i]
		if g.Day != w.Day || g.Touchpoint != w.Touchpoint || g.Campaign != w.Campaign || g.Cost != w.Cost ||
			!same(g.Impressions, w.Impressions) || !same(g.Clicks, w.Clicks) {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
	if n, cur := r.OtherCurrency(); n != 1 || cur != "USD" {
		t.Errorf("other currency: %d rows of %q, want 1 of USD", n, cur)
	}
}
