package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// mapCellHeader is the header of a journey-map cell table.
func mapCellHeader() []string {
	return []string{"Stage", "Touchpoint", "Customers", "Events", "Average sentiment", "Sentiment responses", "Customers who answered"}
}

func mapCellCells(c kpi.MapCell) []cell {
	return []cell{txt(c.Stage), txt(c.Touchpoint), cnt(c.Customers), cnt(c.Events), opt(c.SentimentMean, fmtSentiment), cnt(c.SentimentN),
		cnt(c.SentimentCustomers)}
}

// journeyMapSheet shows the stage × touchpoint heat maps, the emotional line across stages and
// the pain points.
func journeyMapSheet(r *kpi.Result) *sheet {
	s := newSheet(sheetJourneyMap)
	jm := r.JourneyMap
	s.title("Journey map")
	s.note(periodLine(r))
	s.note("Customers who reached each stage through each touchpoint (the touchpoint of the qualifying event). Darker blue: more customers.")
	s.blank()
	if len(jm.Stages) == 0 || len(jm.Cells) == 0 {
		s.notComputed("no journey map in the result (no stages or no events).")
		return s
	}
	type key struct{ stage, tp string }
	cells := make(map[key]kpi.MapCell, len(jm.Cells))
	for _, c := range jm.Cells {
		cells[key{c.Stage, c.Touchpoint}] = c
	}
	matrix := func(value func(kpi.MapCell) cell) (first, last int) {
		hdr := make([]cell, 0, len(jm.Touchpoints)+1)
		hdr = append(hdr, cell{v: "Stage \\ touchpoint", look: look{header: true}})
		for _, tp := range jm.Touchpoints {
			hdr = append(hdr, cell{v: tp, look: look{header: true, align: "right"}})
		}
		first = s.add(hdr...)
		for _, st := range jm.Stages {
			row := []cell{bold(st)}
			for _, tp := range jm.Touchpoints {
				if c, ok := cells[key{st, tp}]; ok {
					row = append(row, value(c))
				} else {
					row = append(row, cell{})
				}
			}
			last = s.add(row...)
		}
		return first, last
	}

	s.section("Customers by stage and touchpoint")
	first, last := matrix(func(c kpi.MapCell) cell { return cnt(c.Customers) })
	if len(jm.Touchpoints) > 0 {
		s.colorScale(rangeRef(2, first+1, len(jm.Touchpoints)+1, last), excelize.ConditionalFormatOptions{
			Type: "2_color_scale", Criteria: "=", MinType: "min", MaxType: "max", MinColor: "#F7FBFF", MaxColor: "#2171B5",
		})
	}
	s.note("Empty: no customer reached the stage through that touchpoint.")
	s.blank()

	s.section("Average sentiment by stage and touchpoint (−1 to 1)")
	// A cell too few customers answered in is written as grey text, which the colour scale
	// skips: one response must not look like a thousand.
	first, last = matrix(func(c kpi.MapCell) cell {
		if c.SentimentMean != nil && !c.Measured {
			return cell{v: strconv.FormatFloat(*c.SentimentMean, 'f', 2, 64) + " (" + strconv.FormatInt(c.SentimentCustomers, 10) + ")",
				look: look{italic: true, font: colorNAFont, fill: colorNAFill, align: "right"}}
		}
		return opt(c.SentimentMean, fmtSentiment)
	})
	if len(jm.Touchpoints) > 0 {
		s.colorScale(rangeRef(2, first+1, len(jm.Touchpoints)+1, last), excelize.ConditionalFormatOptions{
			Type: "3_color_scale", Criteria: "=",
			MinType: "num", MinValue: "-1", MinColor: "#F8696B",
			MidType: "num", MidValue: "0", MidColor: "#FFEB84",
			MaxType: "num", MaxValue: "1", MaxColor: "#63BE7B",
		})
	}
	s.note("Red: customers felt bad at that contact; green: good. n/a: no sentiment recorded. Grey, with the number of customers who answered in brackets: too few answered (journey_map.min_customers) for the average to be read, so it is not coloured.")
	s.blank()

	s.section("Emotional line: average sentiment at each stage")
	if len(jm.Sentiment) == 0 {
		s.notComputed("no sentiment in the result.")
	} else {
		s.note("Blank: no sentiment recorded at that stage (the line has a gap).")
		rows := make([][]cell, len(jm.Sentiment))
		for i, m := range jm.Sentiment {
			rows[i] = []cell{txt(m.Stage), optBlank(m.Mean, fmtSentiment), cnt(m.N)}
		}
		first, last := s.table("StageSentiment", []string{"Stage", "Average sentiment", "Responses"}, rows)
		minV, maxV := -1.0, 1.0
		mean := s.series(2, first, last)
		mean.Line = excelize.LineOptions{Width: 2.5, Fill: solid("C55A11")}
		mean.Marker = excelize.ChartMarker{Symbol: "circle", Size: 7}
		s.chart(cellName(5, first), &excelize.Chart{
			Type:         excelize.Line,
			Series:       []excelize.ChartSeries{mean},
			Title:        chartTitle("How customers feel along the journey"),
			Legend:       excelize.ChartLegend{Position: "none"},
			XAxis:        lowLabels(axis("")),
			YAxis:        withRange(axis("0.0"), &minV, &maxV),
			ShowBlanksAs: "gap",
			Dimension:    excelize.ChartDimension{Width: 560, Height: 280},
			Format:       excelize.GraphicOptions{AltText: "Line chart of the average sentiment at each stage"},
		})
		s.reserve(first, 280)
	}
	s.blank()

	s.section("Pain points")
	s.note("Cells whose average sentiment lies below their stage's by more than chance (the cell's 95% interval wholly below the stage's average), with enough customers who answered. Ranked by what the extra drop-off after them costs: the share of their customers who do not reach the next stage beyond the rest of the stage's, times their customers, times what a customer at the next stage is worth, of which the value counts on closing " + gapShareWords(r.Allocation.CloseGap) + ".")
	if len(jm.PainPoints) == 0 {
		s.notComputed("no cell's sentiment lies below its stage's by more than chance.")
	} else {
		rows := make([][]cell, len(jm.PainPoints))
		for i, c := range jm.PainPoints {
			rows[i] = []cell{txt(c.Stage), txt(c.Touchpoint), cnt(c.Customers), cnt(c.SentimentCustomers), opt(c.SentimentMean, fmtSentiment),
				num(c.Interval.Low, fmtSentiment), num(c.Interval.High, fmtSentiment), num(c.StageMean, fmtSentiment), txt(c.NextStage),
				opt(c.NextConversion, fmtPercent), opt(c.RestConversion, fmtPercent), num(c.ExtraDropOff, fmtPercent),
				num(c.ExtraCustomers, fmtNumber), num(c.ValuePerCustomer, fmtMoney), num(c.Value, fmtMoney)}
		}
		s.table("PainPoints", []string{"Stage", "Touchpoint", "Customers", "Customers who answered", "Average sentiment", "95% low", "95% high",
			"Stage average", "Next stage", "Reached the next stage", "Rest of the stage", "Extra drop-off", "Extra customers",
			"Value per customer", "Value"}, rows)
	}
	s.blank()

	for i, dm := range jm.ByDimension {
		dimensionMap(s, i, dm)
	}

	s.section("All cells")
	rows := make([][]cell, len(jm.Cells))
	for i, c := range jm.Cells {
		rows[i] = mapCellCells(c)
	}
	first, _ = s.table("JourneyMapCells", mapCellHeader(), rows)
	s.repeatHeader(first, first)
	return s
}

// dimensionMap adds the stage × value table of one of the user's dimensions: customers who
// reached each stage with each value, shaded like the touchpoint map.
func dimensionMap(s *sheet, i int, dm kpi.DimensionMap) {
	name := strings.ReplaceAll(dm.Dimension, "_", " ")
	s.section("Customers by stage and " + name)
	if len(dm.Cells) == 0 {
		s.notComputed("no " + name + " in the result.")
		s.blank()
		return
	}
	type key struct{ stage, value string }
	cells := make(map[key]int64, len(dm.Cells))
	var stages []string
	for _, c := range dm.Cells {
		if _, ok := cells[key{c.Stage, ""}]; !ok {
			cells[key{c.Stage, ""}] = 0
			stages = append(stages, c.Stage)
		}
		cells[key{c.Stage, c.Value}] = c.Customers
	}
	header := append([]string{"Stage \\ " + name}, dm.Values...)
	rows := make([][]cell, 0, len(stages))
	for _, st := range stages {
		row := []cell{bold(st)}
		for _, v := range dm.Values {
			if n, ok := cells[key{st, v}]; ok {
				row = append(row, cnt(n))
			} else {
				row = append(row, cell{})
			}
		}
		rows = append(rows, row)
	}
	first, last := s.table(fmt.Sprintf("JourneyMapByDimension%d", i+1), header, rows)
	s.colorScale(rangeRef(2, first+1, len(dm.Values)+1, last), excelize.ConditionalFormatOptions{
		Type: "2_color_scale", Criteria: "=", MinType: "min", MaxType: "max", MinColor: "#F7FBFF", MaxColor: "#2171B5",
	})
	s.note(fmt.Sprintf("The %s of the event that reached the stage; the top values by customers at the first stage, then (other).", name))
	s.blank()
}
