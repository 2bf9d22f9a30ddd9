package reports

import (
	"strings"

	"github.com/journeykpi/journeykpi/kpi"
)

// aboutSheet records how the report was made: source, query and parameters, configuration,
// version and, when given, timings.
func aboutSheet(r *kpi.Result, a About) *sheet {
	s := newSheet(sheetAbout)
	s.title("About this report")
	s.blank()
	version := a.Version
	if version == "" {
		version = "unknown"
	}
	source := a.Source
	if source == "" {
		source = "not recorded"
	}
	s.table("ReportInfo", []string{"Item", "Value"}, [][]cell{
		{txt("Report"), txt(r.Report.Name)},
		{txt("From"), txt(r.Report.From)},
		{txt("To"), txt(r.Report.To)},
		{txt("Time zone"), txt(r.Report.Timezone)},
		{txt("Previous period from"), txt(r.Report.PreviousFrom)},
		{txt("Previous period to"), txt(r.Report.PreviousTo)},
		{txt("Currency"), txt(r.Report.Currency)},
		{txt("Data read up to"), txt(r.Report.DataEnd)},
		{txt("journeykpi version"), txt(version)},
		{txt("Source"), txt(source)},
	})
	s.width(1, 28)
	s.width(2, 90)
	s.blank()

	// text is a block of verbatim lines in a fixed-width font; pairs a two-column table.
	text := func(section, none, body string) {
		s.section(section)
		if strings.TrimSpace(body) == "" {
			s.note(none)
			return
		}
		for _, line := range lines(body) {
			s.add(cell{v: line, look: look{mono: true}, free: true})
		}
	}
	pairs := func(section, none, table string, header []string, kv [][2]string) {
		s.section(section)
		if len(kv) == 0 {
			s.note(none)
			return
		}
		rows := make([][]cell, len(kv))
		for i, p := range kv {
			rows[i] = []cell{txt(p[0]), txt(p[1])}
		}
		s.table(table, header, rows)
	}
	text("Query or files read", "No query: the source is read directly.", a.Query)
	s.blank()
	pairs("Parameters", "No parameters recorded.", "Parameters", []string{"Parameter", "Value"}, a.Parameters)
	s.blank()
	pairs("Timings", "Timings are not recorded by default, so that the same input gives a byte-identical workbook.",
		"Timings", []string{"Step", "Duration"}, a.Timings)
	s.blank()
	// The configuration is for the record, not for paper: it stays out of the print area.
	s.printRows = s.next() - 1
	text("Configuration (YAML)", "No configuration recorded.", a.Config)
	return s
}

// lines splits text into lines without the trailing empty one, with tabs expanded to spaces: a
// spreadsheet shows a tab as nothing, which runs the columns of a files plan together.
func lines(text string) []string {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	out := strings.Split(text, "\n")
	for i, l := range out {
		out[i] = expandTabs(l, 8)
	}
	return out
}

// expandTabs replaces each tab by the spaces up to the next multiple of width (at least one).
func expandTabs(line string, width int) string {
	if !strings.Contains(line, "\t") {
		return line
	}
	var b strings.Builder
	col := 0
	for _, r := range line {
		if r == '\t' {
			n := width - col%width
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}
