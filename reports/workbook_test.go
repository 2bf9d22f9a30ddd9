package reports

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func wantSheets() []string {
	return []string{sheetSummary, sheetFunnel, sheetJourneyMap, sheetAttribution, sheetRepeat,
		sheetResources, sheetTrends, sheetPeriods, sheetFunnelData, sheetResourcesData, sheetQuality, sheetAbout}
}

func renderBook(t *testing.T, r *kpi.Result, about About) []byte {
	t.Helper()
	data, err := workbookBytes(r, about)
	if err != nil {
		t.Fatalf("render workbook: %v", err)
	}
	return data
}

func openBook(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// dumpBook is a normalised text form of every sheet's cell values (raw, unformatted), one line
// per non-empty row, cells separated by " | ", trailing empty cells dropped.
func dumpBook(t *testing.T, f *excelize.File) string {
	t.Helper()
	var b strings.Builder
	for _, name := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s ==\n", name)
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("rows of %s: %v", name, err)
		}
		for i, r := range rows {
			for len(r) > 0 && r[len(r)-1] == "" {
				r = r[:len(r)-1]
			}
			if len(r) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%d: %s\n", i+1, strings.Join(r, " | "))
		}
	}
	return b.String()
}

// packageParts returns the parts of an xlsx package whose names start with prefix, in package
// order.
func packageParts(t *testing.T, data []byte, prefix string) []part {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []part
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, prefix) {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, part{zf.Name, body})
	}
	return out
}

func TestWorkbookGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     *kpi.Result
		about About
	}{
		{"full", fullResult(), fixtureAbout()},
		{"bgnbd_not_converged", notConvergedResult(), fixtureAbout()},
		{"empty", emptyResult(), About{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := openBook(t, renderBook(t, tc.r, tc.about))
			if got := f.GetSheetList(); !slices.Equal(got, wantSheets()) {
				t.Fatalf("sheets = %q, want %q", got, wantSheets())
			}
			got := dumpBook(t, f)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("workbook differs from %s (run with -update after checking the change):\n%s", path, firstDiff(string(want), got))
			}
		})
	}
}

// firstDiff shows the first differing line of two dumps.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d\nwant: %s\ngot:  %s", i+1, a, b)
		}
	}
	return "(no line differs)"
}

// jsonNumbers walks decoded JSON and collects every number with its path.
func jsonNumbers(v any, path string, out map[string]float64) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			jsonNumbers(e, path+"."+k, out)
		}
	case []any:
		for i, e := range x {
			jsonNumbers(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			panic(err)
		}
		out[path] = f
	}
}

// bookNumbers collects every numeric cell of the workbook, by sheet!cell.
func bookNumbers(t *testing.T, f *excelize.File) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j, v := range r {
				if v == "" {
					continue
				}
				ref := cellName(j+1, i+1)
				typ, err := f.GetCellType(name, ref)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					continue
				}
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s!%s: numeric cell %q does not parse: %v", name, ref, v, err)
				}
				out[name+"!"+ref] = x
			}
		}
	}
	return out
}

// TestWorkbookNumbersMatchJSON checks that the workbook shows the JSON's numbers and no other:
// every number of the JSON (except the previous period's detail, which only feeds the headline
// comparison) is in some cell, and every numeric cell holds a number of the JSON.
func TestWorkbookNumbersMatchJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *kpi.Result
	}{
		{"full", fullResult()},
		{"bgnbd_not_converged", notConvergedResult()},
		{"empty", emptyResult()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var js bytes.Buffer
			if err := encodeJSON(&js, tc.r); err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(&js)
			dec.UseNumber()
			var doc any
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			nums := map[string]float64{}
			jsonNumbers(doc, "", nums)
			// A recent value still in progress is left out of the sparkline's row.
			if cmp, ok := doc.(map[string]any)["comparison"].(map[string]any); ok {
				recent, _ := cmp["recent"].([]any)
				for i, p := range recent {
					for j, h := range p.(map[string]any)["headline"].([]any) {
						if h.(map[string]any)["mature"] == false {
							delete(nums, fmt.Sprintf(".comparison.recent[%d].headline[%d].current", i, j))
						}
					}
				}
			}
			cells := bookNumbers(t, openBook(t, renderBook(t, tc.r, fixtureAbout())))

			var inBook, inJSON []float64
			for _, v := range cells {
				inBook = append(inBook, v)
			}
			for _, v := range nums {
				inJSON = append(inJSON, v)
			}
			slices.Sort(inBook)
			slices.Sort(inJSON)
			checked := 0
			for path, v := range nums {
				if shownInWords(path) {
					continue
				}
				checked++
				if !containsNumber(inBook, v) {
					t.Errorf("JSON %s = %v is not in any workbook cell", path, v)
				}
			}
			for ref, v := range cells {
				if !containsNumber(inJSON, v) {
					t.Errorf("workbook %s = %v is not a number of the JSON", ref, v)
				}
			}
			if tc.name == "full" && checked < 500 {
				t.Errorf("only %d JSON numbers checked; the fixture should populate every family", checked)
			}
		})
	}
}

// shownInWords tells the JSON numbers the workbook does not hold as numbers: the detail of the
// periods compared (it feeds the comparisons), the changes (written in words in their KPI's unit:
// points for a rate, "daily rate" for counts of periods of different length), the recent periods'
// comparisons (the sparklines draw their values only) and the mature-entrant counts behind the
// trends' "still in progress".
var shownInWords = regexp.MustCompile(`^\.comparison\.(previous|year_ago)\.|\.(change|daily_relative_change|mature_entrants)$|` +
	`^\.comparison\.recent\[\d+\]\.headline\[\d+\]\.(?:[^c]|c[^u])|^\.comparison\.recent\[\d+\]\.headline\[\d+\]\.year_ago\.`).MatchString

// containsNumber reports whether sorted holds v to the 15 significant digits a spreadsheet keeps.
func containsNumber(sorted []float64, v float64) bool {
	tol := 1e-13 * math.Max(1, math.Abs(v))
	i, _ := slices.BinarySearch(sorted, v-tol)
	return i < len(sorted) && sorted[i] <= v+tol
}

func TestDataTextIsNeverAFormula(t *testing.T) {
	evil := []string{`=HYPERLINK("http://x","y")`, `+1+2`, `-2+3`, `@SUM(A1:A2)`, "=1+1"}
	r := fullResult()
	rename := map[string]string{"social": evil[0], "email": evil[1], "store": evil[2], "app": evil[3]}
	for i, tp := range r.JourneyMap.Touchpoints {
		if n, ok := rename[tp]; ok {
			r.JourneyMap.Touchpoints[i] = n
		}
	}
	for i, c := range r.JourneyMap.Cells {
		if n, ok := rename[c.Touchpoint]; ok {
			r.JourneyMap.Cells[i].Touchpoint = n
		}
	}
	for i, a := range r.Attribution.Touchpoints {
		if n, ok := rename[a.Touchpoint]; ok {
			r.Attribution.Touchpoints[i].Touchpoint = n
		}
	}
	r.Repeat.BySegment[0].Value = evil[4]
	r.Funnel.Breakdowns[0].Groups[0].Value = evil[0]
	data := renderBook(t, r, About{Config: "name: " + evil[0] + "\n" + evil[4] + "\n"})
	f := openBook(t, data)

	found := map[string]int{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, v := range row {
				if !slices.Contains(evil, v) && !strings.HasPrefix(v, "name: =") {
					continue
				}
				ref := cellName(j+1, i+1)
				found[v]++
				typ, err := f.GetCellType(name, ref)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
					t.Errorf("%s!%s %q: cell type %v, want a string", name, ref, v, typ)
				}
				if formula, _ := f.GetCellFormula(name, ref); formula != "" {
					t.Errorf("%s!%s %q: has formula %q", name, ref, v, formula)
				}
			}
		}
	}
	for _, e := range evil {
		if found[e] == 0 {
			t.Errorf("%q not found in the workbook", e)
		}
	}
	// No worksheet carries a formula element at all.
	formula := regexp.MustCompile(`<f[ >]`)
	for _, pt := range packageParts(t, data, "xl/worksheets/") {
		if formula.Match(pt.body) {
			t.Errorf("%s contains a formula", pt.name)
		}
	}
}

func TestWorkbookIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		r    func() *kpi.Result
	}{{"full", fullResult}, {"empty", emptyResult}} {
		a, b := filepath.Join(dir, tc.name+"_a.xlsx"), filepath.Join(dir, tc.name+"_b.xlsx")
		if err := WriteWorkbook(a, tc.r(), fixtureAbout()); err != nil {
			t.Fatal(err)
		}
		if err := WriteWorkbook(b, tc.r(), fixtureAbout()); err != nil {
			t.Fatal(err)
		}
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: two writes differ (%d vs %d bytes)", tc.name, len(da), len(db))
		}
		ja, jb := filepath.Join(dir, tc.name+"_a.json"), filepath.Join(dir, tc.name+"_b.json")
		if err := WriteJSON(ja, tc.r()); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(jb, tc.r()); err != nil {
			t.Fatal(err)
		}
		da, _ = os.ReadFile(ja)
		db, _ = os.ReadFile(jb)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: two JSON writes differ", tc.name)
		}
	}
	// The document properties come from the report window, not the clock.
	f := openBook(t, renderBook(t, fullResult(), fixtureAbout()))
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-10-31T00:00:00Z" || props.Modified != "2026-10-31T00:00:00Z" {
		t.Errorf("created %q modified %q, want the report's last day", props.Created, props.Modified)
	}
}

func TestCanonicalContentTypes(t *testing.T) {
	in := `<?xml version="1.0"?><Types xmlns="x"><Default Extension="xml" ContentType="b"/><Override PartName="/z" ContentType="c"/><Default Extension="png" ContentType="a"/><Override PartName="/a" ContentType="d"/></Types>`
	want := `<?xml version="1.0"?><Types xmlns="x"><Default Extension="png" ContentType="a"/><Default Extension="xml" ContentType="b"/><Override PartName="/a" ContentType="d"/><Override PartName="/z" ContentType="c"/></Types>`
	if got := string(canonicalContentTypes([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// excelize writes the long form.
	in = `<Types><Default Extension="xml" ContentType="b"></Default><Default Extension="png" ContentType="a"></Default></Types>`
	want = `<Types><Default Extension="png" ContentType="a"></Default><Default Extension="xml" ContentType="b"></Default></Types>`
	if got := string(canonicalContentTypes([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestWorkbookFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing", "report.xlsx")
	if err := WriteWorkbook(path, fullResult(), About{}); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestHeadlineColours: a card's change is coloured by its verdict alone, never by its sign: a
// large change within noise, or on immature entrants, stays grey and says why; a rate changes in
// points.
func TestHeadlineColours(t *testing.T) {
	r := fullResult()
	for _, tc := range []struct {
		name     string
		verdict  string
		wantFont string
		wantText string
	}{
		{"better", kpi.VerdictBetter, colorGoodFont, "real change"},
		{"worse", kpi.VerdictWorse, colorBadFont, "real change"},
		{"within noise", kpi.VerdictWithinNoise, colorNAFont, "within noise"},
		{"small", kpi.VerdictSmall, colorNAFont, "real but small"},
		{"immature", kpi.VerdictImmature, colorNAFont, "still in progress"},
		{"before the data", kpi.VerdictBeforeData, colorNAFont, "before the data"},
		{"history short", kpi.VerdictHistoryShort, colorNAFont, "history too short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kpi.Headline{Key: "purchase_conversion", Format: "percent", Current: kpi.Ptr(0.25), Previous: kpi.Ptr(0.2), Change: kpi.Ptr(0.05),
				RelativeChange: kpi.Ptr(0.25), HigherIsBetter: true, Verdict: tc.verdict}
			c := changeCell(r, h, kpi.Versus{Value: h.Previous, Change: h.Change, RelativeChange: h.RelativeChange, Verdict: h.Verdict}, "vs Sep 2026")
			text := c.v.(string)
			if c.look.font != tc.wantFont || !strings.Contains(text, tc.wantText) || !strings.Contains(text, "+5.0 pts") {
				t.Errorf("%q font %q, want %q with %q and +5.0 pts", text, c.look.font, tc.wantFont, tc.wantText)
			}
		})
	}
	h := kpi.Headline{Key: "entrants", Format: "count", Current: kpi.Ptr(310), Previous: kpi.Ptr(280), Change: kpi.Ptr(30),
		RelativeChange: kpi.Ptr(30.0 / 280), DailyRelativeChange: kpi.Ptr(0), Verdict: kpi.VerdictWithinNoise}
	if got := changeWords(h, kpi.Versus{Change: h.Change, RelativeChange: h.RelativeChange, DailyRelativeChange: h.DailyRelativeChange}, r); got != "▲ +30 (daily rate +0%)" {
		t.Errorf("count change %q", got)
	}
}

func TestCohortCellsNotObservableAreMarked(t *testing.T) {
	r := fullResult()
	f := openBook(t, renderBook(t, r, About{}))
	rows, err := f.GetRows(sheetRepeat, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if len(row) < 2 || row[0] != r.Repeat.Cohorts[len(r.Repeat.Cohorts)-1].Cohort {
			continue
		}
		// The newest cohort has no observable month: every retention cell is n/a, none is 0.
		for j, v := range row[2:] {
			if v != "n/a" {
				t.Errorf("row %d month %d = %q, want n/a", i+1, j+1, v)
			}
		}
		return
	}
	t.Fatal("newest cohort row not found")
}

func TestMoneyFormat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"EUR", `"€"#,##0.00`},
		{"usd", `"$"#,##0.00`},
		{"CHF", `#,##0.00" CHF"`},
		{"", fmtNumber},
		{`E"R`, fmtNumber},
		{"EURO", fmtNumber},
	} {
		if got := moneyFormat(tc.in); got != tc.want {
			t.Errorf("moneyFormat(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSheetName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Summary", "Summary"},
		{"a/b\\c?d*e[f]g:h", "a_b_c_d_e_f_g_h"},
		{"'quoted'", "quoted"},
		{"", "Sheet"},
		{strings.Repeat("x", 40), strings.Repeat("x", 31)},
	} {
		if got := sheetName(tc.in); got != tc.want {
			t.Errorf("sheetName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWrappedLines(t *testing.T) {
	for _, tc := range []struct {
		text    string
		perLine float64
		want    float64
	}{
		{"", 10, 1},
		{"short", 10, 1},
		{"two words", 5, 2},
		{"aaaa bbbb cccc", 9, 2},
		{strings.Repeat("x", 25), 10, 3},
	} {
		if got := wrappedLines(tc.text, tc.perLine); math.Abs(got-tc.want) > 0 {
			t.Errorf("wrappedLines(%q, %v) = %v, want %v", tc.text, tc.perLine, got, tc.want)
		}
	}
}

// BenchmarkWriteWorkbook renders the full fixture and writes it atomically.
func BenchmarkWriteWorkbook(b *testing.B) {
	r, about := fullResult(), fixtureAbout()
	path := filepath.Join(b.TempDir(), "r.xlsx")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteWorkbook(path, r, about); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteWorkbookLarge renders a Result with large detail tables: a year of daily trend
// points, 50 values per breakdown and 40 touchpoints.
func BenchmarkWriteWorkbookLarge(b *testing.B) {
	r := fullResult()
	for i := range r.Funnel.Breakdowns {
		g := r.Funnel.Breakdowns[i].Groups[0]
		for j := 0; j < 50; j++ {
			g.Value = fmt.Sprintf("value_%03d", j)
			r.Funnel.Breakdowns[i].Groups = append(r.Funnel.Breakdowns[i].Groups, g)
		}
	}
	for len(r.Trends.Points) < 365 {
		r.Trends.Points = append(r.Trends.Points, r.Trends.Points[len(r.Trends.Points)%31])
	}
	base := r.Attribution.Touchpoints
	for j := 0; len(r.Attribution.Touchpoints) < 40; j++ {
		t := base[j%len(base)]
		t.Touchpoint = fmt.Sprintf("campaign_%02d", j)
		r.Attribution.Touchpoints = append(r.Attribution.Touchpoints, t)
	}
	path := filepath.Join(b.TempDir(), "r.xlsx")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteWorkbook(path, r, fixtureAbout()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNonFiniteNumbersAreNA(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if c := num(v, fmtNumber); c.v != "n/a" {
			t.Errorf("num(%v) = %v, want n/a", v, c.v)
		}
	}
	if c := num(1.5, fmtNumber); c.v != 1.5 {
		t.Errorf("num(1.5) = %v", c.v)
	}
}

// Every recommendation value is an amount of revenue (the KPI step ranks them on one scale), so
// a pain point's value must read as money like the others, not as a sentiment; an estimate, in
// whole units of the currency, not to the cent.
func TestRecommendationValuesAreMoney(t *testing.T) {
	r := fullResult()
	f := openBook(t, renderBook(t, r, About{}))
	rows, err := f.GetRows(sheetResources, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(moneyFormat(r.Report.Currency), "#,##0.00", "#,##0", 1)
	if want == moneyFormat(r.Report.Currency) {
		t.Fatalf("the fixture's currency %q has no cents to drop", r.Report.Currency)
	}
	kinds := map[string]bool{}
	for i, row := range rows {
		if len(row) < 4 || (row[3] != label("stage_opportunity") && row[3] != label("budget_shift") && row[3] != label("pain_point")) {
			continue
		}
		kinds[row[3]] = true
		id, err := f.GetCellStyle(sheetResources, cellName(3, i+1))
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.CustomNumFmt == nil || *st.CustomNumFmt != want {
			got := "<none>"
			if st.CustomNumFmt != nil {
				got = *st.CustomNumFmt
			}
			t.Errorf("row %d (%s): value format %s, want %s", i+1, row[3], got, want)
		}
	}
	if !kinds[label("pain_point")] {
		t.Fatal("no pain point recommendation found on the Resources sheet")
	}
}

// A files plan separates its columns with tabs, which a spreadsheet shows as nothing: the About
// sheet must keep the words apart.
func TestAboutQueryTabsExpanded(t *testing.T) {
	about := About{Query: "testdata/sample/events.parquet\tparquet\t282283 bytes\n1 file to read"}
	f := openBook(t, renderBook(t, fullResult(), about))
	rows, err := f.GetRows(sheetAbout)
	if err != nil {
		t.Fatal(err)
	}
	want := "testdata/sample/events.parquet  parquet 282283 bytes"
	for _, row := range rows {
		if len(row) > 0 && strings.HasPrefix(row[0], "testdata/sample/events.parquet") {
			if row[0] != want {
				t.Errorf("query line %q, want %q", row[0], want)
			}
			return
		}
	}
	t.Fatal("query line not found on the About sheet")
}

// The two Trends charts sit one below the other; the second must start below the first even at
// the smallest row height the common applications use, or it covers the first one's legend.
func TestTrendsChartsDoNotOverlap(t *testing.T) {
	data := renderBook(t, fullResult(), About{})
	from := regexp.MustCompile(`<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>.*?descr="([^"]*)"`)
	for _, pt := range packageParts(t, data, "xl/drawings/drawing") {
		var rows []int
		for _, m := range from.FindAllSubmatch(pt.body, -1) {
			if strings.HasPrefix(string(m[2]), "Line chart of") && strings.Contains(string(m[2]), "over time") {
				n, _ := strconv.Atoi(string(m[1]))
				rows = append(rows, n)
			}
		}
		if len(rows) != 2 {
			continue
		}
		slices.Sort(rows)
		if gap := rows[1] - rows[0]; gap < chartRows(300) {
			t.Errorf("second Trends chart starts %d rows below the first, want at least %d", gap, chartRows(300))
		}
		return
	}
	t.Fatal("Trends charts not found")
}

// Retention periods that no cohort can be observed in yet are left out of the sheet instead of
// filling it with columns of n/a; the sheet says so.
func TestCohortUnobservableColumnsLeftOut(t *testing.T) {
	r := fullResult()
	r.Repeat.Cohorts = []kpi.Cohort{
		{Cohort: "2026-01", Size: 68, Retention: []*float64{p(0.29), p(0.19), nil, nil, nil, nil}},
		{Cohort: "2026-02", Size: 85, Retention: []*float64{p(0.23), nil, nil, nil, nil, nil}},
		{Cohort: "2026-03", Size: 124, Retention: []*float64{nil, nil, nil, nil, nil, nil}},
	}
	f := openBook(t, renderBook(t, r, About{}))
	rows, err := f.GetRows(sheetRepeat, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	note := false
	for _, row := range rows {
		if len(row) > 0 && row[0] == "Cohort" {
			header = row
		}
		if len(row) > 0 && strings.HasPrefix(row[0], "Months 3 to 6 after the first order are not observable") {
			note = true
		}
	}
	if want := []string{"Cohort", "Customers", "Month 1", "Month 2"}; !slices.Equal(header, want) {
		t.Errorf("cohort header %q, want %q", header, want)
	}
	if !note {
		t.Error("no note saying which months are left out")
	}
}

// The retention heat map runs from 0%, so the lowest observed share is tinted, not white.
func TestCohortScaleStartsAtZero(t *testing.T) {
	f := openBook(t, renderBook(t, fullResult(), About{}))
	cf, err := f.GetConditionalFormats(sheetRepeat)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for ref, opts := range cf {
		for _, o := range opts {
			if o.Type != "2_color_scale" {
				continue
			}
			found = true
			// excelize reads a value of 0 back as "".
			if o.MinType != "num" || (o.MinValue != "0" && o.MinValue != "") {
				t.Errorf("%s: scale minimum %s %q, want num 0", ref, o.MinType, o.MinValue)
			}
		}
	}
	if !found {
		t.Fatal("no retention colour scale")
	}
}

// The Summary repeats as many recommendations as allocation.actions asks for (About.Actions), five
// when it is not set.
func TestSummaryActions(t *testing.T) {
	r := fullResult()
	for _, tc := range []struct{ actions, want int }{{0, 5}, {2, 2}, {10, len(r.Allocation.Recommendations)}} {
		f := openBook(t, renderBook(t, r, About{Actions: tc.actions}))
		rows, err := f.GetRows(sheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, row := range rows {
			for _, rec := range worded(r).Allocation.Recommendations {
				if len(row) > 0 && row[0] == fmt.Sprintf("%d. %s", rec.Rank, rec.Text) {
					got++
				}
			}
		}
		if got != tc.want {
			t.Errorf("actions %d: Summary shows %d recommendations, want %d", tc.actions, got, tc.want)
		}
	}
}

// The revenue chart's axis shows plain numbers, so its title names the currency.
func TestRevenueChartNamesCurrency(t *testing.T) {
	for _, pt := range packageParts(t, renderBook(t, fullResult(), About{}), "xl/charts/chart") {
		if bytes.Contains(pt.body, []byte("Revenue per day (EUR)")) {
			return
		}
	}
	t.Error(`no chart titled "Revenue per day (EUR)"`)
}

// TestWarningsOnTheSummary: every warning of the result is on the Summary, in its words.
func TestWarningsOnTheSummary(t *testing.T) {
	r := emptyResult()
	r.Warnings = []kpi.Warning{{Code: "data_ends_early", Message: "The data end on 2027-01-15, before the period's last day 2027-01-31."},
		{Code: "history_short", Message: "The data start on 2026-12-01."}}
	rows, err := openBook(t, renderBook(t, r, About{})).GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, row := range rows {
		for _, w := range r.Warnings {
			if len(row) > 0 && row[0] == "Warning: "+w.Message {
				found++
			}
		}
	}
	if found != len(r.Warnings) {
		t.Errorf("%d of %d warnings on the Summary", found, len(r.Warnings))
	}
}

// A period without entrants gets a note instead of a funnel chart of zero bars.
func TestNoFunnelChartWithoutEntrants(t *testing.T) {
	r := fullResult()
	r.Funnel.Entrants, r.Funnel.Completed, r.Funnel.Dropped, r.Funnel.InProgress = 0, 0, 0, 0
	for i := range r.Funnel.Closed {
		r.Funnel.Closed[i] = kpi.StageRow{Stage: r.Funnel.Closed[i].Stage}
	}
	s, chart := funnelSheet(r)
	if len(s.charts) != 0 || chart != nil {
		t.Errorf("%d charts on the Funnel sheet of a period without entrants", len(s.charts))
	}
	if s, chart := funnelSheet(fullResult()); len(s.charts) != 1 || chart == nil {
		t.Error("no funnel chart for a period with entrants")
	}
}

// TestChartsAreNeverCutByAPage: the page breaks every sheet sets leave each chart wholly on one
// printed page, and every break is at or after the first row (no empty first page).
func TestChartsAreNeverCutByAPage(t *testing.T) {
	for _, r := range []*kpi.Result{fullResult(), emptyResult()} {
		funnel, chart := funnelSheet(r)
		periods, spark := periodsSheet(r)
		for _, s := range []*sheet{summarySheet(r, 5, summaryRefs{spark: spark, funnel: chart}), funnel, journeyMapSheet(r), attributionSheet(r),
			repeatSheet(r), resourcesSheet(r), trendsSheet(r), periods, funnelDataSheet(r), qualitySheet(r), aboutSheet(r, fixtureAbout())} {
			s.fitWidths()
			s.wrapLongLines()
			s.fitHeights()
			breaks := s.pageBreaks()
			for _, c := range s.charts {
				_, at, _ := excelize.CellNameToCoordinates(c.cell)
				end := at + chartRows(uint(c.chart.Dimension.Height)) - 1
				if c.chart.Dimension.Height < 100 {
					end = at // a card's trend line sits in its row
				}
				for _, b := range breaks {
					if b > at && b <= end {
						t.Errorf("%s: page break at row %d cuts the chart at %s (rows %d–%d)", s.name, b, c.cell, at, end)
					}
				}
			}
			for _, b := range breaks {
				if b <= 1 {
					t.Errorf("%s: page break before row %d", s.name, b)
				}
			}
		}
	}
}

// TestLargeMoneyFitsItsCard: a large revenue shows in whole units, and a smaller font, on its
// card, never as ### (LibreOffice showed £3,142,001.26 so at 16 points): whole units from 10,000,
// a smaller font past 11 characters.
func TestLargeMoneyFitsItsCard(t *testing.T) {
	r := fullResult()
	r.Report.Currency = "GBP"
	for i := range r.Comparison.Headline {
		if h := &r.Comparison.Headline[i]; h.Key == "revenue" {
			h.Current = kpi.Ptr(3142001.26)
		}
	}
	for _, c := range []struct {
		v      float64
		size   float64
		numFmt string
	}{{766, 16, fmtMoney}, {20996.48, 16, fmtMoneyWhole}, {3142001.26, 16, fmtMoneyWhole}, {314200126, 13, fmtMoneyWhole}, {123456789012, 11, fmtMoneyWhole}} {
		// The card itself: its value cell's format and size.
		value := card(r, kpi.Headline{Key: "revenue", Label: "Revenue", Format: "money", Current: kpi.Ptr(c.v), Mature: true})[1][0]
		if value.look.numFmt != c.numFmt || value.look.size != c.size {
			t.Errorf("%v: card value in %q at %v points, want %q at %v", c.v, value.look.numFmt, value.look.size, c.numFmt, c.size)
		}
	}
	if got := valueWords(3142001.26, fmtMoneyWhole, r); got != "£3,142,001" {
		t.Errorf("card value %q, want £3,142,001", got)
	}
}

// summaryLines are the Summary's first-column texts.
func summaryLines(t *testing.T, r *kpi.Result) []string {
	t.Helper()
	rows, err := openBook(t, renderBook(t, r, About{})).GetRows(sheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range rows {
		if len(row) > 0 && row[0] != "" {
			out = append(out, row[0])
		}
	}
	return out
}

// TestWhatMovedOnlySplitsComparableChanges: a change against a period before the data is not split
// into effects (they would explain a difference the data do not have), and a change no breakdown
// splits says so instead of announcing effects it does not list.
func TestWhatMovedOnlySplitsComparableChanges(t *testing.T) {
	has := func(lines []string, prefix string) bool {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	}
	// Revenue effects are worded as a mix ("More/Fewer purchasers …") or a rate ("Revenue per
	// purchaser …"); conversion effects speak of entrants.
	revenueEffect := func(lines []string) bool {
		return has(lines, "•  More purchasers") || has(lines, "•  Fewer purchasers") || has(lines, "•  Revenue per purchaser")
	}
	r := fullResult()
	if lines := summaryLines(t, r); !has(lines, "•  More purchasers of the loyal segment") {
		t.Fatalf("the fixture's revenue effect is not on the Summary: %q", lines)
	}
	for i := range r.Comparison.Headline {
		if h := &r.Comparison.Headline[i]; h.Key == "revenue" {
			h.Verdict = kpi.VerdictBeforeData
		}
	}
	lines := summaryLines(t, r)
	if revenueEffect(lines) {
		t.Errorf("a revenue change against a period before the data is split into effects: %q", lines)
	}
	if !has(lines, "Revenue €287,346 against €259,870 (+€27,476, not comparable: before the data).") {
		t.Errorf("no revenue line without effects: %q", lines)
	}
	r = fullResult()
	r.Comparison.WhatMoved.Revenue.Top = []kpi.MixEffect{}
	said := false
	for _, l := range summaryLines(t, r) {
		if strings.HasPrefix(l, "Revenue ") && strings.HasSuffix(l, "Largest effects:") {
			t.Errorf("%q announces effects it does not list", l)
		}
		said = said || strings.HasPrefix(l, "Revenue ") && strings.HasSuffix(l, ": neither first touchpoint nor segment splits it.")
	}
	if !said {
		t.Error("a revenue change with no effect to list has no line saying nothing splits it")
	}
}

// TestDailyRateChangeIsNotPerDay: the Periods sheet's daily rate change is the relative change of
// the daily rate (+0.8%: 0.8% more a day than before), not a growth per day, so its cell must not
// read "+0.8% a day".
func TestDailyRateChangeIsNotPerDay(t *testing.T) {
	r := fullResult()
	h := kpi.Headline{Key: "entrants", Format: "count"}
	v := kpi.Versus{Value: p(785), Change: p(-19), RelativeChange: p(-0.024), DailyRelativeChange: p(0.008), Verdict: kpi.VerdictWithinNoise}
	c := versusCells(r, h, v, fmtCount)[3]
	if c.v != 0.008 || strings.Contains(c.look.numFmt, "day") {
		t.Errorf("daily rate change %v in format %q", c.v, c.look.numFmt)
	}
}

// TestCardRowsFitTheirText: a card's change line or small print that wraps to three lines gets a
// row tall enough for them (the Online Retail revenue card's change and the 50,000-customer
// quarter's mature-cohort note were cut at two).
func TestCardRowsFitTheirText(t *testing.T) {
	r := fullResult()
	r.Report.Currency, r.Report.PreviousFrom, r.Report.PreviousTo = "GBP", "2011-06-02", "2011-08-31"
	for i := range r.Comparison.Headline {
		// Revenue and the average order value share a row: two three-line changes in one row
		// still make a row of three lines, not one grown by each card.
		if h := &r.Comparison.Headline[i]; h.Key == "revenue" || h.Key == "average_order_value" {
			h.Current, h.Previous, h.Change, h.RelativeChange, h.DailyRelativeChange = p(3142001), p(1887680), p(1254322), p(0.664), nil
			h.Verdict = kpi.VerdictBetter
		}
	}
	s := summarySheet(r, 0, summaryRefs{})
	found := false
	for i, row := range s.rows {
		for _, c := range row {
			if text, ok := c.v.(string); ok && strings.HasPrefix(text, "vs 2 Jun–31 Aug 2011: ▲ +£1,254,322") {
				found = true
				if h := s.heights[i+1]; h != 39 {
					t.Errorf("%q in a row %v points high, want three lines (39)", text, h)
				}
			}
		}
	}
	if !found {
		t.Fatal("no revenue change line on the Summary")
	}
}

// TestHeaderAfterANumberColumnIsIndented: a text column's header after a column of numbers is
// indented like its cells, so right- and left-aligned headers do not run together ("RankAction").
func TestHeaderAfterANumberColumnIsIndented(t *testing.T) {
	f := openBook(t, renderBook(t, fullResult(), About{}))
	rows, err := f.GetRows(sheetResources)
	if err != nil {
		t.Fatal(err)
	}
	alignment := func(col, row int) *excelize.Alignment {
		id, err := f.GetCellStyle(sheetResources, cellName(col, row))
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Alignment == nil {
			return &excelize.Alignment{}
		}
		return st.Alignment
	}
	for i, row := range rows {
		if len(row) < 2 || row[0] != "Rank" || row[1] != "Action" {
			continue
		}
		if a := alignment(1, i+1); a.Horizontal != "right" {
			t.Errorf("Rank header aligned %q, want right", a.Horizontal)
		}
		if a := alignment(2, i+1); a.Indent != 1 {
			t.Errorf("Action header after Rank has indent %d, want 1", a.Indent)
		}
		return
	}
	t.Fatal("no Rank/Action header on the Resources sheet")
}

// TestCardDetailMatureCohort: a purchase conversion shown on the mature cohort is not grey, so
// its card gives its 95% interval beside the cohort it comes from; an immature value gives only
// why it is grey.
func TestCardDetailMatureCohort(t *testing.T) {
	r := &kpi.Result{}
	r.Funnel.MatureCohort = &kpi.CohortFunnel{From: "2026-02-01", To: "2026-02-28"}
	h := kpi.Headline{Key: "purchase_conversion", Format: "percent", Basis: kpi.BasisMatureCohort, Mature: true,
		MatureShare: kpi.Ptr(0.4), Current: kpi.Ptr(0.05), Interval: &kpi.Interval{Low: 0.041, High: 0.062}}
	want := "Mature cohort of Feb 2026 (this period's entrants: 60% in progress); 95% interval 4.1% to 6.2%"
	if got := cardDetail(r, h); got != want {
		t.Errorf("mature cohort card:\n got %q\nwant %q", got, want)
	}
	h = kpi.Headline{Key: "purchase_conversion", Format: "percent", Basis: kpi.BasisPeriod, Mature: false,
		MatureShare: kpi.Ptr(0.4), Current: kpi.Ptr(0.05), Interval: &kpi.Interval{Low: 0.041, High: 0.062}}
	if got, want := cardDetail(r, h), "60% of entrants still in progress"; got != want {
		t.Errorf("immature card: got %q, want %q", got, want)
	}
}
