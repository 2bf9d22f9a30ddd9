package ingest

import (
	"testing"
	"time"
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
	f.Fuzz(func(t *testing.T, s string) {
		_, ok1 := ParseTime(s, time.UTC)
		_, ok2 := ParseTime(s, berlin)
		if ok1 != ok2 {
			t.Fatalf("%q parses in one zone only (UTC %v, Berlin %v)", s, ok1, ok2)
		}
	})
}
