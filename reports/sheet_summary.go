package reports

import (
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// periodLine says which window the report covers and what it is compared with.
func periodLine(r *kpi.Result) string {
	s := fmt.Sprintf("Period: %s to %s (%s)", r.Report.From, r.Report.To, r.Report.Timezone)
	if r.Report.PreviousFrom != "" {
		s += fmt.Sprintf(", compared with %s to %s", r.Report.PreviousFrom, r.Report.PreviousTo)
	}
	if r.Report.YearAgo == "compared" {
		s += fmt.Sprintf(" and a year earlier, %s to %s", r.Report.YearAgoFrom, r.Report.YearAgoTo)
	}
	return s
}

// periodName names a window for a sentence: "April 2026", "Q2 2026", "2025", "week 14 of 2026",
// "28 June 2026", else "1 April to 15 May 2026".
func periodName(from, to string) string {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return from + " to " + to
	}
	monthEnd := func(first time.Time, n int) time.Time { return first.AddDate(0, n, -1) }
	switch {
	case f.Equal(t):
		return f.Format("2 January 2006")
	case f.Day() == 1 && f.Month() == time.January && t.Equal(monthEnd(f, 12)):
		return f.Format("2006")
	case f.Day() == 1 && (f.Month()-1)%3 == 0 && t.Equal(monthEnd(f, 3)):
		return fmt.Sprintf("Q%d %d", (f.Month()-1)/3+1, f.Year())
	case f.Day() == 1 && t.Equal(monthEnd(f, 1)):
		return f.Format("January 2006")
	case f.Weekday() == time.Monday && t.Equal(f.AddDate(0, 0, 6)):
		y, w := f.ISOWeek()
		return fmt.Sprintf("week %d of %d", w, y)
	case f.Year() == t.Year():
		return f.Format("2 January") + " to " + t.Format("2 January 2006")
	}
	return f.Format("2 January 2006") + " to " + t.Format("2 January 2006")
}

// shortPeriod names a window in a few characters, for card lines: "Mar 2026", "Q1 2026", "W13",
// "27 Jun", "2–31 Mar".
func shortPeriod(from, to string) string {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return from
	}
	name := periodName(from, to)
	switch {
	case f.Equal(t):
		return f.Format("2 Jan 2006")
	case strings.HasPrefix(name, "Q") || len(name) == 4:
		return name
	case f.Day() == 1 && t.Equal(f.AddDate(0, 1, -1)):
		return f.Format("Jan 2006")
	case strings.HasPrefix(name, "week"):
		_, w := f.ISOWeek()
		return fmt.Sprintf("W%d %d", w, f.Year())
	case f.Month() == t.Month() && f.Year() == t.Year():
		return fmt.Sprintf("%d–%d %s", f.Day(), t.Day(), t.Format("Jan 2006"))
	}
	return f.Format("2 Jan") + "–" + t.Format("2 Jan 2006")
}

// cardsPerRow is how many KPI cards the Summary sets side by side; each takes two columns, the
// value and its sparkline.
const cardsPerRow = 4

// summaryRefs are the cells of other sheets the Summary draws from.
type summaryRefs struct {
	// spark maps a headline KPI's key to the range of its recent values (the Periods sheet).
	spark map[string]string
	// funnel is the Funnel sheet's comparison table (header row, last row; 0 when absent).
	funnel *funnelChartData
}

// summarySheet is the first page a manager reads, around three questions: what happened (a card
// per headline KPI), against the previous period and a year earlier (each card's change, coloured
// only when it is real, with a sparkline of the recent periods; what moved the conversion and the
// revenue; the funnel against the previous period), and what to do (the first actions, last).
func summarySheet(r *kpi.Result, actions int, refs summaryRefs) *sheet {
	if actions <= 0 {
		actions = topActions
	}
	s := newSheet(sheetSummary)
	s.direct = true
	const cols = 2 * cardsPerRow
	merge := func(row int) { s.merges = append(s.merges, [2]string{cellName(1, row), cellName(cols, row)}) }
	line := func(text string, l look, perLine float64) {
		l.wrap, l.valign = true, "top"
		row := s.add(cell{v: text, look: l, free: true})
		merge(row)
		s.heights[row] = 15*wrappedLines(text, perLine) + 3
	}
	name := r.Report.Name
	if name == "" {
		name = "Customer journey"
	}
	s.title(name + ": customer journey report, " + periodName(r.Report.From, r.Report.To))
	line(periodLine(r), look{italic: true, font: colorNote}, 130)
	if r.Report.DataEnd != "" {
		line("Data read up to "+r.Report.DataEnd+". Customers whose window is still open then are counted as in progress, not dropped.", look{italic: true, font: colorNote}, 130)
	}
	for _, w := range r.Warnings {
		line("Warning: "+w.Message, look{bold: true, font: colorBadFont}, 118)
	}
	s.blank()
	// 4 × 27 characters stay one page wide at full size in every application (LibreOffice draws
	// a character wider than Excel does).
	for c := 1; c <= cols; c += 2 {
		s.width(c, 17)
		s.width(c+1, 10)
	}

	s.section("What happened, against " + shortPeriod(r.Report.PreviousFrom, r.Report.PreviousTo) + yearAgoTitle(r))
	hs := r.Comparison.Headline
	if len(hs) == 0 {
		s.notComputed("no headline KPIs in the result.")
	}
	for i := 0; i < len(hs); i += cardsPerRow {
		s.block()
		cards := hs[i:min(i+cardsPerRow, len(hs))]
		// Rows of a card: label, value (and its trend line), change against the previous period,
		// against the year-ago period (only when compared), small print.
		lines := []int{0, 1, 2, 3, 4}
		if r.Report.YearAgo != "compared" {
			lines = []int{0, 1, 2, 4}
		}
		heights := maps.Clone(cardLineHeights)
		rows := make([][]cell, len(lines))
		for _, h := range cards {
			c := card(r, h)
			for j, l := range lines {
				rows[j] = append(rows[j], c[l][0], c[l][1])
			}
			// A long change ("vs 2 Jun–31 Aug 2011: ▲ +£1,254,322 (+66.4%) · real change") or
			// small print takes a third line, which a two-line row would cut.
			for l, perLine := range cardLinePerLine {
				if text, ok := c[l][0].v.(string); ok {
					heights[l] = max(heights[l], wrappedLines(text, perLine)*cardLineHeights[l]/2)
				}
			}
		}
		first := s.next()
		for j, l := range lines {
			s.add(rows[j]...)
			s.heights[first+j] = heights[l]
		}
		for k, h := range cards {
			col := 2*k + 1
			for j, l := range lines {
				if l != 1 {
					s.merges = append(s.merges, [2]string{cellName(col, first+j), cellName(col+1, first+j)})
				}
			}
			if ref, ok := refs.spark[h.Key]; ok {
				// Tiny line charts rather than sparklines: LibreOffice (7.4) prints no sparkline
				// and Google Sheets drops them; a chart prints everywhere.
				s.charts = append(s.charts, placedChart{cell: cellName(col+1, first+1), chart: trendLine(ref)})
			}
		}
		s.heights[s.add()] = 8
	}
	line(legend(r), look{italic: true, font: colorNote, size: 9}, 150)
	s.blank()

	whatMoved(s, r, line)

	s.section("Funnel against " + shortPeriod(r.Report.PreviousFrom, r.Report.PreviousTo))
	if refs.funnel == nil {
		s.notComputed("no funnel in the result (no stages or no entrants).")
	} else {
		at := s.next()
		s.chart(cellName(1, at), funnelChart(refs.funnel, r, 760, 260))
		s.reserve(at, 260)
	}
	s.blank()

	s.section("What to do: top actions")
	recs := r.Allocation.Recommendations
	if len(recs) == 0 {
		s.notComputed("no recommendations in the result.")
	}
	for i, rec := range recs {
		if i == actions {
			break
		}
		line(fmt.Sprintf("%d. %s", rec.Rank, rec.Text), look{}, 125)
	}
	small := look{italic: true, font: colorNote, size: 9}
	if len(recs) > actions {
		line(fmt.Sprintf("The Resources sheet lists all %d actions with their numbers.", len(recs)), small, 150)
	} else if len(recs) > 0 {
		line("The Resources sheet lists the actions with their numbers.", small, 150)
	}
	s.blank()
	line("Sheets: "+strings.Join([]string{sheetFunnel, sheetJourneyMap, sheetAttribution, sheetRepeat,
		sheetResources, sheetTrends, sheetPeriods, sheetFunnelData, sheetResourcesData, sheetQuality, sheetAbout}, " · "), small, 150)
	return s
}

func yearAgoTitle(r *kpi.Result) string {
	if r.Report.YearAgo == "compared" {
		return " and " + shortPeriod(r.Report.YearAgoFrom, r.Report.YearAgoTo)
	}
	return ""
}

// legend says how to read the cards.
func legend(r *kpi.Result) string {
	s := fmt.Sprintf("Green or red: a real change (significant at 5%% and at least %s in relative size); grey: within noise, too small, or not comparable (the card says why). ",
		percentWords(r.Comparison.MinChange))
	s += "Rates change in percentage points (pts); the line beside each value draws the recent periods."
	switch r.Report.YearAgo {
	case "before_data":
		s += " No year-ago comparison: the data do not reach back to " + r.Report.YearAgoFrom + "."
	case "off":
		s += " The year-ago comparison is off (comparison.year_ago)."
	}
	return s
}

// cardLineHeights are the heights in points of a card's rows (label, value, change against the
// previous period, against the year-ago period, small print) when their text takes at most two
// lines; a change or small print of more lines takes half of its row's height a line.
var cardLineHeights = map[int]float64{0: 15, 1: 24, 2: 26, 3: 26, 4: 23}

// cardLinePerLine is how many characters of a card's change lines (10 points) and small print (9
// points, italic) fit on one line of its two columns, 27 characters wide; measured in LibreOffice,
// whose characters are the wider, with room for wide digits and bold.
var cardLinePerLine = map[int]float64{2: 30, 3: 30, 4: 36}

// card is one KPI card: five rows of two cells (the value and its sparkline cell, then lines that
// span both).
func card(r *kpi.Result, h kpi.Headline) [5][2]cell {
	var c [5][2]cell
	border := look{bold: true, font: colorTitle, size: 10, valign: "bottom"}
	c[0][0] = cell{v: h.Label, look: border, free: true}
	c[0][1] = cell{look: border}
	f := valueFormat(h.Format)
	if f == fmtMoney && h.Current != nil && math.Abs(*h.Current) >= wholeMoneyFrom {
		// Cents add nothing to a five-figure amount and would not fit the card.
		f = fmtMoneyWhole
	}
	value := opt(h.Current, f)
	value.look.size, value.look.bold, value.look.align = cardValueSize(h.Current, f, r), true, "left"
	grey := !h.Mature || (h.Key == "returning_customer_rate" && !r.Repeat.HistoryComplete)
	if grey && value.v != "n/a" {
		value.look.font = colorNAFont
	}
	c[1][0] = value
	c[1][1] = cell{}
	vs := "vs " + shortPeriod(r.Report.PreviousFrom, r.Report.PreviousTo)
	c[2][0] = changeCell(r, h, kpi.Versus{Value: h.Previous, Change: h.Change, RelativeChange: h.RelativeChange,
		DailyRelativeChange: h.DailyRelativeChange, PValue: h.PValue, Significant: h.Significant, Verdict: h.Verdict}, vs)
	c[2][1] = cell{}
	switch {
	case h.YearAgo != nil:
		c[3][0] = changeCell(r, h, *h.YearAgo, "vs "+shortPeriod(r.Report.YearAgoFrom, r.Report.YearAgoTo))
	case r.Report.YearAgo == "before_data":
		c[3][0] = cell{v: "no year-ago data", look: look{italic: true, font: colorNAFont, size: 9}, free: true}
	default:
		c[3][0] = cell{free: true}
	}
	c[3][1] = cell{}
	c[4][0] = cell{v: cardDetail(r, h), look: look{italic: true, font: colorNote, size: 9, wrap: true, valign: "top"}, free: true}
	for i := 2; i <= 3; i++ {
		c[i][0].look.wrap, c[i][0].look.valign = true, "top"
	}
	c[4][1] = cell{}
	return c
}

// cardValueSize is the font size of a card's value: 16 points, smaller for a value whose text is
// long, so that it fits the card instead of showing as ###.
func cardValueSize(v *float64, format string, r *kpi.Result) float64 {
	if v == nil {
		return 16
	}
	switch n := len([]rune(valueWords(*v, format, r))); {
	case n > 14:
		return 11
	case n > 11:
		return 13
	}
	return 16
}

// cardDetail is the small print of a card: why it is grey, or which cohort it shows, and the
// interval of a value shown as fact.
func cardDetail(r *kpi.Result, h kpi.Headline) string {
	var parts []string
	if h.Basis == kpi.BasisMatureCohort && r.Funnel.MatureCohort != nil {
		mc := r.Funnel.MatureCohort
		parts = append(parts, fmt.Sprintf("Mature cohort of %s (this period's entrants: %s in progress)",
			shortPeriod(mc.From, mc.To), percentWords(1-deref(h.MatureShare))))
	} else if !h.Mature && h.MatureShare != nil {
		parts = append(parts, percentWords(1-*h.MatureShare)+" of entrants still in progress")
	}
	if h.Key == "returning_customer_rate" && !r.Repeat.HistoryComplete {
		parts = append(parts, "history shorter than repeat.history: counts orders in the data only")
	}
	// A mature cohort's conversion is a value to stand behind like any other: it keeps its
	// interval beside the note on which cohort it is.
	if h.Interval != nil && (len(parts) == 0 || h.Basis == kpi.BasisMatureCohort && h.Mature) {
		f := valueFormat(h.Format)
		parts = append(parts, "95% interval "+valueWords(h.Interval.Low, f, r)+" to "+valueWords(h.Interval.High, f, r))
	}
	return strings.Join(parts, "; ")
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// valueFormat is the cell format of a headline KPI's value.
func valueFormat(format string) string {
	switch format {
	case "count":
		return fmtCount
	case "percent":
		return fmtPercent
	case "money":
		return fmtMoney
	case "ratio":
		return fmtRatio
	}
	return fmtNumber
}

// valueWords writes a value in words as its cell format shows it.
func valueWords(v float64, format string, r *kpi.Result) string {
	switch format {
	case fmtCount:
		return groupDigits(math.Round(v))
	case fmtPercent:
		return percentWords(v)
	case fmtMoney, fmtMoneyWhole:
		return moneyWords(r.Report.Currency)(roundMoney(v))
	case fmtRatio:
		return strconv.FormatFloat(round2(v), 'f', 2, 64) + "×"
	}
	return strconv.FormatFloat(round2(v), 'f', -1, 64)
}

// verdictWords says why a change is grey; "" for a called-out change.
func verdictWords(v string) string {
	switch v {
	case kpi.VerdictBetter, kpi.VerdictWorse, kpi.VerdictNotTested:
		return ""
	case kpi.VerdictWithinNoise:
		return "within noise"
	case kpi.VerdictSmall:
		return "real but small"
	case kpi.VerdictImmature:
		return "still in progress"
	case kpi.VerdictHistoryShort:
		return "history too short"
	case kpi.VerdictBeforeData:
		return "not comparable: before the data"
	case kpi.VerdictIncomplete:
		return "period incomplete"
	}
	return "no comparison"
}

// verdictPhrase says in a few words what a verdict means for a change.
func verdictPhrase(v string) string {
	switch v {
	case kpi.VerdictBetter, kpi.VerdictWorse:
		return "a real change"
	}
	return verdictWords(v)
}

// changeWords writes a change in the unit of its KPI: points for rates, the amount and the
// relative change (per day when the periods differ in length) for counts and money.
func changeWords(h kpi.Headline, v kpi.Versus, r *kpi.Result) string {
	if v.Change == nil {
		return "n/a"
	}
	ch := *v.Change
	arrow := "▲ "
	if ch < 0 {
		arrow = "▼ "
	} else if ch == 0 {
		return "= unchanged"
	}
	if h.Format == "percent" {
		return arrow + signedPoints(ch)
	}
	// The amount as the KPI's value is worded, with its sign.
	sign := "+"
	if ch < 0 {
		sign = "−"
	}
	s := sign + valueWords(math.Abs(ch), valueFormat(h.Format), r)
	switch {
	case v.DailyRelativeChange != nil:
		s += " (daily rate " + signedPercent(*v.DailyRelativeChange) + ")"
	case v.RelativeChange != nil:
		s += " (" + signedPercent(*v.RelativeChange) + ")"
	}
	return arrow + s
}

// pointsWords writes a change of a 0..1 rate in percentage points.
func pointsWords(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', 1, 64) + " pts"
}

func signedPercent(f float64) string {
	if f >= 0 {
		return "+" + percentWords(f)
	}
	return "−" + percentWords(-f)
}

// changeCell is a card's change line: coloured when the verdict calls the change out, grey with
// the reason otherwise.
func changeCell(r *kpi.Result, h kpi.Headline, v kpi.Versus, vs string) cell {
	text := vs + ": " + changeWords(h, v, r)
	l := look{size: 10, font: colorNAFont}
	switch v.Verdict {
	case kpi.VerdictBetter:
		l = look{size: 10, bold: true, font: colorGoodFont, fill: colorGoodFill}
		text += " · real change"
	case kpi.VerdictWorse:
		l = look{size: 10, bold: true, font: colorBadFont, fill: colorBadFill}
		text += " · real change"
	case kpi.VerdictNotTested:
		l = look{size: 10}
	default:
		if v.Change != nil {
			text += " · " + verdictWords(v.Verdict)
		} else {
			text = vs + ": " + verdictWords(v.Verdict)
		}
	}
	return cell{v: text, look: l, free: true}
}

// whatMoved words the decomposition of the change in purchase conversion and in revenue: the
// three largest effects by first touchpoint and segment. A change that cannot be compared (a
// period before the data or cut by its end, a conversion still in progress) is not split: its
// effects would explain a difference that is not there.
func whatMoved(s *sheet, r *kpi.Result, line func(string, look, float64)) {
	s.section("What moved")
	w := r.Comparison.WhatMoved
	money := moneyWords(r.Report.Currency)
	lead := func(text, after string, h *kpi.Headline, top []kpi.MixEffect, effect func(kpi.MixEffect) string) {
		if h != nil {
			text += ", " + verdictPhrase(h.Verdict)
		}
		text += ")" + after
		switch {
		case h != nil && !comparable(h.Verdict):
			line(text+".", look{bold: true}, 125)
		case len(top) == 0:
			line(text+": neither first touchpoint nor segment splits it.", look{bold: true}, 125)
		default:
			line(text+". Largest effects:", look{bold: true}, 125)
			for _, e := range top {
				line("•  "+effect(e), look{}, 125)
			}
		}
	}
	if d := w.Conversion; d.Change != nil {
		text := fmt.Sprintf("Purchase conversion %s against %s (%s", percentWords(*d.Current), percentWords(*d.Previous), signedPoints(*d.Change))
		after := ""
		if d.Basis == kpi.BasisMatureCohort {
			after = ", on the mature cohorts"
		}
		lead(text, after, headlineOf(r, "purchase_conversion"), d.Top, conversionEffectWords)
	} else {
		s.notComputed("no change in purchase conversion (no entrants in one of the periods).")
	}
	if d := w.Revenue; d.Change != nil {
		text := fmt.Sprintf("Revenue %s against %s (%s", money(roundMoney(*d.Current)), money(roundMoney(*d.Previous)), signedMoney(*d.Change, money))
		lead(text, "", headlineOf(r, "revenue"), d.Top, func(e kpi.MixEffect) string { return revenueEffectWords(e, money) })
	}
	line("Mix: more or fewer entrants (purchasers) from a group; rate: its conversion (revenue per purchaser) changed. Each breakdown's effects add up to the change; the Funnel data sheet lists them all.",
		look{italic: true, font: colorNote, size: 9}, 150)
	s.blank()
}

// comparable reports whether a change with verdict v compares two periods that can be compared:
// not one before the data or cut by its end, nor a value still in progress.
func comparable(v string) bool {
	switch v {
	case kpi.VerdictBeforeData, kpi.VerdictIncomplete, kpi.VerdictImmature:
		return false
	}
	return true
}

func headlineOf(r *kpi.Result, key string) *kpi.Headline {
	for i := range r.Comparison.Headline {
		if r.Comparison.Headline[i].Key == key {
			return &r.Comparison.Headline[i]
		}
	}
	return nil
}

func signedPoints(f float64) string {
	if f >= 0 {
		return "+" + pointsWords(f)
	}
	return "−" + pointsWords(-f)
}

func signedMoney(f float64, money func(float64) string) string {
	if f >= 0 {
		return "+" + money(roundMoney(f))
	}
	return "−" + money(roundMoney(-f))
}

// wholeMoneyFrom is the amount from which page 1 shows money in whole units: cents add nothing a
// reader can use to a five-figure amount, and would not fit a card.
const wholeMoneyFrom = 10000

// roundMoney rounds an amount for page 1: to cents, and to whole units from wholeMoneyFrom on.
func roundMoney(x float64) float64 {
	if math.Abs(x) >= wholeMoneyFrom {
		return math.Round(x)
	}
	return round2(x)
}

// byWords names a breakdown group in a sentence: "entrants from email", "the vip segment".
func byWords(by, value, who string) string {
	if by == "segment" {
		return who + " of the " + value + " segment"
	}
	return who + " from " + value
}

func conversionEffectWords(e kpi.MixEffect) string {
	if e.Effect == kpi.EffectMix {
		more := "More"
		if e.Weight < e.WeightBefore {
			more = "Fewer"
		}
		return fmt.Sprintf("%s %s (%s of entrants, was %s): %s", more, byWords(e.By, e.Value, "entrants"),
			percentWords(e.Weight), percentWords(e.WeightBefore), signedPoints(e.Amount))
	}
	rose := "rose"
	if e.Amount < 0 {
		rose = "fell"
	}
	return fmt.Sprintf("Conversion of %s (%s of entrants) %s from %s to %s: %s", byWords(e.By, e.Value, "entrants"), percentWords(e.Weight), rose,
		percentWords(deref(e.RateBefore)), percentWords(deref(e.Rate)), signedPoints(e.Amount))
}

func revenueEffectWords(e kpi.MixEffect, money func(float64) string) string {
	if e.Effect == kpi.EffectMix {
		more := "More"
		if e.Weight < e.WeightBefore {
			more = "Fewer"
		}
		return fmt.Sprintf("%s %s (%s, was %s): %s", more, byWords(e.By, e.Value, "purchasers"),
			groupDigits(e.Weight), groupDigits(e.WeightBefore), signedMoney(e.Amount, money))
	}
	rose := "rose"
	if e.Amount < 0 {
		rose = "fell"
	}
	return fmt.Sprintf("Revenue per purchaser %s (%s purchasers) %s from %s to %s: %s", strings.TrimPrefix(byWords(e.By, e.Value, ""), " "),
		groupDigits(e.Weight), rose, money(round2(deref(e.RateBefore))), money(round2(deref(e.Rate))), signedMoney(e.Amount, money))
}

// funnelChartData locates the Funnel sheet's comparison table: stage names in column 1, this
// period's conversion from entry in column thisCol and the previous period's in prevCol.
type funnelChartData struct {
	sheet                         *sheet
	first, last, thisCol, prevCol int
}

// funnelChart is the funnel against the previous period: this period's conversion from entry per
// required stage in solid bars beside the previous period's in pale ("ghost") bars.
func funnelChart(d *funnelChartData, r *kpi.Result, width, height uint) *excelize.Chart {
	cur := d.sheet.series(d.thisCol, d.first, d.last)
	cur.Fill = solid("2E75B6")
	prev := d.sheet.series(d.prevCol, d.first, d.last)
	prev.Fill = solid("C9D9EE")
	return &excelize.Chart{
		Type:      excelize.Bar,
		Series:    []excelize.ChartSeries{cur, prev},
		Title:     chartTitle("Conversion from entry, required stages"),
		Legend:    excelize.ChartLegend{Position: "bottom"},
		XAxis:     reversed(axis("")),
		YAxis:     withRange(axis("0%"), kpi.Ptr(0), kpi.Ptr(1)),
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: width, Height: height},
		Format:    excelize.GraphicOptions{AltText: "Bar chart of each required stage's conversion from entry in this period and the previous one"},
	}
}

// trendLine is a card's sparkline: a line chart without axes, legend or border, in the cell beside
// the card's value.
func trendLine(ref string) *excelize.Chart {
	line := excelize.ChartSeries{Values: ref, Line: excelize.LineOptions{Width: 1.5, Fill: solid(colorTitle)},
		Marker: excelize.ChartMarker{Symbol: "none"}}
	hidden := excelize.ChartAxis{None: true}
	return &excelize.Chart{
		Type:      excelize.Line,
		Series:    []excelize.ChartSeries{line},
		Legend:    excelize.ChartLegend{Position: "none"},
		XAxis:     hidden,
		YAxis:     hidden,
		Border:    excelize.LineOptions{Type: excelize.LineNone},
		Dimension: excelize.ChartDimension{Width: 72, Height: 30},
		Format:    excelize.GraphicOptions{AltText: "Trend over the recent periods", OffsetY: 2},
	}
}
