package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
)

// worded returns r with every recommendation worded as one plain sentence (Text), the form both
// the workbook and the JSON show. r itself is not changed.
func worded(r *kpi.Result) *kpi.Result {
	recs := r.Allocation.Recommendations
	if len(recs) == 0 {
		return r
	}
	w := *r
	w.Allocation.Recommendations = make([]kpi.Recommendation, len(recs))
	money := moneyWords(r.Report.Currency)
	for i, rec := range recs {
		rec.Text = recommendationText(rec, r.Allocation.CloseGap, money)
		w.Allocation.Recommendations[i] = rec
	}
	return &w
}

// recommendationText words one recommendation, with its amounts rounded for reading (about).
// closeGap is the share of a gap the stage opportunities and pain points count on closing.
func recommendationText(rec kpi.Recommendation, closeGap float64, money func(float64) string) string {
	switch {
	case rec.Opportunity != nil:
		o := rec.Opportunity
		who, against := groupWords(o)
		return fmt.Sprintf("%s go from %s to %s at %s against %s %s: closing %s would bring about %s to %s, worth about %s.",
			who, o.From, o.Stage, percentWords(o.Conversion), percentWords(o.Benchmark), against,
			gapShareWords(closeGap), moreCustomers(o.ExtraCustomers), o.Stage, money(about(o.Value)))
	case rec.Shift != nil:
		s := rec.Shift
		cond, basis := holdWords(s)
		text := fmt.Sprintf("Move about %s a week from %s to %s for four weeks: expected %s more revenue %s (%s earns about %s per extra %s spent, %s about %s%s).",
			money(about(s.WeeklyAmount)), s.From, s.To, money(about(s.TestRevenueChange)), cond, s.To,
			money(round2(s.ToMarginalROAS)), money(1), s.From, money(round2(s.FromMarginalROAS)), basis)
		if s.BreakEvenROAS != nil {
			text += fmt.Sprintf(" Spend breaks even at %s per %s.", money(round2(*s.BreakEvenROAS)), money(1))
		}
		return text
	case rec.Reach != nil:
		s := rec.Reach
		return fmt.Sprintf("%s earns about %s per customer reached and %s about %s: reaching %s of %s's %s customers (about %s) through %s instead would bring about %s more revenue.",
			capitalise(s.Best), money(round2(s.BestPerCustomer)), s.Worst, money(round2(s.WorstPerCustomer)),
			percentWords(s.Share), s.Worst, groupDigits(float64(s.WorstReached)), countWords(s.Moved), s.Best, money(about(s.Gain)))
	case rec.PainPoint != nil:
		c := rec.PainPoint
		text := fmt.Sprintf("Customers at %s through %s feel worse than the stage as a whole (average sentiment %s against %s; %s customers answered)",
			c.Stage, c.Touchpoint, sentimentWords(c.SentimentMean), sentimentWords(&c.StageMean), groupDigits(float64(c.SentimentCustomers)))
		if math.Round(c.Value*100) > 0 {
			return text + fmt.Sprintf(" and %s more of them stop before %s: closing %s would bring about %s to %s, worth about %s.",
				dropWords(c.ExtraDropOff), c.NextStage, gapShareWords(closeGap), moreCustomers(c.ExtraCustomers), c.NextStage, money(about(c.Value)))
		}
		if c.NextStage == "" {
			return text + ": find out what goes wrong there."
		}
		return text + fmt.Sprintf(", though no more of them stop before %s: find out what goes wrong there.", c.NextStage)
	}
	return ""
}

// sentimentWords writes a mean sentiment with two decimals, n/a when there is none.
func sentimentWords(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// dropWords words a difference of two rates in percentage points: "12 points", "0.5 points".
func dropWords(d float64) string {
	return strconv.FormatFloat(math.Round(d*1000)/10, 'f', -1, 64) + " points"
}

// holdWords says what a shift's expectation rests on: the response curves, or the average
// returns of the touchpoints without one ("if both keep their average returns", "; neither has an
// identified response curve").
func holdWords(s *kpi.ShiftSubject) (cond, note string) {
	var avg []string
	if s.FromBasis == kpi.ResponseBasisAverage {
		avg = append(avg, s.From)
	}
	if s.ToBasis == kpi.ResponseBasisAverage {
		avg = append(avg, s.To)
	}
	switch len(avg) {
	case 0:
		return "if the response curves hold", ", at today's spend"
	case 1:
		return "if " + avg[0] + " keeps its average return", "; " + avg[0] + " has no identified response curve"
	}
	return "if both keep their average returns", "; neither has an identified response curve"
}

// groupWords names a stage opportunity's group as the subject of a sentence and its benchmark:
// ("search_ads entrants", "for the best touchpoints").
func groupWords(o *kpi.StageOpportunity) (who, against string) {
	switch o.By {
	case kpi.ByPeriod:
		var when string
		if len(o.BenchmarkOf) == 2 {
			when = "in " + periodName(o.BenchmarkOf[0], o.BenchmarkOf[1]) + ", the best of the recent periods"
		}
		return "Customers", when
	case "first_touchpoint":
		return o.Group + " entrants", "for the best touchpoints"
	case "segment":
		return "Customers in segment " + o.Group, "for the best segments"
	}
	by := strings.ReplaceAll(o.By, "_", " ")
	return "Customers with " + by + " " + o.Group, "for the best values of " + by
}

// gapShareWords words the share of a gap an action counts on closing: "half the gap", "30% of
// the gap", "the gap".
func gapShareWords(f float64) string {
	switch {
	case f <= 0:
		return "a share of the gap"
	case f == 0.5:
		return "half the gap"
	case f >= 1:
		return "the gap"
	}
	return percentWords(f) + " of the gap"
}

// shareWords words the share of something an action counts on: "half", "30%", "all".
func shareWords(f float64) string {
	switch {
	case f == 0.5:
		return "half"
	case f >= 1:
		return "all"
	case f <= 0:
		return "a share"
	}
	return percentWords(f)
}

// moreCustomers words a number of extra customers as a whole number, at least 1 ("1 more
// customer", "40 more customers"): customers come whole, and kpi recommends no action worth less
// than one.
func moreCustomers(x float64) string {
	n := max(1, math.Round(x))
	if n == 1 {
		return "1 more customer"
	}
	return groupDigits(n) + " more customers"
}

// about rounds a money amount for a sentence: two significant digits from 100 up, whole units
// from 10, cents below (so that a small amount never reads as 0; kpi words no amount that rounds
// to no cent).
func about(x float64) float64 {
	ax := math.Abs(x)
	switch {
	case ax < 10:
		return round2(x)
	case ax < 100:
		return math.Round(x)
	}
	scale := math.Pow(10, math.Floor(math.Log10(ax))-1)
	return math.Round(x/scale) * scale
}

// round2 rounds to cents.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// countWords words a number of customers: whole from 10 up, one decimal below.
func countWords(x float64) string {
	if x < 10 {
		return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
	}
	return groupDigits(math.Round(x))
}

// percentWords words a fraction as a percentage with at most one decimal.
func percentWords(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%"
}

// groupDigits writes x with thousands separators and, when it has cents, two decimals.
func groupDigits(x float64) string {
	neg := x < 0
	x = math.Abs(x)
	whole := math.Floor(x)
	cents := math.Round((x - whole) * 100)
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if cents != 0 {
		fmt.Fprintf(&b, ".%02d", int(cents))
	}
	return b.String()
}

// moneyWords writes amounts in the ISO currency for a sentence: with its symbol for the common
// ones ("$5,300", "€5,300"), else with the code ("CHF 5,300").
func moneyWords(currency string) func(float64) string {
	symbols := map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "CN¥", "AUD": "A$", "CAD": "CA$"}
	prefix, ok := symbols[strings.ToUpper(currency)]
	if !ok {
		prefix = currency + " "
		if currency == "" {
			prefix = ""
		}
	}
	return func(x float64) string {
		if x < 0 {
			return "-" + prefix + groupDigits(-x)
		}
		return prefix + groupDigits(x)
	}
}

// capitalise upper-cases the first letter, to start a sentence with a touchpoint name.
func capitalise(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}
