package ingest

import (
	"fmt"
	"maps"
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

// Reasons a row is rejected by the source's expressions.
const (
	// RejectWhereFailed: source.where could not be evaluated on the row (not a null input: those
	// make the row filtered).
	RejectWhereFailed = "where_failed"
	// RejectDeriveFailed: an expression of source.derive could not be evaluated on the row.
	RejectDeriveFailed = "derive_failed"
)

// Per-row verdicts of the expressions.
const (
	rowKept uint8 = iota
	rowFiltered
	rowWhereFailed
	rowDeriveFailed
)

// exprSet is the source's expressions bound to one schema.
type exprSet struct {
	where  *expression.Bound
	derive map[string]*expression.Bound
	keys   []string // derive's keys, sorted
}

// ExpressionError is an expression that does not fit the source's columns: a column it reads is
// missing, or their types do not go with it. It is the config's to fix.
type ExpressionError struct {
	Key string // source.derive.<name> or source.where
	Err error
}

func (e *ExpressionError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *ExpressionError) Unwrap() error { return e.Err }

// Kind makes it a configuration error (exit 2).
func (e *ExpressionError) Kind() fault.Kind { return fault.Config }

// CheckExpressions says whether the config's expressions fit a schema (the columns it has and
// their types): nil when they do, else the *ExpressionError a run would fail with. validate uses
// it to refuse what a run would.
func CheckExpressions(progs *config.Programs, schema *arrow.Schema) error {
	_, err := bindExpressions(progs, schema)
	return err
}

// bindExpressions compiles the config's expressions for a schema.
func bindExpressions(progs *config.Programs, schema *arrow.Schema) (*exprSet, error) {
	types := make(map[string]expression.Type, schema.NumFields())
	for _, f := range schema.Fields() {
		if f.Name == malformedColumn {
			continue
		}
		types[f.Name] = exprType(f.Type)
	}
	set := &exprSet{derive: map[string]*expression.Bound{}}
	if progs.Where != nil {
		b, err := progs.Where.Bind(types)
		if err != nil {
			return nil, &ExpressionError{"source.where", err}
		}
		set.where = b
	}
	set.keys = slices.Sorted(maps.Keys(progs.Derive))
	for _, k := range set.keys {
		b, err := progs.Derive[k].Bind(types)
		if err != nil {
			return nil, &ExpressionError{"source.derive." + k, err}
		}
		set.derive[k] = b
	}
	return set, nil
}

// exprType is how expressions see a column of Arrow type t.
func exprType(t arrow.DataType) expression.Type {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return expression.Int
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return expression.Float
	case arrow.BOOL:
		return expression.Bool
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return expression.Time
	case arrow.DICTIONARY:
		return exprType(t.(*arrow.DictionaryType).ValueType)
	}
	return expression.String
}

// cellFunc returns row i of a as an expression sees it: nil for null, else an int, float64,
// string, bool or time.Time. Times without a zone are read in loc.
func cellFunc(a arrow.Array, loc *time.Location) func(i int) any {
	switch c := a.(type) {
	case *array.Int64:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Int32:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Int16:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Int8:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Uint64:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Uint32:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Uint16:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Uint8:
		return func(i int) any { return nullOr(c, i, func() any { return int(c.Value(i)) }) }
	case *array.Float64:
		return func(i int) any { return nullOr(c, i, func() any { return c.Value(i) }) }
	case *array.Float32:
		return func(i int) any { return nullOr(c, i, func() any { return float64(c.Value(i)) }) }
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
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
	case *array.Timestamp, *array.Date32:
		us, _, _ := timeColumn(a, TimeReading{Loc: loc}, "")
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			t, _ := us(i)
			return time.UnixMicro(t).In(loc)
		}
	}
	str, err := stringColumn(a, "")
	if err != nil {
		return func(int) any { return nil }
	}
	return func(i int) any {
		s, ok := str(i)
		if !ok {
			return nil
		}
		return s
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
		a := column(rec, c)
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

// eval evaluates b on the rows of rec whose verdict is rowKept, calling out for each with its
// value or error.
func eval(b *expression.Bound, rec arrow.Record, loc *time.Location, verdict []uint8, out func(i int, v any, err error)) {
	n := int(rec.NumRows())
	if v, ok := b.Constant(); ok {
		for i := 0; i < n; i++ {
			if verdict[i] == rowKept {
				out(i, v, nil)
			}
		}
		return
	}
	in := newExprInputs(b, rec, loc)
	ev := b.NewEvaluator()
	vals := make([]any, len(in.cells))
	row := func(i int) (any, error) {
		for j, f := range in.cells {
			vals[j] = f(i)
		}
		return ev.Eval(vals)
	}
	if in.combos == 0 {
		for i := 0; i < n; i++ {
			if verdict[i] == rowKept {
				v, err := row(i)
				out(i, v, err)
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
		if verdict[i] != rowKept {
			continue
		}
		m := &cache[in.combo(i)]
		if !m.done {
			m.v, m.err = row(i)
			m.done = true
		}
		out(i, m.v, m.err)
	}
}

// applyExprs evaluates the expressions on rec: the verdict of each row (kept, filtered or
// failed) and the derived columns by name, null on the rows not kept. The caller releases the
// arrays. firstErr receives the first evaluation error of each key.
func applyExprs(set *exprSet, rec arrow.Record, loc *time.Location, firstErr func(key string, row int, err error)) ([]uint8, map[string]arrow.Array) {
	n := int(rec.NumRows())
	verdict := make([]uint8, n)
	if mal, ok := column(rec, malformedColumn).(*array.Boolean); ok {
		for i := range verdict {
			if mal.IsValid(i) && mal.Value(i) {
				verdict[i] = rowFiltered // rejected as malformed before the verdict is read
			}
		}
	}
	if set.where != nil {
		eval(set.where, rec, loc, verdict, func(i int, v any, err error) {
			switch {
			case err != nil:
				verdict[i] = rowWhereFailed
				firstErr("source.where", i, err)
			case v != true:
				verdict[i] = rowFiltered
			}
		})
	}
	derived := make(map[string]arrow.Array, len(set.keys))
	for _, k := range set.keys {
		b := set.derive[k]
		vb := newValueBuilder(b.Out(), n)
		eval(b, rec, loc, verdict, func(i int, v any, err error) {
			if err != nil {
				verdict[i] = rowDeriveFailed
				firstErr("source.derive."+k, i, err)
				return
			}
			vb.set(i, v)
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

func (vb *valueBuilder) set(i int, v any) {
	if v == nil {
		return
	}
	vb.valid[i] = true
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
