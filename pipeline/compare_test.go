package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestComparisonPeriods: April is compared with March 1–31 and with April a year earlier when the
// data reach back that far; --by month gives one row per month; a config with year_ago off reads
// less and compares with no year-ago period.
func TestComparisonPeriods(t *testing.T) {
	src := memsource.CSV(`
customer_id,event_time,event_name
a,2025-03-20T10:00:00Z,page_view
b,2025-04-03T10:00:00Z,page_view
c,2026-03-02T10:00:00Z,page_view
d,2026-04-02T10:00:00Z,page_view
e,2026-04-20T10:00:00Z,page_view
f,2026-05-20T10:00:00Z,page_view
`, 0)
	cfg := testConfig(t)
	w, _ := window.Parse("2026-04-01", "2026-05-31", time.UTC)
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src, By: window.ByMonth})
	if err != nil {
		t.Fatal(err)
	}
	r := o.Result
	// Two months are not a calendar kind: the 61 days before, and 364 days earlier.
	if r.Report.PreviousFrom != "2026-01-30" || r.Report.YearAgoFrom != "2025-04-02" || r.Report.YearAgo != "compared" || r.Comparison.YearAgo == nil {
		t.Errorf("report %+v", r.Report)
	}
	if len(r.Periods) != 2 || r.Periods[0].From != "2026-04-01" || r.Periods[1].To != "2026-05-31" || r.Periods[0].Partial {
		t.Fatalf("periods %+v", r.Periods)
	}
	if h := r.Periods[1].Headline[0]; h.Key != "entrants" || *h.Current != 1 || *h.Previous != 2 {
		t.Errorf("May entrants %v against April %v", *h.Current, *h.Previous)
	}

	w, _ = window.Parse("2026-04-01", "2026-04-30", time.UTC)
	o, err = Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src})
	if err != nil {
		t.Fatal(err)
	}
	r = o.Result
	if r.Report.PreviousFrom != "2026-03-01" || r.Report.PreviousTo != "2026-03-31" || r.Report.YearAgoFrom != "2025-04-01" ||
		r.Report.YearAgo != "compared" || r.Comparison.YearAgo == nil || r.Comparison.YearAgo.Funnel.Entrants != 1 {
		t.Fatalf("report %+v", r.Report)
	}
	if h := r.Comparison.Headline[0]; *h.Current != 2 || *h.Previous != 1 || *h.YearAgo.Value != 1 || len(r.Periods) != 0 {
		t.Errorf("entrants %v, previous %v, year ago %v", *h.Current, *h.Previous, *h.YearAgo.Value)
	}
	if start, _ := ReadRange(&cfg, w); start.After(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("read from %v: not a year before April 2025", start)
	}

	// Data that start after April 2025 leave the year ago out.
	late := memsource.CSV(`
customer_id,event_time,event_name
c,2025-04-05T10:00:00Z,page_view
d,2026-04-02T10:00:00Z,page_view
`, 0)
	o, err = Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: late})
	if err != nil {
		t.Fatal(err)
	}
	if r := o.Result; r.Report.YearAgo != "before_data" || r.Comparison.YearAgo != nil || r.Comparison.Headline[0].YearAgo != nil {
		t.Errorf("year ago before the data: %+v", r.Report)
	}

	cfg.Comparison.YearAgo = config.YearAgoOff
	o, err = Run(context.Background(), Job{Config: cfg, Window: w, Out: t.TempDir(), Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if r := o.Result; r.Report.YearAgo != "off" || r.Report.YearAgoFrom != "" || r.Comparison.YearAgo != nil || r.Comparison.Headline[0].YearAgo != nil {
		t.Errorf("year ago off: %+v", r.Report)
	}
	// Without the year ago, the read reaches back from the first recent period (November 2025).
	if start, _ := ReadRange(&cfg, w); !start.Equal(time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("read from %v", start)
	}
}
