package arrowcol

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// An integer id and its decimal text are one customer: HashInt must be HashString of the text,
// for every length of number and both signs.
func TestHashIntIsTheHashOfItsText(t *testing.T) {
	vs := []int64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, math.MaxInt64, math.MinInt64}
	for x := int64(1); x < math.MaxInt64/8; x = x*7 + 3 {
		vs = append(vs, x, x+1, x-1)
	}
	for _, v := range vs {
		for _, v := range []int64{v, -v} {
			if got, want := HashInt(v), HashString(strconv.FormatInt(v, 10)); got != want {
				t.Errorf("HashInt(%d) = %#x, HashString(%q) = %#x", v, got, strconv.FormatInt(v, 10), want)
			}
		}
	}
	if got, want := HashUint(math.MaxUint64), HashString("18446744073709551615"); got != want {
		t.Errorf("HashUint(max) = %#x, want %#x", got, want)
	}
}

// BenchmarkHashInt hashes customer ids of the peer file's range (1 to 2.6M).
func BenchmarkHashInt(b *testing.B) {
	var sum uint64
	for i := 0; i < b.N; i++ {
		sum += HashInt(int64(i%2_600_000) + 1)
	}
	if sum == 42 {
		b.Log(sum)
	}
}

// A timestamp in seconds or milliseconds too far out to be held in microseconds is out of range,
// not a time wrapped around into some other year.
func TestTimestampBeyondMicrosIsOutOfRange(t *testing.T) {
	for _, c := range []struct {
		unit arrow.TimeUnit
		v    int64
		want string
	}{
		{arrow.Second, math.MaxInt64/1_000_000 + 1, TimeOutOfRange},
		{arrow.Second, math.MinInt64 / 2, TimeOutOfRange},
		{arrow.Millisecond, math.MaxInt64/1000 + 1, TimeOutOfRange},
		{arrow.Second, 1_750_000_000, ""},
		{arrow.Millisecond, 1_750_000_000_000, ""},
	} {
		b := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: c.unit, TimeZone: "UTC"})
		b.Append(arrow.Timestamp(c.v))
		a := b.NewArray()
		read, _, err := Times(a, TimeReading{Loc: time.UTC}, "event_time")
		if err != nil {
			t.Fatal(err)
		}
		us, reason := read(0)
		if reason != c.want {
			t.Errorf("%v %d: reason %q (µs %d), want %q", c.unit, c.v, reason, us, c.want)
		}
		if c.want == "" && us != c.v*int64(c.unit.Multiplier()/time.Microsecond) {
			t.Errorf("%v %d: read %d µs", c.unit, c.v, us)
		}
		a.Release()
		b.Release()
	}
	// At the edge: the largest value microseconds hold is converted, one more is refused.
	for _, c := range []struct {
		unit arrow.TimeUnit
		v    int64
		want string
	}{
		{arrow.Second, math.MaxInt64 / 1_000_000, ""},
		{arrow.Second, math.MaxInt64/1_000_000 + 1, TimeOutOfRange},
		{arrow.Second, math.MinInt64 / 1_000_000, ""},
		{arrow.Second, math.MinInt64/1_000_000 - 1, TimeOutOfRange},
		{arrow.Millisecond, math.MaxInt64 / 1000, ""},
		{arrow.Millisecond, math.MinInt64/1000 - 1, TimeOutOfRange},
		{arrow.Microsecond, math.MaxInt64, ""},
		{arrow.Nanosecond, math.MinInt64, ""},
	} {
		us, reason := TimestampMicros(c.v, c.unit)
		if reason != c.want {
			t.Errorf("TimestampMicros(%d, %v): reason %q (µs %d), want %q", c.v, c.unit, reason, us, c.want)
		}
		if want := c.v * int64(c.unit.Multiplier()/time.Microsecond); c.want == "" && c.unit != arrow.Nanosecond && us != want {
			t.Errorf("TimestampMicros(%d, %v) = %d, want %d", c.v, c.unit, us, want)
		}
		if c.unit == arrow.Nanosecond && us != c.v/1000 {
			t.Errorf("TimestampMicros(%d, ns) = %d, want %d", c.v, us, c.v/1000)
		}
	}
}
