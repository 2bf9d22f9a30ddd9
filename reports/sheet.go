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
	// blocks are the rows where a block starts (a section, a chart): a printed page breaks before a
	// block that does not fit on what is left of the page rather than through it.
	blocks []int
	// titleRows are the header rows printed again at the top of every page (first, last; 0: none).
	titleRows [2]int
	// printRows, when not 0, is the last row of the print area.
	printRows int
	// period is the report window, for the printed header.
	period, report string
	// direct sheets are written cell by cell rather than streamed, their rows before their
	// charts: excelize anchors a chart by the row heights it knows when the chart is added, so
	// charts among rows of set heights (the Summary's cards) land where they should.
	direct bool
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
	s.blocks = append(s.blocks, s.next())
	s.add(cell{v: text, look: look{section: true}, free: true})
}

// block marks the next row as the start of a block that a printed page should not cut.
func (s *sheet) block() { s.blocks = append(s.blocks, s.next()) }

// repeatHeader prints rows first..last again at the top of every printed page: the header of the
// sheet's main table.
func (s *sheet) repeatHeader(first, last int) { s.titleRows = [2]int{first, last} }

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
		// A left-aligned header after a right-aligned one is indented, as its text cells are
		// after numbers: "Rank" and "Action" would otherwise run together as "RankAction".
		if i > 0 && hdr[i].look.align == "" && hdr[i-1].look.align == "right" {
			hdr[i].look.indent = true
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
	// A chart starts a block of its own unless it follows right after a section's title and note,
	// which it stays with.
	_, row, err := excelize.CellNameToCoordinates(at)
	if err != nil {
		return
	}
	for _, b := range s.blocks {
		if b >= row-3 && b <= row {
			return
		}
	}
	// The block starts at the (blank) row above the chart: a chart anchored on the first row of a
	// page has its top edge drawn at the foot of the page before.
	s.blocks = append(s.blocks, max(row-1, 1))
}

// reserve keeps the rows under a chart anchored at row free, so the next block starts below it.
// Rows are taken at 12.75 pt, the smallest default height of the common applications, with one
// row to spare.
func (s *sheet) reserve(row int, heightPx uint) {
	rows := chartRows(heightPx)
	for s.next() < row+rows {
		// Set to the height they are counted at, so the chart ends where the next block starts
		// in every application, and a printed page is laid out by the heights it will have.
		s.heights[s.add()] = 12.75
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
	s.fitWidths()
	s.wrapLongLines()
	s.fitHeights()
	if err := s.pageSetup(f); err != nil {
		return err
	}
	// Charts are anchored to cells: excelize places their far corner by the column widths it
	// knows when the chart is added, so the widths are set first (the streaming writer writes
	// its own copy of them).
	for c := 1; c <= maxColumn(s.widths); c++ {
		if w, ok := s.widths[c]; ok {
			if err := f.SetColWidth(s.name, colName(c), colName(c), w); err != nil {
				return err
			}
		}
	}
	if s.direct {
		if err := s.writeCells(f, st); err != nil {
			return err
		}
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
	if s.direct {
		return nil
	}
	sw, err := f.NewStreamWriter(s.name)
	if err != nil {
		return err
	}
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
		if err := sw.SetPanes(s.panes()); err != nil {
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

func (s *sheet) panes() *excelize.Panes {
	return &excelize.Panes{
		Freeze: true, YSplit: s.freeze, TopLeftCell: cellName(1, s.freeze+1), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: cellName(1, s.freeze+1), ActiveCell: cellName(1, s.freeze+1), Pane: "bottomLeft"}},
	}
}

// writeCells writes a direct sheet cell by cell (not streamed). Text is set as a string cell,
// never as a formula, as the streaming writer does.
func (s *sheet) writeCells(f *excelize.File, st *styles) error {
	for i, r := range s.rows {
		row := i + 1
		if h, ok := s.heights[row]; ok {
			if err := f.SetRowHeight(s.name, row, h); err != nil {
				return err
			}
		}
		for j, c := range r {
			at := cellName(j+1, row)
			switch v := c.v.(type) {
			case nil:
			case string:
				if err := f.SetCellStr(s.name, at, v); err != nil {
					return err
				}
			default:
				if err := f.SetCellValue(s.name, at, v); err != nil {
					return err
				}
			}
			id, err := st.id(c.look)
			if err != nil {
				return err
			}
			if id != 0 {
				if err := f.SetCellStyle(s.name, at, at, id); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range s.merges {
		if err := f.MergeCell(s.name, m[0], m[1]); err != nil {
			return err
		}
	}
	for i := range s.tables {
		if err := f.AddTable(s.name, &s.tables[i]); err != nil {
			return fmt.Errorf("table %s: %w", s.tables[i].Name, err)
		}
	}
	if s.freeze > 0 {
		if err := f.SetPanes(s.name, s.panes()); err != nil {
			return err
		}
	}
	return nil
}

func maxColumn(widths map[int]float64) int {
	n := 0
	for c := range widths {
		n = max(n, c)
	}
	return n
}

func colName(c int) string {
	n, _ := excelize.ColumnNumberToName(c)
	return n
}

// Page geometry, in points: A4 landscape with the margins pageSetup sets.
const (
	pageWidth    = 842.0 - 2*36
	pageHeight   = 595.0 - 2*54
	defaultRowPt = 15.0 // excelize's default row height
)

// pageSetup prints the sheet landscape on A4, one page wide, with a header (report, sheet,
// period) and a footer (page x of y), the main table's header repeated on every page, and page
// breaks before blocks that would otherwise be cut.
func (s *sheet) pageSetup(f *excelize.File) error {
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
	lr, tb, hf := 0.5, 0.75, 0.3
	if err := f.SetPageMargins(s.name, &excelize.PageLayoutMarginsOptions{Left: &lr, Right: &lr, Top: &tb, Bottom: &tb, Header: &hf, Footer: &hf}); err != nil {
		return err
	}
	esc := func(t string) string { return strings.ReplaceAll(t, "&", "&&") }
	if err := f.SetHeaderFooter(s.name, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + esc(s.report) + "&C&\"-,Bold\"" + esc(s.name) + "&R" + esc(s.period),
		OddFooter: "&L" + esc(s.report) + "&RPage &P of &N",
	}); err != nil {
		return err
	}
	quoted := "'" + strings.ReplaceAll(s.name, "'", "''") + "'"
	if s.titleRows[0] > 0 {
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: s.name,
			RefersTo: fmt.Sprintf("%s!$%d:$%d", quoted, s.titleRows[0], s.titleRows[1])}); err != nil {
			return err
		}
	}
	if s.printRows > 0 {
		last := 1
		for c := range s.widths {
			last = max(last, c)
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: s.name,
			RefersTo: fmt.Sprintf("%s!$A$1:$%s$%d", quoted, colName(last), s.printRows)}); err != nil {
			return err
		}
	}
	for _, row := range s.pageBreaks() {
		if err := f.InsertPageBreak(s.name, cellName(1, row)); err != nil {
			return err
		}
	}
	return nil
}

// pageBreaks are the rows a printed page should start at: every block that does not fit on what
// is left of the page starts a new one (unless it is longer than a page itself), and a page that
// fills up inside a long block breaks where it is full, so that every break is set here rather
// than left to the application. Heights are estimated on the safe side (rows at excelize's 15 pt
// default, at least as tall as any application draws them), so an application never needs a break
// of its own inside a chart.
func (s *sheet) pageBreaks() []int {
	height := func(row int) float64 {
		if h, ok := s.heights[row]; ok {
			return h
		}
		return defaultRowPt
	}
	// Scale: the page is one sheet wide; charts count by their right edge.
	widthPt := 0.0
	colStart := map[int]float64{}
	maxCol := 0
	for c := range s.widths {
		maxCol = max(maxCol, c)
	}
	x := 0.0
	for c := 1; c <= maxCol+1; c++ {
		colStart[c] = x
		w, ok := s.widths[c]
		if !ok {
			w = 8.43
		}
		x += (w*7 + 5) * 0.75
	}
	widthPt = colStart[maxCol+1]
	for _, c := range s.charts {
		col, _, err := excelize.CellNameToCoordinates(c.cell)
		if err != nil {
			continue
		}
		start, ok := colStart[col]
		if !ok {
			start = widthPt
		}
		widthPt = max(widthPt, start+float64(c.chart.Dimension.Width)*0.75)
	}
	scale := 1.0
	if widthPt > pageWidth {
		scale = math.Floor(pageWidth/widthPt*100) / 100
	}
	capacity := pageHeight / scale
	titles := 0.0
	for r := s.titleRows[0]; r > 0 && r <= s.titleRows[1]; r++ {
		titles += height(r)
	}
	last := len(s.rows)
	for _, c := range s.charts {
		if _, row, err := excelize.CellNameToCoordinates(c.cell); err == nil {
			last = max(last, row+chartRows(uint(c.chart.Dimension.Height))-1)
		}
	}
	if s.printRows > 0 {
		last = min(last, s.printRows)
	}
	starts := map[int]bool{}
	for _, b := range s.blocks {
		starts[b] = true
	}
	blockEnd := func(row int) int { // last row of the block starting at row
		for r := row + 1; r <= last; r++ {
			if starts[r] {
				return r - 1
			}
		}
		return last
	}
	var breaks []int
	used := 0.0
	pageStart := 1
	for row := 1; row <= last; row++ {
		if starts[row] && row > pageStart {
			h := 0.0
			for r := row; r <= blockEnd(row); r++ {
				h += height(r)
			}
			// A chart's block is at least the chart's height.
			for _, c := range s.charts {
				if _, at, err := excelize.CellNameToCoordinates(c.cell); err == nil && (at == row || at == row+1) {
					h = max(h, float64(c.chart.Dimension.Height)*0.75+defaultRowPt)
				}
			}
			// A block that fits on a page starts one when it does not fit on this one; a longer
			// one (a long table) starts one when less than a quarter of this one is left, so that
			// its title never sits alone at the foot of a page.
			if used+h > capacity && (h <= capacity-titles || capacity-used < capacity/4) {
				breaks, used, pageStart = append(breaks, row), s.repeated(row, titles), row
			}
		}
		if used+height(row) > capacity && row > pageStart {
			breaks, used, pageStart = append(breaks, row), s.repeated(row, titles), row
		}
		used += height(row)
	}
	return breaks
}

// repeated is the height the repeated header takes on a page starting at row: none before the
// header has been printed once.
func (s *sheet) repeated(row int, titles float64) float64 {
	if s.titleRows[0] > 0 && row > s.titleRows[1] {
		return titles
	}
	return 0
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

// wrapLongLines wraps a line of text (a note, a title) that is wider than the sheet's columns
// over those columns, so that it neither runs off the printed page nor widens it.
func (s *sheet) wrapLongLines() {
	cols, total := 0, 0.0
	for c, w := range s.widths {
		cols = max(cols, c)
		total += w
	}
	if cols < 2 {
		return
	}
	// A narrow sheet's lines take a page's comfortable width (the columns beyond its tables at
	// their default width) rather than being squeezed into its two columns.
	const comfortable = 100
	for ; total < comfortable; cols++ {
		w, ok := s.widths[cols+1]
		if !ok {
			w = 8.43
		}
		total += w
	}
	merged := map[int]bool{}
	for _, m := range s.merges {
		_, row, _ := excelize.CellNameToCoordinates(m[0])
		merged[row] = true
	}
	for i, r := range s.rows {
		row := i + 1
		if len(r) != 1 || merged[row] || r[0].look.size > 12 {
			continue
		}
		text, ok := r[0].v.(string)
		if !ok || float64(utf8.RuneCountInString(text)) <= total {
			continue
		}
		s.rows[i][0].look.wrap, s.rows[i][0].look.valign = true, "top"
		s.merges = append(s.merges, [2]string{cellName(1, row), cellName(cols, row)})
		if _, set := s.heights[row]; !set {
			s.heights[row] = 15*wrappedLines(text, total*1.1) + 3
		}
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
