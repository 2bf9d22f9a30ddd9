package bqfake

import (
	"bytes"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TestSerializeRoundTrip checks the wire form the client relies on: the schema message followed
// by a batch message reads back as the original record.
func TestSerializeRoundTrip(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b", "c"}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, []bool{true, false, true})
	rec := b.NewRecord()
	defer rec.Release()

	head, err := serializeSchema(schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []arrow.Record{rec, rec.NewSlice(1, 3)} {
		data, err := serializeBatch(part, false)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ipc.NewReader(bytes.NewReader(append(append([]byte{}, head...), data...)))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Next() {
			t.Fatalf("no record: %v", r.Err())
		}
		if !array.RecordEqual(r.Record(), part) {
			t.Errorf("read back %v, want %v", r.Record(), part)
		}
		r.Release()
	}
}
