package ingest

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// CheckType must refuse exactly the types the decoders a run uses refuse, so that validate and
// run agree.
func TestCheckTypeAgreesWithTheDecoders(t *testing.T) {
	types := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary, arrow.Null,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint64,
		arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float32,
		arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
		arrow.FixedWidthTypes.Timestamp_us, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"},
		&arrow.Decimal128Type{Precision: 10, Scale: 2},
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String},
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.PrimitiveTypes.Float64},
		arrow.ListOf(arrow.BinaryTypes.String),
	}
	// The readers Mapper.Add makes of each column.
	decoders := map[string]func(arrow.Array) error{
		"customer_id": func(a arrow.Array) error { _, err := newKeyReader(a, "c"); return err },
		"order_id":    func(a arrow.Array) error { _, err := newKeyReader(a, "c"); return err },
		"event_time":  func(a arrow.Array) error { _, err := newTimeReader(a, TimeReading{Loc: time.UTC}, "c"); return err },
		"revenue":     func(a arrow.Array) error { _, err := newNumberReader(a, "c", checkRevenue); return err },
		"touchpoint":  func(a arrow.Array) error { _, err := stringColumn(a, "c"); return err },
	}
	for _, typ := range types {
		a := array.MakeArrayOfNull(memory.DefaultAllocator, typ, 0)
		for canonical, decode := range decoders {
			derr, cerr := decode(a), CheckType(canonical, "c", typ)
			if (derr == nil) != (cerr == nil) {
				t.Errorf("%s as %s: decoder says %v, CheckType says %v", typ, canonical, derr, cerr)
			}
		}
		a.Release()
	}
}
