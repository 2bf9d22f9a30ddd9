package reports

import (
	"fmt"
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
)

// periodLine says which window the report covers and what it is compared with.
func periodLine(r *kpi.Result) string {
	s := fmt.Sprintf("Period: %s to %s (%s)", r.Report.From, r.Report.To, r.Report.Timezone)
	if r.Report.PreviousFrom != "" {
		s += fmt.Sprintf(", compared with %s to %s", r.Report.PreviousFrom, r.Report.PreviousTo)
	}
	return s
}

// summarySheet is the first page a manager reads: the headline KPIs against the previous period
// and the first actions recommendations (topActions when actions is 0).
func summarySheet(r *kpi.Result, actions int) *sheet {
	if actions <= 0 {
		actions = topActions
	}
	s := newSheet(sheetSummary)
	name := r.Report.Name
	if name == "" {
		name = "Customer journey"
	}
	s.title(name + ": customer journey report")
	s.note(periodLine(r))
	if r.Report.DataEnd != "" {
		s.note("Data read up to " + r.Report.DataEnd + ". Customers whose window is still open then are counted as in progress, not dropped.")
	}
	for _, w := range r.Warnings {
		row := s.add(cell{v: "Warning: " + w.Message, look: look{bold: true, font: colorBadFont, wrap: true, valign: "top"}, free: true})
		s.merges = append(s.merges, [2]string{cellName(1, row), cellName(5, row)})
		s.heights[row] = 15*wrappedLines("Warning: "+w.Message, 112) + 3
	}
	s.blank()
	s.width(1, 36)
	for c := 2; c <= 5; c++ {
		s.width(c, 17)
	}

	s.section("Headline KPIs")
	if len(r.Comparison.Headline) == 0 {
		s.notComputed("no headline KPIs in the result.")
	} else {
		rows := make([][]cell, 0, len(r.Comparison.Headline))
		for _, h := range r.Comparison.Headline {
			rows = append(rows, headlineRow(h))
		}
		first, _ := s.table("", []string{"KPI", "This period", "Previous period", "Change", "Relative change"}, rows)
		s.heights[first] = 20
		s.note("Green: moved the good way; red: moved the bad way. The change of a rate is in percentage points; relative change is the change divided by the previous value.")
	}
	s.blank()

	s.section("Top actions")
	recs := r.Allocation.Recommendations
	if len(recs) == 0 {
		s.notComputed("no recommendations in the result.")
	}
	for i, rec := range recs {
		if i == actions {
			break
		}
		text := fmt.Sprintf("%d. %s", rec.Rank, rec.Text)
		row := s.add(cell{v: text, look: look{wrap: true, valign: "top"}, free: true})
		s.merges = append(s.merges, [2]string{cellName(1, row), cellName(5, row)})
		// A merged cell does not grow with its text; size the row for the wrapped lines.
		s.heights[row] = 15*wrappedLines(text, 112) + 3
	}
	if len(recs) > actions {
		s.note(fmt.Sprintf("The Resources sheet lists all %d actions with their numbers.", len(recs)))
	} else if len(recs) > 0 {
		s.note("The Resources sheet lists the actions with their numbers.")
	}
	s.blank()
	s.note("Sheets: " + strings.Join([]string{sheetFunnel, sheetJourneyMap, sheetAttribution, sheetRepeat,
		sheetResources, sheetTrends, sheetQuality, sheetAbout}, " · "))
	return s
}

// headlineRow is one headline KPI: now, before, the change coloured by whether it moved the good
// way, and the relative change.
func headlineRow(h kpi.Headline) []cell {
	var format, change string
	switch h.Format {
	case "count":
		format, change = fmtCount, fmtChangeCount
	case "percent":
		format, change = fmtPercent, fmtChangePercent
	case "money":
		format, change = fmtMoney, fmtChangeMoney
	default:
		format, change = fmtNumber, fmtChangeNumber
	}
	l := h.Label
	if l == "" {
		l = label(h.Key)
	}
	row := []cell{bold(l), opt(h.Current, format), opt(h.Previous, format), opt(h.Change, change), opt(h.RelativeChange, fmtChangePercent)}
	if h.Change != nil && *h.Change != 0 {
		good := (*h.Change > 0) == h.HigherIsBetter
		font, fill := colorBadFont, colorBadFill
		if good {
			font, fill = colorGoodFont, colorGoodFill
		}
		for i := 3; i <= 4; i++ {
			if row[i].v != "n/a" {
				row[i].look.font, row[i].look.fill, row[i].look.bold = font, fill, true
			}
		}
	}
	return row
}
