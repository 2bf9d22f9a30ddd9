package window

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func windows(ws []Window) []string {
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return s
}

func TestLast(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name string
		kind string
		now  time.Time
		loc  *time.Location
		want string
	}{
		{"day utc", PreviousDay, time.Date(2024, 3, 15, 3, 0, 0, 0, time.UTC), time.UTC, "2024-03-14..2024-03-14"},
		// 23:30 UTC on the 14th is already the 15th in Berlin.
		{"day berlin after utc midnight", PreviousDay, time.Date(2024, 3, 14, 23, 30, 0, 0, time.UTC), berlin, "2024-03-14..2024-03-14"},
		// 02:00 UTC on the 15th is still the 14th in New York.
		{"day new york before local midnight", PreviousDay, time.Date(2024, 3, 15, 2, 0, 0, 0, time.UTC), ny, "2024-03-13..2024-03-13"},
		{"day across new year", PreviousDay, time.Date(2025, 1, 1, 3, 0, 0, 0, berlin), berlin, "2024-12-31..2024-12-31"},
		{"day after spring forward", PreviousDay, time.Date(2024, 4, 1, 3, 0, 0, 0, berlin), berlin, "2024-03-31..2024-03-31"},
		{"week on monday", PreviousWeek, time.Date(2024, 3, 18, 3, 0, 0, 0, berlin), berlin, "2024-03-11..2024-03-17"},
		{"week on sunday", PreviousWeek, time.Date(2024, 3, 17, 3, 0, 0, 0, berlin), berlin, "2024-03-04..2024-03-10"},
		{"week across year", PreviousWeek, time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC), time.UTC, "2024-12-23..2024-12-29"},
		{"month", PreviousMonth, time.Date(2024, 3, 1, 0, 0, 0, 0, berlin), berlin, "2024-02-01..2024-02-29"},
		{"month january", PreviousMonth, time.Date(2024, 1, 31, 23, 0, 0, 0, berlin), berlin, "2023-12-01..2023-12-31"},
		// 23:30 UTC on 31 March is 1 April in Berlin: March is complete there.
		{"month boundary in zone", PreviousMonth, time.Date(2024, 3, 31, 23, 30, 0, 0, time.UTC), berlin, "2024-03-01..2024-03-31"},
		{"trailing 7d", Trailing7d, time.Date(2024, 3, 15, 3, 0, 0, 0, time.UTC), time.UTC, "2024-03-08..2024-03-14"},
		{"trailing 28d", Trailing28d, time.Date(2024, 3, 15, 3, 0, 0, 0, time.UTC), time.UTC, "2024-02-16..2024-03-14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Last(tt.kind, tt.now, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if w.String() != tt.want {
				t.Errorf("got %s, want %s", w, tt.want)
			}
			if w.From.Location() != tt.loc || w.From.Hour() != 0 || w.To.Hour() != 0 {
				t.Errorf("window not at midnight in %s: %v %v", tt.loc, w.From, w.To)
			}
		})
	}
	if _, err := Last("fortnight", time.Now(), time.UTC); err == nil {
		t.Error("unknown period accepted")
	}
}

func TestRecompute(t *testing.T) {
	loc := mustLoc(t, "Europe/Berlin")
	now := time.Date(2024, 3, 18, 3, 0, 0, 0, loc) // a Monday
	tests := []struct {
		kind string
		days int
		want []string
	}{
		{PreviousDay, 3, []string{"2024-03-14..2024-03-14", "2024-03-15..2024-03-15", "2024-03-16..2024-03-16"}},
		{PreviousDay, 1, []string{"2024-03-16..2024-03-16"}},
		{PreviousDay, 0, nil},
		{Trailing7d, 2, []string{"2024-03-09..2024-03-15", "2024-03-10..2024-03-16"}},
		{PreviousWeek, 3, []string{"2024-03-04..2024-03-10"}},
		{PreviousWeek, 8, []string{"2024-02-26..2024-03-03", "2024-03-04..2024-03-10"}},
		{PreviousMonth, 3, []string{"2024-01-01..2024-01-31"}},
	}
	for _, tt := range tests {
		target, err := Last(tt.kind, now, loc)
		if err != nil {
			t.Fatal(err)
		}
		got := windows(Recompute(tt.kind, target, tt.days))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s days=%d: got %v, want %v", tt.kind, tt.days, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	loc := mustLoc(t, "America/New_York")
	w, err := Parse("2024-01-30", "2024-03-12", loc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		every       string
		n           int
		first, last string
		partial     []string
	}{
		{EveryDay, 43, "2024-01-30..2024-01-30", "2024-03-12..2024-03-12", nil},
		{EveryWeek, 5, "2024-02-05..2024-02-11", "2024-03-04..2024-03-10", []string{"2024-01-29..2024-02-04", "2024-03-11..2024-03-17"}},
		{EveryMonth, 1, "2024-02-01..2024-02-29", "2024-02-01..2024-02-29", []string{"2024-01-01..2024-01-31", "2024-03-01..2024-03-31"}},
	}
	for _, tt := range tests {
		ps, partial, err := Split(w, tt.every)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != tt.n || ps[0].String() != tt.first || ps[len(ps)-1].String() != tt.last {
			t.Errorf("%s: got %d periods %v", tt.every, len(ps), windows(ps))
		}
		if !slices.Equal(windows(partial), tt.partial) {
			t.Errorf("%s: partial %v, want %v", tt.every, windows(partial), tt.partial)
		}
		// The DST change on 2024-03-10 in New York must not shift a boundary off midnight.
		for _, p := range ps {
			if p.From.Hour() != 0 || p.To.Hour() != 0 {
				t.Errorf("%s: %s not at midnight", tt.every, p)
			}
		}
	}
	if _, _, err := Split(w, "year"); err == nil {
		t.Error("unknown step accepted")
	}
}

func TestWindowAtMostTenYears(t *testing.T) {
	if _, err := Parse("2016-01-01", "2025-12-31", time.UTC); err != nil {
		t.Errorf("ten years: %v", err)
	}
	_, err := Parse("1926-01-01", "2025-12-31", time.UTC)
	if err == nil || !strings.Contains(err.Error(), "36525 days; at most 3660 days (ten years) are read at once") {
		t.Errorf("a century: %v", err)
	}
}
