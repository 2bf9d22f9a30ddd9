package kpi

import (
	"testing"
	"time"
)

// repeatParams returns Params for the repeat tests: stages browse and purchase, the report period
// the days [from, to] in UTC, the previous period of equal length before it.
func repeatParams(t testing.TB, from, to string) *Params {
	t.Helper()
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		t.Fatal(err)
	}
	l, err := time.Parse(time.DateOnly, to)
	if err != nil {
		t.Fatal(err)
	}
	end := l.AddDate(0, 0, 1)
	n := int(end.Sub(f).Hours() / 24)
	pf := f.AddDate(0, 0, -n)
	p := &Params{
		Stages:   []StageDef{{Name: "browse"}, {Name: "purchase", Purchase: true}, {Name: "repeat", Repeat: true}},
		Window:   30 * Day,
		Current:  Period{From: f.UnixMicro(), To: end.UnixMicro(), FromDay: from, ToDay: to},
		Previous: Period{From: pf.UnixMicro(), To: f.UnixMicro(), FromDay: pf.Format(time.DateOnly), ToDay: f.AddDate(0, 0, -1).Format(time.DateOnly), PreviousOf: from},
		Location: time.UTC,
		Top:      10,
		History:  365 * Day,
		Cohort:   "month",
		Horizon:  90 * Day,
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}
