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

	s.section("Query or files read")
	if strings.TrimSpace(a.Query) == "" {
		s.note("No query: the source is read directly.")
	} else {
		for _, line := range lines(a.Query) {
			s.add(cell{v: line, look: look{mono: true}, free: true})
		}
	}
	s.blank()

	s.section("Parameters")
	if len(a.Parameters) == 0 {
		s.note("No parameters recorded.")
	} else {
		rows := make([][]cell, len(a.Parameters))
		for i, p := range a.Parameters {
			rows[i] = []cell{txt(p[0]), txt(p[1])}
		}
		s.table("Parameters", []string{"Parameter", "Value"}, rows)
	}
	s.blank()

	s.section("Timings")
	if len(a.Timings) == 0 {
		s.note("Timings are not recorded by default, so that the same input gives a byte-identical workbook.")
	} else {
		rows := make([][]cell, len(a.Timings))
		for i, t := range a.Timings {
			rows[i] = []cell{txt(t[0]), txt(t[1])}
		}
		s.table("Timings", []string{"Step", "Duration"}, rows)
	}
	s.blank()

	s.section("Configuration (YAML)")
	if strings.TrimSpace(a.Config) == "" {
		s.note("No configuration recorded.")
	} else {
		for _, line := range lines(a.Config) {
			s.add(cell{v: line, look: look{mono: true}, free: true})
		}
	}
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
