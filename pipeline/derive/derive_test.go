package derive

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/expression"
)

func programs(t *testing.T, where string, derive map[string]string) *config.Programs {
	t.Helper()
	p := &config.Programs{Derive: map[string]*expression.Program{}}
	var err error
	if where != "" {
		if p.Where, err = expression.Compile(where, expression.Condition, false, "UTC"); err != nil {
			t.Fatal(err)
		}
	}
	for k, src := range derive {
		if p.Derive[k], err = expression.Compile(src, expression.Value, false, "UTC"); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// record builds a record of a naive timestamp column ts, a dictionary column tp and an int64
// column n (null in row 2).
func record(t *testing.T) arrow.Record {
	mem := memory.DefaultAllocator
	tb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Second})
	for _, s := range []int64{0, 3600, 7200} {
		tb.Append(arrow.Timestamp(s + 1772000000))
	}
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{0, 1, 0}, nil)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"email", "social"}, nil)
	dict := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, ib.NewArray(), sb.NewArray())
	nb := array.NewInt64Builder(mem)
	nb.AppendValues([]int64{1, 2, 3}, []bool{true, true, false})
	cols := []arrow.Array{tb.NewArray(), dict, nb.NewArray()}
	fields := []arrow.Field{{Name: "ts", Type: cols[0].DataType()}, {Name: "tp", Type: cols[1].DataType()}, {Name: "n", Type: cols[2].DataType()}}
	return array.NewRecord(arrow.NewSchema(fields, nil), cols, 3)
}

func TestApply(t *testing.T) {
	rec := record(t)
	defer rec.Release()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	set, err := Bind(programs(t, "tp != 'social'", map[string]string{
		"campaign": "upper(tp) + '-' + string(ts.Hour())", // a dictionary and a time
		"revenue":  "n * 2",
		"segment":  "'all'",
	}), rec.Schema(), "")
	if err != nil {
		t.Fatal(err)
	}
	var failures []string
	verdict, cols := set.Apply(rec, func(i int) bool { return false }, berlin, func(key string, row int, err error) {
		failures = append(failures, key)
	})
	if len(failures) != 0 || verdict[0] != Kept || verdict[1] != Filtered || verdict[2] != Kept {
		t.Fatalf("verdicts %v, failures %v", verdict, failures)
	}
	// A timestamp without zone is a wall-clock time in the source's zone: 06:13:20 stays 06.
	if got := cols["campaign"].(*array.String); got.Value(0) != "EMAIL-6" || !got.IsNull(1) || got.Value(2) != "EMAIL-8" {
		t.Errorf("campaign %v", got)
	}
	if got := cols["revenue"].(*array.Int64); got.Value(0) != 2 || !got.IsNull(2) {
		t.Errorf("revenue %v (a null input gives null)", got)
	}
	// A constant is a dictionary of one value: the mapping codes it once.
	if got, ok := cols["segment"].(*array.Dictionary); !ok || got.Dictionary().Len() != 1 || got.Dictionary().(*array.String).Value(got.GetValueIndex(2)) != "all" {
		t.Errorf("segment %v", cols["segment"])
	}
}

func TestBindNamesTheKey(t *testing.T) {
	rec := record(t)
	defer rec.Release()
	_, err := Bind(programs(t, "", map[string]string{"revenue": "qty * 2"}), rec.Schema(), "")
	var e *Error
	if !errors.As(err, &e) || e.Key != "source.derive.revenue" || !strings.Contains(err.Error(), `no column "qty" (it has "n", "tp", "ts")`) {
		t.Errorf("error %v", err)
	}
	_, err = Bind(programs(t, "tp > 3", nil), rec.Schema(), "")
	if !errors.As(err, &e) || e.Key != "source.where" {
		t.Errorf("error %v", err)
	}
}

// Every column type that expressions see as a number, a bool or a time is read as one: a value
// of such a column is not null to an expression.
func TestCellFuncReadsEveryTypedColumn(t *testing.T) {
	mem := memory.DefaultAllocator
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.FixedWidthTypes.Float16, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
		&arrow.Decimal128Type{Precision: 10, Scale: 2}, &arrow.Decimal256Type{Precision: 40, Scale: 2},
		arrow.FixedWidthTypes.Boolean,
		&arrow.TimestampType{Unit: arrow.Microsecond}, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
	}
	for _, typ := range types {
		b := array.NewBuilder(mem, typ)
		text := "1"
		if exprType(typ) == expression.Time {
			text = "2026-03-01"
		}
		if err := b.AppendValueFromString(text); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		a := b.NewArray()
		b.Release()
		v := cellFunc(a, time.UTC)(0)
		a.Release()
		var ok bool
		switch exprType(typ) {
		case expression.Int:
			_, ok = v.(int)
		case expression.Float:
			_, ok = v.(float64)
		case expression.Bool:
			_, ok = v.(bool)
		case expression.Time:
			_, ok = v.(time.Time)
		}
		if !ok {
			t.Errorf("%s (expression type %v): read as %#v", typ, exprType(typ), v)
		}
	}
}
