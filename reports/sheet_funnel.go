package reports

import (
	"sort"

	"github.com/journeykpi/journeykpi/kpi"
)

// stageHeader is the header of a closed-funnel table.
func stageHeader() []string {
	return []string{
		"Stage", "Optional", "Reached", "Conversion from previous", "Conversion from entry",
		"Dropped here", "In progress here", "Hours to convert (median)", "Hours to convert (p90)",
		"Hours to convert (mean)", "Conversions timed", "Window closed for",
	}
}

func stageCells(st kpi.StageRow) []cell {
	return []cell{
		txt(st.Stage), yesNo(st.Optional), cnt(st.Reached),
		opt(st.ConversionFromPrevious, fmtPercent), opt(st.ConversionFromEntry, fmtPercent),
		cnt(st.Dropped), cnt(st.InProgress),
		opt(st.TimeToConvertHours.Median, fmtHours), opt(st.TimeToConvertHours.P90, fmtHours),
		opt(st.TimeToConvertHours.Mean, fmtHours), cnt(st.TimeToConvertHours.N), opt(st.MatureShare, fmtPercent),
	}
}

// rateChangeCells are a rate with its interval against the previous period: value, interval low
// and high, previous, change in points and the verdict, coloured as the Summary colours it.
func rateChangeCells(rc kpi.RateChange) []cell {
	value := opt(rc.Value, fmtPercent)
	if !rc.Mature && value.v != "n/a" {
		value.look.font = colorNAFont
	}
	var lo, hi cell = na(), na()
	if rc.Interval != nil {
		lo, hi = num(rc.Interval.Low, fmtPercent), num(rc.Interval.High, fmtPercent)
	}
	change := na()
	if rc.Change != nil {
		change = txt(signedPoints(*rc.Change))
		change.look.align = "right"
	}
	verdict := txt(verdictLabel(rc.Verdict))
	switch rc.Verdict {
	case kpi.VerdictBetter:
		change.look.font, change.look.fill, verdict.look.font, verdict.look.fill = colorGoodFont, colorGoodFill, colorGoodFont, colorGoodFill
	case kpi.VerdictWorse:
		change.look.font, change.look.fill, verdict.look.font, verdict.look.fill = colorBadFont, colorBadFill, colorBadFont, colorBadFill
	default:
		verdict.look.font = colorNAFont
	}
	return []cell{value, lo, hi, opt(rc.Previous, fmtPercent), change, opt(rc.PValue, fmtPValue), verdict}
}

// rateChangeHeader heads rateChangeCells.
func rateChangeHeader(what string) []string {
	return []string{what, "95% low", "95% high", "Previous period", "Change", "p-value", "Verdict"}
}

// verdictLabel is a verdict as a table shows it.
func verdictLabel(v string) string {
	switch v {
	case kpi.VerdictBetter:
		return "better"
	case kpi.VerdictWorse:
		return "worse"
	case kpi.VerdictNotTested:
		return "exact"
	}
	return verdictWords(v)
}

// funnelSheet shows the closed funnel against the previous period with its bar chart, the
// mature cohort, the open funnel and the conversion to purchase by breakdown value. It returns
// where its comparison table is, for the Summary's chart (nil when there is none).
func funnelSheet(r *kpi.Result) (*sheet, *funnelChartData) {
	s := newSheet(sheetFunnel)
	fu := r.Funnel
	s.title("Funnel")
	s.note(periodLine(r))
	s.note("Closed funnel: entrants of the period who reached each stage in order, within the conversion window. Each entrant ends completed, dropped or in progress.")
	s.blank()
	if len(fu.Closed) == 0 && len(fu.Open) == 0 && fu.Entrants == 0 {
		s.notComputed("no funnel in the result (no stages or no entrants).")
		return s, nil
	}
	hdr, _ := s.table("", []string{"Entrants", "Completed", "Dropped", "In progress", "Window closed for"},
		[][]cell{{cnt(fu.Entrants), cnt(fu.Completed), cnt(fu.Dropped), cnt(fu.InProgress), opt(fu.MatureShare, fmtPercent)}})
	s.freezeBelow(hdr - 1)
	s.note("Window closed for: the share of entrants whose conversion window had closed by the data's end. Below " +
		percentWords(r.Comparison.MinMature) + " a conversion is still in progress: it is grey and not judged.")
	s.blank()
	paidEntryTable(s, "PaidEntryFunnel", fu.PaidEntry)

	var chart *funnelChartData
	s.section("Against the previous period (" + periodName(r.Report.PreviousFrom, r.Report.PreviousTo) + ")")
	// Required stages first: they are the chart's bars. Optional stages are not steps of the
	// funnel; their rows follow, out of the chart.
	var rows [][]cell
	cmp := append([]kpi.StageComparison{}, r.Comparison.Funnel...)
	sort.SliceStable(cmp, func(i, j int) bool { return !cmp[i].Optional && cmp[j].Optional })
	required := 0
	for _, sc := range cmp {
		if !sc.Optional {
			required++
		}
		stage := sc.Stage
		if !sc.Mature {
			stage += " (in progress)"
		}
		if sc.Optional {
			stage += " (optional)"
		}
		rows = append(rows, append([]cell{txt(stage)}, append(rateChangeCells(sc.RateChange), opt(sc.MatureShare, fmtPercent))...))
	}
	if len(rows) == 0 {
		s.notComputed("no stage comparison in the result.")
	} else {
		// The two periods' columns are headed by their names: they name the chart's bars.
		header := append([]string{"Stage"}, rateChangeHeader(periodName(r.Report.From, r.Report.To))...)
		header[4] = periodName(r.Report.PreviousFrom, r.Report.PreviousTo)
		first, _ := s.table("FunnelComparison", append(header, "Window closed for"), rows)
		last := first + required
		s.note("Conversion from entry; the change is in percentage points. The chart draws the required stages; optional ones are not steps of the funnel.")
		s.blank()
		if fu.Entrants == 0 {
			// A chart of zero bars says nothing and draws a meaningless axis.
			s.note("No customer entered the funnel in the period, so there is no chart.")
		} else {
			chart = &funnelChartData{sheet: s, first: first, last: last, thisCol: 2, prevCol: 5}
			at := s.next()
			s.chart(cellName(1, at), funnelChart(chart, r, 640, 300))
			s.reserve(at, 300)
		}
	}
	s.blank()

	s.section("Closed funnel")
	if len(fu.Closed) == 0 {
		s.notComputed("no stage rows in the closed funnel.")
	} else {
		rows := make([][]cell, len(fu.Closed))
		for i, st := range fu.Closed {
			rows[i] = stageCells(st)
		}
		s.table("ClosedFunnel", stageHeader(), rows)
	}
	s.blank()

	if mc := fu.MatureCohort; mc != nil {
		s.section("Mature cohort: entrants of " + periodName(mc.From, mc.To))
		s.note("Entrants one conversion window before the period, whose windows have all closed when the data reach the period's end: the conversion the period's entrants are heading for.")
		s.table("", []string{"Entrants", "Completed", "Dropped", "In progress", "Window closed for"},
			[][]cell{{cnt(mc.Entrants), cnt(mc.Completed), cnt(mc.Dropped), cnt(mc.InProgress), opt(mc.MatureShare, fmtPercent)}})
		rows := make([][]cell, len(mc.Closed))
		for i, st := range mc.Closed {
			rows[i] = stageCells(st)
		}
		s.table("MatureCohort", stageHeader(), rows)
		s.blank()
	}

	s.section("Open funnel")
	s.note("Distinct customers with any event of the stage in the period, in any order.")
	if len(fu.Open) == 0 {
		s.notComputed("no open funnel in the result.")
	} else {
		rows := make([][]cell, len(fu.Open))
		for i, o := range fu.Open {
			rows[i] = []cell{txt(o.Stage), cnt(o.Customers)}
		}
		s.table("OpenFunnel", []string{"Stage", "Customers"}, rows)
	}
	s.blank()

	for _, b := range fu.Breakdowns {
		s.section("Conversion to purchase by " + byLabel(b.By))
		rows := make([][]cell, 0, len(b.Groups))
		for _, g := range b.Groups {
			rows = append(rows, append([]cell{txt(g.Value), cnt(g.Entrants)}, rateChangeCells(g.Purchase)...))
		}
		if len(rows) == 0 {
			s.notComputed("no entrants to break down.")
		} else {
			s.table("Purchase"+tableSuffix(b.By), append([]string{label(b.By), "Entrants"}, rateChangeHeader("Conversion to purchase")...), rows)
		}
		s.blank()
	}
	s.note("Against the same value in the previous period, p-values adjusted for the number of values compared (Holm); (other) holds different values in each period and is not compared. The whole closed funnel of every value is on the " + sheetFunnelData + " sheet.")
	return s, chart
}

// byLabel names a breakdown in a title.
func byLabel(by string) string {
	switch by {
	case "first_touchpoint":
		return "first touchpoint"
	case "entry_week":
		return "entry week"
	}
	return by
}

// tableSuffix makes a breakdown key into part of a table name: "first_touchpoint" → "FirstTouchpoint".
func tableSuffix(by string) string {
	out := []byte{}
	up := true
	for i := 0; i < len(by); i++ {
		c := by[i]
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}

// funnelDataSheet holds the long tables analysts filter and pivot: the closed funnel of every
// breakdown value and the groups of the decomposition of what moved.
func funnelDataSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetFunnelData)
	fu := r.Funnel
	s.title("Funnel data")
	s.note(periodLine(r))
	s.note("Long tables for filtering and pivoting: one row per breakdown × value × stage, then the groups of what moved.")
	s.blank()
	s.section("Closed funnel by breakdown")
	var rows [][]cell
	for _, b := range fu.Breakdowns {
		for _, g := range b.Groups {
			for _, st := range g.Closed {
				rows = append(rows, append([]cell{txt(label(b.By)), txt(g.Value), cnt(g.Entrants)}, stageCells(st)...))
			}
		}
	}
	if len(rows) == 0 {
		s.notComputed("no breakdowns in the result.")
	} else {
		first, _ := s.table("FunnelBreakdowns", append([]string{"Breakdown", "Value", "Group entrants"}, stageHeader()...), rows)
		s.freezeBelow(first)
		s.repeatHeader(first, first)
	}
	s.blank()

	for _, d := range []struct {
		title, table, weight, rate string
		format                     string
		dec                        kpi.Decomposition
	}{
		{"What moved the purchase conversion", "ConversionMix", "Share of entrants", "Conversion", fmtPercent, r.Comparison.WhatMoved.Conversion},
		{"What moved the revenue", "RevenueMix", "Purchasers", "Revenue per purchaser", fmtMoney, r.Comparison.WhatMoved.Revenue},
	} {
		s.section(d.title)
		var rows [][]cell
		for _, b := range d.dec.By {
			for _, g := range b.Groups {
				w, wb := num(g.Weight, fmtPercent), num(g.WeightBefore, fmtPercent)
				if d.format == fmtMoney {
					w, wb = num(g.Weight, fmtCount), num(g.WeightBefore, fmtCount)
				}
				rows = append(rows, []cell{txt(label(b.By)), txt(g.Value), w, wb, opt(g.Rate, d.format), opt(g.RateBefore, d.format),
					num(g.Mix, effectFormat(d.format)), num(g.RateEffect, effectFormat(d.format))})
			}
		}
		if len(rows) == 0 {
			s.notComputed("no change to decompose.")
		} else {
			s.table(d.table, []string{"Breakdown", "Value", d.weight, d.weight + " before", d.rate, d.rate + " before", "Mix effect", "Rate effect"}, rows)
		}
		s.blank()
	}
	s.note("Mix effect = (weight − weight before) × mean rate; rate effect = (rate − rate before) × mean weight. Per breakdown they add up to the change. Conversion effects are fractions of 1 (0.01 = 1 point).")
	return s
}

func effectFormat(f string) string {
	if f == fmtMoney {
		return fmtChangeMoney
	}
	return `+0.0000;-0.0000;0`
}
