package reports

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWorkbookStructure checks the formatting a reader relies on: charts of the right kinds,
// Excel tables over the detail data, colour scales on the heat maps, frozen header rows, column
// widths that fit and the Summary's print setup.
func TestWorkbookStructure(t *testing.T) {
	data := renderBook(t, fullResult(), fixtureAbout())
	f := openBook(t, data)

	// Charts: the funnel as bars, the emotional line, the trend lines, attribution as clustered columns.
	var kinds []string
	kind := regexp.MustCompile(`<(?:c:)?(bar|line)Chart>(?:<(?:c:)?barDir val="(bar|col)")?`)
	for _, pt := range packageParts(t, data, "xl/charts/chart") {
		m := kind.FindSubmatch(pt.body)
		if m == nil {
			t.Errorf("%s: no bar or line chart", pt.name)
			continue
		}
		kinds = append(kinds, strings.TrimSpace(string(m[1])+" "+string(m[2])))
	}
	sort.Strings(kinds)
	// The funnel against the previous period twice (Summary and Funnel), attribution, the
	// emotional line, two trend charts, and a trend line on each Summary card.
	want := []string{"bar bar", "bar bar", "bar col"}
	for range 3 + len(fullResult().Comparison.Headline) {
		want = append(want, "line")
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("charts %q, want %q", kinds, want)
	}

	wantTables := map[string][]string{
		sheetFunnel: {"FunnelComparison", "ClosedFunnel", "MatureCohort", "OpenFunnel", "PurchaseFirstTouchpoint", "PurchaseSegment",
			"PurchaseEntryWeek"},
		sheetFunnelData:  {"FunnelBreakdowns", "ConversionMix", "RevenueMix"},
		sheetPeriods:     {"HeadlineDetail", "HeadlineYearAgo", "RecentPeriods"},
		sheetJourneyMap:  {"StageSentiment", "PainPoints", "JourneyMapCells"},
		sheetAttribution: {"AttributedConversions", "AttributedRevenue", "CPA", "ROAS", "ROASAgainstPrevious"},
		sheetRepeat:      {"RepeatBySegment", "RepeatByFirstTouchpoint", "Cohorts", "BGNBDBySegment", "BGNBDByFirstTouchpoint"},
		sheetResources:   {"Recommendations", "StageOpportunity", "BudgetShifts", "Efficiency"},
		sheetTrends:      {"Trends"},
		sheetQuality:     {"DataQuality", "RejectedByReason"},
		sheetAbout:       {"ReportInfo", "Parameters"},
	}
	for sheet, want := range wantTables {
		tables, err := f.GetTables(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tb := range tables {
			got = append(got, tb.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s tables %q, want %q", sheet, got, want)
		}
	}

	for sheet, want := range map[string]int{sheetJourneyMap: 2, sheetRepeat: 1} {
		cf, err := f.GetConditionalFormats(sheet)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, opts := range cf {
			for _, o := range opts {
				if strings.HasSuffix(o.Type, "color_scale") {
					n++
				}
			}
		}
		if n != want {
			t.Errorf("%s has %d colour scales, want %d", sheet, n, want)
		}
	}

	for _, sheet := range []string{sheetFunnel, sheetAttribution, sheetRepeat, sheetResources, sheetTrends, sheetQuality} {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit == 0 {
			t.Errorf("%s: header rows not frozen (%+v)", sheet, panes)
		}
	}

	layout, err := f.GetPageLayout(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 {
		t.Errorf("Summary page layout %+v, want landscape, one page wide", layout)
	}
	props, err := f.GetSheetProps(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	if props.FitToPage == nil || !*props.FitToPage {
		t.Error("Summary is not set to fit the page")
	}

	// The Data quality measures fit their column.
	w, err := f.GetColWidth(sheetQuality, "A")
	if err != nil {
		t.Fatal(err)
	}
	if w < float64(len("Events matching no stage (kept as touches)")) {
		t.Errorf("Data quality column A is %v wide, too narrow for its labels", w)
	}
}

// TestNotObservableCellsAreGrey checks the look of n/a cells: grey text on grey, never a 0.
func TestNotObservableCellsAreGrey(t *testing.T) {
	f := openBook(t, renderBook(t, fullResult(), About{}))
	rows, err := f.GetRows(sheetRepeat, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, row := range rows {
		for j, v := range row {
			if v != "n/a" {
				continue
			}
			seen++
			id, err := f.GetCellStyle(sheetRepeat, cellName(j+1, i+1))
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.Font == nil || !strings.EqualFold(strings.TrimPrefix(st.Font.Color, "FF"), colorNAFont) ||
				len(st.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(st.Fill.Color[0], "FF"), colorNAFill) {
				t.Errorf("n/a at %s: font %+v fill %+v, want grey", cellName(j+1, i+1), st.Font, st.Fill)
			}
		}
	}
	if seen == 0 {
		t.Error("no n/a cell on the Repeat sheet")
	}
}
