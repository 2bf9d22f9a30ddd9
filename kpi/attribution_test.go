package kpi

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// attrT0 is the start of the test report period.
var attrT0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// attrParams returns the parameters of the attribution tests: stages awareness, interest,
// purchase, repeat; the report period is March 2024 (UTC), February before it.
func attrParams() *Params {
	return &Params{
		Stages: []StageDef{
			{Name: "awareness"}, {Name: "interest"}, {Name: "purchase", Purchase: true},
			{Name: "repeat", Repeat: true, Within: 90 * Day},
		},
		Window:   30 * Day,
		Current:  Period{From: attrT0, To: attrT0 + 31*Day, FromDay: "2024-03-01", ToDay: "2024-03-31"},
		Previous: Period{From: attrT0 - 29*Day, To: attrT0, FromDay: "2024-02-01", ToDay: "2024-02-29"},
		DataEnd:  attrT0 + 60*Day,
		Location: time.UTC,
		Lookback: 30 * Day,
		HalfLife: 7 * Day,
		CloseGap: 0.5, MinEntrants: 30,
		MaxShift: 0.20,
		Actions:  5,
		Currency: "USD",
	}
}

const attrPurchase int8 = 2

// attrTouch is a non-purchase event at touchpoint tp, t micros after attrT0.
func attrTouch(d *Dicts, t int64, tp string) Event {
	return Event{Time: attrT0 + t, Touchpoint: d.Touchpoint.Code(tp), Stage: 1, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
}

// attrBuy is a purchase event of order ord with revenue rev (NaN for none).
func attrBuy(d *Dicts, t int64, tp string, ord uint64, rev float64) Event {
	return Event{Time: attrT0 + t, Touchpoint: d.Touchpoint.Code(tp), Stage: attrPurchase, Order: ord, Revenue: rev, Sentiment: float32(math.NaN())}
}

// attrJourney normalises the events into a journey.
func attrJourney(id uint64, ev ...Event) *Journey {
	ev, _ = SortJourney(ev)
	return &Journey{Customer: id, Events: ev}
}

// recordPaths lists j's paths as "a>b conv 50 [-72h -24h]" (touch ages from the order, or from
// the period start for null paths).
func recordPaths(p *Params, d *Dicts, j *Journey) []string {
	a := newAttributionAcc(p, p.Current)
	var out []string
	a.paths(j, scanOrders(p, j), func(conv bool, rev float64, _ int64) {
		names := make([]string, len(a.path))
		for i, c := range a.path {
			names[i] = d.TouchpointName(c)
		}
		hours := make([]string, len(a.times))
		for i, t := range a.times {
			hours[i] = fmt.Sprintf("%dh", (t-attrT0)/Hour)
		}
		kind := "null"
		if conv {
			kind = fmt.Sprintf("conv %g", rev)
		}
		out = append(out, fmt.Sprintf("%s %s [%s]", strings.Join(names, ">"), kind, strings.Join(hours, " ")))
	})
	return out
}

func TestAttributionPaths(t *testing.T) {
	p := attrParams()
	nan := math.NaN()
	d := NewDicts()
	h := Hour
	cases := []struct {
		name string
		ev   []Event
		want []string
	}{
		{"simple", []Event{attrTouch(d, 100*h, "email"), attrTouch(d, 110*h, "search"), attrBuy(d, 120*h, "web", 1, 50)},
			[]string{"email>search conv 50 [100h 110h]"}},
		{"look-back edge inclusive", []Event{
			attrTouch(d, 200*h-30*Day-1, "social"), attrTouch(d, 200*h-30*Day, "email"), attrBuy(d, 200*h, "web", 1, 10)},
			[]string{"email conv 10 [-520h]"}},
		{"touches before the period count within the look-back", []Event{attrTouch(d, -5*Day, "email"), attrBuy(d, 2*Day, "web", 1, 10)},
			[]string{"email conv 10 [-120h]"}},
		{"repeats collapsed to the latest time", []Event{
			attrTouch(d, 10*h, "email"), attrTouch(d, 11*h, "email"), attrTouch(d, 12*h, "search"),
			attrTouch(d, 13*h, "email"), attrTouch(d, 14*h, "email"), attrBuy(d, 20*h, "web", 7, 5)},
			[]string{"email>search>email conv 5 [11h 12h 14h]"}},
		{"no touch before: own touchpoint", []Event{attrBuy(d, 30*h, "store", 1, 80), attrTouch(d, 40*h, "email")},
			[]string{"store conv 80 [30h]"}},
		{"touch at the order time is not before it", []Event{attrTouch(d, 30*h, "email"), attrBuy(d, 30*h, "store", 1, 80)},
			[]string{"store conv 80 [30h]"}},
		{"previous order bounds the path", []Event{
			attrTouch(d, 10*h, "email"), attrBuy(d, 20*h, "web", 1, 1), attrTouch(d, 20*h, "social"),
			attrTouch(d, 30*h, "search"), attrBuy(d, 40*h, "web", 2, 2)},
			[]string{"email conv 1 [10h]", "search conv 2 [30h]"}},
		{"previous order before the period bounds the path", []Event{
			attrTouch(d, -10*Day, "email"), attrBuy(d, -2*Day, "web", 1, 1), attrTouch(d, -1*Day, "search"),
			attrBuy(d, 5*h, "web", 2, 2)},
			[]string{"search conv 2 [-24h]"}},
		{"orders in the same instant", []Event{
			attrTouch(d, 10*h, "email"), attrBuy(d, 20*h, "web", 1, 1), attrBuy(d, 20*h, "app", 2, 2)},
			[]string{"email conv 1 [10h]", "app conv 2 [20h]"}},
		{"resent purchase: one order, first revenue value", []Event{
			attrTouch(d, 10*h, "email"), attrBuy(d, 20*h, "web", 9, nan), attrBuy(d, 21*h, "web", 9, 30),
			attrBuy(d, 22*h, "web", 9, 31)},
			[]string{"email conv 30 [10h]"}},
		{"orders without order id are distinct", []Event{
			attrTouch(d, 10*h, "email"), attrBuy(d, 20*h, "web", 0, 3), attrBuy(d, 20*h, "web", 0, 4)},
			[]string{"email conv 3 [10h]", "web conv 4 [20h]"}},
		{"order without revenue", []Event{attrTouch(d, 10*h, "email"), attrBuy(d, 20*h, "web", 1, nan)},
			[]string{"email conv 0 [10h]"}},
		{"order started before the period is not a conversion: null path", []Event{
			attrBuy(d, -h, "web", 1, 5), attrBuy(d, h, "web", 1, 5), attrTouch(d, 2*h, "email"), attrTouch(d, 3*h, "email")},
			[]string{"email null [3h]"}},
		{"null path: touches in the period only", []Event{
			attrTouch(d, -2*Day, "social"), attrTouch(d, 10*h, "email"), attrTouch(d, 12*h, "(none)"),
			attrTouch(d, 13*h, "search"), attrTouch(d, 40*Day, "store")},
			[]string{"email>(none)>search null [10h 12h 13h]"}},
		{"unmatched events are touches", []Event{
			{Time: attrT0 + h, Touchpoint: d.Touchpoint.Code("app"), Stage: NoStage, Revenue: nan},
			attrBuy(d, 2*h, "web", 1, 9)},
			[]string{"app conv 9 [1h]"}},
		{"no event in the period", []Event{attrTouch(d, -2*Day, "social"), attrBuy(d, -Day, "web", 1, 5)}, nil},
		{"order in the period and touches after it: no null path", []Event{
			attrBuy(d, h, "web", 1, 5), attrTouch(d, 2*h, "email")},
			[]string{"web conv 5 [1h]"}},
	}
	// A customer with many orders, each sent twice: one conversion per order, its path the touch
	// since the previous order.
	var many []Event
	var manyWant []string
	for i := range int64(100) {
		at := i * 4 * h
		many = append(many, attrTouch(d, at+h, "email"), attrBuy(d, at+2*h, "web", uint64(1000+i), float64(i)),
			attrBuy(d, at+3*h, "web", uint64(1000+i), 1e6))
		manyWant = append(manyWant, fmt.Sprintf("email conv %d [%dh]", i, i*4+1))
	}
	cases = append(cases, struct {
		name string
		ev   []Event
		want []string
	}{"many orders", many, manyWant})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := recordPaths(p, d, attrJourney(1, c.ev...))
			if strings.Join(got, "; ") != strings.Join(c.want, "; ") {
				t.Errorf("paths\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestPositionWeight(t *testing.T) {
	cases := []struct {
		n    int
		want []float64
	}{
		{1, []float64{1}},
		{2, []float64{0.5, 0.5}},
		{3, []float64{0.4, 0.2, 0.4}},
		{4, []float64{0.4, 0.1, 0.1, 0.4}},
		{6, []float64{0.4, 0.05, 0.05, 0.05, 0.05, 0.4}},
	}
	for _, c := range cases {
		sum := 0.0
		for i, w := range c.want {
			if got := positionWeight(i, c.n); math.Abs(got-w) > 1e-15 {
				t.Errorf("positionWeight(%d, %d) = %v, want %v", i, c.n, got, w)
			}
			sum += positionWeight(i, c.n)
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("n=%d: weights sum to %v", c.n, sum)
		}
	}
}

func TestTimeDecayWeights(t *testing.T) {
	cases := []struct {
		name     string
		times    []int64
		halfLife int64
		want     []float64
	}{
		{"one touch", []int64{5}, 7 * Day, []float64{1}},
		{"two half-lives apart", []int64{-14 * Day, -7 * Day, 0}, 7 * Day, []float64{1 / 7.0, 2 / 7.0, 4 / 7.0}},
		{"same time", []int64{3 * Hour, 3 * Hour}, 7 * Day, []float64{0.5, 0.5}},
		{"very old path does not underflow", []int64{-10000 * Week, -10000*Week + 7*Day}, 7 * Day, []float64{1 / 3.0, 2 / 3.0}},
		{"no half-life: equal", []int64{0, Day, 2 * Day, 3 * Day}, 0, []float64{0.25, 0.25, 0.25, 0.25}},
	}
	for _, c := range cases {
		got := timeDecayWeights(nil, c.times, c.halfLife)
		for i := range c.want {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s: weights %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

// attrFromPaths folds paths ("a>b>c", conversions, nulls, revenue per conversion) into an
// attribution of the current period: each conversion and each null is one customer whose
// touches are an hour apart.
type attrPath struct {
	path        string
	conv, nulls int
	revenue     float64
}

func attrJourneys(d *Dicts, paths []attrPath) []*Journey {
	var js []*Journey
	id := uint64(0)
	for _, ap := range paths {
		names := strings.Split(ap.path, ">")
		for k := range ap.conv + ap.nulls {
			id++
			ev := make([]Event, 0, len(names)+1)
			for i, n := range names {
				ev = append(ev, attrTouch(d, Day+int64(i)*Hour, strings.TrimSpace(n)))
			}
			if k < ap.conv {
				ev = append(ev, attrBuy(d, Day+int64(len(names))*Hour, "web", 0, ap.revenue))
			}
			js = append(js, attrJourney(id, ev...))
		}
	}
	return js
}

func attrResult(p *Params, d *Dicts, js []*Journey, spend []SpendRow) AttributionResult {
	a := newAttributionAcc(p, p.Current)
	for _, j := range js {
		a.add(j, scanOrders(p, j))
	}
	return a.result(d, spend)
}

// attrByTouchpoint indexes the result's touchpoints by name.
func attrByTouchpoint(r AttributionResult) map[string]TouchpointAttribution {
	m := map[string]TouchpointAttribution{}
	for _, t := range r.Touchpoints {
		m[t.Touchpoint] = t
	}
	return m
}

func TestHeuristicModels(t *testing.T) {
	// eeghor/mta's test fixture (MIT): paths direct (2 conversions, 1 null), search>email (3, 2),
	// search>social>email (5, 4).
	p := attrParams()
	d := NewDicts()
	js := attrJourneys(d, []attrPath{
		{"direct", 2, 1, 10}, {"search>email", 3, 2, 20}, {"search>social>email", 5, 4, 30},
	})
	r := attrResult(p, d, js, nil)
	if r.Conversions != 10 || r.NullPaths != 7 || r.Revenue != 2*10+3*20+5*30 {
		t.Fatalf("conversions %d, null paths %d, revenue %v", r.Conversions, r.NullPaths, r.Revenue)
	}
	// Time decay: touches an hour apart, half-life 7 days.
	w := math.Exp2(-1.0 / (7 * 24))
	w2 := 1 / (1 + w)
	w3 := 1 / (1 + w + w*w)
	want := map[string][5]float64{ // first, last, linear, position, time decay
		"direct": {2, 2, 2, 2, 2},
		"search": {8, 0, 3.0/2 + 5.0/3, 3*0.5 + 5*0.4, 3*w*w2 + 5*w*w*w3},
		"email":  {0, 8, 3.0/2 + 5.0/3, 3*0.5 + 5*0.4, 3*w2 + 5*w3},
		"social": {0, 0, 5.0 / 3, 5 * 0.2, 5 * w * w3},
	}
	got := attrByTouchpoint(r)
	for name, wv := range want {
		tp, ok := got[name]
		if !ok {
			t.Fatalf("touchpoint %s missing", name)
		}
		gv := [5]float64{tp.FirstTouch, tp.LastTouch, tp.Linear, tp.PositionBased, tp.TimeDecay}
		for m := range gv {
			if math.Abs(gv[m]-wv[m]) > 1e-9 {
				t.Errorf("%s %s = %v, want %v", name, AttributionModels()[m], gv[m], wv[m])
			}
		}
	}
	// Revenue per model: search>email converts at 20, the long path at 30.
	if g, w := got["search"].Revenue[ModelLinear], 3*20/2.0+5*30/3.0; math.Abs(g-w) > 1e-9 {
		t.Errorf("search linear revenue %v, want %v", g, w)
	}
	if g, w := got["email"].Revenue[ModelLastTouch], 3*20.0+5*30; g != w {
		t.Errorf("email last-touch revenue %v, want %v", g, w)
	}
	// Every model hands out all conversions and all revenue.
	for _, m := range AttributionModels() {
		var conv, revenue float64
		for _, tp := range r.Touchpoints {
			conv += tp.conversions(m)
			revenue += tp.Revenue[m]
		}
		if math.Abs(conv-10) > 1e-9 || math.Abs(revenue-r.Revenue) > 1e-9 {
			t.Errorf("%s: %v conversions, %v revenue", m, conv, revenue)
		}
	}
	if got["web"].CustomersReached != 10 || got["email"].CustomersReached != 14 {
		t.Errorf("reached web %d, email %d", got["web"].CustomersReached, got["email"].CustomersReached)
	}
}

func TestMarkovPublishedExamples(t *testing.T) {
	cases := []struct {
		name    string
		paths   []attrPath
		removal map[string]float64
		markov  map[string]float64
	}{
		{
			// ChannelAttribution vignette (Altomare & Loris 2015).
			"ChannelAttribution vignette",
			[]attrPath{{"A>B>A>B>B>A", 1, 0, 1}, {"A>B>B>A>A", 1, 0, 1}, {"A>A", 1, 0, 1}},
			map[string]float64{"A": 1, "B": 0.5},
			map[string]float64{"A": 2, "B": 1},
		},
		{
			// serhiipuzyrov.com, "Markov Chain Attribution - Simple Explanation of Removal Effect":
			// P(conv) = 0.8·0.75 + 0.2 = 0.8; without google ads 0.2, without mailing 0.4.
			"removal effect explained",
			[]attrPath{{"google ads", 2, 0, 1}, {"mailing", 1, 0, 1}, {"google ads>mailing", 1, 0, 1}, {"google ads", 0, 1, 1}},
			map[string]float64{"google ads": 0.75, "mailing": 0.5},
			map[string]float64{"google ads": 2.4, "mailing": 1.6},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := attrParams()
			d := NewDicts()
			r := attrResult(p, d, attrJourneys(d, c.paths), nil)
			got := attrByTouchpoint(r)
			for name, w := range c.removal {
				if g := got[name].RemovalEffect; math.Abs(g-w) > 1e-12 {
					t.Errorf("removal effect %s = %v, want %v", name, g, w)
				}
				if g := got[name].Markov; math.Abs(g-c.markov[name]) > 1e-12 {
					t.Errorf("markov %s = %v, want %v", name, g, c.markov[name])
				}
			}
		})
	}
	// The vignette's heuristic results: first and last touch give all three to A.
	p := attrParams()
	d := NewDicts()
	r := attrResult(p, d, attrJourneys(d, []attrPath{{"A>B>A>B>B>A", 1, 0, 1}, {"A>B>B>A>A", 1, 0, 1}, {"A>A", 1, 0, 1}}), nil)
	a := attrByTouchpoint(r)["A"]
	if a.FirstTouch != 3 || a.LastTouch != 3 {
		t.Errorf("A first %v last %v, want 3 and 3", a.FirstTouch, a.LastTouch)
	}
}

func TestAttributionSpend(t *testing.T) {
	p := attrParams()
	d := NewDicts()
	js := attrJourneys(d, []attrPath{{"email", 4, 0, 25}, {"search", 2, 2, 50}})
	spend := []SpendRow{
		{Day: attrT0, Touchpoint: "email", Cost: 10},
		{Day: attrT0 + 3*Day, Touchpoint: "email", Cost: 30},
		{Day: attrT0 - Day, Touchpoint: "email", Cost: 1000}, // before the period
		{Day: attrT0 + 31*Day, Touchpoint: "search", Cost: 1000},
		{Day: attrT0 + Day, Touchpoint: "search", Cost: 200},
		{Day: attrT0 + Day, Touchpoint: "tv", Cost: 500}, // spent, never seen in the data
	}
	r := attrResult(p, d, js, spend)
	if !r.SpendKnown {
		t.Fatal("spend not known")
	}
	got := attrByTouchpoint(r)
	cases := []struct {
		tp         string
		cost       float64
		cpaLast    *float64
		roasMarkov *float64
	}{
		{"email", 40, Ptr(10), Ptr(100.0 / 40)},
		{"search", 200, Ptr(100), Ptr(100.0 / 200)},
		{"tv", 500, nil, Ptr(0)},
		{"web", 0, nil, nil}, // no cost, no conversion: both undefined
	}
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || math.Abs(*a-*b) < 1e-9) }
	for _, c := range cases {
		tp, ok := got[c.tp]
		if !ok {
			t.Fatalf("touchpoint %s missing", c.tp)
		}
		if tp.Cost == nil || *tp.Cost != c.cost {
			t.Errorf("%s cost %v, want %v", c.tp, tp.Cost, c.cost)
		}
		if !eq(tp.CPA[ModelLastTouch], c.cpaLast) || !eq(tp.ROAS[ModelMarkov], c.roasMarkov) {
			t.Errorf("%s CPA(last) %v want %v, ROAS(markov) %v want %v", c.tp, attrFmtPtr(tp.CPA[ModelLastTouch]), attrFmtPtr(c.cpaLast),
				attrFmtPtr(tp.ROAS[ModelMarkov]), attrFmtPtr(c.roasMarkov))
		}
	}
	none := attrResult(p, d, js, nil)
	if none.SpendKnown || len(none.Touchpoints) == 0 {
		t.Errorf("without spend: spend known %v, %d touchpoints", none.SpendKnown, len(none.Touchpoints))
	}
	for _, tp := range none.Touchpoints {
		if tp.Cost != nil || tp.CPA != nil || tp.ROAS != nil {
			t.Errorf("%s: cost without spend", tp.Touchpoint)
		}
	}
}

func attrFmtPtr(v *float64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}
