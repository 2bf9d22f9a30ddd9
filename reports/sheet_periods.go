package reports

import (
	"fmt"

	"github.com/journeykpi/journeykpi/kpi"
)

// periodsSheet is for analysts: every headline KPI in detail (interval, p-values, verdicts), the
// recent periods the Summary's sparklines draw, and with run --by one row per period. It returns
// the range of each KPI's recent values, for the sparklines.
func periodsSheet(r *kpi.Result) (*sheet, map[string]string) {
	s := newSheet(sheetPeriods)
	s.title("Periods")
	s.note(periodLine(r))
	s.blank()

	s.section("Headline KPIs against the previous period (" + periodName(r.Report.PreviousFrom, r.Report.PreviousTo) + ")")
	hs := r.Comparison.Headline
	if len(hs) == 0 {
		s.notComputed("no headline KPIs in the result.")
	} else {
		rows := make([][]cell, len(hs))
		for i, h := range hs {
			f := valueFormat(h.Format)
			var lo, hi cell = na(), na()
			if h.Interval != nil {
				lo, hi = num(h.Interval.Low, f), num(h.Interval.High, f)
			}
			basis := "period"
			if h.Basis == kpi.BasisMatureCohort {
				basis = "mature cohort"
			}
			prev := kpi.Versus{Value: h.Previous, Change: h.Change, RelativeChange: h.RelativeChange, DailyRelativeChange: h.DailyRelativeChange,
				PValue: h.PValue, Significant: h.Significant, Verdict: h.Verdict}
			rows[i] = append([]cell{bold(h.Label), opt(h.Current, f), lo, hi, txt(basis), opt(h.MatureShare, fmtPercent)}, versusCells(r, h, prev, f)...)
		}
		first, _ := s.table("HeadlineDetail", []string{"KPI", "This period", "95% low", "95% high", "Basis", "Window closed for",
			"Previous period", "Change", "Relative change", "Daily rate change", "p-value", "Verdict"}, rows)
		s.freezeBelow(first)
		s.note(fmt.Sprintf("p-value: the chance of a change at least this large if nothing had changed; a change is called out when p < 0.05 and it is at least %s in relative size (comparison.min_change). Counts and revenue are compared per day when the periods differ in length.",
			percentWords(r.Comparison.MinChange)))
		s.blank()
		if r.Report.YearAgo == "compared" {
			s.section("Headline KPIs against a year earlier (" + periodName(r.Report.YearAgoFrom, r.Report.YearAgoTo) + ")")
			rows := make([][]cell, len(hs))
			for i, h := range hs {
				ya := kpi.Versus{Verdict: "off"}
				if h.YearAgo != nil {
					ya = *h.YearAgo
				}
				rows[i] = append([]cell{bold(h.Label), opt(h.Current, valueFormat(h.Format))}, versusCells(r, h, ya, valueFormat(h.Format))...)
			}
			s.table("HeadlineYearAgo", []string{"KPI", "This period", "Year ago", "Change", "Relative change", "Daily rate change", "p-value", "Verdict"}, rows)
		} else {
			s.note("No comparison with a year earlier: " + map[string]string{"off": "comparison.year_ago is off.",
				"before_data": "the data do not reach back to " + r.Report.YearAgoFrom + "."}[r.Report.YearAgo])
		}
	}
	s.blank()

	s.section("Thresholds")
	s.table("", []string{"Setting", "Value"}, [][]cell{
		{txt("Smallest relative change called out (comparison.min_change)"), num(r.Comparison.MinChange, fmtPercent)},
		{txt("Share of entrants with a closed window for a mature funnel KPI (comparison.min_mature)"), num(r.Comparison.MinMature, fmtPercent)},
	})
	s.blank()

	spark := map[string]string{}
	s.section("Recent periods")
	rec := r.Comparison.Recent
	if len(rec) < 2 {
		s.note("Fewer than two recent periods in the data: the Summary draws no sparklines.")
	} else {
		s.note("The Summary's sparklines: each KPI over the recent periods of the report's kind that the data cover. An empty grey cell is a value still in progress, left out of the line.")
		header := []string{"KPI"}
		for _, p := range rec {
			header = append(header, shortPeriod(p.From, p.To))
		}
		var rows [][]cell
		keys := []string{}
		for i, h := range rec[len(rec)-1].Headline {
			row := []cell{bold(h.Label)}
			for _, p := range rec {
				if i >= len(p.Headline) {
					row = append(row, cell{})
					continue
				}
				v := p.Headline[i]
				if !v.Mature {
					row = append(row, optBlank(nil, ""))
					continue
				}
				row = append(row, optBlank(v.Current, valueFormat(v.Format)))
			}
			rows = append(rows, row)
			keys = append(keys, h.Key)
		}
		first, _ := s.table("RecentPeriods", header, rows)
		for i, k := range keys {
			spark[k] = s.ref(2, first+1+i, len(rec)+1, first+1+i)
		}
	}
	s.blank()

	if len(r.Periods) > 0 || r.Report.By != "" {
		s.section("One row per " + r.Report.By)
		s.note("Each period's headline KPIs computed with the report's rules: a conversion whose entrants are still in progress is that of its mature cohort (Basis), grey when even that is not mature. Partial: the period is cut by the range or the data.")
		if len(r.Periods) == 0 {
			s.notComputed("no periods in the result.")
		} else {
			header := []string{"From", "To", "Partial"}
			for _, h := range r.Periods[0].Headline {
				header = append(header, h.Label)
				if h.Key == "purchase_conversion" {
					header = append(header, "Basis")
				}
			}
			header = append(header, "Conversion vs the period before", "Revenue vs the period before")
			rows := make([][]cell, len(r.Periods))
			for i, p := range r.Periods {
				row := []cell{txt(p.From), txt(p.To), yesNo(p.Partial)}
				var conv, rev string
				verdict := func(h kpi.Headline) string {
					if h.Change == nil {
						return ""
					}
					return verdictLabel(h.Verdict)
				}
				for _, h := range p.Headline {
					c := opt(h.Current, valueFormat(h.Format))
					if !h.Mature && c.v != "n/a" {
						c.look.font = colorNAFont
					}
					row = append(row, c)
					switch h.Key {
					case "purchase_conversion":
						basis := "period"
						if h.Basis == kpi.BasisMatureCohort {
							basis = "mature cohort"
						}
						row = append(row, txt(basis))
						conv = verdict(h)
					case "revenue":
						rev = verdict(h)
					}
				}
				rows[i] = append(row, txt(conv), txt(rev))
			}
			first, _ := s.table("Periods", header, rows)
			s.repeatHeader(first, first)
		}
	}
	return s, spark
}

// versusCells are a headline KPI's comparison with another period: its value, the change in
// words, the relative change (per day for counts of periods of different length), the p-value and
// the verdict.
func versusCells(r *kpi.Result, h kpi.Headline, v kpi.Versus, f string) []cell {
	if v.Verdict == "off" {
		return []cell{na(), na(), na(), na(), na(), txt("not compared")}
	}
	change := txt(changeWords(h, v, r))
	change.look.align = "right"
	verdict := txt(verdictLabel(v.Verdict))
	switch v.Verdict {
	case kpi.VerdictBetter:
		verdict.look.font, verdict.look.fill = colorGoodFont, colorGoodFill
	case kpi.VerdictWorse:
		verdict.look.font, verdict.look.fill = colorBadFont, colorBadFill
	}
	return []cell{opt(v.Value, f), change, opt(v.RelativeChange, fmtChangePercent), opt(v.DailyRelativeChange, fmtChangePercent), opt(v.PValue, fmtPValue), verdict}
}
