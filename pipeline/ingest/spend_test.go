package ingest

import (
	"context"
	"testing"
	"time"

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
	r := NewSpendReader(nil, time.UTC, start, start.AddDate(1, 0, 0))
	if err := (reusingSpend{}).Read(context.Background(), start, start.AddDate(1, 0, 0), r.Add); err != nil {
		t.Fatal(err)
	}
	rows, _, _ := r.Rows()
	if len(rows) != 1 || rows[0].Touchpoint != "email" {
		t.Errorf("spend rows %+v after the batch's memory was reused", rows)
	}
}
