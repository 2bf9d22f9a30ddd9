package reports

import (
	"testing"

	"github.com/journeykpi/journeykpi/kpi"
)

func TestRecommendationWording(t *testing.T) {
	money := []struct {
		cur  string
		x    float64
		want string
	}{
		{"EUR", 5300, "€5,300"}, {"USD", 1234567, "$1,234,567"}, {"CHF", 1234.5, "CHF 1,234.50"},
		{"GBP", -42, "-£42"}, {"USD", 0.8, "$0.80"}, {"usd", 999.999, "$1,000"},
	}
	for _, c := range money {
		if got := moneyWords(c.cur)(c.x); got != c.want {
			t.Errorf("money(%s, %v) = %q, want %q", c.cur, c.x, got, c.want)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{5312, 5300}, {41.4, 41}, {99.6, 100}, {123456, 120000}, {-5312, -5300}, {155, 160}, {0, 0},
		{9.994, 9.99}, {0.4, 0.4}, {0.004, 0}, {-0.256, -0.26},
	} {
		if got := about(c.x); got != c.want {
			t.Errorf("about(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float64
		want string
	}{{0.382, "38.2%"}, {0.1, "10%"}, {1, "100%"}, {0.12345, "12.3%"}} {
		if got := percentWords(c.f); got != c.want {
			t.Errorf("percent(%v) = %q, want %q", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		x    float64
		want string
	}{{9.94, "9.9"}, {41.4, "41"}, {1234.4, "1,234"}, {0.04, "0"}} {
		if got := countWords(c.x); got != c.want {
			t.Errorf("count(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}

// TestRecommendationSentences words each kind of recommendation from what kpi computed.
func TestRecommendationSentences(t *testing.T) {
	usd := moneyWords("USD")
	for _, c := range []struct {
		name string
		rec  kpi.Recommendation
		want string
	}{
		{"stage opportunity", kpi.Recommendation{Opportunity: &kpi.StageOpportunity{Step: "interest → comparison", From: "interest", Stage: "comparison",
			By: "first_touchpoint", Group: "search_ads", Conversion: 0.312, Benchmark: 0.521, ExtraCustomers: 39.6, Value: 2093}},
			"search_ads entrants go from interest to comparison at 31.2% against 52.1% for the best touchpoints: closing half the gap would bring about 40 more customers to comparison, worth about $2,100."},
		{"segment opportunity", kpi.Recommendation{Opportunity: &kpi.StageOpportunity{From: "awareness", Stage: "interest",
			By: "segment", Group: "student", Conversion: 0.5, Benchmark: 0.7, ExtraCustomers: 0.6, Value: 12}},
			"Customers in segment student go from awareness to interest at 50% against 70% for the best segments: closing half the gap would bring about 1 more customer to interest, worth about $12."},
		{"dimension opportunity", kpi.Recommendation{Opportunity: &kpi.StageOpportunity{From: "comparison", Stage: "purchase",
			By: "device_type", Group: "tablet", Conversion: 0.25, Benchmark: 0.4, ExtraCustomers: 12, Value: 1200}},
			"Customers with device type tablet go from comparison to purchase at 25% against 40% for the best values of device type: closing half the gap would bring about 12 more customers to purchase, worth about $1,200."},
		{"period opportunity", kpi.Recommendation{Opportunity: &kpi.StageOpportunity{From: "interest", Stage: "comparison",
			By: "period", Conversion: 0.111, Benchmark: 0.3, BenchmarkOf: []string{"2026-02-01", "2026-02-28"}, ExtraCustomers: 85, Value: 7650}},
			"Customers go from interest to comparison at 11.1% against 30% in February 2026, the best of the recent periods: closing half the gap would bring about 85 more customers to comparison, worth about $7,700."},
		{"budget shift on curves", kpi.Recommendation{Shift: &kpi.ShiftSubject{From: "display_ads", To: "search_ads", WeeklyAmount: 1234,
			TestRevenueChange: 1876, FromMarginalROAS: 0.8, ToMarginalROAS: 3.1, FromBasis: "curve", ToBasis: "curve"}},
			"Move about $1,200 a week from display_ads to search_ads for four weeks: expected $1,900 more revenue if the response curves hold (search_ads earns about $3.10 per extra $1 spent, display_ads about $0.80, at today's spend)."},
		{"budget shift on an average, with a margin", kpi.Recommendation{Shift: &kpi.ShiftSubject{From: "display_ads", To: "social", WeeklyAmount: 40.3,
			TestRevenueChange: 728.8, FromMarginalROAS: 1.2, ToMarginalROAS: 5.72, FromBasis: "average_roas", ToBasis: "curve", BreakEvenROAS: kpi.Ptr(2.5)}},
			"Move about $40 a week from display_ads to social for four weeks: expected $730 more revenue if display_ads keeps its average return (social earns about $5.72 per extra $1 spent, display_ads about $1.20; display_ads has no identified response curve). Spend breaks even at $2.50 per $1."},
		// A small budget never reads "about $0": amounts below 10 are worded in cents.
		{"small budget shift on averages", kpi.Recommendation{Shift: &kpi.ShiftSubject{From: "d", To: "c", WeeklyAmount: 0.4,
			TestRevenueChange: 0.8, FromMarginalROAS: 2, ToMarginalROAS: 4, FromBasis: "average_roas", ToBasis: "average_roas"}},
			"Move about $0.40 a week from d to c for four weeks: expected $0.80 more revenue if both keep their average returns (c earns about $4 per extra $1 spent, d about $2; neither has an identified response curve)."},
		{"reach shift", kpi.Recommendation{Reach: &kpi.ReachSubject{Best: "email", Worst: "social", BestPerCustomer: 50,
			WorstPerCustomer: 9, Share: 0.2, WorstReached: 600, Moved: 120, Gain: 4920}},
			"Email earns about $50 per customer reached and social about $9: reaching 20% of social's 600 customers (about 120) through email instead would bring about $4,900 more revenue."},
		{"pain point", kpi.Recommendation{PainPoint: &kpi.PainSubject{MapCell: kpi.MapCell{Stage: "comparison", Touchpoint: "app", Customers: 230,
			SentimentMean: kpi.Ptr(-0.45), SentimentCustomers: 35}, StageMean: 0.05, NextStage: "purchase", ExtraDropOff: 0.12,
			ExtraCustomers: 13.8, Value: 1380}},
			"Customers at comparison through app feel worse than the stage as a whole (average sentiment -0.45 against 0.05; 35 customers answered) and 12 points more of them stop before purchase: closing half the gap would bring about 14 more customers to purchase, worth about $1,400."},
		{"pain point without extra drop-off", kpi.Recommendation{PainPoint: &kpi.PainSubject{MapCell: kpi.MapCell{Stage: "interest", Touchpoint: "store",
			Customers: 40, SentimentMean: kpi.Ptr(-0.8), SentimentCustomers: 1200}, StageMean: 0.1, NextStage: "comparison"}},
			"Customers at interest through store feel worse than the stage as a whole (average sentiment -0.80 against 0.10; 1,200 customers answered), though no more of them stop before comparison: find out what goes wrong there."},
		{"pain point at the last stage", kpi.Recommendation{PainPoint: &kpi.PainSubject{MapCell: kpi.MapCell{Stage: "feedback", Touchpoint: "store",
			Customers: 40, SentimentMean: kpi.Ptr(-0.8), SentimentCustomers: 40}, StageMean: 0.1}},
			"Customers at feedback through store feel worse than the stage as a whole (average sentiment -0.80 against 0.10; 40 customers answered): find out what goes wrong there."},
	} {
		if got := recommendationText(c.rec, 0.5, usd); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
