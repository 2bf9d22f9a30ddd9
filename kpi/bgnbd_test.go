package kpi

import (
	"bufio"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/journeykpi/journeykpi/internal/shareddata"
)

// cdnowJourneys reads the raw CDNOW sample transactions (one row a purchase: master id, sample
// id, YYYYMMDD, CDs, dollars) into one journey per sample customer, each purchase its own order.
func cdnowJourneys(t testing.TB, path string) []Journey {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byID := map[uint64]*Journey{}
	var order []uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 5 {
			t.Fatalf("CDNOW line %q: %d fields", sc.Text(), len(fs))
		}
		id, err := strconv.ParseUint(fs[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatal(err)
		}
		dollars, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		j := byID[id]
		if j == nil {
			j = &Journey{Customer: id}
			byID[id] = j
			order = append(order, id)
		}
		j.Events = append(j.Events, Event{Time: day.UnixMicro(), Revenue: dollars, Stage: 1, Sentiment: float32(math.NaN())})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]Journey, 0, len(order))
	for _, id := range order {
		j := byID[id]
		j.Events, _ = SortJourney(j.Events)
		out = append(out, *j)
	}
	return out
}

// cdnowSummary reads the published calibration summary: sample id → (x, t_x, T) in weeks.
func cdnowSummary(t testing.TB, path string) map[uint64][3]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64][3]float64{}
	for _, r := range rows[1:] {
		id, _ := strconv.ParseUint(r[0], 10, 64)
		var v [3]float64
		for i := range v {
			v[i], err = strconv.ParseFloat(r[1+i], 64)
			if err != nil {
				t.Fatal(err)
			}
		}
		out[id] = v
	}
	return out
}

// roundSig rounds v to n significant figures.
func bgnbdRoundSig(v float64, n int) float64 {
	if v == 0 {
		return 0
	}
	scale := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}

// TestBGNBDCDNOW fits the 2,357 CDNOW sample customers through 1997-09-30 from the raw
// transactions and compares with Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793,
// b = 2.426, LL = −9582.4.
func TestBGNBDCDNOW(t *testing.T) {
	js := cdnowJourneys(t, shareddata.Path(t, "cdnow/CDNOW_sample.txt"))
	p := repeatParams(t, "1997-09-01", "1997-09-30")
	acc := newRepeatAcc(p, p.Current, true, false)
	for i := range js {
		acc.add(&js[i], scanOrders(p, &js[i]))
	}

	// The inputs: x, t_x and T of every customer as in the published calibration summary.
	summary := cdnowSummary(t, shareddata.Path(t, "cdnow/cdnow_customers_summary_with_transactions.csv"))
	if len(acc.fit.customers) != 2357 || len(summary) != 2357 {
		t.Fatalf("%d customers, summary %d; want 2357", len(acc.fit.customers), len(summary))
	}
	for i, c := range acc.fit.customers {
		want := summary[js[i].Customer]
		got := [3]float64{float64(c.x), float64(c.tx) / 7, float64(c.T) / 7}
		for k := range got {
			if math.Abs(got[k]-want[k]) > 0.005+1e-9 {
				t.Fatalf("customer %d: (x, t_x, T) = %.2f, want %.2f", js[i].Customer, got, want)
			}
		}
	}

	res := acc.result(NewDicts()).BGNBD
	if res == nil || !res.Converged {
		t.Fatalf("fit did not converge: %+v", res)
	}
	for _, c := range []struct {
		name      string
		got       *float64
		published float64
		decimals  float64 // the published figure's precision
	}{
		{"r", res.R, 0.243, 0.0005},
		{"alpha", res.Alpha, 4.414, 0.0005},
		{"a", res.A, 0.793, 0.0005},
		{"b", res.B, 2.426, 0.0005},
		{"log_likelihood", res.LogLikelihood, -9582.4, 0.05},
	} {
		if bgnbdRoundSig(*c.got, 3) != bgnbdRoundSig(c.published, 3) || math.Abs(*c.got-c.published) > c.decimals {
			t.Errorf("%s = %.5f, published %g", c.name, *c.got, c.published)
		}
	}
	t.Logf("r %.5f alpha %.5f a %.5f b %.5f LL %.3f", *res.R, *res.Alpha, *res.A, *res.B, *res.LogLikelihood)
	if res.Customers != 2357 || res.TimeUnit != "weeks" || res.HorizonDays != 90 || res.Reason != "" {
		t.Errorf("customers %d, unit %q, horizon %d days, reason %q", res.Customers, res.TimeUnit, res.HorizonDays, res.Reason)
	}

	// Predictions at the fitted parameters, against lifetimes' tests (Hardie's spreadsheet): a
	// customer with x = 2, t_x = 30.43, T = 38.86 makes 1.226 purchases in the next 39 weeks; a
	// new customer (x = t_x = T = 0) makes E[X(t)] purchases by t.
	q := bgnbdParams{*res.R, *res.Alpha, *res.A, *res.B}
	if got := q.expected(39, 2, 30.43, 38.86); math.Abs(got-1.226) > 0.001 {
		t.Errorf("conditional expected purchases = %.4f, want 1.226", got)
	}
	for i, tt := range []float64{0.1429, 1, 3, 31.8571, 32, 78} {
		want := []float64{0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576}[i]
		if got := q.expected(tt, 0, 0, 0); math.Abs(got-want) > 0.0015 {
			t.Errorf("E[X(%g)] = %.4f, want %.4f", tt, got, want)
		}
	}

	// The totals are sums over customers; the expected revenue uses the average order value of
	// the orders the fit saw.
	var e, alive, rev, orders float64
	for _, c := range acc.fit.customers {
		e += q.expected(90.0/7, float64(c.x), float64(c.tx)/7, float64(c.T)/7)
		alive += q.pAlive(float64(c.x), float64(c.tx)/7, float64(c.T)/7)
	}
	for _, j := range js {
		for _, ev := range j.Events {
			if ev.Time < p.Current.To {
				rev += ev.Revenue
				orders++
			}
		}
	}
	if math.Abs(*res.ExpectedPurchases-e) > 1e-6 || math.Abs(*res.MeanPAlive-alive/2357) > 1e-9 ||
		math.Abs(*res.ExpectedRevenue-e*rev/orders) > 1e-4 {
		t.Errorf("expected purchases %g, mean P(alive) %g, revenue %g; want %g, %g, %g", *res.ExpectedPurchases,
			*res.MeanPAlive, *res.ExpectedRevenue, e, alive/2357, e*rev/orders)
	}
	if len(res.BySegment) != 1 || res.BySegment[0].Value != NoneLabel || res.BySegment[0].Customers != 2357 {
		t.Errorf("by segment = %+v, want one (none) row of 2357", res.BySegment)
	}
}

// TestBGNBDInputs checks x, t_x and T on hand-made orders: distinct purchase days, in the report
// time zone, up to the to day.
func TestBGNBDInputs(t *testing.T) {
	f := newRepeatFixture(t)
	for _, c := range []struct {
		name     string
		loc      *time.Location
		journeys []Journey
		want     []bgnbdCustomer
		revenue  float64
		orders   int64
	}{
		{
			name: "two orders on one day are one purchase; orders after to are not seen",
			loc:  time.UTC,
			journeys: []Journey{f.journey(1, f.order("2024-01-01 10:00", 1, 10, "", ""), f.order("2024-01-01 15:00", 2, 20, "", ""),
				f.order("2024-01-15", 3, 30, "", ""), f.order("2024-04-05", 4, 1000, "", ""))},
			want:    []bgnbdCustomer{{x: 1, tx: 14, T: 90}},
			revenue: 60, orders: 3,
		},
		{
			name: "a first purchase on the to day has T = 0; no order by to: not a customer of the fit",
			loc:  time.UTC,
			journeys: []Journey{f.journey(1, f.order("2024-03-31 23:59", 1, 5, "", "")),
				f.journey(2, f.order("2024-04-01", 1, 5, "", ""))},
			want:    []bgnbdCustomer{{}},
			revenue: 5, orders: 1,
		},
		{
			// 2024-01-02 03:00 UTC is 2024-01-01 22:00 at UTC−5; to 2024-03-31 ends 2024-04-01 05:00 UTC.
			name: "days are cut in the report time zone",
			loc:  time.FixedZone("UTC-5", -5*3600),
			journeys: []Journey{f.journey(1, f.order("2023-12-31 12:00", 1, 1, "", ""), f.order("2024-01-02 03:00", 2, 1, "", ""),
				f.order("2024-04-01 04:00", 3, 1, "", ""))},
			want:    []bgnbdCustomer{{x: 2, tx: 91, T: 91}},
			revenue: 3, orders: 3,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := repeatParams(t, "2024-03-01", "2024-03-31")
			if c.loc != time.UTC {
				_, off := time.Unix(0, 0).In(c.loc).Zone()
				p.Location = c.loc
				p.Current.From -= int64(off) * 1e6
				p.Current.To -= int64(off) * 1e6
			}
			acc := newRepeatAcc(p, p.Current, true, false)
			for i := range c.journeys {
				acc.add(&c.journeys[i], scanOrders(p, &c.journeys[i]))
			}
			if !reflect.DeepEqual(acc.fit.customers, c.want) {
				t.Errorf("inputs = %+v, want %+v", acc.fit.customers, c.want)
			}
			if acc.fit.revenue.value() != c.revenue || acc.fit.orders != c.orders {
				t.Errorf("revenue %g over %d orders, want %g over %d", acc.fit.revenue.value(), acc.fit.orders, c.revenue, c.orders)
			}
		})
	}
}

// TestBGNBDNotFitted checks that thin data, and data that leave a parameter free, give
// Converged false, a reason and no numbers.
func TestBGNBDNotFitted(t *testing.T) {
	many := func(n, repeaters int) []bgnbdCustomer {
		cs := make([]bgnbdCustomer, n)
		for i := range cs {
			cs[i] = bgnbdCustomer{T: int32(100 + i)}
			if i < repeaters {
				cs[i].x, cs[i].tx = 1, 50
			}
		}
		return cs
	}
	same := func(n int, c bgnbdCustomer) []bgnbdCustomer {
		cs := make([]bgnbdCustomer, n)
		for i := range cs {
			cs[i] = c
		}
		return cs
	}
	for _, c := range []struct {
		name      string
		customers []bgnbdCustomer
		reason    string // the start of the reason
	}{
		{"no customers", nil, "no customer ordered by the end of the report period"},
		{"too few customers", many(19, 10), "too few customers to fit: 19 (need at least 20)"},
		{"nobody bought twice", many(1000, 0), "too few customers bought on two or more days to fit: 0 (need at least 5)"},
		{"four repeaters", many(1000, 4), "too few customers bought on two or more days to fit: 4 (need at least 5)"},
		// Everyone buys every 10 days and nobody leaves: no heterogeneity to estimate.
		{"identical regular buyers", same(100, bgnbdCustomer{x: 10, tx: 100, T: 100}),
			"the likelihood keeps rising as r runs to "},
		// Half buy twice on consecutive days and never again: drop-out is certain, a/(a+b) → 1.
		{"every repeater leaves at once", append(same(50, bgnbdCustomer{x: 1, tx: 1, T: 300}), same(50, bgnbdCustomer{T: 300})...),
			"the data do not identify the model: the likelihood is flat"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := repeatParams(t, "2024-03-01", "2024-03-31")
			acc := newBGNBDAcc(p)
			acc.customers = c.customers
			res := acc.result(NewDicts())
			if res.Converged || !strings.HasPrefix(res.Reason, c.reason) {
				t.Errorf("converged %v reason %q, want false %q", res.Converged, res.Reason, c.reason)
			}
			for _, v := range []*float64{res.R, res.Alpha, res.A, res.B, res.LogLikelihood, res.ExpectedPurchases, res.ExpectedRevenue, res.MeanPAlive} {
				if v != nil {
					t.Errorf("a number where null is due: %+v", res)
					break
				}
			}
			if res.Customers != int64(len(c.customers)) || res.BySegment == nil || len(res.BySegment) != 0 {
				t.Errorf("customers %d, by segment %v", res.Customers, res.BySegment)
			}
		})
	}
}

// bgnbdSimulate draws n customers from the BG/NBD process with parameters q (time in weeks): each
// is observed for T days, uniform in [180, 540); purchase times are rounded down to days.
func bgnbdSimulate(n int, q bgnbdParams, seed uint64) []bgnbdCustomer {
	src := rand.NewPCG(seed, 1)
	rng := rand.New(src)
	lam := distuv.Gamma{Alpha: q.r, Beta: q.alpha, Src: src}
	drop := distuv.Beta{Alpha: q.a, Beta: q.b, Src: src}
	cs := make([]bgnbdCustomer, n)
	for i := range cs {
		T := 180 + rng.IntN(360)
		l, p := lam.Rand(), drop.Rand()
		var x, tx, lastDay int32
		for t := 0.0; ; {
			t += rng.ExpFloat64() / l
			day := int32(t * 7)
			if day > int32(T) {
				break
			}
			if day != lastDay {
				x++
				tx = day
				lastDay = day
			}
			if rng.Float64() < p {
				break
			}
		}
		cs[i] = bgnbdCustomer{x: x, tx: tx, T: int32(T), seg: uint32(i % 3), tp: uint32(i % 5)}
	}
	return cs
}

// TestBGNBDRecovers fits 100,000 customers drawn from the process and finds its parameters.
func TestBGNBDRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 100,000 customers")
	}
	want := bgnbdParams{r: 0.8, alpha: 6, a: 0.7, b: 2.5}
	cs := bgnbdSimulate(100_000, want, 7)
	slices.SortFunc(cs, compareBGNBDCustomer)
	fit := fitBGNBD(cs)
	if !fit.converged {
		t.Fatalf("did not converge: %s", fit.reason)
	}
	got := fit.params
	t.Logf("fitted %+v, drawn from %+v", got, want)
	for _, c := range [][3]float64{{got.r, want.r}, {got.alpha, want.alpha}, {got.a, want.a}, {got.b, want.b}} {
		if math.Abs(c[0]-c[1]) > 0.1*c[1] {
			t.Errorf("fitted %+v, drawn from %+v (10%% tolerance)", got, want)
			break
		}
	}
}

// BenchmarkBGNBDFit fits 100,000 simulated customers and predicts each one's purchases.
func BenchmarkBGNBDFit(b *testing.B) {
	p := repeatParams(b, "2024-03-01", "2024-03-31")
	cs := bgnbdSimulate(100_000, bgnbdParams{r: 0.8, alpha: 6, a: 0.7, b: 2.5}, 7)
	d := NewDicts()
	b.ResetTimer()
	for b.Loop() {
		acc := newBGNBDAcc(p)
		acc.customers = append([]bgnbdCustomer(nil), cs...)
		acc.revenue.add(100)
		acc.orders = 4
		if res := acc.result(d); !res.Converged {
			b.Fatal(res.Reason)
		}
	}
}

// TestBGNBDPredictions checks the predictions over a grid of parameters and histories: finite,
// P(alive) in [0, 1], expected purchases non-negative and rising with the horizon, and equal to
// the paper's eq. 10 taken literally wherever that stays finite (to 1e-6: the literal power of a
// rounded ratio loses digits when r+x is large; TestBGNBDPredictionReference checks accuracy).
func TestBGNBDPredictions(t *testing.T) {
	literal := func(q bgnbdParams, t, x, tx, T float64) float64 {
		r, alpha, a, b := q.r, q.alpha, q.a, q.b
		h := mathext.Hypergeo(r+x, b+x, a+b+x-1, t/(alpha+T+t))
		num := (a + b + x - 1) / (a - 1) * (1 - math.Pow((alpha+T)/(alpha+T+t), r+x)*h)
		den := 1.0
		if x > 0 {
			den += a / (b + x - 1) * math.Pow((alpha+T)/(alpha+tx), r+x)
		}
		return num / den
	}
	params := []bgnbdParams{{0.243, 4.414, 0.793, 2.426}, {0.8264, 9.8415, 0.0034, 6.7494}, {2, 1, 3, 0.5}, {5, 0.1, 0.2, 20},
		{570146.54, 16107819.4, 0.0075, 2370}, {60, 20, 0.5, 3}, {0.5, 0.05, 1.5, 1}, {0.243, 4.414, 1, 2.426}, {0.243, 4.414, 1 + 3e-6, 2.426}}
	for _, q := range params {
		for _, T := range []float64{0, 1, 10, 52, 260, 1000} {
			for _, x := range []float64{0, 1, 2, 5, 20, 100, 500, 2000} {
				if x > 7*T {
					continue // at most one purchase a day
				}
				for _, f := range []float64{0, 0.1, 0.5, 0.9, 1} {
					tx := T * f
					if x == 0 {
						tx = 0
					}
					pa := q.pAlive(x, tx, T)
					prev := 0.0
					for _, h := range []float64{1, 90.0 / 7, 52} {
						e := q.expected(h, x, tx, T)
						if math.IsNaN(e) || math.IsInf(e, 0) || e < prev-1e-12 || math.IsNaN(pa) || pa < 0 || pa > 1 {
							t.Fatalf("%+v x %g t_x %g T %g t %g: expected %g (previous horizon %g), P(alive) %g", q, x, tx, T, h, e, prev, pa)
						}
						prev = e
						// Near a = 1 the literal form divides two vanishing numbers.
						if l := literal(q, h, x, tx, T); math.Abs(q.a-1) > 1e-3 && !math.IsNaN(l) && !math.IsInf(l, 0) && math.Abs(l-e) > 1e-6*math.Max(1, e) {
							t.Errorf("%+v x %g t_x %g T %g t %g: expected %.12g, eq. 10 literally %.12g", q, x, tx, T, h, e, l)
						}
					}
				}
			}
		}
	}
}

// TestBGNBDPredictionReference compares the predictions with eq. 10 and eq. 11 evaluated in
// 60-digit arithmetic (mpmath 1.3.0, hyp2f1), including a customer with thousands of purchases and
// the near-Poisson parameters of a fit on homogeneous buyers (r and α very large).
func TestBGNBDPredictionReference(t *testing.T) {
	for _, c := range []struct {
		q                bgnbdParams
		x, tx, T, t      float64
		expected, pAlive float64
	}{
		{bgnbdParams{0.243, 4.414, 0.793, 2.426}, 2, 30.43, 38.86, 39, 1.22602817476714, 0.726578570080673},
		{bgnbdParams{0.8264, 9.8415, 0.0034, 6.7494}, 20, 40, 52, 90.0 / 7, 4.27823819319295, 0.988336752696265},
		{bgnbdParams{570146.5397309915, 16107819.410929514, 0.007503121249083021, 2370.0064581486713}, 5, 100, 260, 52, 1.83887988404189, 0.999090296815117},
		{bgnbdParams{2, 1, 3, 0.5}, 500, 130, 260, 52, 6.6324584770123e-147, 8.67101571294374e-149},
		{bgnbdParams{0.5, 0.05, 1.5, 1}, 100, 1000, 1000, 90.0 / 7, 1.26095621345229, 0.985221674876847},
		{bgnbdParams{5, 0.1, 0.2, 20}, 0, 0, 0, 1, 42.5446257140837, 1},
		{bgnbdParams{0.243, 4.414, 0.793, 2.426}, 6000, 990, 1000, 52, 1.94216621503403e-20, 6.37911028808413e-23},
		// a = 1, where eq. 10 is 0/0 (the reference is its limit), and close to it.
		{bgnbdParams{0.243, 4.414, 1, 2.426}, 2, 30.43, 38.86, 39, 1.10213678603996, 0.678175614854404},
		{bgnbdParams{0.243, 4.414, 1.00005, 2.426}, 2, 30.43, 38.86, 39, 1.1021094750952, 0.678164702357486},
		{bgnbdParams{0.243, 4.414, 0.99999, 2.426}, 0, 0, 0, 90.0 / 7, 0.503581353111513, 1},
	} {
		e, pa := c.q.expected(c.t, c.x, c.tx, c.T), c.q.pAlive(c.x, c.tx, c.T)
		if math.Abs(e-c.expected) > 1e-9*c.expected || math.Abs(pa-c.pAlive) > 1e-9*c.pAlive {
			t.Errorf("%+v x %g t_x %g T %g t %g: expected %.15g P(alive) %.15g, want %.15g %.15g",
				c.q, c.x, c.tx, c.T, c.t, e, pa, c.expected, c.pAlive)
		}
	}
}
