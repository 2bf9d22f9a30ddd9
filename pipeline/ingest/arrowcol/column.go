package arrowcol

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/journeykpi/journeykpi/internal/fault"
)

// Reasons an event_time is refused; the keys of data_quality.rejected_by_reason.
const (
	TimeMissing     = "event_time_missing"
	TimeUnparseable = "event_time_unparseable"
	TimeOutOfRange  = "event_time_out_of_range"
)

// The plausible event times, in Unix micros.
const (
	MinPlausibleMicros = int64(0)                // 1970-01-01
	MaxPlausibleMicros = int64(7258118400000000) // 2200-01-01
)

// KeyFunc returns row i's key and whether it has one.
type KeyFunc func(i int) (uint64, bool)

// TimeFunc returns row i's time in Unix micros, or the reason it has none.
type TimeFunc func(i int) (int64, string)

// FloatFunc returns row i's value; null means absent; !ok means present but not a number.
type FloatFunc func(i int) (v float64, null, ok bool)

// HashString is FNV-1a 64: stable across runs and machines, so partitions are too. 0 is kept
// for "no key".
func HashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// HashInt is HashString of v's decimal text, without making the string: an integer id and its
// text are one key. The digits are written two at a time into a buffer on the stack, which
// halves the cost of strconv.AppendInt's general path on the millions of ids a file holds.
func HashInt(v int64) uint64 {
	var buf [20]byte
	i := len(buf)
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for u >= 100 {
		q := u / 100
		d := (u - q*100) * 2
		i -= 2
		buf[i], buf[i+1] = digitPairs[d], digitPairs[d+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[u*2], digitPairs[u*2+1]
	} else {
		i--
		buf[i] = byte('0' + u)
	}
	if v < 0 {
		i--
		buf[i] = '-'
	}
	h := uint64(14695981039346656037)
	for _, c := range buf[i:] {
		h ^= uint64(c)
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// digitPairs holds the two decimal digits of 0..99, each at twice its value.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// HashUint is HashInt for an unsigned integer.
func HashUint(v uint64) uint64 {
	if v <= math.MaxInt64 {
		return HashInt(int64(v))
	}
	return HashString(strconv.FormatUint(v, 10))
}

// Keys reads a key (customer_id, order_id): integers as their decimal text, text with its
// surrounding spaces trimmed, both hashed, so that 7, "7" and " 7" are one key whatever the type
// of the column in each file. Null, empty or blank is no key.
func Keys(a arrow.Array, name string) (KeyFunc, error) {
	intKey := func(valid func(int) bool, v func(int) int64) KeyFunc {
		return func(i int) (uint64, bool) {
			if !valid(i) {
				return 0, false
			}
			return HashInt(v(i)), true
		}
	}
	switch c := a.(type) {
	case *array.Int64:
		return intKey(c.IsValid, func(i int) int64 { return c.Value(i) }), nil
	case *array.Int32:
		return intKey(c.IsValid, func(i int) int64 { return int64(c.Value(i)) }), nil
	case *array.Int16:
		return intKey(c.IsValid, func(i int) int64 { return int64(c.Value(i)) }), nil
	case *array.Uint32:
		return intKey(c.IsValid, func(i int) int64 { return int64(c.Value(i)) }), nil
	case *array.Uint64:
		return func(i int) (uint64, bool) {
			if c.IsNull(i) {
				return 0, false
			}
			return HashUint(c.Value(i)), true
		}, nil
	case *array.Null:
		return func(int) (uint64, bool) { return 0, false }, nil
	}
	if d, ok := a.(*array.Dictionary); ok {
		hs, err := DictionaryKeys(d, name)
		if err != nil {
			return nil, err
		}
		return func(i int) (uint64, bool) {
			if d.IsNull(i) {
				return 0, false
			}
			h := hs[d.GetValueIndex(i)]
			return h, h != 0
		}, nil
	}
	str, err := Strings(a, name)
	if err != nil {
		return nil, err
	}
	return func(i int) (uint64, bool) {
		s, ok := str(i)
		if !ok {
			return 0, false
		}
		if s = strings.TrimSpace(s); s == "" {
			return 0, false
		}
		return HashString(s), true
	}, nil
}

// DictionaryKeys hashes each value of a dictionary key column once, as Keys reads text: the
// key of the value at each index, 0 for a null or blank one.
func DictionaryKeys(d *array.Dictionary, name string) ([]uint64, error) {
	dict, err := Strings(d.Dictionary(), name)
	if err != nil {
		return nil, err
	}
	hs := make([]uint64, d.Dictionary().Len())
	for j := range hs {
		if s, ok := dict(j); ok {
			if s = strings.TrimSpace(s); s != "" {
				hs[j] = HashString(s)
			}
		}
	}
	return hs, nil
}

// Strings reads string-like arrays: string, large string, dictionary of strings.
func Strings(a arrow.Array, name string) (func(int) (string, bool), error) {
	switch c := a.(type) {
	case *array.String:
		return func(i int) (string, bool) { return c.Value(i), c.IsValid(i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return c.Value(i), c.IsValid(i) }, nil
	case *array.Binary:
		return func(i int) (string, bool) { return string(c.Value(i)), c.IsValid(i) }, nil
	case *array.Dictionary:
		vals, err := Strings(c.Dictionary(), name)
		if err != nil {
			return nil, err
		}
		return func(i int) (string, bool) {
			if c.IsNull(i) {
				return "", false
			}
			return vals(c.GetValueIndex(i))
		}, nil
	case *array.Null:
		return func(int) (string, bool) { return "", false }, nil
	case *array.Int64:
		return func(i int) (string, bool) { return strconv.FormatInt(c.Value(i), 10), c.IsValid(i) }, nil
	}
	return nil, fmt.Errorf("column %q has type %s; journeykpi reads it as text (string)", name, a.DataType())
}

// Floats reads a number column; an absent column is all null.
func Floats(a arrow.Array, name string) (FloatFunc, error) {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch c := a.(type) {
	case nil, *array.Null:
		return func(int) (float64, bool, bool) { return 0, true, true }, nil
	case *array.Float64:
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			v := c.Value(i)
			return v, false, finite(v)
		}, nil
	case *array.Float32:
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			v := float64(c.Value(i))
			return v, false, finite(v)
		}, nil
	case *array.Int64:
		return func(i int) (float64, bool, bool) { return float64(c.Value(i)), c.IsNull(i), true }, nil
	case *array.Int32:
		return func(i int) (float64, bool, bool) { return float64(c.Value(i)), c.IsNull(i), true }, nil
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) (float64, bool, bool) {
			if c.IsNull(i) {
				return 0, true, true
			}
			return c.Value(i).ToFloat64(scale), false, true
		}, nil
	}
	str, err := Strings(a, name)
	if err != nil {
		return nil, fmt.Errorf("column %q has type %s; journeykpi reads it as a number", name, a.DataType())
	}
	return func(i int) (float64, bool, bool) {
		s, ok := str(i)
		s = strings.TrimSpace(s)
		if !ok || s == "" {
			return 0, true, true
		}
		v, err := strconv.ParseFloat(s, 64)
		return v, false, err == nil && finite(v)
	}, nil
}

// timeLayouts are the text forms of event_time accepted, tried in order. Layouts without an
// offset are read in the source time zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	time.DateOnly,
}

// TimeReading says how event_time values are read.
type TimeReading struct {
	// Loc is the zone of times written without one.
	Loc *time.Location
	// Layout is source.time_format as a Go layout: text, and integers as their decimal text, are
	// read with it alone. "" means the default formats, and integers as epoch Unit.
	Layout string
	// UnitNanos is nanoseconds per unit of integer epoch values (source.time_unit); 0 means
	// microseconds, not declared.
	UnitNanos int64
}

// parseTime parses text as r says; integer reports an integer epoch value (read in r.Unit).
// *last is the index of the default layout that read the previous value, tried first: a column
// holds one format, and a failed attempt costs as much as a success.
func parseTime(s string, r TimeReading, last *int) (us int64, integer, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, false
	}
	if r.Layout != "" {
		t, err := time.ParseInLocation(r.Layout, s, r.Loc)
		return t.UnixMicro(), false, err == nil
	}
	if c := s[0]; (c >= '0' && c <= '9' || c == '-') && !strings.ContainsAny(s[1:], "-:T ") {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, true, err == nil
	}
	if t, err := time.ParseInLocation(timeLayouts[*last], s, r.Loc); err == nil {
		return t.UnixMicro(), false, true
	}
	for i, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, r.Loc); err == nil {
			*last = i
			return t.UnixMicro(), false, true
		}
	}
	return 0, false, false
}

// plausible returns TimeOutOfRange for a time outside the plausible range, else "".
func plausible(t int64) string {
	if t < MinPlausibleMicros || t >= MaxPlausibleMicros {
		return TimeOutOfRange
	}
	return ""
}

// EpochInts is what one batch's integer epoch times were, read without source.time_format or
// source.time_unit: their range and whether each could be a YYYYMMDD date. A column of such
// integers that cannot be epoch microseconds is refused rather than read as 1970 (intTimes.err).
type EpochInts struct {
	n        int64
	min, max int64
	allDates bool
}

func (s *EpochInts) add(v int64) {
	if s.n == 0 {
		s.min, s.max, s.allDates = v, v, true
	}
	s.n++
	s.min, s.max = min(s.min, v), max(s.max, v)
	if s.allDates && !YYYYMMDD(v) {
		s.allDates = false
	}
}

// YYYYMMDD reports whether v reads as a date YYYYMMDD between 1900 and 2199.
func YYYYMMDD(v int64) bool {
	y, m, d := int(v/10000), time.Month(v/100%100), int(v%100)
	if y < 1900 || y >= 2200 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Day() == d
}

// Plausible epoch ranges, 1990-01-01 to 2200-01-01, in each unit.
const (
	plausibleFromSeconds = int64(631152000)
	plausibleToSeconds   = int64(7258118400)
)

// TimeUnitError is a column of integer times that are not epoch microseconds: dates written
// YYYYMMDD, or epoch seconds, milliseconds or nanoseconds. It names the key that says so.
type TimeUnitError struct {
	Column  string
	Example int64
	// Key is the setting to give (source.time_format or source.time_unit) and Value its value.
	Key, Value, Reading string
}

func (e *TimeUnitError) Error() string {
	return fmt.Sprintf("event_time column %q holds integers such as %d that look like %s; read as epoch microseconds they fall in %s. Set %s: %s",
		e.Column, e.Example, e.Reading, readAsMicros(e.Example), e.Key, e.Value)
}

// Kind makes it a configuration error: the config says how to read the column.
func (e *TimeUnitError) Kind() fault.Kind { return fault.Config }

func readAsMicros(v int64) string {
	if v >= MaxPlausibleMicros {
		return "a year after 2199"
	}
	return time.UnixMicro(v).UTC().Format("January 2006")
}

// Err refuses integer times that only make sense in another unit or as dates.
func (s *EpochInts) Err(column string) error {
	if s == nil || s.n == 0 {
		return nil
	}
	in := func(from, to int64) bool { return s.min >= from && s.max < to }
	const day = int64(86400e6)
	switch {
	case s.allDates && in(0, day):
		return &TimeUnitError{column, s.min, "source.time_format", `"20060102"`, "dates written YYYYMMDD"}
	case in(plausibleFromSeconds, plausibleToSeconds):
		return &TimeUnitError{column, s.min, "source.time_unit", "s", "epoch seconds"}
	case in(plausibleFromSeconds*1e3, plausibleToSeconds*1e3):
		return &TimeUnitError{column, s.min, "source.time_unit", "ms", "epoch milliseconds"}
	case s.min >= plausibleFromSeconds*1e9:
		return &TimeUnitError{column, s.min, "source.time_unit", "ns", "epoch nanoseconds"}
	}
	return nil
}

// Times reads event_time as r says: Arrow timestamps (naive ones in r.Loc), dates, integer
// epoch values, or text. Integer epoch values read without a declared unit or format are
// recorded in the returned EpochInts, for the caller to refuse what cannot be microseconds.
func Times(a arrow.Array, r TimeReading, name string) (TimeFunc, *EpochInts, error) {
	loc := r.Loc
	var ints *EpochInts
	if r.Layout == "" && r.UnitNanos == 0 {
		ints = &EpochInts{}
	}
	mul, div := int64(1), int64(1) // microseconds per unit, as a fraction
	switch {
	case r.UnitNanos >= 1000:
		mul = r.UnitNanos / 1000
	case r.UnitNanos > 0:
		div = 1000 / r.UnitNanos
	}
	epoch := func(v int64) (int64, string) {
		if ints != nil {
			ints.add(v)
		}
		if v > math.MaxInt64/mul || v < math.MinInt64/mul {
			return 0, TimeOutOfRange
		}
		us := v * mul / div
		return us, plausible(us)
	}
	switch c := a.(type) {
	case *array.Timestamp:
		tt := c.DataType().(*arrow.TimestampType)
		tunit := tt.Unit
		naive := tt.TimeZone == ""
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, TimeMissing
			}
			us, reason := TimestampMicros(int64(c.Value(i)), tunit)
			if reason != "" {
				return 0, reason
			}
			if naive && loc != time.UTC {
				w := time.UnixMicro(us).UTC()
				us = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UnixMicro()
			}
			return us, plausible(us)
		}, nil, nil
	case *array.Date32:
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, TimeMissing
			}
			d := c.Value(i).ToTime()
			us := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UnixMicro()
			return us, plausible(us)
		}, nil, nil
	case *array.Int64:
		return func(i int) (int64, string) {
			if c.IsNull(i) {
				return 0, TimeMissing
			}
			if r.Layout != "" {
				return layoutTime(strconv.FormatInt(c.Value(i), 10), r)
			}
			return epoch(c.Value(i))
		}, ints, nil
	}
	str, err := Strings(a, name)
	if err != nil {
		return nil, nil, fmt.Errorf("column %q has type %s; event_time must be a timestamp, date, integer epoch micros or text", name, a.DataType())
	}
	last := new(int)
	return func(i int) (int64, string) {
		s, ok := str(i)
		if !ok || strings.TrimSpace(s) == "" {
			return 0, TimeMissing
		}
		us, integer, ok := parseTime(s, r, last)
		if !ok {
			return 0, TimeUnparseable
		}
		if integer {
			return epoch(us)
		}
		return us, plausible(us)
	}, ints, nil
}

// TimestampMicros is an Arrow timestamp value of unit in Unix micros, or TimeOutOfRange when
// microseconds cannot hold it: a second or millisecond value past year 294,000 (or corrupt) is
// refused rather than multiplied into a time wrapped around into some other year, which the
// plausibility check could take for a real one.
func TimestampMicros(v int64, unit arrow.TimeUnit) (int64, string) {
	var mul int64
	switch unit {
	case arrow.Nanosecond:
		return v / 1000, ""
	case arrow.Microsecond:
		return v, ""
	case arrow.Millisecond:
		mul = 1000
	default: // arrow.Second
		mul = 1_000_000
	}
	if v > math.MaxInt64/mul || v < math.MinInt64/mul {
		return 0, TimeOutOfRange
	}
	return v * mul, ""
}

// layoutTime reads s with r.Layout.
func layoutTime(s string, r TimeReading) (int64, string) {
	t, err := time.ParseInLocation(r.Layout, s, r.Loc)
	if err != nil {
		return 0, TimeUnparseable
	}
	us := t.UnixMicro()
	return us, plausible(us)
}

// textType reports whether Strings reads a column of type t.
func textType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.NULL, arrow.INT64:
		return true
	case arrow.DICTIONARY:
		return textType(t.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// keyType reports whether Keys reads a column of type t.
func keyType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.UINT32, arrow.UINT64:
		return true
	}
	return textType(t)
}

// numberType reports whether Floats reads a column of type t.
func numberType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.FLOAT64, arrow.FLOAT32, arrow.INT32, arrow.DECIMAL128:
		return true
	}
	return textType(t)
}

// timeType reports whether Times reads a column of type t.
func timeType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32:
		return true
	}
	return textType(t)
}

// CheckType says whether a source column name of type typ can be read as contract column
// canonical (customer_id, event_time, revenue…, or the spend's date and cost): nil when it can,
// else the error a run would fail with. validate uses it to refuse exactly what a run would.
func CheckType(canonical, name string, typ arrow.DataType) error {
	switch canonical {
	case "customer_id", "order_id":
		if !keyType(typ) {
			return fmt.Errorf("column %q has type %s; journeykpi reads %s as an integer or text", name, typ, canonical)
		}
	case "event_time", "date":
		if !timeType(typ) {
			return fmt.Errorf("column %q has type %s; %s must be a timestamp, date, integer epoch micros or text", name, typ, canonical)
		}
	case "revenue", "sentiment", "cost":
		if !numberType(typ) {
			return fmt.Errorf("column %q has type %s; journeykpi reads %s as a number", name, typ, canonical)
		}
	default:
		if !textType(typ) {
			return fmt.Errorf("column %q has type %s; journeykpi reads %s as text (string)", name, typ, canonical)
		}
	}
	return nil
}
