package window

import (
	"fmt"
	"time"
)

// Window is a report window: whole calendar days in the report time zone, both inclusive.
type Window struct {
	// From and To are midnight (report time zone) of the first and the last day.
	From, To time.Time
}

// Parse parses two YYYY-MM-DD days in loc. Both days are inclusive.
func Parse(from, to string, loc *time.Location) (Window, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return Window{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", from)
	}
	t, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		return Window{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", to)
	}
	if t.Before(f) {
		return Window{}, fmt.Errorf("from %s is after to %s", from, to)
	}
	if days := t.Sub(f).Hours()/24 + 1; days > MaxDays {
		return Window{}, fmt.Errorf("%s to %s is %.0f days; at most %d days (ten years) are read at once", from, to, days, MaxDays)
	}
	return Window{From: f, To: t}, nil
}

// MaxDays is the longest report window, ten years: a report's work grows with the days, weeks
// and months of its window (trends, entry weeks), and a window of centuries is a typing error.
const MaxDays = 3660

// Day returns the one-day window of day (YYYY-MM-DD).
func Day(day string, loc *time.Location) (Window, error) { return Parse(day, day, loc) }

// Days is the number of days in the window.
func (w Window) Days() int {
	n := 0
	for d := w.From; !d.After(w.To); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// End is the first instant after the window: midnight after To.
func (w Window) End() time.Time { return w.To.AddDate(0, 0, 1) }

// Previous is the window of equal length that ends the day before w starts.
func (w Window) Previous() Window {
	n := w.Days()
	return Window{From: w.From.AddDate(0, 0, -n), To: w.From.AddDate(0, 0, -1)}
}

// FromDay and ToDay are the window's days as YYYY-MM-DD.
func (w Window) FromDay() string { return w.From.Format(time.DateOnly) }

// ToDay is the last day as YYYY-MM-DD.
func (w Window) ToDay() string { return w.To.Format(time.DateOnly) }

// String is "FROM..TO".
func (w Window) String() string { return w.FromDay() + ".." + w.ToDay() }
