package ingest

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// FuzzParseTime: any text as an event_time parses or is refused, never panics; a time that
// parses in one zone parses in another too (only the offset differs).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-01T10:00:00Z", "2026-03-01 10:00:00.123+02:00", "2026-03-01", "1772359200000000",
		"-1", "99999999999999999999", "2026-02-30", " 2026-03-01T10:00:00+14:00 ", "2026-03-01T10:00:00.999999999Z"} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	// parses reads s as the mapper reads a text event_time, in zone loc.
	parses := func(t *testing.T, s string, loc *time.Location) bool {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		b.Append(s)
		a := b.NewArray()
		defer a.Release()
		r, err := newTimeReader(a, TimeReading{Loc: loc}, "event_time")
		if err != nil {
			t.Fatal(err)
		}
		verdict := []uint8{0}
		r.read(make([]Row, 1), verdict)
		return verdict[0] != vTimeUnparseable && verdict[0] != vTimeMissing
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok1 := parses(t, s, time.UTC)
		ok2 := parses(t, s, berlin)
		if ok1 != ok2 {
			t.Fatalf("%q parses in one zone only (UTC %v, Berlin %v)", s, ok1, ok2)
		}
	})
}
