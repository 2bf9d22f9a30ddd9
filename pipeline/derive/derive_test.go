package derive

import (
	"errors"
	"fmt"
	"math"
	"slices"
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
		et, ok := exprType(typ)
		if !ok {
			t.Errorf("%s: expressions do not read it", typ)
			continue
		}
		b := array.NewBuilder(mem, typ)
		text := "1"
		if et == expression.Time {
			text = "2026-03-01"
		}
		if err := b.AppendValueFromString(text); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		a := b.NewArray()
		b.Release()
		v := cellFunc(a, time.UTC)(0)
		a.Release()
		ok = false
		switch et {
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
			t.Errorf("%s (expression type %v): read as %#v", typ, et, v)
		}
	}
}

// A column of a type expressions cannot read (binary too large for text, times of day,
// durations, lists, structs) is refused when an expression reads it, naming the column and its
// type, rather than read as all null, which would filter every row or derive nothing. A file
// may hold such columns that no expression reads.
func TestBindRefusesColumnsExpressionsCannotRead(t *testing.T) {
	types := []arrow.DataType{
		arrow.BinaryTypes.LargeBinary, arrow.FixedWidthTypes.Time32s, arrow.FixedWidthTypes.Time64us,
		arrow.FixedWidthTypes.Duration_s, arrow.ListOf(arrow.PrimitiveTypes.Int64),
		arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}),
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.FixedWidthTypes.Time32s},
	}
	for _, typ := range types {
		schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: typ}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		var e *Error
		_, err := Bind(programs(t, "x != nil", nil), schema, "")
		if !errors.As(err, &e) || e.Key != "source.where" || !strings.Contains(err.Error(), `column "x" has type `+typ.String()) {
			t.Errorf("%s in source.where: error %v", typ, err)
		}
		_, err = Bind(programs(t, "", map[string]string{"campaign": "string(x)"}), schema, "")
		if !errors.As(err, &e) || e.Key != "source.derive.campaign" || !strings.Contains(err.Error(), `column "x" has type `+typ.String()) {
			t.Errorf("%s in source.derive: error %v", typ, err)
		}
		if _, err := Bind(programs(t, "n > 0", map[string]string{"revenue": "n * 2"}), schema, ""); err != nil {
			t.Errorf("%s read by no expression: %v", typ, err)
		}
	}
}

// An unsigned 64-bit value above the largest int fails the row, naming the column, rather than
// reading as a negative number: as a where it is where_failed, not filtered or kept; as a derived
// value it is derive_failed, not another number.
func TestUint64BeyondIntFailsTheRow(t *testing.T) {
	b := array.NewUint64Builder(memory.DefaultAllocator)
	b.AppendValues([]uint64{7, math.MaxUint64, 0}, []bool{true, true, false})
	col := b.NewArray()
	b.Release()
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "n", Type: col.DataType()}}, nil), []arrow.Array{col}, 3)
	col.Release()
	defer rec.Release()
	for _, c := range []struct {
		where, derive string
		want          []Verdict
		key           string
	}{
		{"n > 0", "", []Verdict{Kept, WhereFailed, Filtered}, "source.where"},
		{"", "n + 1", []Verdict{Kept, DeriveFailed, Kept}, "source.derive.revenue"},
	} {
		var derive map[string]string
		if c.derive != "" {
			derive = map[string]string{"revenue": c.derive}
		}
		set, err := Bind(programs(t, c.where, derive), rec.Schema(), "")
		if err != nil {
			t.Fatal(err)
		}
		var failures []string
		verdict, cols := set.Apply(rec, func(int) bool { return false }, time.UTC, func(key string, row int, err error) {
			failures = append(failures, fmt.Sprintf("%s row %d: %v", key, row, err))
		})
		if !slices.Equal(verdict, c.want) {
			t.Errorf("%s%s: verdicts %v, want %v", c.where, c.derive, verdict, c.want)
		}
		if len(failures) != 1 || !strings.HasPrefix(failures[0], c.key+" row 1: ") || !strings.Contains(failures[0], `column "n": 18446744073709551615 is beyond`) {
			t.Errorf("%s%s: failures %q", c.where, c.derive, failures)
		}
		if got, ok := cols["revenue"].(*array.Int64); c.derive != "" && (!ok || got.Value(0) != 8 || !got.IsNull(1) || !got.IsNull(2)) {
			t.Errorf("derived %v", cols["revenue"])
		}
		for _, a := range cols {
			a.Release()
		}
	}
}
