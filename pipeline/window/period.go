package window

import (
	"fmt"
	"time"
)

// Period kinds of schedule.period: what a scheduled run reports, relative to the run time in the
// report time zone.
const (
	PreviousDay   = "previous_day"
	PreviousWeek  = "previous_week"
	PreviousMonth = "previous_month"
	Trailing7d    = "trailing_7d"
	Trailing28d   = "trailing_28d"
)

// Backfill steps (journeykpi backfill --every).
const (
	EveryDay   = "day"
	EveryWeek  = "week"
	EveryMonth = "month"
)

// midnight returns 00:00 of t's calendar day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// mondayOf is the Monday (ISO 8601 week start) of day's week, day being a midnight.
func mondayOf(day time.Time) time.Time {
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// Last is the window a run at time now reports for period kind: the last complete
// period before now's day in loc. Weeks run Monday to Sunday (ISO 8601); months are calendar
// months; trailing_Nd are the N days before today.
func Last(kind string, now time.Time, loc *time.Location) (Window, error) {
	today := midnight(now, loc)
	switch kind {
	case PreviousDay:
		d := today.AddDate(0, 0, -1)
		return Window{From: d, To: d}, nil
	case Trailing7d:
		return Window{From: today.AddDate(0, 0, -7), To: today.AddDate(0, 0, -1)}, nil
	case Trailing28d:
		return Window{From: today.AddDate(0, 0, -28), To: today.AddDate(0, 0, -1)}, nil
	case PreviousWeek:
		monday := mondayOf(today)
		return Window{From: monday.AddDate(0, 0, -7), To: monday.AddDate(0, 0, -1)}, nil
	case PreviousMonth:
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
		return Window{From: first.AddDate(0, -1, 0), To: first.AddDate(0, 0, -1)}, nil
	}
	return Window{}, fmt.Errorf("%q is not a period (previous_day | previous_week | previous_month | trailing_7d | trailing_28d)", kind)
}

// Shift returns the period n steps after w (before when n < 0) for period kind: days for
// previous_day and the trailing periods, weeks for previous_week, calendar months for
// previous_month. w must be a window Last returns for kind.
func Shift(kind string, w Window, n int) Window {
	loc := w.From.Location()
	switch kind {
	case PreviousWeek:
		return Window{From: w.From.AddDate(0, 0, 7*n), To: w.To.AddDate(0, 0, 7*n)}
	case PreviousMonth:
		first := time.Date(w.From.Year(), w.From.Month()+time.Month(n), 1, 0, 0, 0, 0, loc)
		return Window{From: first, To: first.AddDate(0, 1, -1)}
	}
	return Window{From: w.From.AddDate(0, 0, n), To: w.To.AddDate(0, 0, n)}
}

// Recompute returns the earlier periods a run reporting target recomputes because data
// arrives up to days days late: every earlier period whose last day was still younger than
// days days when the previous run computed it. With previous_day and days=3 that is the three
// days before target; with previous_week or previous_month it is the period before target
// (its last days were incomplete when it was reported). Oldest first; none when days is 0.
func Recompute(kind string, target Window, days int) []Window {
	if days <= 0 {
		return nil
	}
	prev := Shift(kind, target, -1)
	cutoff := prev.To.AddDate(0, 0, -(days - 1))
	var ws []Window
	for w := prev; !w.To.Before(cutoff); w = Shift(kind, w, -1) {
		ws = append(ws, w)
	}
	for i, j := 0, len(ws)-1; i < j; i, j = i+1, j-1 {
		ws[i], ws[j] = ws[j], ws[i]
	}
	return ws
}

// Split splits [w.From, w.To] into the calendar periods of every (day, week Monday–Sunday,
// month) that lie wholly inside it, oldest first. Partial periods at either edge are left out
// and returned in partial, so that a backfill writes the same files as the schedule does.
func Split(w Window, every string) (periods, partial []Window, err error) {
	loc := w.From.Location()
	var first Window
	var kind string
	switch every {
	case EveryDay:
		kind, first = PreviousDay, Window{From: w.From, To: w.From}
	case EveryWeek:
		kind = PreviousWeek
		monday := mondayOf(w.From)
		first = Window{From: monday, To: monday.AddDate(0, 0, 6)}
	case EveryMonth:
		kind = PreviousMonth
		m := time.Date(w.From.Year(), w.From.Month(), 1, 0, 0, 0, 0, loc)
		first = Window{From: m, To: m.AddDate(0, 1, -1)}
	default:
		return nil, nil, fmt.Errorf("%q is not a step (day | week | month)", every)
	}
	for p := first; !p.From.After(w.To); p = Shift(kind, p, 1) {
		if p.From.Before(w.From) || p.To.After(w.To) {
			partial = append(partial, p)
			continue
		}
		periods = append(periods, p)
	}
	return periods, partial, nil
}
