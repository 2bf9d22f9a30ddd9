package ingest

import (
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest/arrowcol"
)

// The column readers (package arrowcol) under the names the mapping uses.
type (
	keyFunc   = arrowcol.KeyFunc
	timeFunc  = arrowcol.TimeFunc
	floatFunc = arrowcol.FloatFunc
	epochInts = arrowcol.EpochInts
	// TimeReading says how event_time values are read.
	TimeReading = arrowcol.TimeReading
	// TimeUnitError is a column of integer times that are not epoch microseconds.
	TimeUnitError = arrowcol.TimeUnitError
)

func hashString(s string) uint64                                { return arrowcol.HashString(s) }
func hashInt(v int64) uint64                                    { return arrowcol.HashInt(v) }
func keyColumn(a arrow.Array, name string) (keyFunc, error)     { return arrowcol.Keys(a, name) }
func floatColumn(a arrow.Array, name string) (floatFunc, error) { return arrowcol.Floats(a, name) }
func stringColumn(a arrow.Array, name string) (func(int) (string, bool), error) {
	return arrowcol.Strings(a, name)
}
func timeColumn(a arrow.Array, r TimeReading, name string) (timeFunc, *epochInts, error) {
	return arrowcol.Times(a, r, name)
}

// CheckType says whether a source column name of type typ can be read as contract column
// canonical (arrowcol.CheckType).
func CheckType(canonical, name string, typ arrow.DataType) error {
	return arrowcol.CheckType(canonical, name, typ)
}

// codes interns a string column into dict; nil when the column is absent. Null → code 0. The
// codes go in buf when it is large enough.
func codes(a arrow.Array, dict *kpi.Dict, name string, buf []uint32) ([]uint32, error) {
	if a == nil {
		return nil, nil
	}
	out := buf
	if cap(out) < a.Len() {
		out = make([]uint32, a.Len())
	}
	out = out[:a.Len()]
	if d, ok := a.(*array.Dictionary); ok {
		vals, err := stringColumn(d.Dictionary(), name)
		if err != nil {
			return nil, err
		}
		m := make([]uint32, d.Dictionary().Len())
		for j := range m {
			if s, ok := vals(j); ok {
				m[j] = intern(dict, strings.TrimSpace(s))
			}
		}
		nulls := d.NullN() > 0
		if ix := dictIndices(d); ix != nil {
			for i, j := range ix {
				if nulls && d.IsNull(i) {
					out[i] = 0
					continue
				}
				out[i] = m[j]
			}
			return out, nil
		}
		for i := range out {
			out[i] = 0
			if d.IsValid(i) {
				out[i] = m[d.GetValueIndex(i)]
			}
		}
		return out, nil
	}
	str, err := stringColumn(a, name)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = 0
		if s, ok := str(i); ok {
			out[i] = intern(dict, strings.TrimSpace(s))
		}
	}
	return out, nil
}

// intern returns s's code in dict. A new value is copied first: Arrow strings point into the
// record's buffers, which a source may reuse after emit returns, and which a string kept in the
// dictionary would otherwise hold in memory for the whole run.
func intern(dict *kpi.Dict, s string) uint32 {
	if c, ok := dict.Lookup(s); ok {
		return c
	}
	return dict.Code(strings.Clone(s))
}
