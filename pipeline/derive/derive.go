package derive

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/expression"
	"github.com/journeykpi/journeykpi/internal/fault"
)

// Verdict is what the expressions make of one row.
type Verdict uint8

// The verdicts.
const (
	// Kept: the row goes on to be mapped.
	Kept Verdict = iota
	// Skipped: the row was not looked at (a malformed row, rejected before).
	Skipped
	// Filtered: source.where is not true for the row.
	Filtered
	// WhereFailed: source.where could not be evaluated on the row (a null input is not a
	// failure: it filters the row).
	WhereFailed
	// DeriveFailed: an expression of source.derive could not be evaluated on the row.
	DeriveFailed
)

// Set is the source's expressions bound to one schema: compiled for its columns' types. It is
// safe for concurrent use.
type Set struct {
	where  *expression.Bound
	derive map[string]*expression.Bound
	keys   []string // derive's keys, sorted
}

// Error is an expression that does not fit the source's columns: a column it reads is missing,
// or their types do not go with it. It is the config's to fix.
type Error struct {
	Key string // source.derive.<name> or source.where
	Err error
}

func (e *Error) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Kind makes it a configuration error (exit 2).
func (e *Error) Kind() fault.Kind { return fault.Config }

// Bind compiles the config's expressions for a schema: the columns it has (skip names a column
// that is not the source's, such as a reader's marker of malformed rows) and their types. A
// column an expression reads that is missing, or types that do not fit it, give an *Error.
func Bind(progs *config.Programs, schema *arrow.Schema, skip string) (*Set, error) {
	types := make(map[string]expression.Type, schema.NumFields())
	unreadable := map[string]arrow.DataType{}
	for _, f := range schema.Fields() {
		if f.Name == skip {
			continue
		}
		t, ok := exprType(f.Type)
		if !ok {
			// Listed, so that an expression reading it is told its type rather than that it is
			// missing; refused below when an expression reads it.
			unreadable[f.Name], t = f.Type, expression.String
		}
		types[f.Name] = t
	}
	bind := func(key string, p *expression.Program) (*expression.Bound, error) {
		for _, c := range p.Columns() {
			if typ, ok := unreadable[c]; ok {
				return nil, &Error{key, fmt.Errorf("column %q has type %s, which expressions cannot read (they read integers, numbers, text, true/false, timestamps and dates)", c, typ)}
			}
		}
		b, err := p.Bind(types)
		if err != nil {
			return nil, &Error{key, err}
		}
		return b, nil
	}
	set := &Set{derive: map[string]*expression.Bound{}}
	if progs.Where != nil {
		b, err := bind("source.where", progs.Where)
		if err != nil {
			return nil, err
		}
		set.where = b
	}
	set.keys = slices.Sorted(maps.Keys(progs.Derive))
	for _, k := range set.keys {
		b, err := bind("source.derive."+k, progs.Derive[k])
		if err != nil {
			return nil, err
		}
		set.derive[k] = b
	}
	return set, nil
}

// exprType is how expressions see a column of Arrow type t; false when they cannot read it
// (cellFunc has no reader for it).
func exprType(t arrow.DataType) (expression.Type, bool) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return expression.Int, true
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return expression.Float, true
	case arrow.BOOL:
		return expression.Bool, true
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return expression.Time, true
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.NULL:
		return expression.String, true
	case arrow.DICTIONARY:
		return exprType(t.(*arrow.DictionaryType).ValueType)
	}
	return expression.Unknown, false
}

// cellFunc returns row i of a as an expression sees it: nil for null, else an int, float64,
// string, bool or time.Time, or an error for a value expressions cannot hold (an unsigned
// integer above the largest int). Times without a zone are read in loc. It reads the types
// exprType accepts; any other column is all null.
func cellFunc(a arrow.Array, loc *time.Location) func(i int) any {
	switch c := a.(type) {
	case *array.Int64:
		return intCell(c, c.Int64Values())
	case *array.Int32:
		return intCell(c, c.Int32Values())
	case *array.Int16:
		return intCell(c, c.Int16Values())
	case *array.Int8:
		return intCell(c, c.Int8Values())
	case *array.Uint64:
		return intCell(c, c.Uint64Values())
	case *array.Uint32:
		return intCell(c, c.Uint32Values())
	case *array.Uint16:
		return intCell(c, c.Uint16Values())
	case *array.Uint8:
		return intCell(c, c.Uint8Values())
	case *array.Float64:
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i) }) }
	case *array.Float32:
		return func(i int) any { return nullOr(c, i, func() any { return float64(c.Value(i)) }) }
	case *array.Float16:
		return func(i int) any { return nullOr(c, i, func() any { return float64(c.Value(i).Float32()) }) }
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i).ToFloat64(scale) }) }
	case *array.Decimal256:
		scale := c.DataType().(*arrow.Decimal256Type).Scale
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i).ToFloat64(scale) }) }
	case *array.Boolean:
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i) }) }
	case *array.Dictionary:
		vals := cellFunc(c.Dictionary(), loc)
		return func(i int) any {
			if c.IsNull(i) {
				return nil
			}
			return vals(c.GetValueIndex(i))
		}
	case *array.Timestamp:
		tt := c.DataType().(*arrow.TimestampType)
		toTime, _ := tt.GetToTimeFunc()
		return func(i int) any {
			if c.IsNull(i) {
				return nil
			}
			t := toTime(c.Value(i))
			if tt.TimeZone == "" {
				// A timestamp without zone is a wall-clock time in the source's zone.
				return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
			}
			return t.In(loc)
		}
	case *array.Date32:
		return func(i int) any {
			if c.IsNull(i) {
				return nil
			}
			d := c.Value(i).ToTime()
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		}
	case *array.Date64:
		return func(i int) any {
			if c.IsNull(i) {
				return nil
			}
			d := c.Value(i).ToTime()
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		}
	case *array.String:
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i) }) }
	case *array.LargeString:
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i) }) }
	case *array.Binary:
		return func(i int) any { return nullOr(c, i, func() any { return string(c.Value(i)) }) }
	}
	return func(int) any { return nil }
}

// intCell reads an integer column of values vals as ints. An unsigned value above the largest
// int is an error rather than a negative number: an id or amount that wrapped around would
// silently compare and compute as another one.
func intCell[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](a arrow.Array, vals []T) func(i int) any {
	return func(i int) any {
		if a.IsNull(i) {
			return nil
		}
		v := vals[i]
		if v > 0 && int64(v) < 0 {
			return fmt.Errorf("%d is beyond the largest integer expressions read (%d)", uint64(v), math.MaxInt64)
		}
		return int(v)
	}
}

func nullOr(a arrow.Array, i int, v func() any) any {
	if a.IsNull(i) {
		return nil
	}
	return v()
}

// exprInputs are the columns one expression reads, over one record.
type exprInputs struct {
	cells []func(int) any
	// When every input is a dictionary array with few combinations of values, the expression is
	// evaluated once per combination: idx gives a row's dictionary indices, strides combine them.
	dicts   []*array.Dictionary
	strides []int
	combos  int
}

// maxCombos bounds the dictionary combinations evaluated once each per batch.
const maxCombos = 1 << 16

func newExprInputs(b *expression.Bound, rec arrow.Record, loc *time.Location) exprInputs {
	var in exprInputs
	combos := 1
	allDict := true
	for _, c := range b.Columns() {
		a := rec.Column(rec.Schema().FieldIndices(c)[0])
		in.cells = append(in.cells, cellFunc(a, loc))
		d, ok := a.(*array.Dictionary)
		if !ok {
			allDict = false
			continue
		}
		in.dicts = append(in.dicts, d)
		in.strides = append(in.strides, combos)
		// One more slot per dictionary for null.
		combos *= d.Dictionary().Len() + 1
		if combos > maxCombos {
			allDict = false
		}
	}
	if allDict && len(in.dicts) > 0 {
		in.combos = combos
	} else {
		in.dicts = nil
	}
	return in
}

// combo returns row i's combination of dictionary values.
func (in *exprInputs) combo(i int) int {
	k := 0
	for j, d := range in.dicts {
		idx := 0
		if d.IsValid(i) {
			idx = d.GetValueIndex(i) + 1
		}
		k += idx * in.strides[j]
	}
	return k
}

// eval evaluates b on the rows of rec whose verdict is Kept, calling out for each with its value
// or error, and the slot of the value: rows of one slot have the same value (a constant's rows, or
// one combination of dictionary values); -1 when the value was evaluated for the row alone.
func eval(b *expression.Bound, rec arrow.Record, loc *time.Location, verdict []Verdict, out func(i int, v any, err error, slot int)) {
	n := int(rec.NumRows())
	if v, ok := b.Constant(); ok {
		for i := 0; i < n; i++ {
			if verdict[i] == Kept {
				out(i, v, nil, 0)
			}
		}
		return
	}
	in := newExprInputs(b, rec, loc)
	ev := b.NewEvaluator()
	vals := make([]any, len(in.cells))
	row := func(i int) (any, error) {
		for j, f := range in.cells {
			v := f(i)
			if err, ok := v.(error); ok {
				return nil, fmt.Errorf("column %q: %w", b.Columns()[j], err)
			}
			vals[j] = v
		}
		return ev.Eval(vals)
	}
	if in.combos == 0 {
		for i := 0; i < n; i++ {
			if verdict[i] == Kept {
				v, err := row(i)
				out(i, v, err, -1)
			}
		}
		return
	}
	type memo struct {
		done bool
		v    any
		err  error
	}
	cache := make([]memo, in.combos)
	for i := 0; i < n; i++ {
		if verdict[i] != Kept {
			continue
		}
		k := in.combo(i)
		m := &cache[k]
		if !m.done {
			m.v, m.err = row(i)
			m.done = true
		}
		out(i, m.v, m.err, k)
	}
}

// Apply evaluates the expressions on rec, whose rows skip says are not to be looked at: the
// verdict of each row and the derived columns by name, null on the rows not kept, read with times
// without zone in loc. The caller releases the arrays. failed receives each evaluation error,
// with the key of the expression.
func (set *Set) Apply(rec arrow.Record, skip func(i int) bool, loc *time.Location, failed func(key string, row int, err error)) ([]Verdict, map[string]arrow.Array) {
	n := int(rec.NumRows())
	verdict := make([]Verdict, n)
	for i := range verdict {
		if skip(i) {
			verdict[i] = Skipped
		}
	}
	if set.where != nil {
		eval(set.where, rec, loc, verdict, func(i int, v any, err error, _ int) {
			switch {
			case err != nil:
				verdict[i] = WhereFailed
				failed("source.where", i, err)
			case v != true:
				verdict[i] = Filtered
			}
		})
	}
	derived := make(map[string]arrow.Array, len(set.keys))
	for _, k := range set.keys {
		b := set.derive[k]
		vb := newValueBuilder(b.Out(), n)
		eval(b, rec, loc, verdict, func(i int, v any, err error, slot int) {
			if err != nil {
				verdict[i] = DeriveFailed
				failed("source.derive."+k, i, err)
				return
			}
			vb.set(i, v, slot)
		})
		derived[k] = vb.array()
	}
	return verdict, derived
}

// valueBuilder collects one derived column's values and builds its Arrow array, of the type the
// expression gives: numbers as float64 (integers as int64), text as strings, times as
// timestamps. When the type is known only per row, every value is written as text and parsed
// by the contract's decoders like a CSV column.
type valueBuilder struct {
	typ   expression.Type
	valid []bool
	f     []float64
	i     []int64
	s     []string
	t     []int64
	// Text of few distinct values (slots) is built as a dictionary array: each value once, the
	// rows its index, so that the mapping codes each value once rather than each row.
	dict   bool
	index  []int32 // per row: its value's index in values
	values []string
	slotAt map[int]int32
}

func newValueBuilder(t expression.Type, n int) *valueBuilder {
	vb := &valueBuilder{typ: t, valid: make([]bool, n)}
	switch t {
	case expression.Float:
		vb.f = make([]float64, n)
	case expression.Int:
		vb.i = make([]int64, n)
	case expression.Time:
		vb.t = make([]int64, n)
	default:
		vb.s = make([]string, n)
	}
	return vb
}

func (vb *valueBuilder) set(i int, v any, slot int) {
	if v == nil {
		return
	}
	vb.valid[i] = true
	if slot >= 0 && (vb.typ == expression.String || vb.typ == expression.Unknown) {
		if !vb.dict {
			vb.dict, vb.index, vb.slotAt = true, make([]int32, len(vb.valid)), map[int]int32{}
		}
		at, ok := vb.slotAt[slot]
		if !ok {
			at = int32(len(vb.values))
			vb.values = append(vb.values, textOf(v))
			vb.slotAt[slot] = at
		}
		vb.index[i] = at
		return
	}
	switch vb.typ {
	case expression.Float:
		switch x := v.(type) {
		case float64:
			vb.f[i] = x
		case int:
			vb.f[i] = float64(x)
		default:
			vb.valid[i] = false
		}
	case expression.Int:
		if x, ok := v.(int); ok {
			vb.i[i] = int64(x)
		} else {
			vb.valid[i] = false
		}
	case expression.Time:
		if x, ok := v.(time.Time); ok {
			vb.t[i] = x.UnixMicro()
		} else {
			vb.valid[i] = false
		}
	default:
		vb.s[i] = textOf(v)
	}
}

// textOf writes a value as the text a CSV file would hold.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

func (vb *valueBuilder) array() arrow.Array {
	mem := memory.DefaultAllocator
	if vb.dict {
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		ib.AppendValues(vb.index, vb.valid)
		idx := ib.NewArray()
		defer idx.Release()
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		sb.AppendValues(vb.values, nil)
		vals := sb.NewArray()
		defer vals.Release()
		return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, idx, vals)
	}
	switch vb.typ {
	case expression.Float:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(vb.f, vb.valid)
		return b.NewArray()
	case expression.Int:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vb.i, vb.valid)
		return b.NewArray()
	case expression.Time:
		b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
		defer b.Release()
		for i, us := range vb.t {
			if vb.valid[i] {
				b.Append(arrow.Timestamp(us))
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray()
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vb.s, vb.valid)
	return b.NewArray()
}
