package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest/arrowcol"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

// Reasons a row is rejected (SPEC §1). They are the keys of data_quality.rejected_by_reason.
const (
	RejectCustomerMissing  = "customer_id_missing"
	RejectTimeMissing      = arrowcol.TimeMissing
	RejectTimeUnparseable  = arrowcol.TimeUnparseable
	RejectTimeOutOfRange   = arrowcol.TimeOutOfRange
	RejectEventNameMissing = "event_name_missing"
	RejectStageMissing     = "stage_missing"
	RejectStageUnknown     = "stage_unknown"
	RejectRevenueNotNumber = "revenue_not_a_number"
	// RejectRevenueNegative: a negative revenue without source.allow_refunds.
	RejectRevenueNegative = "revenue_negative"
	// RejectRevenueOutOfRange: a revenue of MaxRevenue or more (either sign): no order is worth
	// it, and sums of such values would lose every cent.
	RejectRevenueOutOfRange = "revenue_out_of_range"
	RejectSentimentNaN      = "sentiment_not_a_number"
	RejectSentimentRange    = "sentiment_out_of_range"
	RejectMalformedRow      = "malformed_row"
	// RejectWhereFailed: source.where could not be evaluated on the row (a null input is not a
	// failure: it filters the row).
	RejectWhereFailed = "where_failed"
	// RejectDeriveFailed: an expression of source.derive could not be evaluated on the row.
	RejectDeriveFailed = "derive_failed"
	// malformedColumn is the text readers' marker of a row they could not split into columns.
	malformedColumn    = textformat.MalformedColumn
	minPlausibleMicros = arrowcol.MinPlausibleMicros
	maxPlausibleMicros = arrowcol.MaxPlausibleMicros
	// MaxRevenue bounds the revenue of one event: a trillion in any currency.
	MaxRevenue = 1e12
)

// Range is what a report reads: events in [Start, End) are kept, and the report's own period
// [PeriodStart, PeriodEnd) lies within it. Before FullFrom only purchase-stage events are needed
// (the split read); when OrdersOnly the others are left out there, counted as outside the range.
// A zero FullFrom needs every event.
type Range struct {
	Start, End             time.Time
	PeriodStart, PeriodEnd time.Time
	FullFrom               time.Time
	OrdersOnly             bool
}

// Row is one event on the data contract with its customer key: what the mapper emits and the
// grouper stores. It holds no pointers, so spilled rows are its bytes.
type Row struct {
	Cust uint64
	Ev   kpi.Event
}

// column returns the array named name in rec, or nil.
func column(rec arrow.Record, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

// MissingColumnError says that a required column is not in the source.
type MissingColumnError struct {
	Canonical, Source string
	// Found lists the columns the source has (nil when unknown).
	Found []string
}

func (e *MissingColumnError) Error() string {
	msg := fmt.Sprintf("the source has no column %q (source.columns.%s)", e.Source, e.Canonical)
	if e.Canonical == e.Source {
		msg = fmt.Sprintf("the source has no column %q (required; map it with source.columns.%s or compute it with source.derive.%s)", e.Source, e.Canonical, e.Canonical)
	}
	if e.Found != nil {
		msg += "; its columns are " + quoted(e.Found)
	}
	if hint := delimiterHint(e.Found); hint != "" {
		msg += ". " + hint
	}
	return msg
}

// quoted lists names quoted, or says there are none.
func quoted(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// delimiterHint says how a file seems to be separated when its header came out as one column
// holding several names: whitespace, semicolons, tabs or bars instead of commas.
func delimiterHint(found []string) string {
	if len(found) != 1 {
		return ""
	}
	h := found[0]
	for _, d := range []struct{ sep, name, value string }{{";", "semicolons", `";"`}, {"\t", "tabs", `"\t"`}, {"|", "bars", `"|"`}} {
		if strings.Count(h, d.sep) >= 1 {
			return fmt.Sprintf("The file looks separated by %s, not commas: set source.files.csv.delimiter: %s", d.name, d.value)
		}
	}
	if len(strings.Fields(h)) > 1 {
		return "The file looks separated by runs of spaces, not commas: set source.files.csv.delimiter: whitespace"
	}
	return ""
}

// Kind makes a missing column a configuration error: the user maps it in source.columns.
func (e *MissingColumnError) Kind() fault.Kind { return fault.Config }
