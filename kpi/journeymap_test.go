package kpi

import (
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
	// Pain points need MinCustomers customers with a sentiment: feedback/email has 2, interest/search 2.
	if len(m.PainPoints) != 2 || m.PainPoints[0].Stage != "feedback" || m.PainPoints[1].Stage != "interest" {
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
	if m := engineRun(p, p.Current, dicts, js, 1).jmap; len(m.PainPoints) != 0 {
		t.Errorf("pain points with 3 customers needed: %s", mustJSON(t, m.PainPoints))
	}
}
