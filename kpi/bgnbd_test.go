package kpi

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/integrate/quad"
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
	var line uint64
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
		// Each line is an order of its own: two equal lines on one day are two orders (customer 147
		// has two of 9.77 on 1997-07-31), not an exact duplicate.
		line++
		j.Events = append(j.Events, Event{Time: day.UnixMicro(), Revenue: dollars, Stage: 1, Order: line, Sentiment: float32(math.NaN())})
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
func cdnowSummary(t testing.TB, path string) map[uint64][4]float64 {
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
	out := map[uint64][4]float64{}
	for _, r := range rows[1:] {
		id, _ := strconv.ParseUint(r[0], 10, 64)
		var v [4]float64 // x, t_x, T, the mean value of the repeat purchases
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
	if len(acc.fit.customers.flat()) != 2357 || len(summary) != 2357 {
		t.Fatalf("%d customers, summary %d; want 2357", len(acc.fit.customers.flat()), len(summary))
	}
	for i, c := range acc.fit.customers.flat() {
		want := summary[js[i].Customer]
		got := [3]float64{float64(c.x), float64(c.tx) / 7, float64(c.T) / 7}
		for k := range got {
			if math.Abs(got[k]-want[k]) > 0.005+1e-9 {
				t.Fatalf("customer %d: (x, t_x, T) = %.2f, want %.2f", js[i].Customer, got, want[:3])
			}
		}
		// The spend model's input: the mean value of the repeat purchase days.
		if (c.x == 0) != math.IsNaN(c.mean) || c.x > 0 && math.Abs(c.mean-want[3]) > 0.005+1e-9 {
			t.Fatalf("customer %d: mean repeat value %.4f, summary %.2f", js[i].Customer, c.mean, want[3])
		}
	}

	rr := acc.result(NewDicts())
	res := rr.BGNBD
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

	// The spend model beside it, fitted on the repeat days' mean values the accumulator built from
	// the raw transactions: Fader & Hardie's note gives p = 6.25, q = 3.74, γ = 15.44.
	sm := rr.SpendModel
	if sm == nil || !sm.Converged || sm.Customers != 946 {
		t.Fatalf("spend model %+v, want converged on 946 customers", sm)
	}
	for _, c := range []struct {
		name           string
		got, published float64
	}{{"p", *sm.P, 6.25}, {"q", *sm.Q, 3.74}, {"gamma", *sm.Gamma, 15.44}} {
		if math.Abs(c.got-c.published) > 0.015 {
			t.Errorf("spend model %s = %.4f, published %.2f", c.name, c.got, c.published)
		}
	}

	// The totals are sums over customers, computed here term by term: expected purchases;
	// expected revenue, each customer's purchases times (γ + m̄x)p/(px + q − 1) (the population
	// mean pγ/(q − 1) for x = 0); the probability of ordering again, P(alive) times one minus the
	// Gamma posterior's Laplace transform at the horizon, here by numerical integration over λ; and
	// the customers at risk, bought again with P(alive) < 0.5.
	g := gammaGammaParams{*sm.P, *sm.Q, *sm.Gamma}
	var e, revenue, again float64
	var atRisk int64
	horizon := 90.0 / 7
	// E[e^(−λt)] over λ ~ Gamma(shape, rate), integrated over the quantiles (the density is
	// infinite at 0 when shape < 1, the integrand over u in (0, 1) is bounded).
	laplace := func(shape, rate float64) float64 {
		post := distuv.Gamma{Alpha: shape, Beta: rate}
		return quad.Fixed(func(u float64) float64 { return math.Exp(-post.Quantile(u) * horizon) }, 0, 1, 2000, nil, 0)
	}
	for i, c := range acc.fit.customers.flat() {
		x, tx, T := float64(c.x), float64(c.tx)/7, float64(c.T)/7
		ei := q.expected(horizon, x, tx, T)
		m := g.p * g.gamma / (g.q - 1)
		if c.x > 0 {
			m = (g.gamma + c.mean*x) * g.p / (g.p*x + g.q - 1)
		}
		e += ei
		revenue += ei * m
		alive := q.pAlive(x, tx, T)
		if i < 60 { // the integral is slow; the closed form is checked on the first 60
			want := alive * (1 - laplace(q.r+x, q.alpha+T))
			if got := q.orderAgain(horizon, x, T, alive); math.Abs(got-want) > 1e-6 {
				t.Errorf("customer %d: P(orders again) %.8f, by integration %.8f", js[i].Customer, got, want)
			}
		}
		again += q.orderAgain(horizon, x, T, alive)
		if c.x > 0 && alive < 0.5 {
			atRisk++
		}
	}
	if math.Abs(*res.ExpectedPurchases-e) > 1e-6 || math.Abs(*res.ExpectedRevenue-revenue) > 1e-6*revenue ||
		math.Abs(*res.CustomersOrderingAgain-again) > 1e-6 || math.Abs(*res.POrdersAgain-again/2357) > 1e-9 || res.AtRisk != atRisk {
		t.Errorf("expected purchases %g, revenue %g, ordering again %g (mean %g), at risk %d; want %g, %g, %g, %d",
			*res.ExpectedPurchases, *res.ExpectedRevenue, *res.CustomersOrderingAgain, *res.POrdersAgain, res.AtRisk, e, revenue, again, atRisk)
	}
	t.Logf("next 90 days: %.0f purchases worth %.0f from %.0f customers; %d at risk", e, revenue, again, atRisk)
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
			// The repeat day's value is 30 (the first day's 10 + 20 is not a repeat).
			want:    []bgnbdCustomer{{x: 1, tx: 14, T: 90, mean: 30}},
			revenue: 60, orders: 3,
		},
		{
			name: "a first purchase on the to day has T = 0; no order by to: not a customer of the fit",
			loc:  time.UTC,
			journeys: []Journey{f.journey(1, f.order("2024-03-31 23:59", 1, 5, "", "")),
				f.journey(2, f.order("2024-04-01", 1, 5, "", ""))},
			// A first order in the period: acquired, with what it brought.
			want:    []bgnbdCustomer{{acquired: true, revenue: 5, mean: math.NaN()}},
			revenue: 5, orders: 1,
		},
		{
			// 2024-01-02 03:00 UTC is 2024-01-01 22:00 at UTC−5; to 2024-03-31 ends 2024-04-01 05:00 UTC.
			name: "days are cut in the report time zone",
			loc:  time.FixedZone("UTC-5", -5*3600),
			journeys: []Journey{f.journey(1, f.order("2023-12-31 12:00", 1, 1, "", ""), f.order("2024-01-02 03:00", 2, 1, "", ""),
				f.order("2024-04-01 04:00", 3, 1, "", ""))},
			want:    []bgnbdCustomer{{x: 2, tx: 91, T: 91, mean: 1}},
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
			if fmt.Sprintf("%+v", acc.fit.customers.flat()) != fmt.Sprintf("%+v", c.want) { // NaN ≠ NaN to DeepEqual
				t.Errorf("inputs = %+v, want %+v", acc.fit.customers.flat(), c.want)
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
			acc.customers.set(c.customers)
			res, sm := acc.result(NewDicts())
			if res.Converged || !strings.HasPrefix(res.Reason, c.reason) || sm != nil {
				t.Errorf("converged %v reason %q, want false %q", res.Converged, res.Reason, c.reason)
			}
			for _, v := range []*float64{res.R, res.Alpha, res.A, res.B, res.LogLikelihood, res.ExpectedPurchases, res.ExpectedRevenue, res.CustomersOrderingAgain, res.POrdersAgain} {
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
		acc.customers.set(append([]bgnbdCustomer(nil), cs...))
		acc.revenue.add(100)
		acc.orders = 4
		if res, _ := acc.result(d); !res.Converged {
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

// TestCustomerValueByGroup checks the value sums of a group against a plain computation over its
// customers: expected revenue, new customers and their value, and the value against the spend per
// new customer by first touchpoint.
func TestCustomerValueByGroup(t *testing.T) {
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	p.Top = 10
	cs := bgnbdSimulate(3000, bgnbdParams{r: 0.8, alpha: 6, a: 0.7, b: 2.5}, 11)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range cs {
		c := &cs[i]
		c.tp = uint32(1 + i%3)
		c.mean = math.NaN()
		if c.x > 0 {
			c.mean = 20 + 80*r.Float64()
		}
		if i%4 == 0 {
			c.acquired, c.revenue = true, 10+r.Float64()*90
		}
	}
	d := NewDicts()
	for _, name := range []string{"email", "search", "social"} {
		d.Touchpoint.Code(name)
	}
	acc := newBGNBDAcc(p)
	acc.customers.set(slices.Clone(cs))
	res, sm := acc.result(d)
	if !res.Converged || sm == nil || !sm.Converged {
		t.Fatalf("fit: %+v %+v", res, sm)
	}
	q := bgnbdParams{*res.R, *res.Alpha, *res.A, *res.B}
	g := gammaGammaParams{*sm.P, *sm.Q, *sm.Gamma}
	type sums struct {
		revenue, newValue float64
		newCustomers      int64
	}
	want := map[string]*sums{"email": {}, "search": {}, "social": {}}
	for _, c := range cs {
		x, tx, T := float64(c.x), float64(c.tx)/7, float64(c.T)/7
		m := g.p * g.gamma / (g.q - 1)
		if c.x > 0 {
			m = (g.gamma + c.mean*x) * g.p / (g.p*x + g.q - 1)
		}
		v := q.expected(90.0/7, x, tx, T) * m
		s := want[d.TouchpointName(c.tp)]
		s.revenue += v
		if c.acquired {
			s.newCustomers++
			s.newValue += c.revenue + v
		}
	}
	pr := PeriodResult{Repeat: RepeatResult{BGNBD: res}, Attribution: AttributionResult{SpendKnown: true,
		Touchpoints: []TouchpointAttribution{{Touchpoint: "search", Cost: Ptr(5000)}, {Touchpoint: "social", Cost: Ptr(0)}}}}
	valueAgainstCost(&pr)
	for _, grp := range res.ByFirstTouchpoint {
		w := want[grp.Value]
		perNew := w.newValue / float64(w.newCustomers)
		if math.Abs(*grp.ExpectedRevenue-w.revenue) > 1e-6*w.revenue || grp.NewCustomers != w.newCustomers ||
			math.Abs(*grp.ValuePerNewCustomer-perNew) > 1e-9*perNew {
			t.Errorf("%s: revenue %v, new %d worth %v each; want %v, %d, %v", grp.Value, *grp.ExpectedRevenue, grp.NewCustomers,
				*grp.ValuePerNewCustomer, w.revenue, w.newCustomers, perNew)
		}
		switch grp.Value {
		case "search":
			cpa := 5000 / float64(w.newCustomers)
			if grp.CostPerNewCustomer == nil || math.Abs(*grp.CostPerNewCustomer-cpa) > 1e-12 || math.Abs(*grp.ValueToCost-perNew/cpa) > 1e-9 {
				t.Errorf("search: spend per new customer %v, value to cost %v; want %v, %v", grp.CostPerNewCustomer, grp.ValueToCost, cpa, perNew/cpa)
			}
		default: // no spend, or none in the period
			if grp.CostPerNewCustomer != nil || grp.ValueToCost != nil {
				t.Errorf("%s: spend per new customer %v without spend", grp.Value, *grp.CostPerNewCustomer)
			}
		}
	}
}

// TestCustomerValueWithoutHeterogeneity: when customers' spends differ no more than one
// customer's purchases do, the spend model runs q off to its bound; every purchase is then valued
// at the average repeat purchase, computed here plainly, and the basis says so.
func TestCustomerValueWithoutHeterogeneity(t *testing.T) {
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	cs := bgnbdSimulate(3000, bgnbdParams{r: 0.8, alpha: 6, a: 0.7, b: 2.5}, 11)
	// The spend model sees the customers with one repeat purchase; the others' repeat values
	// are unknown (NaN), so it leaves them out.
	var repeaters []int
	for i := range cs {
		cs[i].mean = math.NaN()
		if cs[i].x == 1 {
			repeaters = append(repeaters, i)
		}
	}
	// One repeat purchase each, all Gamma(5, rate ν) with ν itself Gamma(1e5, 1e5·5/30): a mean
	// of 30 for every customer, as TestGammaGammaNoHeterogeneity has it.
	spends := gammaGammaSimulate(gammaGammaParams{5, 1e5, 1e5 * 5 / 30}, 3000, 1, 3)
	var sum, n float64
	for k, i := range repeaters {
		cs[i].mean = spends[k].mean
		sum += spends[k].mean
		n++
	}
	acc := newBGNBDAcc(p)
	acc.customers.set(cs)
	res, sm := acc.result(NewDicts())
	if !res.Converged || sm == nil || sm.Converged || res.RevenueBasis != RevenueBasisAverage || res.AveragePurchaseValue == nil {
		t.Fatalf("basis %q, spend model %+v, BG/NBD %s", res.RevenueBasis, sm, res.Reason)
	}
	if avg := sum / n; math.Abs(*res.AveragePurchaseValue-avg) > 1e-9*avg ||
		math.Abs(*res.ExpectedRevenue-avg**res.ExpectedPurchases) > 1e-9**res.ExpectedRevenue {
		t.Errorf("average purchase %v, revenue %v; want %v and %v", *res.AveragePurchaseValue, *res.ExpectedRevenue, avg, avg**res.ExpectedPurchases)
	}
}
