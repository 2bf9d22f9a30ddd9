package pipeline

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Range is the half-open time range [Start, End) a report needs read.
type Range struct {
	Start, End time.Time
}

// Source reads touchpoint events, or spend rows, as Arrow record batches. Column names are the
// source's own; the caller maps them onto the data contract (config source.columns).
type Source interface {
	// Read streams every row that may fall in r to emit, batch by batch, in no particular
	// order. It may pass rows outside r (the caller filters them), never fewer than those in r.
	// emit may be called from several goroutines at once; a record is valid only during the
	// call (Retain it to keep it). Read stops at the first error, from the read or from emit,
	// and returns it; an empty source returns nil without calling emit.
	Read(ctx context.Context, r Range, emit func(arrow.Record) error) error
}

// Describer is a Source that can say what it reads, for logs and the workbook's About sheet.
type Describer interface {
	// Describe returns a one-line description (files matched, table or query).
	Describe() string
}

// Planner is a Source that can estimate a read without doing it (journeykpi plan).
type Planner interface {
	// Plan returns what Read would do for r: the query or files and the bytes it would scan.
	Plan(ctx context.Context, r Range) (Plan, error)
}

// Plan is the dry-run description of a read.
type Plan struct {
	// Text is the query (with its parameters) or the list of files.
	Text string
	// Bytes is what the read would scan; -1 when unknown.
	Bytes int64
	// Limit is the most the source may scan (0: none). A plan over its limit refuses to run.
	Limit int64
}

// Closer is a Source holding resources (clients, connections) to release after use.
type Closer interface {
	Close() error
}
