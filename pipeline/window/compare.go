package window

import (
	"fmt"
	"time"
)

// Kinds of window, as the comparison sees them: a whole calendar year, quarter, month or ISO week,
// or any other range of days.
const (
	KindYear    = "year"
	KindQuarter = "quarter"
	KindMonth   = "month"
	KindWeek    = "week"
	KindRange   = "range"
)

// Steps of run --by: the calendar periods a long range is split into.
const (
	ByWeek    = "week"
	ByMonth   = "month"
	ByQuarter = "quarter"
)

// Kind says what kind of period w is: a whole calendar year, quarter, month or ISO week (Monday to
// Sunday), checked in that order, or else a range.
func (w Window) Kind() string {
	f, t := w.From, w.To
	switch {
	case f.Day() == 1 && sameDay(t, monthEnd(f, 12)) && f.Month() == time.January:
		return KindYear
	case f.Day() == 1 && (f.Month()-1)%3 == 0 && sameDay(t, monthEnd(f, 3)):
		return KindQuarter
	case f.Day() == 1 && sameDay(t, monthEnd(f, 1)):
		return KindMonth
	case f.Weekday() == time.Monday && sameDay(t, f.AddDate(0, 0, 6)):
		return KindWeek
	}
	return KindRange
}

// monthEnd is the last day of the n-th month from the month of first (n = 1: first's own month).
func monthEnd(first time.Time, n int) time.Time {
	return time.Date(first.Year(), first.Month()+time.Month(n), 1, 0, 0, 0, 0, first.Location()).AddDate(0, 0, -1)
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}

// Comparison is the period w is compared with: the previous one of its kind when w is a whole
// calendar year, quarter, month or ISO week (April → March 1–31, Q2 → Q1), else the period of
// equal length that ends the day before w starts.
func (w Window) Comparison() Window {
	loc := w.From.Location()
	first := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, loc) }
	switch w.Kind() {
	case KindYear:
		f := first(w.From.Year()-1, time.January)
		return Window{From: f, To: monthEnd(f, 12)}
	case KindQuarter:
		f := first(w.From.Year(), w.From.Month()-3)
		return Window{From: f, To: monthEnd(f, 3)}
	case KindMonth:
		f := first(w.From.Year(), w.From.Month()-1)
		return Window{From: f, To: monthEnd(f, 1)}
	case KindWeek:
		return Window{From: w.From.AddDate(0, 0, -7), To: w.To.AddDate(0, 0, -7)}
	}
	return w.Previous()
}

// YearAgo is the same period a year earlier: the same calendar year, quarter or month of the year
// before; for an ISO week, the week with the same number in the previous ISO year (week 52 when
// that year has no week 53); for any other range, the range 52 weeks (364 days) earlier, so that
// it holds the same weekdays: a Tuesday is compared with a Tuesday.
func (w Window) YearAgo() Window {
	loc := w.From.Location()
	switch w.Kind() {
	case KindYear, KindQuarter, KindMonth:
		f := time.Date(w.From.Year()-1, w.From.Month(), 1, 0, 0, 0, 0, loc)
		months := map[string]int{KindYear: 12, KindQuarter: 3, KindMonth: 1}[w.Kind()]
		return Window{From: f, To: monthEnd(f, months)}
	case KindWeek:
		year, week := w.From.ISOWeek()
		monday := isoWeekMonday(year-1, week, loc)
		if y, _ := monday.ISOWeek(); y != year-1 { // week 53 in a year of 52
			monday = isoWeekMonday(year-1, 52, loc)
		}
		return Window{From: monday, To: monday.AddDate(0, 0, 6)}
	}
	return Window{From: w.From.AddDate(0, 0, -364), To: w.To.AddDate(0, 0, -364)}
}

// isoWeekMonday is the Monday of ISO week week of ISO year year, in loc. 4 January is always in
// week 1.
func isoWeekMonday(year, week int, loc *time.Location) time.Time {
	jan4 := time.Date(year, time.January, 4, 0, 0, 0, 0, loc)
	return mondayOf(jan4).AddDate(0, 0, 7*(week-1))
}

// Recent returns the n periods of w's kind that end with w, oldest first: w, the period it is
// compared with, the one that one is compared with, and so on.
func (w Window) Recent(n int) []Window {
	if n <= 0 {
		return nil
	}
	out := make([]Window, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = w
		w = w.Comparison()
	}
	return out
}

// Piece is one period of a range split by Periods: a whole calendar period, or the part of one that
// lies inside the range (Partial).
type Piece struct {
	Window
	Partial bool
}

// Periods splits w into the calendar weeks (Monday to Sunday), months or quarters that meet it,
// oldest first. A period that reaches beyond w at either end is cut to w and marked partial, so
// that every day of w is in exactly one piece.
func Periods(w Window, by string) ([]Piece, error) {
	loc := w.From.Location()
	var start func(t time.Time) time.Time
	var next func(t time.Time) time.Time
	switch by {
	case ByWeek:
		start, next = mondayOf, func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case ByMonth:
		start = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	case ByQuarter:
		start = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }
	default:
		return nil, fmt.Errorf("%q is not a period (week | month | quarter)", by)
	}
	var out []Piece
	for f := start(w.From); !f.After(w.To); f = next(f) {
		p := Piece{Window: Window{From: f, To: next(f).AddDate(0, 0, -1)}}
		if p.From.Before(w.From) {
			p.From, p.Partial = w.From, true
		}
		if p.To.After(w.To) {
			p.To, p.Partial = w.To, true
		}
		out = append(out, p)
	}
	return out, nil
}
