package reports

import (
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// stageHeader is the header of a closed-funnel table.
func stageHeader() []string {
	return []string{
		"Stage", "Optional", "Reached", "Conversion from previous", "Conversion from entry",
		"Dropped here", "In progress here", "Hours to convert (median)", "Hours to convert (p90)",
		"Hours to convert (mean)", "Conversions timed",
	}
}

func stageCells(st kpi.StageRow) []cell {
	return []cell{
		txt(st.Stage), yesNo(st.Optional), cnt(st.Reached),
		opt(st.ConversionFromPrevious, fmtPercent), opt(st.ConversionFromEntry, fmtPercent),
		cnt(st.Dropped), cnt(st.InProgress),
		opt(st.TimeToConvertHours.Median, fmtHours), opt(st.TimeToConvertHours.P90, fmtHours),
		opt(st.TimeToConvertHours.Mean, fmtHours), cnt(st.TimeToConvertHours.N),
	}
}

// funnelSheet shows the closed funnel with its bar chart, the open funnel and the breakdowns.
func funnelSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetFunnel)
	fu := r.Funnel
	s.title("Funnel")
	s.note(periodLine(r))
	s.note("Closed funnel: entrants of the period who reached each stage in order, within the conversion window. Each entrant ends completed, dropped or in progress.")
	s.blank()
	if len(fu.Closed) == 0 && len(fu.Open) == 0 && fu.Entrants == 0 {
		s.notComputed("no funnel in the result (no stages or no entrants).")
		return s
	}
	hdr, _ := s.table("", []string{"Entrants", "Completed", "Dropped", "In progress"},
		[][]cell{{cnt(fu.Entrants), cnt(fu.Completed), cnt(fu.Dropped), cnt(fu.InProgress)}})
	s.freezeBelow(hdr - 1)
	s.blank()

	s.section("Closed funnel")
	if len(fu.Closed) == 0 {
		s.notComputed("no stage rows in the closed funnel.")
	} else {
		rows := make([][]cell, len(fu.Closed))
		for i, st := range fu.Closed {
			rows[i] = stageCells(st)
		}
		first, last := s.table("ClosedFunnel", stageHeader(), rows)
		s.blank()
		if fu.Entrants == 0 {
			// A chart of zero bars says nothing and draws a meaningless axis.
			s.note("No customer entered the funnel in the period, so there is no chart.")
		} else {
			at := s.next()
			reached := s.series(3, first, last)
			reached.Fill = solid("2E75B6")
			s.chart(cellName(1, at), &excelize.Chart{
				Type:      excelize.Bar,
				Series:    []excelize.ChartSeries{reached},
				Title:     chartTitle("Customers reaching each stage"),
				Legend:    excelize.ChartLegend{Position: "none"},
				XAxis:     reversed(axis("")),
				YAxis:     axis(fmtCount),
				PlotArea:  excelize.ChartPlotArea{ShowVal: true},
				Dimension: excelize.ChartDimension{Width: 640, Height: 300},
				Format:    excelize.GraphicOptions{AltText: "Bar chart of customers reaching each stage of the closed funnel"},
			})
			s.reserve(at, 300)
		}
	}
	s.blank()

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

	s.section("Breakdowns")
	s.note("The closed funnel by each breakdown of funnel.breakdowns (top values, then (other)). Filter the table by Breakdown and Value.")
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
		s.table("FunnelBreakdowns", append([]string{"Breakdown", "Value", "Group entrants"}, stageHeader()...), rows)
	}
	return s
}
