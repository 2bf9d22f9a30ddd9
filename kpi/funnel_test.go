package kpi

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Stages of the default config, by index.
const (
	sAware int8 = iota
	sInterest
	sCompare
	sPurchase
	sUsage
	sFeedback
)

var jan1 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// defaultParams is the default stage list with W = 30 days, a 90-day repeat window and the
// period January 2025.
func defaultParams() *Params {
	return &Params{
		Stages: []StageDef{
			{Name: "awareness"}, {Name: "interest"}, {Name: "comparison"}, {Name: "purchase", Purchase: true},
			{Name: "usage", Optional: true}, {Name: "feedback", Optional: true}, {Name: "repeat", Repeat: true, Within: 90 * Day},
		},
		Window:     30 * Day,
		Current:    Period{From: jan1, To: jan1 + 31*Day, FromDay: "2025-01-01", ToDay: "2025-01-31"},
		Previous:   Period{From: jan1 - 31*Day, To: jan1, FromDay: "2024-12-01", ToDay: "2024-12-31"},
		DataEnd:    jan1 + 365*Day,
		Location:   time.UTC,
		Breakdowns: []string{"first_touchpoint", "segment", "entry_week"},
		Top:        10, MinCustomers: 1, PainPoints: 5,
	}
}

// ev is an event at h hours after 2025-01-01 00:00 UTC.
func ev(h float64, stage int8) Event {
	return Event{Time: jan1 + int64(h*float64(Hour)), Stage: stage, Revenue: math.NaN(), Sentiment: float32(math.NaN())}
}

func order(e Event, o uint64) Event { e.Order = o; return e }
func tp(e Event, t uint32) Event    { e.Touchpoint = t; return e }
func mood(e Event, s float32) Event { e.Sentiment = s; return e }
func rev(e Event, r float64) Event  { e.Revenue = r; return e }

const d = 24.0 // hours in a day, for event times

func TestClosedFunnelRules(t *testing.T) {
	withinParams := func() *Params {
		p := defaultParams()
		p.Stages = []StageDef{{Name: "awareness"}, {Name: "interest"}, {Name: "comparison", Within: Day}, {Name: "purchase", Purchase: true}}
		return p
	}
	cases := []struct {
		name    string
		params  func() *Params
		dataEnd float64 // hours after Jan 1; 0 keeps the params' DataEnd
		events  []Event
		reached []int64 // per stage; nil: not an entrant
		status  string  // completed | dropped | in_progress
		hours   []float64
	}{
		{name: "full journey with a repeat order",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 1), order(ev(40*d, sPurchase), 2)},
			reached: []int64{1, 1, 1, 1, 0, 0, 1}, status: "completed", hours: []float64{0, 1, 1, 1, 0, 0, 40*d - 3}},
		{name: "stages must come in order",
			events:  []Event{ev(0, sInterest), ev(1, sAware), ev(2, sCompare)},
			reached: []int64{1, 0, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "window boundary is inclusive",
			events:  []Event{ev(0, sAware), ev(30*d, sInterest)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "one microsecond past the window is out",
			events:  []Event{ev(0, sAware), {Time: jan1 + 30*Day + 1, Stage: sInterest, Revenue: math.NaN(), Sentiment: float32(math.NaN())}},
			reached: []int64{1, 0, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "same timestamp is taken in stage order",
			events:  []Event{ev(5, sCompare), ev(5, sInterest), ev(5, sAware)},
			reached: []int64{1, 1, 1, 0, 0, 0, 0}, status: "dropped", hours: []float64{0, 0, 0}},
		{name: "a later attempt that goes further counts",
			events:  []Event{ev(0, sAware), ev(1*d, sInterest), ev(20*d, sAware), ev(40*d, sInterest), ev(41*d, sCompare)},
			reached: []int64{1, 1, 1, 0, 0, 0, 0}, status: "dropped", hours: []float64{0, 20 * d, 1 * d}},
		{name: "ties go to the earliest attempt",
			events:  []Event{ev(0, sAware), ev(10, sAware), ev(12, sInterest)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "dropped", hours: []float64{0, 12}},
		{name: "attempts before the period do not count",
			events:  []Event{ev(-10*d, sAware), ev(-9*d, sInterest), ev(-8*d, sCompare), ev(2*d, sAware)},
			reached: []int64{1, 0, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "no first-stage event in the period: not an entrant",
			events: []Event{ev(-2*d, sAware), ev(1*d, sInterest), ev(32*d, sAware)}},
		{name: "conversions after the period count",
			events:  []Event{ev(30*d, sAware), ev(40*d, sInterest)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "optional stages count and never block",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 1), ev(4, sFeedback), order(ev(5, sPurchase), 2)},
			reached: []int64{1, 1, 1, 1, 0, 1, 1}, status: "completed"},
		{name: "an optional stage before its previous required stage does not count",
			events:  []Event{ev(0, sAware), ev(1, sUsage), ev(2, sInterest), ev(3, sCompare), order(ev(4, sPurchase), 1)},
			reached: []int64{1, 1, 1, 1, 0, 0, 0}, status: "dropped"},
		{name: "a resent order is not a repeat",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 7), order(ev(10*d, sPurchase), 7)},
			reached: []int64{1, 1, 1, 1, 0, 0, 0}, status: "dropped"},
		{name: "purchases without order_id are their own orders",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), ev(3, sPurchase), rev(ev(3, sPurchase), 9)},
			reached: []int64{1, 1, 1, 1, 0, 0, 1}, status: "completed", hours: []float64{0, 1, 1, 1, 0, 0, 0}},
		{name: "exact duplicate rows count once",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), ev(3, sPurchase), ev(3, sPurchase)},
			reached: []int64{1, 1, 1, 1, 0, 0, 0}, status: "dropped"},
		{name: "events that match no stage are ignored",
			events:  []Event{ev(0, sAware), ev(1, NoStage), ev(2, sInterest), ev(3, NoStage)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "dropped", hours: []float64{0, 2}},
		{name: "repeat within its own window, boundary inclusive",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 1), order(ev(3+90*d, sPurchase), 2)},
			reached: []int64{1, 1, 1, 1, 0, 0, 1}, status: "completed"},
		{name: "repeat past its window is dropped",
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 1), order(ev(4+90*d, sPurchase), 2)},
			reached: []int64{1, 1, 1, 1, 0, 0, 0}, status: "dropped"},
		{name: "a resend of an order from before the attempt is no purchase",
			events:  []Event{order(ev(-5*d, sPurchase), 3), ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 3)},
			reached: []int64{1, 1, 1, 0, 0, 0, 0}, status: "dropped"},
		{name: "window still open at the data's end is in progress",
			dataEnd: 35 * d,
			events:  []Event{ev(20*d, sAware), ev(21*d, sInterest)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "in_progress"},
		{name: "deadline exactly at the data's end is dropped",
			dataEnd: 50 * d,
			events:  []Event{ev(20*d, sAware), ev(50*d, sInterest)},
			reached: []int64{1, 1, 0, 0, 0, 0, 0}, status: "dropped"},
		{name: "repeat window open at the data's end is in progress",
			dataEnd: 60 * d,
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(2, sCompare), order(ev(3, sPurchase), 1)},
			reached: []int64{1, 1, 1, 1, 0, 0, 0}, status: "in_progress"},
		{name: "within is measured from any qualifying previous event",
			params:  withinParams,
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(10*d, sInterest), ev(10*d+1, sCompare)},
			reached: []int64{1, 1, 1, 0}, status: "dropped", hours: []float64{0, 1, 10 * d}},
		{name: "within deadline from the latest qualifying event decides in progress",
			params: withinParams, dataEnd: 10*d + 12,
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(10*d, sInterest)},
			reached: []int64{1, 1, 0, 0}, status: "in_progress"},
		{name: "within past the window of the previous stage is dropped",
			params:  withinParams,
			events:  []Event{ev(0, sAware), ev(1, sInterest), ev(26, sCompare)},
			reached: []int64{1, 1, 0, 0}, status: "dropped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := defaultParams()
			if c.params != nil {
				p = c.params()
			}
			if c.dataEnd != 0 {
				p.DataEnd = jan1 + int64(c.dataEnd*float64(Hour))
			}
			events, _ := SortJourney(slices.Clone(c.events))
			js := []Journey{{Customer: 1, Events: events}}
			got := engineRun(p, p.Current, testDicts(), js, 1).funnel
			want := refCompute(p, p.Current, testDicts(), js).funnel
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				t.Errorf("engine and reference differ:\n got %s\nwant %s", g, w)
			}
			if c.reached == nil {
				if got.Entrants != 0 {
					t.Fatalf("entrants = %d, want 0", got.Entrants)
				}
				return
			}
			if got.Entrants != 1 {
				t.Fatalf("entrants = %d, want 1", got.Entrants)
			}
			var reached []int64
			for _, r := range got.Closed {
				reached = append(reached, r.Reached)
			}
			if !slices.Equal(reached, c.reached) {
				t.Errorf("reached = %v, want %v", reached, c.reached)
			}
			status := map[[3]int64]string{{1, 0, 0}: "completed", {0, 1, 0}: "dropped", {0, 0, 1}: "in_progress"}[[3]int64{got.Completed, got.Dropped, got.InProgress}]
			if status != c.status {
				t.Errorf("status = %q (completed %d dropped %d in progress %d), want %q", status, got.Completed, got.Dropped, got.InProgress, c.status)
			}
			for k, h := range c.hours {
				st := got.Closed[k].TimeToConvertHours
				if h == 0 && c.reached[k] == 0 || k == 0 {
					continue
				}
				if st.Median == nil || math.Abs(*st.Median-h) > 1e-9 {
					t.Errorf("stage %d: time to convert %v, want %v h", k, st.Median, h)
				}
			}
		})
	}
}

func TestStageRowFormulas(t *testing.T) {
	p := defaultParams()
	var js []Journey
	add := func(events ...Event) {
		events, _ = SortJourney(events)
		js = append(js, Journey{Customer: uint64(len(js) + 1), Events: events})
	}
	add(ev(0, sAware))                                             // dropped at awareness
	add(ev(0, sAware), ev(2, sInterest))                           // dropped at interest, 2 h
	add(ev(0, sAware), ev(4, sInterest), ev(5, sCompare))          // dropped at comparison, 4 h, 1 h
	add(ev(0, sAware), ev(10, sInterest), ev(13, sCompare))        // dropped at comparison, 10 h, 3 h
	add(ev(30*d, sAware), ev(30*d+6, sInterest), ev(31*d, sUsage)) // usage needs a purchase first
	p.DataEnd = jan1 + int64(40*d*float64(Hour))
	f := engineRun(p, p.Current, testDicts(), js, 1).funnel
	if f.Entrants != 5 || f.Dropped != 4 || f.InProgress != 1 || f.Completed != 0 {
		t.Fatalf("entrants %d dropped %d in progress %d completed %d", f.Entrants, f.Dropped, f.InProgress, f.Completed)
	}
	type row struct {
		Reached, Dropped, InProgress int64
		FromPrev, FromEntry          *float64
		Median, P90, Mean            *float64
	}
	want := []row{
		{5, 1, 0, nil, Ptr(1), nil, nil, nil},
		{4, 1, 1, Ptr(0.8), Ptr(0.8), Ptr(5), Ptr(8.8), Ptr(5.5)},
		{2, 2, 0, Ptr(0.5), Ptr(0.4), Ptr(2), Ptr(2.8), Ptr(2)},
		{0, 0, 0, Ptr(0), Ptr(0), nil, nil, nil},
	}
	for k, w := range want {
		r := f.Closed[k]
		got := row{r.Reached, r.Dropped, r.InProgress, r.ConversionFromPrevious, r.ConversionFromEntry,
			r.TimeToConvertHours.Median, r.TimeToConvertHours.P90, r.TimeToConvertHours.Mean}
		if mustJSON(t, got) != mustJSON(t, w) {
			t.Errorf("stage %s: got %s, want %s", r.Stage, mustJSON(t, got), mustJSON(t, w))
		}
	}
}

func TestHoursStats(t *testing.T) {
	h := func(v ...float64) []int64 {
		var out []int64
		for _, x := range v {
			out = append(out, int64(x*float64(Hour)))
		}
		return out
	}
	cases := []struct {
		in                []int64
		median, p90, mean float64
	}{
		{h(5), 5, 5, 5},
		{h(1, 3), 2, 2.8, 2},
		{h(4, 1, 3, 2), 2.5, 3.7, 2.5},
		{h(0, 0, 0, 0, 0, 0, 0, 0, 0, 100), 0, 10, 10},
	}
	for _, c := range cases {
		s := hoursStats(c.in)
		if s.N != int64(len(c.in)) || math.Abs(*s.Median-c.median) > 1e-9 || math.Abs(*s.P90-c.p90) > 1e-9 || math.Abs(*s.Mean-c.mean) > 1e-9 {
			t.Errorf("%v: got n %d median %v p90 %v mean %v", c.in, s.N, *s.Median, *s.P90, *s.Mean)
		}
	}
	if s := hoursStats(nil); s.N != 0 || s.Median != nil || s.P90 != nil || s.Mean != nil {
		t.Errorf("empty: %+v", s)
	}
}

func TestOpenFunnel(t *testing.T) {
	p := defaultParams()
	var js []Journey
	add := func(events ...Event) {
		events, _ = SortJourney(events)
		js = append(js, Journey{Customer: uint64(len(js) + 1), Events: events})
	}
	add(ev(1, sInterest), ev(2, sInterest), order(ev(3, sPurchase), 1))         // interest 1, purchase 1
	add(order(ev(-3*d, sPurchase), 1), order(ev(2*d, sPurchase), 1))            // a resent earlier order: nothing
	add(order(ev(-3*d, sPurchase), 1), order(ev(2*d, sPurchase), 2))            // a second order: purchase and repeat
	add(ev(-1, sAware), ev(31*d, sAware), ev(10*d, sFeedback))                  // only feedback in the period
	add(ev(5, sAware), ev(6, sPurchase), ev(7, sPurchase), ev(40*d, sInterest)) // two orders without id
	f := engineRun(p, p.Current, testDicts(), js, 1).funnel
	want := []int64{1, 1, 0, 3, 0, 1, 2}
	if len(f.Open) != len(want) {
		t.Fatalf("%d open funnel rows, want %d", len(f.Open), len(want))
	}
	for k, r := range f.Open {
		if r.Customers != want[k] {
			t.Errorf("open %s = %d, want %d", r.Stage, r.Customers, want[k])
		}
	}
}

func TestBreakdowns(t *testing.T) {
	p := defaultParams()
	p.Top = 2
	dicts := testDicts() // touchpoints 1 email, 2 search, 3 social, 4 store; segments 1 new, 2 vip
	var js []Journey
	add := func(touch, seg uint32, day float64, reachInterest bool) {
		e := tp(ev(day*d, sAware), touch)
		e.Segment = seg
		events := []Event{e}
		if reachInterest {
			events = append(events, ev(day*d+1, sInterest))
		}
		js = append(js, Journey{Customer: uint64(len(js) + 1), Events: events})
	}
	add(1, 1, 0, true)
	add(1, 1, 1, false)
	add(1, 2, 8, false)
	add(2, 0, 8, true)
	add(2, 0, 9, true)
	add(3, 1, 20, false)
	add(4, 2, 21, true)
	f := engineRun(p, p.Current, dicts, js, 1).funnel
	type g struct {
		Value             string
		Entrants, Reached int64
	}
	got := map[string][]g{}
	for _, b := range f.Breakdowns {
		for _, gr := range b.Groups {
			got[b.By] = append(got[b.By], g{gr.Value, gr.Entrants, gr.Closed[1].Reached})
		}
	}
	want := map[string][]g{
		"first_touchpoint": {{"email", 3, 1}, {"search", 2, 2}, {OtherLabel, 2, 1}},
		"segment":          {{"new", 3, 1}, {NoneLabel, 2, 2}, {OtherLabel, 2, 1}},
		// Weeks start on Monday; 2025-01-01 is a Wednesday. Top 2 by entrants, listed in time order.
		"entry_week": {{"2024-12-30", 2, 1}, {"2025-01-06", 3, 2}, {OtherLabel, 2, 1}},
	}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("breakdowns:\n got %v\nwant %v", got, want)
	}
}

func TestQuantileSelectMatchesSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 10, 17, 100, 1001, 5000} {
		for trial := 0; trial < 20; trial++ {
			x := make([]int64, n)
			for i := range x {
				switch trial % 3 {
				case 0:
					x[i] = r.Int64N(1e12)
				case 1:
					x[i] = r.Int64N(5) // many ties
				default:
					x[i] = int64(i) // already sorted
				}
			}
			sorted := slices.Clone(x)
			slices.Sort(sorted)
			for _, q := range []float64{0, 0.1, 0.5, 0.9, 1} {
				if got, want := quantileSelect(slices.Clone(x), q), quantileSorted(sorted, q); got != want {
					t.Fatalf("n=%d q=%v: select %v, sort %v", n, q, got, want)
				}
			}
			var sum float64
			for _, v := range sorted {
				sum += float64(v)
			}
			if got := *hoursStats(slices.Clone(x)).Mean; math.Abs(got-sum/float64(n)/float64(Hour)) > 1e-9*math.Abs(got)+1e-12 {
				t.Fatalf("n=%d mean %v, want %v", n, got, sum/float64(n)/float64(Hour))
			}
		}
	}
}
