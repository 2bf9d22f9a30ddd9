package arrowcol

import (
	"math"
	"strconv"
	"testing"
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
