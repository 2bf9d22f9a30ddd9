package rowpages

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	bigquery "cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"google.golang.org/api/iterator"
)

// rowBatch is how many rows of the row-page fallback go into one record.
const rowBatch = 8192

// arrowType is the Arrow type the Storage Read API gives a BigQuery column; the row fallback
// builds the same, so the pipeline sees one shape either way. Nested and rarer types become text.
func arrowType(t bigquery.FieldType) arrow.DataType {
	switch t {
	case bigquery.StringFieldType:
		return arrow.BinaryTypes.String
	case bigquery.IntegerFieldType:
		return arrow.PrimitiveTypes.Int64
	case bigquery.FloatFieldType, bigquery.NumericFieldType, bigquery.BigNumericFieldType:
		return arrow.PrimitiveTypes.Float64
	case bigquery.BooleanFieldType:
		return arrow.FixedWidthTypes.Boolean
	case bigquery.TimestampFieldType:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case bigquery.DateFieldType:
		return arrow.FixedWidthTypes.Date32
	case bigquery.DateTimeFieldType:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	}
	return arrow.BinaryTypes.String
}

// Schema maps a BigQuery schema onto Arrow, as the Storage Read API gives it.
func Schema(s bigquery.Schema) *arrow.Schema {
	fields := make([]arrow.Field, len(s))
	for i, f := range s {
		typ := arrowType(f.Type)
		if f.Repeated || f.Type == bigquery.RecordFieldType {
			typ = arrow.BinaryTypes.String
		}
		fields[i] = arrow.Field{Name: f.Name, Type: typ, Nullable: !f.Required}
	}
	return arrow.NewSchema(fields, nil)
}

// Read converts the row pages of it into Arrow records of 8,192 rows and emits them, one at a
// time; it returns the rows emitted.
func Read(it *bigquery.RowIterator, mem memory.Allocator, emit func(arrow.Record) error) (int64, error) {
	var b *array.RecordBuilder
	var schema bigquery.Schema
	defer func() {
		if b != nil {
			b.Release()
		}
	}()
	var rows int64
	flush := func() error {
		if b == nil || b.Field(0).Len() == 0 {
			return nil
		}
		rec := b.NewRecord()
		defer rec.Release()
		return emit(rec)
	}
	for {
		var vals []bigquery.Value
		err := it.Next(&vals)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return rows, err
		}
		if b == nil {
			schema = it.Schema
			if len(schema) == 0 {
				return rows, fmt.Errorf("row pages came without a schema")
			}
			b = array.NewRecordBuilder(mem, Schema(schema))
		}
		for i, v := range vals {
			if err := appendValue(b.Field(i), v); err != nil {
				return rows, fmt.Errorf("column %q: %w", schema[i].Name, err)
			}
		}
		rows++
		if b.Field(0).Len() >= rowBatch {
			if err := flush(); err != nil {
				return rows, err
			}
		}
	}
	return rows, flush()
}

func appendValue(b array.Builder, v bigquery.Value) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		if s, ok := v.(string); ok {
			bb.Append(s)
		} else {
			bb.Append(fmt.Sprint(v))
		}
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%T is not an integer", v)
		}
		bb.Append(x)
	case *array.Float64Builder:
		switch x := v.(type) {
		case float64:
			bb.Append(x)
		case *big.Rat:
			f, _ := x.Float64()
			bb.Append(f)
		default:
			return fmt.Errorf("%T is not a number", v)
		}
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%T is not a boolean", v)
		}
		bb.Append(x)
	case *array.TimestampBuilder:
		switch x := v.(type) {
		case time.Time:
			bb.Append(arrow.Timestamp(x.UnixMicro()))
		case civil.DateTime:
			bb.Append(arrow.Timestamp(x.In(time.UTC).UnixMicro()))
		default:
			return fmt.Errorf("%T is not a timestamp", v)
		}
	case *array.Date32Builder:
		x, ok := v.(civil.Date)
		if !ok {
			return fmt.Errorf("%T is not a date", v)
		}
		bb.Append(arrow.Date32FromTime(x.In(time.UTC)))
	default:
		return fmt.Errorf("no builder for %T", b)
	}
	return nil
}
