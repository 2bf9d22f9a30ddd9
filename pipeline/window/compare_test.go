package window

import (
	"fmt"
	"testing"
)

func TestComparisonAndYearAgo(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		from, to          string
		kind              string
		previous, yearAgo string
	}{
		{"2026-04-01", "2026-04-30", KindMonth, "2026-03-01..2026-03-31", "2025-04-01..2025-04-30"},
		{"2026-03-01", "2026-03-31", KindMonth, "2026-02-01..2026-02-28", "2025-03-01..2025-03-31"},
		{"2024-03-01", "2024-03-31", KindMonth, "2024-02-01..2024-02-29", "2023-03-01..2023-03-31"},
		{"2026-01-01", "2026-01-31", KindMonth, "2025-12-01..2025-12-31", "2025-01-01..2025-01-31"},
		{"2024-02-01", "2024-02-29", KindMonth, "2024-01-01..2024-01-31", "2023-02-01..2023-02-28"},
		{"2026-04-01", "2026-06-30", KindQuarter, "2026-01-01..2026-03-31", "2025-04-01..2025-06-30"},
		{"2026-01-01", "2026-03-31", KindQuarter, "2025-10-01..2025-12-31", "2025-01-01..2025-03-31"},
		{"2025-01-01", "2025-12-31", KindYear, "2024-01-01..2024-12-31", "2024-01-01..2024-12-31"},
		// An ISO week: Monday to Sunday. 2026-W14 starts on Monday 30 March.
		{"2026-03-30", "2026-04-05", KindWeek, "2026-03-23..2026-03-29", "2025-03-31..2025-04-06"},
		// 2026-W53 (Monday 28 December 2026) has no twin in 2025, which has 52 weeks: week 52.
		{"2026-12-28", "2027-01-03", KindWeek, "2026-12-21..2026-12-27", "2025-12-22..2025-12-28"},
		// 2021-W01 starts on 4 January 2021; 2020-W01 on 30 December 2019.
		{"2021-01-04", "2021-01-10", KindWeek, "2020-12-28..2021-01-03", "2019-12-30..2020-01-05"},
		// Anything else: the equal-length period before, and 364 days earlier (same weekdays).
		{"2026-04-02", "2026-04-30", KindRange, "2026-03-04..2026-04-01", "2025-04-03..2025-05-01"},
		{"2026-06-28", "2026-06-28", KindRange, "2026-06-27..2026-06-27", "2025-06-29..2025-06-29"},
		{"2026-04-01", "2026-04-07", KindRange, "2026-03-25..2026-03-31", "2025-04-02..2025-04-08"},
		{"2026-04-01", "2026-05-31", KindRange, "2026-01-30..2026-03-31", "2025-04-02..2025-06-01"},
		// Across the DST change in Berlin (29 March 2026) boundaries stay at midnight.
		{"2026-03-01", "2026-03-31", KindMonth, "2026-02-01..2026-02-28", "2025-03-01..2025-03-31"},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			w, err := Parse(tt.from, tt.to, berlin)
			if err != nil {
				t.Fatal(err)
			}
			if k := w.Kind(); k != tt.kind {
				t.Errorf("kind %s, want %s", k, tt.kind)
			}
			for _, c := range []struct {
				what string
				got  Window
				want string
			}{{"previous", w.Comparison(), tt.previous}, {"year ago", w.YearAgo(), tt.yearAgo}} {
				if c.got.String() != c.want {
					t.Errorf("%s %s, want %s", c.what, c.got, c.want)
				}
				if c.got.From.Hour() != 0 || c.got.To.Hour() != 0 || c.got.From.Location() != berlin {
					t.Errorf("%s not at midnight in Berlin: %v", c.what, c.got.From)
				}
			}
		})
	}
}

func TestRecent(t *testing.T) {
	w, _ := Parse("2026-04-01", "2026-04-30", mustLoc(t, "UTC"))
	got := fmt.Sprint(windows(w.Recent(4)))
	if want := "[2026-01-01..2026-01-31 2026-02-01..2026-02-28 2026-03-01..2026-03-31 2026-04-01..2026-04-30]"; got != want {
		t.Errorf("recent: %s, want %s", got, want)
	}
	if w.Recent(0) != nil {
		t.Error("Recent(0) not empty")
	}
}

func TestPeriods(t *testing.T) {
	loc := mustLoc(t, "America/New_York")
	tests := []struct {
		from, to, by string
		want         string
	}{
		{"2026-01-01", "2026-06-30", ByMonth, "[2026-01-01..2026-01-31 2026-02-01..2026-02-28 2026-03-01..2026-03-31 2026-04-01..2026-04-30 2026-05-01..2026-05-31 2026-06-01..2026-06-30]"},
		{"2026-01-15", "2026-03-10", ByMonth, "[2026-01-15..2026-01-31* 2026-02-01..2026-02-28 2026-03-01..2026-03-10*]"},
		{"2026-01-01", "2026-06-30", ByQuarter, "[2026-01-01..2026-03-31 2026-04-01..2026-06-30]"},
		{"2026-02-01", "2026-08-31", ByQuarter, "[2026-02-01..2026-03-31* 2026-04-01..2026-06-30 2026-07-01..2026-08-31*]"},
		{"2026-03-01", "2026-03-22", ByWeek, "[2026-03-01..2026-03-01* 2026-03-02..2026-03-08 2026-03-09..2026-03-15 2026-03-16..2026-03-22]"},
	}
	for _, tt := range tests {
		w, err := Parse(tt.from, tt.to, loc)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := Periods(w, tt.by)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, p := range ps {
			v := p.String()
			if p.Partial {
				v += "*"
			}
			if p.From.Hour() != 0 || p.To.Hour() != 0 {
				t.Errorf("%s: %s not at midnight", tt.by, p)
			}
			s = append(s, v)
		}
		if got := fmt.Sprint(s); got != tt.want {
			t.Errorf("%s %s..%s: %s, want %s", tt.by, tt.from, tt.to, got, tt.want)
		}
	}
	if _, err := Periods(Window{}, "day"); err == nil {
		t.Error("unknown period accepted")
	}
}
