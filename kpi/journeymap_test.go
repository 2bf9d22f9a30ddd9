package kpi

import (
	"fmt"
	"maps"
	"math"
	"testing"
)

func TestJourneyMap(t *testing.T) {
	p := defaultParams()
	p.MinCustomers = 2
	p.PainPoints = 2
	dicts := testDicts() // touchpoints 1 email, 2 search, 3 social, 4 store
	js := []Journey{
		{Customer: 1, Events: []Event{
			tp(ev(0, sAware), 3), mood(tp(ev(1, sInterest), 2), -0.5), mood(tp(ev(2, sInterest), 2), -0.25),
			tp(order(ev(3, sPurchase), 1), 4), tp(order(ev(4, sPurchase), 1), 1), mood(tp(ev(5, sFeedback), 1), -1),
		}},
		{Customer: 2, Events: []Event{
			tp(ev(-2*d, sInterest), 2), tp(ev(5*d, sAware), 3), mood(tp(ev(5*d+1, sInterest), 2), 0.5),
			mood(tp(ev(32*d, sCompare), 1), -1), // after the period: reaches the stage, not an event of the period
		}},
		{Customer: 3, Events: []Event{mood(tp(ev(3, sFeedback), 1), -0.5), tp(order(ev(4, sPurchase), 0), 4), tp(order(ev(5, sPurchase), 0), 4)}},
	}
	m := engineRun(p, p.Current, dicts, js, 1).jmap
	type cell struct {
		Customers, Events, N int64
		Mean                 *float64
	}
	got := map[string]cell{}
	for _, c := range m.Cells {
		got[c.Stage+"/"+c.Touchpoint] = cell{c.Customers, c.Events, c.SentimentN, c.SentimentMean}
	}
	want := map[string]cell{
		"awareness/social": {2, 2, 0, nil},
		"interest/search":  {2, 3, 3, Ptr(-0.25 / 3)},
		"comparison/email": {1, 0, 0, nil}, // customer 2 reaches comparison after the period
		"purchase/store":   {0, 3, 0, nil}, // orders: customer 1's order 1 (its first event) and customer 3's two
		"feedback/email":   {0, 2, 2, Ptr(-0.75)},
		"repeat/store":     {0, 1, 0, nil},
	}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("cells:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
	}
	if mustJSON(t, m.Touchpoints) != `[
 "email",
 "search",
 "social",
 "store"
]` {
		t.Errorf("touchpoints %v", m.Touchpoints)
	}
	// Each stage with a sentiment has one cell, which is its stage's mean: nothing is below it.
	if len(m.PainPoints) != 0 {
		t.Errorf("pain points %s", mustJSON(t, m.PainPoints))
	}
	moods := map[string]float64{}
	for _, s := range m.Sentiment {
		if s.Mean != nil {
			moods[s.Stage] = *s.Mean
		}
	}
	if math.Abs(moods["interest"]+0.25/3) > 1e-12 || moods["feedback"] != -0.75 || len(moods) != 2 {
		t.Errorf("sentiment line %s", mustJSON(t, m.Sentiment))
	}
	p.MinCustomers = 3
	if m := engineRun(p, p.Current, dicts, js, 1).jmap; len(m.PainPoints) != 0 || m.Cells[1].Measured {
		t.Errorf("pain points with 3 customers needed: %s", mustJSON(t, m.PainPoints))
	}
}

// TestPainPoints checks the pain points against a plain computation: customers reach interest
// through social feeling −0.375 on average and half of them go on to comparison, through search
// feeling +0.375 with 16 of 20 going on; (none) and a cell too few answered in feel worst and are
// never pain points.
func TestPainPoints(t *testing.T) {
	p := defaultParams()
	p.MinCustomers = 3
	dicts := testDicts() // touchpoints 1 email, 2 search, 3 social, 4 store
	var js []Journey
	var stageSum, socialSum, socialSq float64
	var stageN int
	customer := func(tpCode uint32, sentiment float32, compares bool) {
		id := uint64(len(js) + 1)
		evs := []Event{tp(ev(0, sAware), tpCode), mood(tp(ev(1, sInterest), tpCode), sentiment)}
		if compares {
			evs = append(evs, tp(ev(2, sCompare), 1))
		}
		js = append(js, Journey{Customer: id, Events: evs})
		stageSum += float64(sentiment)
		stageN++
	}
	for i := range 20 {
		s := float32(-0.5)
		if i%2 == 1 {
			s = -0.25
		}
		customer(3, s, i < 10)
		socialSum += float64(s)
		socialSq += float64(s) * float64(s)
		customer(2, -s, i < 16)
	}
	for i := range 5 {
		customer(0, -1, false)
		_ = i
	}
	customer(4, -1, true)
	customer(4, -1, false)

	m := engineRun(p, p.Current, dicts, js, 3).jmap
	if len(m.PainPoints) != 1 {
		t.Fatalf("pain points %s, want social at interest only", mustJSON(t, m.PainPoints))
	}
	pp := m.PainPoints[0]
	n := 20.0
	mean := socialSum / n
	sd := math.Sqrt((socialSq - n*mean*mean) / (n - 1))
	half := 1.959963984540054 * sd / math.Sqrt(n)
	stageMean := stageSum / float64(stageN)
	// Comparison: 10 of social's 20, and 16 + 0 + 1 of the other 27.
	rest := 17.0 / 27
	if pp.Stage != "interest" || pp.Touchpoint != "social" || pp.Customers != 20 || pp.SentimentCustomers != 20 || !pp.Measured ||
		math.Abs(*pp.SentimentMean-mean) > 1e-12 || math.Abs(pp.StageMean-stageMean) > 1e-12 ||
		math.Abs(pp.Interval.Low-(mean-half)) > 1e-9 || math.Abs(pp.Interval.High-(mean+half)) > 1e-9 ||
		pp.NextStage != "comparison" || *pp.NextConversion != 0.5 || math.Abs(*pp.RestConversion-rest) > 1e-12 ||
		math.Abs(pp.ExtraDropOff-(rest-0.5)) > 1e-12 {
		t.Errorf("pain point %s; want mean %v in %v ± %v against %v, next 0.5 against %v", mustJSON(t, pp), mean, mean, half, stageMean, rest)
	}
	for _, c := range m.Cells {
		if c.Stage == "interest" && c.Touchpoint == "store" && (c.Measured || c.SentimentCustomers != 2) {
			t.Errorf("store at interest: %+v, want 2 answers, not measured", c)
		}
	}

	// Valued at close_gap × extra drop-off × customers × what a customer at comparison is worth,
	// and kept to journey_map.pain_points.
	v := &stageValues{rows: []StageRow{{Stage: "awareness"}, {Stage: "interest", Reached: 100}, {Stage: "comparison", Reached: 50},
		{Stage: "purchase", Reached: 20}}, purchase: 3, repeat: -1, perPurchaser: 100}
	p.CloseGap, p.PainPoints = 0.5, 1
	second := pp
	second.Touchpoint, second.ExtraDropOff = "app", 0
	got := valuePainPoints(p, []PainPoint{second, pp}, v)
	perCustomer := 20.0 / 50 * 100
	if len(got) != 1 || got[0].Touchpoint != "social" || math.Abs(got[0].ExtraCustomers-0.5*(rest-0.5)*20) > 1e-12 ||
		got[0].ValuePerCustomer != perCustomer || math.Abs(got[0].Value-0.5*(rest-0.5)*20*perCustomer) > 1e-9 {
		t.Errorf("valued %s, want social worth %v", mustJSON(t, got), 0.5*(rest-0.5)*20*perCustomer)
	}
}

// TestDimensionMapMeasured: a cell of the map by dimension has its mean read (Measured) by the
// touchpoint map's rule, journey_map.min_customers distinct customers who answered, whatever the
// number of answers; the parts merge to the same counts.
func TestDimensionMapMeasured(t *testing.T) {
	p := defaultParams()
	p.MinCustomers = 2
	p.Dimensions = []string{"device"}
	dicts := testDicts()
	dev := func(e Event, v string) Event { e.Dims[0] = dicts.Dims[0].Code(v); return e }
	js := []Journey{
		{Customer: 1, Events: []Event{dev(mood(ev(1, sInterest), -0.5), "app"), dev(mood(ev(2, sInterest), -0.25), "app")}},
		{Customer: 2, Events: []Event{dev(mood(ev(1, sInterest), 0.5), "web")}},
		{Customer: 3, Events: []Event{dev(mood(ev(1, sInterest), 0.25), "web")}},
	}
	for _, parts := range []int{1, 3} {
		m := engineRun(p, p.Current, dicts, js, parts).jmap
		got := map[string]string{}
		for _, c := range m.ByDimension[0].Cells {
			got[c.Stage+"/"+c.Value] = fmt.Sprintf("%d answers, %d customers, measured %v", c.SentimentN, c.SentimentCustomers, c.Measured)
		}
		want := map[string]string{
			"interest/app": "2 answers, 1 customers, measured false",
			"interest/web": "2 answers, 2 customers, measured true",
		}
		if !maps.Equal(got, want) {
			t.Errorf("%d parts: cells %v, want %v", parts, got, want)
		}
	}
}
