package kpi

import (
	"math"
	"testing"
)

// TestTouchpointMetrics checks the media metrics against plain arithmetic on the rows: spend
// summed per touchpoint and campaign in the period (rows outside it left out), CPM, CTR and CPC
// from the sums, the entrants of the paid touchpoints joined by name, and the paid top of the
// funnel over every touchpoint with spend.
func TestTouchpointMetrics(t *testing.T) {
	p := attrParams()
	p.Top = 1
	d := NewDicts()
	search, social, web := d.Touchpoint.Code("search"), d.Touchpoint.Code("social"), d.Touchpoint.Code("web")
	brand, generic, launch := d.Campaign.Code("brand"), d.Campaign.Code("generic"), d.Campaign.Code("launch")
	f := newFunnelAcc(p, p.Current, false)
	entries := map[entryKey][3]float64{ // entrants, purchasers, revenue
		{search, brand}: {100, 20, 2000}, {search, generic}: {50, 5, 300}, {search, 0}: {10, 1, 40},
		{social, launch}: {80, 4, 320}, {web, 0}: {500, 60, 6000},
	}
	for k, v := range entries {
		c := &entryCount{entrants: int64(v[0]), purchasers: int64(v[1])}
		c.revenue.add(v[2])
		f.entries[k] = c
	}
	day := func(n int) int64 { return p.Current.From + int64(n)*Day }
	nan := math.NaN()
	spend := []SpendRow{
		{Day: day(0), Touchpoint: "search", Campaign: "brand", Cost: 100, Impressions: 20000, Clicks: 400},
		{Day: day(1), Touchpoint: "search", Campaign: "brand", Cost: 50, Impressions: 10000, Clicks: 100},
		{Day: day(1), Touchpoint: "search", Campaign: "generic", Cost: 30, Impressions: 15000, Clicks: 60},
		{Day: day(2), Touchpoint: "social", Cost: 40, Impressions: nan, Clicks: nan},
		{Day: day(-3), Touchpoint: "search", Campaign: "brand", Cost: 999, Impressions: 1, Clicks: 1}, // before the period
	}
	got, entry := touchpointMetrics(p, f, spend, d)
	ptr := func(v float64) *float64 { return &v }
	type want struct {
		tp, camp         string
		cost             float64
		imp, clk         *float64
		entrants, bought int64
		revenue          float64
	}
	wants := []want{
		{"search", "", 180, ptr(45000), ptr(560), 160, 26, 2340},
		{"search", "brand", 150, ptr(30000), ptr(500), 100, 20, 2000}, // top 1 campaign by cost
		{"search", OtherLabel, 30, ptr(15000), ptr(60), 60, 6, 340},   // generic and the entrants without campaign
		{"social", "", 40, nil, nil, 80, 4, 320},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(wants), got)
	}
	eq := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-9
	}
	for i, w := range wants {
		g := got[i]
		var cpm, ctr, cpc *float64
		if w.imp != nil {
			cpm, ctr, cpc = ptr(1000*w.cost / *w.imp), ptr(*w.clk / *w.imp), ptr(w.cost / *w.clk)
		}
		if g.Touchpoint != w.tp || g.Campaign != w.camp || g.Cost != w.cost || !eq(g.Impressions, w.imp) || !eq(g.Clicks, w.clk) ||
			!eq(g.CPM, cpm) || !eq(g.CTR, ctr) || !eq(g.CPC, cpc) || g.Entrants != w.entrants || g.Purchasers != w.bought || g.Revenue != w.revenue ||
			!eq(g.CostPerEntrant, ptr(w.cost/float64(w.entrants))) || !eq(g.CPA, ptr(w.cost/float64(w.bought))) || !eq(g.ROAS, ptr(w.revenue/w.cost)) {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
	// web has no spend: not paid, not in the top of the funnel.
	if entry == nil || entry.Cost != 220 || !eq(entry.Impressions, ptr(45000)) || !eq(entry.Clicks, ptr(560)) || entry.Entrants != 240 ||
		!eq(entry.CTR, ptr(560.0/45000)) || !eq(entry.EntrantsPerClick, ptr(240.0/560)) {
		t.Errorf("paid entry %+v", entry)
	}
	if m, e := touchpointMetrics(p, f, nil, d); m != nil || e != nil {
		t.Error("metrics without a spend input")
	}
}
