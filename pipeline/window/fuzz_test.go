package window

import (
	"testing"
	"time"
)

// FuzzParse: any pair of days makes a window or an error, never a panic; a window's days print
// back as they were read.
func FuzzParse(f *testing.F) {
	f.Add("2026-03-01", "2026-03-31")
	f.Add("2026-03-29", "2026-03-29")
	f.Add("2026-02-30", "2026-03-01")
	f.Add("0001-01-01", "9999-12-31")
	f.Add("2026-03-31", "2026-03-01")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, from, to string) {
		w, err := Parse(from, to, berlin)
		if err != nil {
			return
		}
		if w.FromDay() != from || w.ToDay() != to || w.End().Before(w.From) {
			t.Fatalf("Parse(%q, %q) = %s", from, to, w)
		}
	})
}
