package reports

import (
	"fmt"
	"io"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/xuri/excelize/v2"
)

// About describes how a report was made, for the workbook's About sheet.
type About struct {
	// Source names the input (files and globs, or the BigQuery table).
	Source string
	// Query is what the source read: the SQL sent to BigQuery with its parameters, or the files.
	Query string
	// Parameters are the query parameters or run settings, in the order to show them.
	Parameters [][2]string
	// Config is the effective configuration as YAML.
	Config string
	// Version is the journeykpi version that wrote the report.
	Version string
	// Timings are step durations; leave empty (the default) to keep the bytes reproducible.
	Timings [][2]string
	// Actions is how many recommendations the Summary sheet repeats (config allocation.actions);
	// 0 means the default, 5.
	Actions int
}

// Sheet names, in the order of SPEC §5.
const (
	sheetSummary     = "Summary"
	sheetFunnel      = "Funnel"
	sheetJourneyMap  = "Journey map"
	sheetAttribution = "Touchpoints & attribution"
	sheetRepeat      = "Repeat purchase & cohorts"
	sheetResources   = "Resources"
	sheetTrends      = "Trends"
	sheetPeriods     = "Periods"
	sheetFunnelData  = "Funnel data"
	sheetQuality     = "Data quality"
	sheetAbout       = "About"
)

// topActions is how many recommendations the Summary repeats when About.Actions is not set.
const topActions = 5

// WriteWorkbook renders r as the manager's workbook and writes it atomically to path. The same r
// and about give a byte-identical file: document properties come from the report window, not
// the clock, and the package parts are written in a canonical order.
func WriteWorkbook(path string, r *kpi.Result, about About) error {
	if r == nil {
		return fmt.Errorf("reports: workbook %s: no result", path)
	}
	data, err := workbookBytes(r, about)
	if err != nil {
		return fmt.Errorf("reports: workbook %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// EncodeWorkbook renders r as WriteWorkbook does, to w: for a caller that commits several files
// together.
func EncodeWorkbook(w io.Writer, r *kpi.Result, about About) error {
	if r == nil {
		return fmt.Errorf("reports: workbook: no result")
	}
	data, err := workbookBytes(r, about)
	if err != nil {
		return fmt.Errorf("reports: workbook: %w", err)
	}
	_, err = w.Write(data)
	return err
}

// workbookBytes renders the workbook into memory, canonicalised.
func workbookBytes(r *kpi.Result, about About) ([]byte, error) {
	r = worded(r)
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	st := newStyles(f, r.Report.Currency)
	// The Summary draws from the Funnel and Periods sheets, so they are laid out first.
	funnel, chart := funnelSheet(r)
	periods, spark := periodsSheet(r)
	sheets := []*sheet{
		summarySheet(r, about.Actions, summaryRefs{spark: spark, funnel: chart}),
		funnel,
		journeyMapSheet(r),
		attributionSheet(r),
		repeatSheet(r),
		resourcesSheet(r),
		trendsSheet(r),
		periods,
		funnelDataSheet(r),
		qualitySheet(r),
		aboutSheet(r, about),
	}
	for i, s := range sheets {
		s.report = r.Report.Name
		s.period = r.Report.From + " to " + r.Report.To
		if err := s.write(f, st, i == 0); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	f.SetActiveSheet(0)
	stamp := reportTime(r.Report.To)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          "Customer journey report " + r.Report.Name + " " + r.Report.From + " to " + r.Report.To,
		Subject:        "Customer journey KPIs",
		Creator:        "journeykpi",
		LastModifiedBy: "journeykpi",
		Keywords:       "customer journey, funnel, attribution, repeat purchase",
		Description:    "Report window " + r.Report.From + " to " + r.Report.To + " (" + r.Report.Timezone + ")",
		Created:        stamp.Format(time.RFC3339),
		Modified:       stamp.Format(time.RFC3339),
		Revision:       "1",
		Language:       "en-US",
		Version:        about.Version,
	}); err != nil {
		return nil, err
	}
	if err := f.SetAppProps(&excelize.AppProperties{Application: "journeykpi"}); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return canonicalZip(buf.Bytes(), stamp)
}

// reportTime is the document time of a report: the start of its last day, UTC. A window that
// does not parse falls back to a fixed date, never the clock.
func reportTime(to string) time.Time {
	t, err := time.Parse("2006-01-02", to)
	if err != nil || t.Year() < 1980 {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}
