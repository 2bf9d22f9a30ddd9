package reports

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// cell is one value to write with its look. v is nil (empty), string, int64 or float64: text is
// always written as a string cell, never parsed as a formula.
type cell struct {
	v    any
	look look
	// free cells (titles, notes, wrapped sentences) do not widen their column.
	free bool
}

// sheet collects one worksheet's rows, tables, charts and conditional formats, then writes them
// with excelize's streaming writer. Rows are numbered from 1 in the order they are added.
type sheet struct {
	name    string
	rows    [][]cell
	heights map[int]float64
	widths  map[int]float64 // column (1-based) → width in characters
	fixed   map[int]float64 // widths set by the sheet, not by its content
	merges  [][2]string
	tables  []excelize.Table
	charts  []placedChart
	conds   []condFormat
	freeze  int // rows frozen at the top (0: none)
}

type placedChart struct {
	cell  string
	chart *excelize.Chart
}

type condFormat struct {
	ref  string
	opts []excelize.ConditionalFormatOptions
}

func newSheet(name string) *sheet {
	return &sheet{name: sheetName(name), heights: map[int]float64{}, widths: map[int]float64{}, fixed: map[int]float64{}}
}

// next is the number of the row the next add writes.
func (s *sheet) next() int { return len(s.rows) + 1 }

// add appends one row and returns its number.
func (s *sheet) add(cells ...cell) int {
	s.rows = append(s.rows, cells)
	return len(s.rows)
}

func (s *sheet) blank() { s.add() }

func (s *sheet) title(text string) {
	s.add(cell{v: text, look: look{bold: true, size: 16, font: colorTitle}, free: true})
	s.heights[len(s.rows)] = 24
}

func (s *sheet) note(text string) {
	s.add(cell{v: text, look: look{italic: true, font: colorNote}, free: true})
}

func (s *sheet) section(text string) {
	s.add(cell{v: text, look: look{section: true}, free: true})
}

// notComputed says on the sheet that a block has nothing to show, rather than leaving it out.
func (s *sheet) notComputed(what string) {
	s.add(cell{v: "Not computed for this report: " + what, look: look{italic: true, font: colorNAFont}, free: true})
}

// table writes a header row and data rows and registers an Excel table over them (when there is
// at least one data row), so analysts can filter and pivot. It returns the header row and the
// last data row.
func (s *sheet) table(name string, header []string, data [][]cell) (first, last int) {
	hdr := make([]cell, len(header))
	for i, h := range header {
		hdr[i] = cell{v: h, look: look{header: true}}
		// A header sits over its numbers: right-aligned when the column holds numbers.
		for _, r := range data {
			if i < len(r) && isNumber(r[i].v) {
				hdr[i].look.align = "right"
				break
			}
		}
	}
	first = s.add(hdr...)
	for _, r := range data {
		for j := 1; j < len(r); j++ {
			if _, isText := r[j].v.(string); isText && r[j].v != "n/a" && isNumber(r[j-1].v) {
				r[j].look.indent = true
			}
		}
		last = s.add(r...)
	}
	if len(data) == 0 {
		return first, first
	}
	if name != "" {
		s.tables = append(s.tables, excelize.Table{
			Range:     rangeRef(1, first, len(header), last),
			Name:      name,
			StyleName: "TableStyleLight9",
		})
	}
	return first, last
}

// freezeBelow freezes the rows down to and including row.
func (s *sheet) freezeBelow(row int) { s.freeze = row }

func (s *sheet) width(col int, w float64) { s.fixed[col] = w }

func (s *sheet) chart(at string, c *excelize.Chart) {
	s.charts = append(s.charts, placedChart{cell: at, chart: c})
}

// reserve keeps the rows under a chart anchored at row free, so the next block starts below it.
// Rows are taken at 12.75 pt, the smallest default height of the common applications, with one
// row to spare.
func (s *sheet) reserve(row int, heightPx uint) {
	rows := chartRows(heightPx)
	for s.next() < row+rows {
		s.blank()
	}
}

// chartRows is how many rows a chart of heightPx covers at the smallest common row height
// (12.75 pt), with one row to spare.
func chartRows(heightPx uint) int { return int(math.Ceil(float64(heightPx)*0.75/12.75)) + 1 }

func (s *sheet) colorScale(ref string, opts ...excelize.ConditionalFormatOptions) {
	s.conds = append(s.conds, condFormat{ref: ref, opts: opts})
}

// ref is an absolute reference to a range of this sheet, for chart series.
func (s *sheet) ref(col1, row1, col2, row2 int) string {
	a, _ := excelize.CoordinatesToCellName(col1, row1, true)
	b, _ := excelize.CoordinatesToCellName(col2, row2, true)
	return "'" + strings.ReplaceAll(s.name, "'", "''") + "'!" + a + ":" + b
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func rangeRef(col1, row1, col2, row2 int) string {
	a, _ := excelize.CoordinatesToCellName(col1, row1)
	b, _ := excelize.CoordinatesToCellName(col2, row2)
	return a + ":" + b
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// write renders the sheet into f. Everything that excelize keeps outside the rows (sheet
// properties, page setup, charts, conditional formats) is set before the stream starts: the
// streaming writer copies those parts of the worksheet when it flushes.
func (s *sheet) write(f *excelize.File, st *styles, first bool) error {
	if first {
		if err := f.SetSheetName(f.GetSheetName(0), s.name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(s.name); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	landscape, one, zero, a4 := "landscape", 1, 0, 9
	if err := f.SetPageLayout(s.name, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero,
	}); err != nil {
		return err
	}
	for _, c := range s.charts {
		if err := f.AddChart(s.name, c.cell, c.chart); err != nil {
			return fmt.Errorf("chart at %s: %w", c.cell, err)
		}
	}
	for _, c := range s.conds {
		if err := f.SetConditionalFormat(s.name, c.ref, c.opts); err != nil {
			return fmt.Errorf("conditional format %s: %w", c.ref, err)
		}
	}
	sw, err := f.NewStreamWriter(s.name)
	if err != nil {
		return err
	}
	s.fitWidths()
	s.fitHeights()
	maxCol := 0
	for c := range s.widths {
		maxCol = max(maxCol, c)
	}
	for c := 1; c <= maxCol; c++ {
		if w, ok := s.widths[c]; ok {
			if err := sw.SetColWidth(c, c, w); err != nil {
				return err
			}
		}
	}
	if s.freeze > 0 {
		if err := sw.SetPanes(&excelize.Panes{
			Freeze: true, YSplit: s.freeze, TopLeftCell: cellName(1, s.freeze+1), ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: cellName(1, s.freeze+1), ActiveCell: cellName(1, s.freeze+1), Pane: "bottomLeft"}},
		}); err != nil {
			return err
		}
	}
	for i, r := range s.rows {
		row := i + 1
		vals := make([]any, len(r))
		for j, c := range r {
			id, err := st.id(c.look)
			if err != nil {
				return err
			}
			vals[j] = excelize.Cell{StyleID: id, Value: c.v}
		}
		var opts []excelize.RowOpts
		if h, ok := s.heights[row]; ok {
			opts = append(opts, excelize.RowOpts{Height: h})
		}
		if len(vals) == 0 && len(opts) == 0 {
			continue
		}
		if err := sw.SetRow(cellName(1, row), vals, opts...); err != nil {
			return fmt.Errorf("row %d: %w", row, err)
		}
	}
	for _, m := range s.merges {
		if err := sw.MergeCell(m[0], m[1]); err != nil {
			return err
		}
	}
	for i := range s.tables {
		if err := sw.AddTable(&s.tables[i]); err != nil {
			return fmt.Errorf("table %s: %w", s.tables[i].Name, err)
		}
	}
	return sw.Flush()
}

// fitWidths sizes each column to its widest value (titles, notes and wrapped text excepted),
// within limits that keep a sheet printable.
func (s *sheet) fitWidths() {
	for _, r := range s.rows {
		for j, c := range r {
			if c.free || c.v == nil {
				continue
			}
			w := displayWidth(c)
			if c.look.header {
				// Headers wrap; two lines are fine, a word cut in two is not.
				w = math.Max(8, math.Max(math.Ceil(w/2)+1, longestWord(c.v.(string))+1))
			}
			s.widths[j+1] = math.Max(s.widths[j+1], w)
		}
	}
	for c, w := range s.widths {
		s.widths[c] = math.Min(math.Max(w+2, 8), 60)
	}
	for c, w := range s.fixed {
		s.widths[c] = w
	}
}

// fitHeights gives rows with wrapped text (headers, sentences) room for their lines: rows
// written by the streaming writer are not re-measured by every spreadsheet application.
func (s *sheet) fitHeights() {
	for i, r := range s.rows {
		row := i + 1
		if _, ok := s.heights[row]; ok {
			continue
		}
		lines := 1.0
		for j, c := range r {
			text, ok := c.v.(string)
			if !ok || !(c.look.wrap || c.look.header) {
				continue
			}
			w, ok := s.widths[j+1]
			if !ok {
				w = 8.43
			}
			perLine := math.Max(w-1, 1)
			if !c.look.bold && !c.look.header {
				perLine = w * 1.15
			}
			lines = math.Max(lines, wrappedLines(text, perLine))
		}
		if lines > 1 {
			s.heights[row] = 15*lines + 2
		}
	}
}

// wrappedLines estimates how many lines text takes when wrapped at perLine characters, breaking
// at spaces as a spreadsheet does.
func wrappedLines(text string, perLine float64) float64 {
	lines, cur := 1.0, 0.0
	for _, word := range strings.Fields(text) {
		n := float64(utf8.RuneCountInString(word))
		switch {
		case cur == 0:
			cur = n
		case cur+1+n <= perLine:
			cur += 1 + n
		default:
			lines++
			cur = n
		}
		for cur > perLine {
			lines++
			cur -= perLine
		}
	}
	return lines
}

func longestWord(text string) float64 {
	n := 0
	for _, w := range strings.Fields(text) {
		n = max(n, utf8.RuneCountInString(w))
	}
	return float64(n)
}

// displayWidth estimates how many characters a value takes once formatted.
func displayWidth(c cell) float64 {
	switch v := c.v.(type) {
	case string:
		return float64(utf8.RuneCountInString(v))
	case int64:
		n := len(fmt.Sprint(v))
		return float64(n + n/3 + 2)
	case float64:
		n := len(fmt.Sprintf("%.0f", math.Abs(v)))
		return float64(n + n/3 + 6)
	}
	return 0
}

// sheetName makes a valid worksheet name: no []:*?/\ characters, no leading or trailing
// apostrophe, at most 31 characters, never empty.
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, "'")
	if utf8.RuneCountInString(name) > 31 {
		name = string([]rune(name)[:31])
	}
	if strings.TrimSpace(name) == "" {
		name = "Sheet"
	}
	return name
}

// axis is a chart axis with dark labels (the default grey is hard to read on paper).
func axis(numFmt string) excelize.ChartAxis {
	a := excelize.ChartAxis{Font: excelize.Font{Color: "262626", Size: 9}}
	if numFmt != "" {
		a.MajorGridLines = true
		a.NumFmt = excelize.ChartNumFmt{CustomNumFmt: numFmt}
	}
	return a
}

func withRange(a excelize.ChartAxis, lo, hi *float64) excelize.ChartAxis {
	a.Minimum, a.Maximum = lo, hi
	return a
}

// lowLabels puts category labels at the bottom of the plot, away from a value axis that crosses
// in the middle (sentiment runs from −1 to 1).
func lowLabels(a excelize.ChartAxis) excelize.ChartAxis {
	a.TickLabelPosition = excelize.ChartTickLabelLow
	return a
}

func reversed(a excelize.ChartAxis) excelize.ChartAxis {
	a.ReverseOrder = true
	return a
}

// series plots column col of the table whose header is row first and whose data ends at row
// last: the header names the series and column A gives the categories.
func (s *sheet) series(col, first, last int) excelize.ChartSeries {
	return excelize.ChartSeries{
		Name:       s.ref(col, first, col, first),
		Categories: s.ref(1, first+1, 1, last),
		Values:     s.ref(col, first+1, col, last),
	}
}

// solid is a solid fill of one colour, for bars and lines.
func solid(color string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
}

func chartTitle(text string) excelize.ChartTitle {
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: text, Font: &excelize.Font{Bold: true, Size: 12}}}}
}
